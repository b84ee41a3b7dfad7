// `npm run bench`: start-up and overhead of the built CLI and entrypoint, against bare Node and a peer
// tool, in ONE run with the commands interleaved round-robin so machine noise spreads over all of
// them alike. Prints one line per case and writes the same lines into README.md between the bench
// markers. Never part of `npm test`: nothing here asserts a time.
//
//   1. cold `render --dry-run` of `interactive` (all three tools) into a fresh home   vs `node -e 0`
//   2. the same with a generated profile of 10x the allow/ask entries                   vs case 1
//   3. `check` on a home that is up to date                                              vs `node -e 0`
//   4. the image's entrypoint starting a tool (`node -e 0`)                              vs that tool alone
//   5. rulesync generate (Claude Code + Codex, permissions) for the same lists           vs case 1
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

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
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

if (!existsSync(join(ROOT, "dist", "perimeter.mjs")) || !existsSync(join(ROOT, "dist", "entrypoint.mjs"))) {
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
const CLI = join(PKG, "dist", "perimeter.mjs");

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

// Case 2: `big`, 10x the entries of `interactive`.
const interactiveToml = readFileSync(join(PKG, "profiles", "interactive.toml"), "utf8");
const tripwiresToml = readFileSync(join(PKG, "profiles", "tripwires.toml"), "utf8");
const BIG_DIR = join(TMP, "profiles-big");
mkdirSync(BIG_DIR);
writeFileSync(join(BIG_DIR, "big.toml"), multipliedProfile(interactiveToml, FACTOR, `${FACTOR}x the entries of interactive (benchmark)`));
const countsOf = (profile: string): string => {
  const shown = JSON.parse(run([NODE, CLI, "show", "--json", "--profile", profile, ...(profile === "big" ? ["--profiles-dir", BIG_DIR] : [])], { cwd: PKG, env: ENV })) as Record<string, unknown>;
  const length = (key: string) => (Array.isArray(shown[key]) ? (shown[key] as unknown[]).length : "?");
  return `${length("allow")} allow, ${length("ask")} ask, ${length("tripwires")} tripwires`;
};
const interactiveCounts = countsOf("interactive");
const bigCounts = countsOf("big");

// Case 3: a home that is up to date.
const CHECK_HOME = join(TMP, "checked-home");
mkdirSync(CHECK_HOME);
run([NODE, CLI, "render", "--home", CHECK_HOME], { cwd: PKG, env: ENV });

// Case 4: the image's own files. `bake` writes the policy layer (the entrypoint, the image spec and
// the root-owned policy files); it is unpacked under TMP and the spec rewritten to point there, with
// every tool started as `node -e 0`. The entrypoint then runs as the image's user, with
// AGENT_SANDBOX=1, through its own realEnvironment: every sandbox check runs for real.
const IMAGE_ROOT = join(TMP, "image-root");
let entrySkip: string | undefined;
let entryArgv: string[] = [];
let toolArgv: string[] = [];
let entryOptions: SpawnSyncOptions = {};
let entryRecord = "";
let realEntryArgv: string[] = [];
let realToolArgv: string[] = [];
const CLAUDE = join(ROOT, "image", "clients", "node_modules", ".bin", "claude");
{
  mkdirSync(IMAGE_ROOT);
  run([NODE, CLI, "bake", "--profile", "autonomous", "--out", join(TMP, "layer.tar")], { cwd: PKG, env: ENV });
  run(["tar", "-xf", join(TMP, "layer.tar"), "-C", IMAGE_ROOT]);
  const specPath = join(IMAGE_ROOT, "etc", "perimeter", "image.json");
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as {
    user: { uid: number; gid: number };
    env: Record<string, string>;
    runRecord: string;
    policyFiles: string[];
    tools: Record<string, { argv: string[] }>;
  };
  spec.policyFiles = spec.policyFiles.map((file) => join(IMAGE_ROOT, file));
  spec.runRecord = join(IMAGE_ROOT, spec.runRecord);
  entryRecord = spec.runRecord;
  for (const tool of Object.values(spec.tools)) tool.argv = [NODE, "-e", "0"];
  // Case 4b: a real tool's start-up, the pinned Claude Code printing its version.
  if (existsSync(CLAUDE)) spec.tools.claude!.argv = [CLAUDE, "--version"];
  chmodSync(specPath, 0o644);
  writeFileSync(specPath, `${JSON.stringify(spec, null, 2)}\n`);
  chmodSync(specPath, 0o444);
  const driver = join(TMP, "entry-driver.mjs");
  copyFileSync(join(ROOT, "test", "bench", "entry-driver.mjs"), driver);
  chmodSync(driver, 0o644);
  const prompt = "benchmark prompt";
  entryArgv = [NODE, driver, join(IMAGE_ROOT, "opt", "perimeter", "entrypoint.mjs"), specPath, "codex", prompt];
  // What the entrypoint starts: the tool's argv and the prompt.
  toolArgv = [NODE, "-e", "0", prompt];
  realEntryArgv = [NODE, driver, join(IMAGE_ROOT, "opt", "perimeter", "entrypoint.mjs"), specPath, "claude", prompt];
  realToolArgv = [CLAUDE, "--version", prompt];
  entryOptions = { cwd: TMP, env: { ...spec.env }, uid: spec.user.uid, gid: spec.user.gid };
  if (process.getuid?.() !== 0) {
    entrySkip = "needs root, to run the entrypoint as the image's user (uid 1000) with root-owned policy files";
  } else {
    const trial = spawnSync(entryArgv[0]!, entryArgv.slice(1), { ...entryOptions, encoding: "utf8" });
    if (trial.error !== undefined || trial.status !== 0) {
      entrySkip = `the entrypoint would not start the tool here (${trial.error?.message ?? `exit ${trial.status}`}): ${String(trial.stderr).trim()}`;
    }
  }
}

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
  /** Called before each run, outside the timing: the argv for this run. */
  argv: () => string[];
  options: SpawnSyncOptions;
  /** Called after each run, outside the timing. */
  after?: (argv: string[]) => void;
}

const emptyAfterDryRun = (argv: string[]) => {
  const home = argv[argv.indexOf("--home") + 1]!;
  if (readdirSync(home).length > 0) throw new Error(`render --dry-run wrote into ${home}`);
};

const commands: Timed[] = [
  { key: "node", argv: () => [NODE, "-e", "0"], options: { cwd: PKG, env: ENV } },
  { key: "render", argv: () => [NODE, CLI, "render", "--dry-run", "--home", freshHome()], options: { cwd: PKG, env: ENV }, after: emptyAfterDryRun },
  {
    key: "render-big",
    argv: () => [NODE, CLI, "render", "--dry-run", "--profile", "big", "--profiles-dir", BIG_DIR, "--home", freshHome()],
    options: { cwd: PKG, env: ENV },
    after: emptyAfterDryRun,
  },
  { key: "check", argv: () => [NODE, CLI, "check", "--home", CHECK_HOME], options: { cwd: PKG, env: ENV } },
  {
    key: "rulesync",
    argv: () => [NODE, RULESYNC, "generate", "--targets", "claudecode,codexcli", "--features", "permissions", "--dry-run"],
    options: { cwd: RULESYNC_PROJECT, env: ENV },
  },
];
if (entrySkip === undefined) {
  commands.push({ key: "entrypoint", argv: () => entryArgv, options: entryOptions });
  commands.push({ key: "tool", argv: () => toolArgv, options: entryOptions });
  if (existsSync(CLAUDE)) {
    commands.push({ key: "entrypoint-claude", argv: () => realEntryArgv, options: entryOptions });
    commands.push({ key: "claude", argv: () => realToolArgv, options: entryOptions });
  }
}

function timeOnce(command: Timed): number {
  const argv = command.argv();
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { ...command.options, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`${command.key}: ${argv.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${String(r.stderr)}`);
  }
  command.after?.(argv);
  return elapsed;
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(", ");
const loadBefore = load();
const samples = new Map<string, number[]>(commands.map((c) => [c.key, []]));
const rounds = WARMUP_ROUNDS + RUNS;
process.stderr.write(`bench: ${commands.length} commands, ${WARMUP_ROUNDS} warm-up + ${RUNS} timed rounds, round-robin\n`);
for (let round = 0; round < rounds; round++) {
  // Each round starts one command later, so no command always follows the same one.
  const order = commands.map((_, i) => commands[(i + round) % commands.length]!);
  for (const command of order) {
    const elapsed = timeOnce(command);
    if (round >= WARMUP_ROUNDS) samples.get(command.key)!.push(elapsed);
  }
  process.stderr.write(`\rbench: round ${round + 1}/${rounds}`);
}
process.stderr.write("\n");
const loadAfter = load();

// rulesync's dry runs must have written nothing either.
for (const dir of [join(RULESYNC_PROJECT, ".claude"), join(RULESYNC_PROJECT, ".codex")]) {
  if (existsSync(dir)) throw new Error(`rulesync --dry-run wrote ${dir}`);
}
// Every entrypoint run (the trial, the warm-up and the timed ones) kept its start and end record.
if (entrySkip === undefined) {
  const records = readFileSync(entryRecord, "utf8").split("\n").filter((l) => l !== "").length;
  const runs = 1 + rounds + (existsSync(CLAUDE) ? rounds : 0);
  if (records !== 2 * runs) throw new Error(`the entrypoint's run record has ${records} lines, expected ${2 * runs}`);
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
    name: `render --dry-run, big = ${FACTOR}x interactive (${bigCounts}), all three tools, fresh home`,
    subject: stats("render-big"),
    baselineName: "case 1",
    baseline: stats("render"),
    goal: { op: "<=", ratio: 1.2 },
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
    name: "image entrypoint (bundled, real checks, as uid 1000) starting `node -e 0`",
    subject: stats("entrypoint"),
    baselineName: "`node -e 0` started directly",
    baseline: stats("tool"),
    goal: { op: "<", ratio: 1.3 },
    ...(entrySkip === undefined ? {} : { skipped: entrySkip }),
  },
  {
    id: "4b",
    name: "image entrypoint starting the pinned Claude Code (`claude --version`), a real tool's start-up",
    subject: stats("entrypoint-claude"),
    baselineName: "`claude --version` started directly",
    baseline: stats("claude"),
    goal: { op: "<", ratio: 1.3 },
    ...(entrySkip !== undefined ? { skipped: entrySkip } : existsSync(CLAUDE) ? {} : { skipped: "the pinned clients are not installed (node image/clients/ensure.mjs)" }),
  },
  {
    id: 5,
    name: `rulesync ${rulesyncManifest.version} generate --dry-run, permissions, claudecode+codexcli (${rulesyncCounts.allow} allow, ${rulesyncCounts.ask} ask, ${rulesyncCounts.deny} deny keys)`,
    subject: stats("rulesync"),
    baselineName: "case 1 (perimeter render)",
    baseline: stats("render"),
  },
];

const lines = results.map(formatLine);
const cpuList = cpus();
const machine = [
  `Node ${process.version}, ${cpuList[0]?.model.trim() ?? "unknown CPU"} (${cpuList.length} cores), ${new Date().toISOString()}`,
  `${RUNS} timed runs per command after ${WARMUP_ROUNDS} warm-up rounds, interleaved round-robin; spread = p10–p90; environment PATH, HOME, LANG only; load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after`,
];
console.log([...machine, ...lines].join("\n"));

const readmePath = join(ROOT, "README.md");
const readme = readFileSync(readmePath, "utf8");
if (!readme.includes(README_START) || !readme.includes(README_END)) {
  console.error(`README.md has no ${README_START} ... ${README_END} section: results not written there`);
  process.exitCode = 1;
} else {
  const section = ["```text", ...machine, ...lines, "```"].join("\n");
  writeFileSync(readmePath, replaceBetweenMarkers(readme, section));
  console.log("README.md: Performance section updated");
}
