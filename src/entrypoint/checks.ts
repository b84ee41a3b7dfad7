// The entrypoint's refusals: each names one reason, with its own code, so a log line says exactly
// why an agent did not start. Every check reads the environment it is given, so tests can run them.
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { ImageSpec } from "../image/spec.js";

export type RefusalCode =
  | "E_SANDBOX_FLAG"
  | "E_ROOT"
  | "E_CONTAINER_SOCKET"
  | "E_POLICY_MISSING"
  | "E_POLICY_WRITABLE"
  | "E_PRIVILEGED";

export interface Refusal {
  code: RefusalCode;
  reason: string;
}

export interface Environment {
  env: NodeJS.ProcessEnv;
  uid: number;
  /** Reads a file, or undefined when it does not exist (for /proc). */
  readText(path: string): string | undefined;
  exists(path: string): boolean;
  /** True when this process could write the path (or replace it through its folder). */
  writable(path: string): boolean;
  ownerUid(path: string): number | undefined;
}

export const realEnvironment = (): Environment => ({
  env: process.env,
  uid: process.getuid?.() ?? -1,
  readText: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  exists: (path) => existsSync(path),
  writable: (path) => {
    for (const target of [path, dirname(path)]) {
      try {
        accessSync(target, constants.W_OK);
        return true;
      } catch {
        // not writable: keep looking
      }
    }
    return false;
  },
  ownerUid: (path) => {
    try {
      return statSync(path).uid;
    } catch {
      return undefined;
    }
  },
});

/** Where Docker and Podman put their API sockets; a mounted one lets the agent start a host container. */
const SOCKET_PATHS = ["/var/run/docker.sock", "/run/docker.sock", "/run/podman/podman.sock", "/var/run/podman/podman.sock"];

const ENGINE_ADDRESS_VARS = ["DOCKER_HOST", "CONTAINER_HOST"] as const;

function socketFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ENGINE_ADDRESS_VARS) {
    const value = env[name];
    if (value?.startsWith("unix://")) return value.slice("unix://".length);
  }
  return undefined;
}

/** An engine reached over the network (tcp://, ssh://, ...), named to the agent by the environment. */
function remoteEngineFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ENGINE_ADDRESS_VARS) {
    const value = env[name];
    if (value !== undefined && value !== "" && !value.startsWith("unix://")) return `${name}=${value}`;
  }
  return undefined;
}

function mountedSockets(mountinfo: string | undefined): string[] {
  if (mountinfo === undefined) return [];
  return mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((mountPoint): mountPoint is string => mountPoint !== undefined && /(docker|podman)\.sock$/.test(mountPoint));
}

/** The bounding set is full only in a privileged container (or on a bare host). */
function hasFullCapabilities(status: string | undefined, lastCap: string | undefined): boolean {
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status ?? "")?.[1];
  const last = Number.parseInt(lastCap ?? "", 10);
  if (bounding === undefined || Number.isNaN(last)) return false;
  const full = (1n << BigInt(last + 1)) - 1n;
  return (BigInt(`0x${bounding}`) & full) === full;
}

export function refusals(spec: ImageSpec, e: Environment): Refusal[] {
  const found: Refusal[] = [];
  if (e.env.AGENT_SANDBOX !== "1") {
    found.push({ code: "E_SANDBOX_FLAG", reason: `AGENT_SANDBOX must be exactly "1" (it is ${JSON.stringify(e.env.AGENT_SANDBOX ?? null)}); this entrypoint only runs inside the agent image` });
  }
  if (e.uid === 0) found.push({ code: "E_ROOT", reason: "running as root (uid 0); the agent runs as the unprivileged agent user" });
  const sockets = [...SOCKET_PATHS, socketFromEnv(e.env)].filter((p): p is string => p !== undefined && e.exists(p));
  sockets.push(...mountedSockets(e.readText("/proc/self/mountinfo")).filter((p) => !sockets.includes(p)));
  const remote = remoteEngineFromEnv(e.env);
  if (remote !== undefined) sockets.push(remote);
  if (sockets.length > 0) {
    found.push({ code: "E_CONTAINER_SOCKET", reason: `a container engine socket is reachable (${sockets.join(", ")}); it would let the agent start a container on the host` });
  }
  for (const file of spec.policyFiles) {
    if (!e.exists(file)) {
      found.push({ code: "E_POLICY_MISSING", reason: `policy file ${file} is missing` });
    } else if (e.writable(file) || e.ownerUid(file) !== 0) {
      found.push({ code: "E_POLICY_WRITABLE", reason: `policy file ${file} is not root-owned and read-only for the agent` });
    }
  }
  if (hasFullCapabilities(e.readText("/proc/self/status"), e.readText("/proc/sys/kernel/cap_last_cap"))) {
    found.push({ code: "E_PRIVILEGED", reason: "the process has the full capability set (a privileged container); the container would not be a wall" });
  }
  return found;
}
