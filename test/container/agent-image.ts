// The REAL agent image under test: base rootfs (test/container/podman.ts) + the layer `perimeter bake`
// writes + a small root-owned test-fixture layer, configured from the image spec baked into that layer.
// Agents run through the image's own entrypoint, as uid 1000, on an --internal network this process
// creates (the autonomous image refuses a container that can reach the network directly,
// E_NETWORK_DIRECT), with a per-run writable home mounted at the agent's home. The fake model runs
// in this process on 127.0.0.1; a relay container on that network forwards to it through a unix
// socket in a mounted folder (startRelayedModel), so nothing but loopback and the test's own
// containers is ever addressed.
//
// The fixture layer holds only what driving the clients offline needs, never policy:
//   - each tool driver's imageFixtureFiles (src/tools/<tool>/driver.ts), root-owned and read-only;
//   - /opt/perimeter-test/shims/NAME: stand-ins for gh, git, npm... that append their command line to
//     SHIM_LOG_NAME in the agent's (mounted, per-run) home and print "shim: NAME ran".
// Client-driving config that has to live in HOME (each driver's imageHomeFiles, the login-shell PATH)
// is written into the per-run home by makeAgentHome; the baked /etc files are never touched.
import { execa } from "execa";
import { createConnection, createServer, type Server } from "node:net";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { bakeLayer } from "../../src/image/bake.js";
import { guardHookCommand } from "../../src/guard/command.js";
import type { ImageSpec } from "../../src/image/spec.js";
import { loadProfile } from "../../src/profile/load.js";
import { packageRoot } from "../../src/profile/builtin.js";
import { TOOLS } from "../../src/tools/index.js";
import type { AgentTool, JsonObject, ToolId } from "../../src/tools/types.js";
import { DRIVERS } from "../real/agents.js";
import { startFakeModel, type FakeModel, type FakeModelOptions } from "../real/fake-model.js";
import { normalizeCommand } from "../real/harness.js";
import { WORK_DIR, buildTestImage, podman, runContainer, writeLayerTar, type ImageConfig, type LayerEntry } from "./podman.js";

const ROOT = packageRoot();
export const SHIM_DIR = "/opt/perimeter-test/shims";
/** Where the shims log, inside the agent's home (a fresh host dir per run). */
export const SHIM_LOG_NAME = ".perimeter-shims-ran.log";
/** The same, each line the script turn it ran in, a tab, and the argv shell-quoted (bash's %q). */
export const SHIM_QUOTED_LOG_NAME = ".perimeter-shims-quoted.log";
/** Holds the number of the script turn the fake model offered last (written from the host). */
export const TURN_FILE_NAME = ".perimeter-turn";

// ---------------------------------------------------------------------------------------------------
// Layers

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** dist/perimeter.cjs and dist/entrypoint.cjs from the current source (rebuilt only when stale). */
export async function ensureDist(): Promise<void> {
  const outs = ["dist/perimeter.cjs", "dist/entrypoint.cjs"].map((f) => join(ROOT, f));
  const built = Math.min(...outs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const inputs = Math.max(newestMtime(join(ROOT, "src")), newestMtime(join(ROOT, "templates")), statSync(join(ROOT, "build.mjs")).mtimeMs);
  if (built > inputs) return;
  await execa(process.execPath, ["build.mjs"], { cwd: ROOT });
}

/**
 * Other suites run build.mjs, which deletes dist/ before writing it again: a bake that lands in that
 * window fails to find its files. Try again (rebuilding if dist is still stale) before giving up.
 */
async function withDist<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt === 3) throw error;
      await new Promise((r) => setTimeout(r, 2000));
      await ensureDist();
    }
  }
}

/** `perimeter bake --profile NAME --out OUT [EXTRA...]`, the real CLI. */
export async function bakeWithCli(profile: string, out: string, extra: readonly string[] = []): Promise<void> {
  await withDist(() => execa(process.execPath, [join(ROOT, "dist/perimeter.cjs"), "bake", "--profile", profile, "--out", out, ...extra], { cwd: ROOT }));
}

/** The control: bake's own code path, with the autonomous profile minus its tripwires. */
/** autonomous without its tripwires, and its guard hook made to have no opinion (its command is `true`). */
export async function bakeControlLayer(out: string): Promise<ImageSpec> {
  const autonomous = loadProfile("autonomous");
  const profile = { ...autonomous, name: `${autonomous.name}-control`, tripwires: [] };
  // Each tool renders as usual, its hook command then replaced, before bake digests the files.
  const noOpinion = TOOLS.map((tool): AgentTool => {
    const command = guardHookCommand(tool.id, tool.hook.blockingExitCode, profile, "image");
    const replace = (value: unknown): unknown =>
      typeof value === "string" ? (value === command ? "true" : value) : Array.isArray(value) ? value.map(replace) : value !== null && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)])) : value;
    return {
      ...tool,
      render: (p, scope) => {
        const output = tool.render(p, scope);
        const files = output.files.map((f) => (f.body.format === "text" ? f : { ...f, body: { ...f.body, value: replace(f.body.value) as JsonObject } }));
        return { ...output, files };
      },
    };
  });
  return withDist(async () => (await bakeLayer(profile, noOpinion, out)).spec);
}

/** The image spec as baked into a layer tar. */
export async function specFromLayer(layerTar: string): Promise<ImageSpec> {
  const r = await execa("tar", ["-xOf", layerTar, "etc/perimeter/image.json"]);
  return JSON.parse(r.stdout) as ImageSpec;
}

/** Every command word the tripwire examples start with. */
export function shimNames(commands: readonly string[]): string[] {
  return [...new Set(commands.map((c) => c.split(" ")[0]!))].sort();
}

/** "/a/b/c.json" -> ["/a", "/a/b"]: directories a layer must list before the file. */
function ancestors(file: string): string[] {
  const out: string[] = [];
  for (let d = dirname(file); d !== "/"; d = dirname(d)) out.unshift(d);
  return out;
}

/** The fixture layer's entries (root-owned, not writable by the agent). */
export function fixtureEntries(spec: ImageSpec, shims: readonly string[]): LayerEntry[] {
  const log = `${spec.user.home}/${SHIM_LOG_NAME}`;
  const quoted = `${spec.user.home}/${SHIM_QUOTED_LOG_NAME}`;
  const turn = `${spec.user.home}/${TURN_FILE_NAME}`;
  const entries: LayerEntry[] = [];
  const dirs = new Set<string>();
  for (const driver of TOOLS.map((t) => DRIVERS[t.id])) {
    for (const [file, content] of Object.entries(driver.imageFixtureFiles ?? {})) {
      for (const dir of ancestors(file).filter((d) => !dirs.has(d))) {
        dirs.add(dir);
        entries.push({ path: dir, mode: 0o755 });
      }
      entries.push({ path: file, content, mode: 0o444 });
    }
  }
  entries.push({ path: "/opt/perimeter-test", mode: 0o755 }, { path: SHIM_DIR, mode: 0o755 });
  for (const name of shims) {
    entries.push({
      path: `${SHIM_DIR}/${name}`,
      content:
        `#!/bin/bash\nprintf '%s\\n' "${name} $*" >> '${log}'\n` +
        `{ printf '%s\\t' "$(cat '${turn}' 2>/dev/null)"; printf '%q ' ${name} "$@"; printf '\\n'; } >> '${quoted}'\n` +
        `echo "shim: ${name} ran"\n`,
      mode: 0o555,
    });
  }
  return entries;
}

/**
 * USER, ENV, ENTRYPOINT and WORKDIR exactly as the spec says. The bare "tini" needs no rewriting: the
 * runtime looks the entrypoint up in the image's PATH (spec.env.PATH has /usr/bin, Debian's tini).
 */
export function imageConfig(spec: ImageSpec): ImageConfig {
  return {
    user: `${spec.user.uid}:${spec.user.gid}`,
    env: { ...spec.env },
    entrypoint: [...spec.entrypoint],
    workdir: spec.workdir,
  };
}

export interface AgentImage {
  ref: string;
  spec: ImageSpec;
}

/** Builds localhost/NAME = base + the baked layer + the fixture layer. */
export async function buildAgentImage(name: string, bakedLayer: string, shims: readonly string[]): Promise<AgentImage> {
  const spec = await specFromLayer(bakedLayer);
  // A stable file name: it is part of the image history, so the same inputs give the same image ID.
  const dir = mkdtempSync(join(WORK_DIR, "fixture-"));
  const fixture = join(dir, `${name}-fixture.tar`);
  await writeLayerTar(fixture, fixtureEntries(spec, shims));
  try {
    const ref = await buildTestImage({ name, layers: [bakedLayer, fixture], config: imageConfig(spec) });
    return { ref, spec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Per-run home

export interface AgentHome {
  /** Host directory mounted at spec.user.home. */
  dir: string;
  volume: string;
  /** Command lines the shims logged, normalized like harness.normalizeCommand. */
  ran(): string[];
  remove(): void;
}

/** Tracks every scratch dir made here, so the suite can remove them all. */
const scratch: string[] = [];

export function scratchDir(prefix: string, owner?: { uid: number; gid: number }): string {
  mkdirSync(WORK_DIR, { recursive: true });
  const dir = mkdtempSync(join(WORK_DIR, `${prefix}-`));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  scratch.push(dir);
  return dir;
}

export function removeScratch(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes a file in an agent home, it and any directory made for it owned by the agent. */
function writeOwned(file: string, content: string, owner: { uid: number; gid: number }): void {
  const dir = resolve(file, "..");
  if (!existsSync(dir)) {
    const first = mkdirSync(dir, { recursive: true });
    for (let d = dir; first && d.length >= first.length; d = dirname(d)) chownSync(d, owner.uid, owner.gid);
  }
  writeFileSync(file, content);
  chownSync(file, owner.uid, owner.gid);
}

/**
 * A fresh agent home (host dir owned by the agent user) with only client-driving config: each driver's
 * imageHomeFiles (user layers on top of the baked system files) and ~/.bash_profile putting the shims
 * first on PATH (a login shell's /etc/profile resets PATH).
 */
export function makeAgentHome(spec: ImageSpec, model: FakeModel | undefined): AgentHome {
  const owner = { uid: spec.user.uid, gid: spec.user.gid };
  const dir = scratchDir("home", owner);
  if (model) {
    for (const tool of TOOLS) {
      for (const [file, content] of Object.entries(DRIVERS[tool.id].imageHomeFiles?.(model.url) ?? {})) {
        writeOwned(join(dir, file), content, owner);
      }
    }
  }
  writeOwned(join(dir, ".bash_profile"), `export PATH='${SHIM_DIR}':"$PATH"\n`, owner);
  const log = join(dir, SHIM_LOG_NAME);
  return {
    dir,
    volume: `${dir}:${spec.user.home}`,
    ran: () =>
      existsSync(log)
        ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => normalizeCommand(l))
        : [],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------------
// The agents' network and the relayed fake model

const PREFIX = process.env.PERIMETER_PODMAN_PREFIX ?? "perimeter-test";
/** --internal: no default route, nothing past its own subnet; its members are the agents and the relays. */
export const AGENT_NETWORK = `${PREFIX}-agents-${process.pid}`;
let network: Promise<unknown> | undefined;

export function ensureAgentNetwork(): Promise<unknown> {
  network ??= podman(["network", "create", "--internal", AGENT_NETWORK]);
  return network;
}

export async function removeAgentNetwork(): Promise<void> {
  if (network === undefined) return;
  network = undefined;
  await podman(["network", "rm", "--force", AGENT_NETWORK], { reject: false });
}

/** Listens on 0.0.0.0:8080 in the relay container and pipes each connection to the mounted socket. */
const RELAY_SCRIPT = `const net = require("net"), fs = require("fs");
net.createServer((c) => {
  const u = net.connect("/relay/model.sock");
  c.pipe(u); u.pipe(c);
  c.on("error", () => u.destroy()); u.on("error", () => c.destroy());
}).listen(8080, "0.0.0.0", () => fs.writeFileSync("/relay/ready", ""));
`;
const RELAY_PORT = 8080;
let relaySeq = 0;

/**
 * The fake model (in this process, 127.0.0.1), reachable from AGENT_NETWORK at http://RELAY_IP:8080:
 * a unix socket in a scratch folder forwards to it, a relay container (node from `image`) on the
 * network forwards to that socket. The returned model is the real one with that url; close() stops all three.
 */
export async function startRelayedModel(image: AgentImage, opts: FakeModelOptions): Promise<FakeModel> {
  await ensureAgentNetwork();
  const model = await startFakeModel(opts);
  const dir = scratchDir("relay");
  writeFileSync(join(dir, "relay.cjs"), RELAY_SCRIPT);
  const bridge: Server = createServer((c) => {
    const up = createConnection(model.port, "127.0.0.1");
    c.pipe(up);
    up.pipe(c);
    c.on("error", () => up.destroy());
    up.on("error", () => c.destroy());
  });
  await new Promise<void>((resolve) => bridge.listen(join(dir, "model.sock"), resolve));
  const name = `${PREFIX}-relay-${process.pid}-${++relaySeq}`;
  const stop = async () => {
    await podman(["rm", "--force", "--time", "0", name], { reject: false });
    bridge.close();
    await model.close();
  };
  try {
    await podman(["run", "-d", "--rm", "--name", name, "--network", AGENT_NETWORK, "--user", "0", "--entrypoint", "node", "-v", `${dir}:/relay`, image.ref, "/relay/relay.cjs"]);
    for (let i = 0; !existsSync(join(dir, "ready")); i++) {
      if (i === 300) throw new Error(`relay ${name} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ip = (await podman(["inspect", "-f", `{{(index .NetworkSettings.Networks "${AGENT_NETWORK}").IPAddress}}`, name])).stdout.trim();
    // The real model's state (requests, turnResults, getters) through the prototype; only url and close differ.
    return Object.create(model, { url: { value: `http://${ip}:${RELAY_PORT}` }, close: { value: stop } }) as FakeModel;
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Running an agent through the entrypoint

/** Environment that points the client at the fake model (nothing about permissions). */
export function clientEnv(tool: ToolId, model: FakeModel): Record<string, string> {
  return DRIVERS[tool].modelEnv(model.url);
}

export interface EntrypointRunOptions {
  home: AgentHome;
  model: FakeModel;
  prompt?: string;
  /** Extra env (after the client env); PATH gets the shims first unless given here. */
  env?: Record<string, string>;
  volumes?: string[];
  timeoutMs?: number;
  /** More `podman run` flags (a hardened start's, say). */
  extraArgs?: string[];
}

/**
 * `podman run IMAGE TOOL PROMPT`: the image's own entrypoint and launch command, as the image's user,
 * on AGENT_NETWORK (opts.model from startRelayedModel).
 */
export async function runThroughEntrypoint(image: AgentImage, tool: ToolId, opts: EntrypointRunOptions) {
  await ensureAgentNetwork();
  const started = Date.now();
  const r = await runContainer(image.ref, {
    network: AGENT_NETWORK,
    env: { PATH: `${SHIM_DIR}:${image.spec.env.PATH}`, ...clientEnv(tool, opts.model), ...opts.env },
    volumes: [opts.home.volume, ...(opts.volumes ?? [])],
    args: [tool, opts.prompt ?? "go"],
    timeoutMs: opts.timeoutMs ?? 240_000,
    extraArgs: opts.extraArgs,
  });
  return { ...r, durationMs: Date.now() - started };
}

export interface ImageScriptRun {
  run: Awaited<ReturnType<typeof runThroughEntrypoint>>;
  /** The tool result of commands[i], as the CLI sent it to the model. */
  results: string[];
  /** Per command: did its shim run? */
  ran: boolean[];
  /** The command lines the shims ran during script turn N, shell-quoted. */
  ranAt(turn: number): string[];
}

/** One agent process in the image that tries each command in turn (one per model turn), like harness.runScript. */
export async function runScriptInImage(image: AgentImage, tool: ToolId, commands: readonly string[], env: Record<string, string> = {}): Promise<ImageScriptRun> {
  let turnFile: string | undefined;
  let turn = -1;
  const owner = { uid: image.spec.user.uid, gid: image.spec.user.gid };
  // Only forward: a side request (a title, a summary) restarts no turn.
  const model = await startRelayedModel(image, {
    commands,
    onTurn: (n) => {
      if (turnFile !== undefined && n > turn) writeOwned(turnFile, String((turn = n)), owner);
    },
  });
  try {
    const home = makeAgentHome(image.spec, model);
    turnFile = join(home.dir, TURN_FILE_NAME);
    const run = await runThroughEntrypoint(image, tool, { home, model, env });
    const ranLines = home.ran();
    const quoted = join(home.dir, SHIM_QUOTED_LOG_NAME);
    const tagged = existsSync(quoted) ? readFileSync(quoted, "utf8").split("\n").filter((l) => l !== "") : [];
    return {
      run,
      results: [...model.turnResults],
      ran: commands.map((c) => ranLines.includes(normalizeCommand(c))),
      ranAt: (n) => tagged.filter((l) => l.split("\t")[0] === String(n)).map((l) => l.slice(l.indexOf("\t") + 1).trimEnd()),
    };
  } finally {
    await model.close();
  }
}

/** Runs at most `n` of the given jobs at a time (two cores: agent containers compete for them). */
export function limiter(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (active < n) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // a finishing job hands over its slot
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
