// The world of the `perimeter run` proofs: the real agent image (base + `perimeter bake` layer + the
// perimeter CLI, for the gateway) and, per test, a fake internet in its own container on its own
// --internal network, with a test CA the gateway is told to trust. Everything is named `pr-...`.
import { build } from "esbuild";
import { execa } from "execa";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/profile/builtin.js";
import type { Manifest } from "../../src/run/manifest.js";
import { bakeWithCli, ensureDist, fixtureEntries, imageConfig, scratchDir, specFromLayer } from "../container/agent-image.js";
import { CONTAINERS_CONF_PATH, STORAGE_CONF_PATH, buildTestImage, podman, writeLayerTar } from "../container/podman.js";
import { makeTestCa } from "../gateway/test-ca.js";

const ROOT = packageRoot();
/** `pr-`; PERIMETER_RUN_TEST_PREFIX gives a checkout of its own names on an engine others share. */
export const PREFIX = process.env.PERIMETER_RUN_TEST_PREFIX ?? "pr-";
export const IMAGE_NAME = `${PREFIX}run-agent`;

/** Names the fake internet answers for. */
export const UPSTREAM_NAMES = ["api.anthropic.com", "api.openai.com", "generativelanguage.googleapis.com", "github.com", "api.github.com"];

/** What the launcher holds and the agent must never see. */
export const REAL_SECRETS = {
  ANTHROPIC_API_KEY: "sk-ant-api03-REAL-run-test-anthropic-0001",
  OPENAI_API_KEY: "sk-proj-REAL-run-test-openai-0001",
  GEMINI_API_KEY: "AIzaREAL-run-test-google-0001",
  GH_TOKEN: "ghp_REALruntesttoken0000000000000000000001",
};

/** localhost/pr-run-agent: what `nix build .#agent-image` makes, assembled from the same parts. */
export async function buildRunImage(): Promise<string> {
  await ensureDist();
  const dir = scratchDir(`${PREFIX}layers`);
  const baked = join(dir, "autonomous.tar");
  await bakeWithCli("autonomous", baked);
  const spec = await specFromLayer(baked);
  const fixture = join(dir, `${PREFIX}fixture.tar`);
  await writeLayerTar(fixture, fixtureEntries(spec, []));
  // The baked layer carries the perimeter package too: the gateway container runs it.
  return buildTestImage({ name: IMAGE_NAME, layers: [baked, fixture], config: imageConfig(spec) });
}

export interface Upstreams {
  network: string;
  hostsFile: string;
  caFile: string;
  /** Requests the fakes saw. */
  seen(): Promise<Record<string, unknown>[]>;
  /** `git` in the fake server's copy of octo/app. */
  git(args: string[]): Promise<string>;
  remove(): Promise<void>;
}

let bundled: string | undefined;

/** The fake internet for one test, the model scripted with `commands`. */
export async function startUpstreams(id: string, image: string, commands: readonly string[]): Promise<Upstreams> {
  const dir = scratchDir(`${PREFIX}up-${id}`);
  if (bundled === undefined) {
    bundled = join(scratchDir(`${PREFIX}bundle`), "upstreams.cjs");
    await build({ entryPoints: [join(ROOT, "test/run/upstreams.ts")], bundle: true, platform: "node", format: "cjs", target: "node20", outfile: bundled, logLevel: "error" });
  }
  writeFileSync(join(dir, "upstreams.cjs"), readFileSync(bundled));
  const ca = await makeTestCa(UPSTREAM_NAMES);
  writeFileSync(join(dir, "cert.pem"), ca.certPem);
  writeFileSync(join(dir, "key.pem"), ca.keyPem);
  const caFile = join(dir, "upstream-ca.pem");
  writeFileSync(caFile, ca.caPem);
  for (const f of ["upstreams.cjs", "cert.pem", "key.pem", "upstream-ca.pem"]) chmodSync(join(dir, f), 0o644);
  chmodSync(dir, 0o755);
  const network = `${PREFIX}${id}-up`;
  const name = `${PREFIX}${id}-fakes`;
  // What a killed earlier run of these tests left under the same names.
  await podman(["rm", "--force", "--time", "0", name], { reject: false });
  await podman(["network", "rm", "--force", network], { reject: false });
  await podman(["network", "create", "--internal", network]);
  await podman([
    "run", "--detach", "--name", name, "--network", network, "--user", "0:0", "--volume", `${dir}:/fakes:ro`,
    "--env", `FAKE_COMMANDS=${JSON.stringify(commands)}`, "--entrypoint", "node", image, "/fakes/upstreams.cjs",
  ]);
  for (let i = 0; ; i++) {
    const logs = await podman(["logs", name], { reject: false });
    if (logs.stdout.includes("upstreams ready")) break;
    if (i > 200) throw new Error(`the fake upstreams did not start:\n${logs.stdout}\n${logs.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const ip = (await podman(["inspect", "--format", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name])).stdout.trim();
  const hostsFile = join(dir, "hosts");
  writeFileSync(hostsFile, UPSTREAM_NAMES.map((n) => `${ip} ${n}\n`).join(""));
  chmodSync(hostsFile, 0o644);
  return {
    network,
    hostsFile,
    caFile,
    seen: async () =>
      (await podman(["exec", name, "cat", "/state/seen.jsonl"])).stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    git: async (args) => (await podman(["exec", name, "git", "--git-dir=/srv/git/octo/app.git", ...args])).stdout,
    remove: async () => {
      await podman(["rm", "--force", "--time", "0", name], { reject: false });
      await podman(["network", "rm", "--force", network], { reject: false });
    },
  };
}

/** The environment `perimeter run` gets: the tests' podman settings and the launcher's secrets. */
export function launcherEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    CONTAINERS_CONF: CONTAINERS_CONF_PATH,
    CONTAINERS_STORAGE_CONF: STORAGE_CONF_PATH,
    ...REAL_SECRETS,
    ...extra,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  manifest: Manifest;
}

/** Args every proof passes: the test image, the fakes, podman, the pr- prefix. */
export function runArgs(up: Upstreams, tool: string, out: string, more: string[] = []): string[] {
  return [
    "run", "--tool", tool, "--repo", "https://github.com/octo/app", "--image", `localhost/${IMAGE_NAME}:latest`,
    "--engine", "podman", "--out", out, "--hosts", up.hostsFile, "--upstream-ca", up.caFile,
    "--egress-network", up.network, "--name-prefix", PREFIX, "--json", ...more,
  ];
}

/** `perimeter run` from the built CLI, as a user runs it. */
export function startRun(args: string[], prompt = "fix the bug in src/add.js") {
  return execa(process.execPath, [join(ROOT, "dist/perimeter.cjs"), ...args, ...(prompt === "" ? [] : [prompt])], { env: launcherEnv(), extendEnv: false, reject: false, stdin: "ignore" });
}

export async function perimeterRun(args: string[], prompt?: string): Promise<RunResult> {
  const r = await startRun(args, prompt);
  const out = args[args.indexOf("--out") + 1]!;
  const file = join(out, "manifest.json");
  if (!existsSync(file)) throw new Error(`no manifest (exit ${r.exitCode}):\n${r.stderr}\n${r.stdout}`);
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), manifest: JSON.parse(readFileSync(file, "utf8")) as Manifest };
}

/** Every engine object carrying the run label of `runId` (nothing, after a run). */
export async function leftovers(runId: string): Promise<string[]> {
  const filter = `label=io.perimeter.run=${runId}`;
  const lists = await Promise.all([
    podman(["ps", "--all", "--filter", filter, "--format", "{{.Names}}"]),
    podman(["network", "ls", "--filter", filter, "--format", "{{.Name}}"]),
    podman(["volume", "ls", "--filter", filter, "--format", "{{.Name}}"]),
  ]);
  return lists.flatMap((l) => l.stdout.split("\n").filter((s) => s.trim() !== ""));
}

export function outDir(name: string): string {
  const dir = scratchDir(`${PREFIX}out-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export { execa };
