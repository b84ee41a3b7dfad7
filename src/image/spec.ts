// The agent image's contract, in one place: who runs, where things live, how each tool starts.
// `perimeter bake` writes it into the layer as JSON; the entrypoint, the Nix image and the test image
// all read that file instead of restating it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../profile/builtin.js";
import { UsageError } from "../errors.js";
import type { Profile } from "../profile/types.js";
import type { AgentTool, GuardOffSwitch, ToolId } from "../tools/types.js";

export const IMAGE_SPEC_PATH = "/etc/perimeter/image.json";
export const ENTRYPOINT_PATH = "/opt/perimeter/entrypoint.cjs";
/** The CLI bundle the guard hooks run (with its package.json, profiles/ and dist/compiled/ beside it). */
export const PACKAGE_PATH = "/opt/perimeter/package";
export const CLI_PATH = `${PACKAGE_PATH}/dist/perimeter.cjs`;
/** How the image starts the gateway, from that same package; `perimeter run` uses it. */
export const GATEWAY_COMMAND = ["node", CLI_PATH, "gateway"];

export const EGRESS_WALLS = ["network", "orchestrator"] as const;
export type EgressWall = "orchestrator";

export interface ImageSpecOptions {
  /** "orchestrator": the cluster variant (ImageSpec.egressWall); "network" (default): the engine's network. */
  egressWall?: (typeof EGRESS_WALLS)[number];
}

export interface ImageSpec {
  profile: string;
  output: "text" | "json";
  user: { name: string; uid: number; gid: number; home: string; shell: string };
  workdir: string;
  env: Record<string, string>;
  /** PID 1 is an init (tini) in front of the entrypoint. */
  entrypoint: string[];
  /** Root-owned, read-only files the agent must not be able to change. */
  policyFiles: string[];
  /**
   * "gateway": the profile says what may leave ([network]), so everything goes through `perimeter
   * gateway` and the entrypoint refuses a container that can reach the network directly
   * (E_NETWORK_DIRECT, src/entrypoint/network.ts). "direct": a profile without [network], no gateway.
   */
  network: "gateway" | "direct";
  /**
   * Who holds the egress wall of a "gateway" image. Absent (what bake writes unless told): the
   * container's own network, which the entrypoint reads, refusing any way out but the gateway.
   * "orchestrator" (`perimeter bake --egress-wall orchestrator`, the Kubernetes variant): a
   * NetworkPolicy the pod cannot see holds it, so a default route is no refusal; the pod must be a
   * pod (KUBERNETES_SERVICE_HOST), have HTTPS_PROXY set and no service-account token mounted. Baked
   * into a policy file whose digest the entrypoint carries: no variable or mount can switch it.
   */
  egressWall?: EgressWall;
  /** Each tool's launch command (LaunchSpec: how the prompt is kept from being read as options). */
  tools: Record<ToolId, { argv: string[]; promptOption?: string; policyEnv?: string[]; loginFiles?: string[]; guardOff?: GuardOffSwitch[]; package: string; version: string }>;
}

/** The exact client versions, from the one place they are pinned. */
export function pinnedClientVersions(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "image", "clients", "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  return manifest.dependencies;
}

export function imageSpec(profile: Profile, tools: readonly AgentTool[], policyFiles: string[], options: ImageSpecOptions = {}): ImageSpec {
  const network = profile.network !== undefined ? "gateway" : "direct";
  if (options.egressWall === "orchestrator" && network !== "gateway") {
    throw new UsageError(`--egress-wall orchestrator: profile "${profile.name}" has no [network] section, so there is no gateway and no wall for an orchestrator to hold`);
  }
  const versions = pinnedClientVersions();
  const user = { name: "agent", uid: 1000, gid: 1000, home: "/home/agent", shell: "/bin/bash" };
  return {
    profile: profile.name,
    output: profile.posture.output,
    user,
    workdir: "/work",
    env: {
      AGENT_SANDBOX: "1",
      HOME: user.home,
      USER: user.name,
      PATH: "/usr/local/bin:/usr/bin:/bin",
    },
    entrypoint: ["tini", "--", "node", ENTRYPOINT_PATH],
    policyFiles: [...policyFiles, IMAGE_SPEC_PATH].sort(),
    network,
    // Only when asked: the standard image's spec (and nix/image-spec.json) stays as it was.
    ...(options.egressWall === "orchestrator" ? { egressWall: "orchestrator" as const } : {}),
    tools: Object.fromEntries(
      tools.map((tool) => {
        const version = versions[tool.npmPackage];
        if (version === undefined) throw new Error(`image/clients/package.json does not pin ${tool.npmPackage}`);
        const launch = tool.launch(profile);
        return [
          tool.id,
          {
            argv: launch.argv,
            ...(launch.promptOption !== undefined ? { promptOption: launch.promptOption } : {}),
            ...(launch.policyEnv !== undefined ? { policyEnv: launch.policyEnv } : {}),
            ...(launch.loginFiles !== undefined ? { loginFiles: launch.loginFiles } : {}),
            ...(launch.guardOff !== undefined ? { guardOff: launch.guardOff } : {}),
            package: tool.npmPackage,
            version,
          },
        ];
      }),
    ) as ImageSpec["tools"],
  };
}
