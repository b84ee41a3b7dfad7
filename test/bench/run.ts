// `npm run bench`: start-up and overhead of the built CLI and entrypoint, against bare Node and a peer
// tool, in ONE run with the commands interleaved round-robin so machine noise spreads over all of
// them alike. Prints one line per case and writes the same lines into README.md between the bench
// markers. Never part of `npm test`: nothing here asserts a time.
//
//   1. cold `render --dry-run` of `interactive` (all three tools) into a fresh home   vs `node -e 0`
//   2. the same with 10x the allow/ask entries in interactive (a package built with it) vs case 1
//   2b. 10x against 1x, both from an own --profiles-dir (never compiled ahead)           vs 1x there
//   3. `check` on a home that is up to date                                              vs `node -e 0`
//   4. the image's entrypoint starting `node -e 0` (its fixed cost)                      vs `node -e 0` alone
//   4a-c. the entrypoint starting each pinned agent, up to its first model request       vs the agent alone
//   5. rulesync generate (Claude Code + Codex, permissions) for the same lists           vs case 1
//   6a-d. perimeter gateway: 200 MB tunnelled vs squid, intercepted vs direct, added latency, HAProxy re-encrypting as the floor (gateway.ts)
//   7. one guard-hook decision (`perimeter hook claude`, a tripwire command on stdin)    vs `node -e 0`
//
// `tsx test/bench/run.ts --cases 1,2,3,7` runs only those cases (a case's number without its
// letter: 4 is 4 and 4a-c): quicker while working on one of them. Such a partial run prints its
// lines and leaves README.md alone, which only a run of every case rewrites.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  countActions,
  formatLine,
  multipliedProfile,
  README_END,
  README_START,
  replaceBetweenMarkers,
  rulesyncPermissions,
  summarize,
  type CaseResult,
} from "./lib.js";
import { agentStartCommands, type AgentStartSetup } from "./agent-start.js";
import { gatewayBench } from "./gateway.js";
import { AGENT_TOOLS } from "../real/agents.js";
import { copyPackageSource } from "../package-source.js";
import { parseRecords } from "../../src/entrypoint/record.js";
import { writeContainerView } from "./container-proc.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The cases asked for with `--cases 1,3,7` (numbers, letters dropped); undefined: every case. */
const CASES = ((): Set<string> | undefined => {
  const at = process.argv.indexOf("--cases");
  if (at === -1) return undefined;
  const list = process.argv[at + 1];
  if (list === undefined || !/^\d+(,\d+)*$/.test(list)) throw new Error("--cases takes a comma-separated list of case numbers, e.g. --cases 1,3,7");
  return new Set(list.split(","));
})();
/** Is case `id` (e.g. 2, "2b", "4a") part of this run? */
const wanted = (id: number | string): boolean => CASES === undefined || CASES.has(String(id).replace(/[a-z]+$/, ""));
const NODE = process.execPath;
const RUNS = 15;
const WARMUP_ROUNDS = 2;
const FACTOR = 10;

// ---------------------------------------------------------------------------------------------
// Set-up (nothing here is timed)

function run(argv: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", ...options });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`${argv.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${String(r.stderr ?? "")}${String(r.stdout ?? "")}`);
  }
  return String(r.stdout ?? "");
}

if (!existsSync(join(ROOT, "dist", "perimeter.cjs")) || !existsSync(join(ROOT, "dist", "entrypoint.cjs"))) {
  console.log("dist/ is missing: building it (node build.mjs)");
  run([NODE, "build.mjs"], { cwd: ROOT, stdio: "inherit" });
}

const TMP = mkdtempSync(join(tmpdir(), "perimeter-bench-"));
// The image's user (uid 1000) must reach the files of case 4 under here.
chmodSync(TMP, 0o755);
const cleanup = () => rmSync(TMP, { recursive: true, force: true });
process.on("exit", cleanup);

// The package as it is installed, snapshotted, so a rebuild of dist/ by someone else's test run
// cannot change or remove the files halfway through. The bundle needs nothing from node_modules.
const PKG = join(TMP, "package");
mkdirSync(join(PKG, "image", "clients"), { recursive: true });
for (const entry of ["package.json", "profiles", "templates", "dist"]) cpSync(join(ROOT, entry), join(PKG, entry), { recursive: true });
copyFileSync(join(ROOT, "image", "clients", "package.json"), join(PKG, "image", "clients", "package.json"));
const CLI = join(PKG, "dist", "perimeter.cjs");

const BENCH_HOME = join(TMP, "user-home");
mkdirSync(BENCH_HOME);
// A minimal environment, the same for every command: variables such as NODE_OPTIONS or
// NODE_EXTRA_CA_CERTS (which alone adds ~30 ms to every Node start here) would blur the ratios.
const ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: BENCH_HOME, LANG: "C.UTF-8" };

let freshHomes = 0;
/** A new, empty home folder for one run. */
function freshHome(): string {
  const home = join(TMP, "homes", String(freshHomes++));
  mkdirSync(home, { recursive: true });
  return home;
}

// Case 2: `interactive` with 10x the entries, built into a package of its own exactly as the real
// one is built (build.mjs compiles the built-in profiles), so the command is the same as case 1's.
const interactiveToml = readFileSync(join(PKG, "profiles", "interactive.toml"), "utf8");
const tripwiresToml = readFileSync(join(PKG, "profiles", "tripwires.toml"), "utf8");
const bigToml = multipliedProfile(interactiveToml, FACTOR, `${FACTOR}x the entries of interactive (benchmark)`);
const BIG_PKG = join(TMP, "package-big");
copyPackageSource(BIG_PKG);
writeFileSync(join(BIG_PKG, "profiles", "interactive.toml"), bigToml);
if (wanted(2)) run([NODE, "build.mjs"], { cwd: BIG_PKG });
const BIG_CLI = join(BIG_PKG, "dist", "perimeter.cjs");

// Case 2b: the same two profiles from a folder of the user's own (--profiles-dir), which is never
// compiled ahead: the loader and the emitters run on every call.
const OWN_DIR = join(TMP, "profiles-own");
mkdirSync(OWN_DIR);
writeFileSync(join(OWN_DIR, "own.toml"), interactiveToml);
writeFileSync(join(OWN_DIR, "big.toml"), bigToml);

const countsOf = (cli: string, profile = "interactive"): string => {
  const shown = JSON.parse(run([NODE, cli, "show", "--json", "--profile", profile], { cwd: PKG, env: ENV })) as Record<string, unknown>;
  const length = (key: string) => (Array.isArray(shown[key]) ? (shown[key] as unknown[]).length : "?");
  return `${length("allow")} allow, ${length("ask")} ask, ${length("tripwires")} tripwires`;
};
const interactiveCounts = countsOf(CLI);
const bigCounts = wanted(2) ? countsOf(BIG_CLI) : "not built";

// Case 3: a home that is up to date.
const CHECK_HOME = join(TMP, "checked-home");
mkdirSync(CHECK_HOME);
run([NODE, CLI, "render", "--home", CHECK_HOME], { cwd: PKG, env: ENV });

// Case 4: the image's own files. `bake` writes the policy layer (the entrypoint, the image spec and
// the root-owned policy files); it is unpacked under TMP and its spec copied with paths pointing
// there: one copy whose tools are all `node -e 0` (the entrypoint's fixed cost), one whose tools are
// the pinned agent CLIs (agent-start.ts). The entrypoint then runs as the image's user, with
// AGENT_SANDBOX=1, through its own realEnvironment: every sandbox check runs for real.
const IMAGE_ROOT = join(TMP, "image-root");
let entrySkip: string | undefined;
let nodeEntryArgv: string[] = [];
const nodeToolArgv = [NODE, "-e", "0", "benchmark prompt"];
let entryOptions: SpawnSyncOptions = {};
let agentSetup: AgentStartSetup | undefined;
let agentSkip: string | undefined;
if (!wanted(4)) {
  entrySkip = agentSkip = "not asked for (--cases)";
} else {
  mkdirSync(IMAGE_ROOT);
  run([NODE, CLI, "bake", "--profile", "autonomous", "--out", join(TMP, "layer.tar")], { cwd: PKG, env: ENV });
  run(["tar", "-xf", join(TMP, "layer.tar"), "-C", IMAGE_ROOT]);
  const baked = JSON.parse(readFileSync(join(IMAGE_ROOT, "etc", "perimeter", "image.json"), "utf8")) as {
    user: { uid: number; gid: number };
    env: Record<string, string>;
    policyFiles: string[];
    tools: Record<string, { argv: string[]; promptOption?: string }>;
  };
  writeContainerView(IMAGE_ROOT);
  /** A copy of the spec with other tools, at a path under IMAGE_ROOT as the entrypoint reads it. */
  const writeSpec = (name: string, tools: Record<string, string[]>): string => {
    const spec = { ...baked, tools: structuredClone(baked.tools) };
    // The argv given takes the prompt appended as its last argument (it ends with its own -p, or none).
    for (const [tool, argv] of Object.entries(tools)) spec.tools[tool] = { ...spec.tools[tool]!, argv, promptOption: undefined };
    const path = `/etc/perimeter/${name}.json`;
    writeFileSync(join(IMAGE_ROOT, path), `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o444 });
    return path;
  };
  const nodeSpec = writeSpec("node", Object.fromEntries(Object.keys(baked.tools).map((tool) => [tool, [NODE, "-e", "0"]])));
  const driver = join(TMP, "entry-driver.cjs");
  copyFileSync(join(ROOT, "test", "bench", "entry-driver.cjs"), driver);
  chmodSync(driver, 0o644);
  const entryCommand = [NODE, driver, join(IMAGE_ROOT, "opt", "perimeter", "entrypoint.cjs"), IMAGE_ROOT];
  nodeEntryArgv = [...entryCommand, nodeSpec, "codex", "benchmark prompt"];
  entryOptions = { cwd: TMP, env: { ...baked.env }, uid: baked.user.uid, gid: baked.user.gid };
  if (process.getuid?.() !== 0) {
    entrySkip = "needs root, to run the entrypoint as the image's user (uid 1000) with root-owned policy files";
  } else {
    const trial = spawnSync(nodeEntryArgv[0]!, nodeEntryArgv.slice(1), { ...entryOptions, encoding: "utf8" });
    if (trial.error !== undefined || trial.status !== 0) {
      entrySkip = `the entrypoint would not start the tool here (${trial.error?.message ?? `exit ${trial.status}`}): ${String(trial.stderr).trim()}`;
    } else if (parseRecords(String(trial.stderr)).length !== 2) {
      throw new Error(`the entrypoint's stderr has no start and end record:\n${String(trial.stderr)}`);
    } else if (!existsSync(join(ROOT, "image", "clients", "node_modules", ".bin", "claude"))) {
      agentSkip = "the pinned agent CLIs are not installed (node image/clients/ensure.mjs)";
    } else {
      agentSetup = { entryCommand, writeSpec, imageEnv: baked.env, user: baked.user, root: TMP };
    }
  }
}
agentSkip ??= entrySkip;

// Case 5: rulesync, the same lists in its format, in a project folder of its own.
const RULESYNC_PROJECT = join(TMP, "rulesync-project");
mkdirSync(join(RULESYNC_PROJECT, ".rulesync"), { recursive: true });
const permissions = rulesyncPermissions(interactiveToml, tripwiresToml);
writeFileSync(join(RULESYNC_PROJECT, ".rulesync", "permissions.jsonc"), `${JSON.stringify(permissions, null, 2)}\n`);
const rulesyncManifest = JSON.parse(readFileSync(join(ROOT, "node_modules", "rulesync", "package.json"), "utf8")) as { version: string; bin: Record<string, string> };
const RULESYNC = join(ROOT, "node_modules", "rulesync", rulesyncManifest.bin.rulesync!);
const rulesyncCounts = countActions(permissions);

// ---------------------------------------------------------------------------------------------
// The timed commands

interface Timed {
  key: string;
  /** One run; resolves with the milliseconds it took (what each case defines as its time). */
  time: () => Promise<number>;
}

/** A whole process, timed from spawn to exit. `argv` is called before each run, `after` after it: both untimed. */
function spawned(key: string, argv: () => string[], options: SpawnSyncOptions, after?: (argv: string[]) => void): Timed {
  return {
    key,
    time: async () => {
      const args = argv();
      const started = process.hrtime.bigint();
      const r = spawnSync(args[0]!, args.slice(1), { ...options, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (r.error !== undefined || r.status !== 0) {
        throw new Error(`${key}: ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${String(r.stderr)}`);
      }
      after?.(args);
      return elapsed;
    },
  };
}

// Case 6: the hook as a tool runs it, with a Bash call an agent writes (a force-push behind a global
// option and bundled flags) on stdin. It must deny: exit 2 with the tripwire's reason.
const HOOK_INPUT = JSON.stringify({
  hook_event_name: "PreToolUse",
  tool_name: "Bash",
  tool_input: { command: "cd /work && git -C app push -uf origin main" },
  permission_mode: "bypassPermissions",
});
const hookDecision: Timed = {
  key: "hook",
  time: async () => {
    const started = process.hrtime.bigint();
    const r = spawnSync(NODE, [CLI, "hook", "claude"], { cwd: PKG, env: ENV, input: HOOK_INPUT, encoding: "utf8" });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 2 || !String(r.stderr).includes("perimeter tripwire git-force-push")) {
      throw new Error(`hook: expected a denial (exit 2), got exit ${r.status}: ${String(r.stderr)}`);
    }
    return elapsed;
  },
};

const emptyAfterDryRun = (argv: string[]) => {
  const home = argv[argv.indexOf("--home") + 1]!;
  if (readdirSync(home).length > 0) throw new Error(`render --dry-run wrote into ${home}`);
};

// Each command with the cases that time it (as subject or baseline).
const allCommands: [Timed, (number | string)[]][] = [
  [spawned("node", () => [NODE, "-e", "0"], { cwd: PKG, env: ENV }), [1, 3, 7]],
  [spawned("render", () => [NODE, CLI, "render", "--dry-run", "--home", freshHome()], { cwd: PKG, env: ENV }, emptyAfterDryRun), [1, 2, 5]],
  [spawned("render-big", () => [NODE, BIG_CLI, "render", "--dry-run", "--home", freshHome()], { cwd: PKG, env: ENV }, emptyAfterDryRun), [2]],
  [spawned("render-own", () => [NODE, CLI, "render", "--dry-run", "--profile", "own", "--profiles-dir", OWN_DIR, "--home", freshHome()], { cwd: PKG, env: ENV }, emptyAfterDryRun), ["2b"]],
  [spawned("render-own-big", () => [NODE, CLI, "render", "--dry-run", "--profile", "big", "--profiles-dir", OWN_DIR, "--home", freshHome()], { cwd: PKG, env: ENV }, emptyAfterDryRun), ["2b"]],
  [spawned("check", () => [NODE, CLI, "check", "--home", CHECK_HOME], { cwd: PKG, env: ENV }), [3]],
  [spawned("rulesync", () => [NODE, RULESYNC, "generate", "--targets", "claudecode,codexcli", "--features", "permissions", "--dry-run"], { cwd: RULESYNC_PROJECT, env: ENV }), [5]],
  [hookDecision, [7]],
];
const commands: Timed[] = allCommands.filter(([, cases]) => cases.some(wanted)).map(([command]) => command);
if (entrySkip === undefined) {
  commands.push(spawned("entrypoint-node", () => nodeEntryArgv, entryOptions));
  commands.push(spawned("node-direct", () => nodeToolArgv, entryOptions));
}
const agents = agentSetup === undefined ? undefined : await agentStartCommands(agentSetup);
if (agents !== undefined) commands.push(...agents.commands);

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(", ");
const loadBefore = load();
const samples = new Map<string, number[]>(commands.map((c) => [c.key, []]));
const rounds = WARMUP_ROUNDS + RUNS;
process.stderr.write(`bench: ${commands.length} commands, ${WARMUP_ROUNDS} warm-up + ${RUNS} timed rounds, round-robin\n`);
for (let round = 0; round < rounds; round++) {
  // Each round starts one command later, so no command always follows the same one.
  const order = commands.map((_, i) => commands[(i + round) % commands.length]!);
  for (const command of order) {
    const elapsed = await command.time();
    if (round >= WARMUP_ROUNDS) samples.get(command.key)!.push(elapsed);
  }
  process.stderr.write(`\rbench: round ${round + 1}/${rounds}`);
}
process.stderr.write("\n");
const loadAfter = load();
await agents?.close();

// rulesync's dry runs must have written nothing either.
for (const dir of [join(RULESYNC_PROJECT, ".claude"), join(RULESYNC_PROJECT, ".codex")]) {
  if (existsSync(dir)) throw new Error(`rulesync --dry-run wrote ${dir}`);
}
// ---------------------------------------------------------------------------------------------
// Results

const stats = (key: string) => {
  const values = samples.get(key);
  return values === undefined || values.length === 0 ? undefined : summarize(values);
};

const results: CaseResult[] = [
  {
    id: 1,
    name: `render --dry-run, interactive (${interactiveCounts}), all three tools, fresh home`,
    subject: stats("render"),
    baselineName: "node -e 0",
    baseline: stats("node"),
    goal: { op: "<=", ratio: 1.5 },
  },
  {
    id: 2,
    name: `render --dry-run, interactive with ${FACTOR}x the entries (${bigCounts}) built into the package, all three tools, fresh home`,
    subject: stats("render-big"),
    baselineName: "case 1",
    baseline: stats("render"),
    goal: { op: "<=", ratio: 1.2 },
  },
  {
    id: "2b",
    name: `the same ${FACTOR}x profile from an own folder (--profiles-dir, never compiled ahead: loader and emitters run)`,
    subject: stats("render-own-big"),
    baselineName: "interactive from the same folder",
    baseline: stats("render-own"),
    noGoal: "what the precompiled path of case 2 saves",
  },
  {
    id: 3,
    name: "check, interactive, home up to date",
    subject: stats("check"),
    baselineName: "node -e 0",
    baseline: stats("node"),
    goal: { op: "<=", ratio: 1.5 },
  },
  {
    id: 4,
    name: "image entrypoint (bundled, real checks, as uid 1000) starting `node -e 0`: its fixed cost, two Node starts against one",
    subject: stats("entrypoint-node"),
    baselineName: "`node -e 0` started directly",
    baseline: stats("node-direct"),
    noGoal: "the floor; 4a-c hold the goal",
    ...(entrySkip === undefined ? {} : { skipped: entrySkip }),
  },
  ...AGENT_TOOLS.map(
    (tool, i): CaseResult => ({
      id: `4${"abc"[i]}`,
      name: `image entrypoint starting the pinned ${tool} (bypass flags, as uid 1000), time to its first request to the model API`,
      subject: stats(`${tool}-entrypoint`),
      baselineName: `${tool} started directly`,
      baseline: stats(`${tool}-direct`),
      goal: { op: "<", ratio: 1.3 },
      ...(agentSkip === undefined ? {} : { skipped: agentSkip }),
    }),
  ),
  {
    id: 5,
    name: `rulesync ${rulesyncManifest.version} generate --dry-run, permissions, claudecode+codexcli (${rulesyncCounts.allow} allow, ${rulesyncCounts.ask} ask, ${rulesyncCounts.deny} deny keys)`,
    subject: stats("rulesync"),
    baselineName: "case 1 (perimeter render)",
    baseline: stats("render"),
  },
  {
    id: 7,
    name: "one guard-hook decision: `perimeter hook claude` denying `git -C app push -uf origin main` read from stdin",
    subject: stats("hook"),
    baselineName: "node -e 0",
    baseline: stats("node"),
    goal: { op: "<=", ratio: 1.5 },
  },
];

const gateway = wanted(6) ? await gatewayBench(TMP, CLI, PKG) : { results: [], extra: [] };
const lines = [...results.filter((r) => wanted(r.id)).map(formatLine), ...gateway.results.map(formatLine), ...gateway.extra];
const cpuList = cpus();
const machine = [
  `Node ${process.version}, ${cpuList[0]?.model.trim() ?? "unknown CPU"} (${cpuList.length} cores), ${new Date().toISOString()}`,
  `${RUNS} timed runs per command after ${WARMUP_ROUNDS} warm-up rounds, interleaved round-robin; spread = p10–p90; environment PATH, HOME, LANG only; load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after`,
];
console.log([...machine, ...lines].join("\n"));

const readmePath = join(ROOT, "README.md");
const readme = readFileSync(readmePath, "utf8");
if (CASES !== undefined) {
  console.log(`README.md: left as it is (only cases ${[...CASES].join(", ")} ran)`);
} else if (!readme.includes(README_START) || !readme.includes(README_END)) {
  console.error(`README.md has no ${README_START} ... ${README_END} section: results not written there`);
  process.exitCode = 1;
} else {
  const section = ["```text", ...machine, ...lines, "```"].join("\n");
  writeFileSync(readmePath, replaceBetweenMarkers(readme, section));
  console.log("README.md: Performance section updated");
}
