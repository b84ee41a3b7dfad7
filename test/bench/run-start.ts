// `npm run bench`, the run's start: `perimeter run` from its start to the agent's first model request,
// against `podman run` of the same image with the same tool and prompt alone (warm image, the model
// reached directly), interleaved, in one run. Both talk to the fake internet of test/run (its own
// container, its own --internal network); the fake stamps each request with the host clock. Needs
// root and podman; writes its lines into README.md between the run-bench markers.
import { spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/profile/builtin.js";
import { ensureBaseRootfs, ensurePodman, podman } from "../container/podman.js";
import { removeScratch, scratchDir } from "../container/agent-image.js";
import { IMAGE_NAME, PREFIX, UPSTREAM_NAMES, buildRunImage, launcherEnv, outDir, runArgs, startUpstreams } from "../run/world.js";
import { formatLine, median, replaceBetweenMarkers, summarize, type CaseResult } from "./lib.js";
import type { Manifest } from "../../src/run/manifest.js";
import { cpus, loadavg } from "node:os";

const RUNS = Number(process.env.PERIMETER_BENCH_RUNS ?? 7);
const ROOT = packageRoot();
const START = "<!-- run-bench:start -->";
const END = "<!-- run-bench:end -->";
const TOOL = "claude";
const PROMPT = "fix the bug in src/add.js";
const MODEL_HOST = "api.anthropic.com";

await ensurePodman();
await ensureBaseRootfs();
const image = await buildRunImage();
const up = await startUpstreams("bench", image, ["true"]);

/** The first model request the fake saw at or after `since` (ms since the epoch). */
async function firstModelRequest(since: number): Promise<number> {
  for (let i = 0; i < 150; i++) {
    const hit = (await up.seen()).find((s) => s.host === MODEL_HOST && typeof s.t === "number" && (s.t as number) >= since);
    if (hit !== undefined) return hit.t as number;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the agent never reached the model");
}

function spawnAndWait(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: "ignore" });
    child.on("close", (code) => resolve(code ?? -1));
  });
}

const ip = readFileSync(up.hostsFile, "utf8").split(" ")[0]!;
const caDir = scratchDir("pr-bench-ca");
writeFileSync(join(caDir, "ca.pem"), readFileSync(up.caFile));
// The image's user reads it.
chmodSync(caDir, 0o755);
chmodSync(join(caDir, "ca.pem"), 0o644);
const direct = (name: string) => [
  "podman", "run", "--rm", "--name", name, "--network", up.network, "--pull=never",
  ...UPSTREAM_NAMES.flatMap((n) => ["--add-host", `${n}:${ip}`]),
  "--volume", `${caDir}:/bench-ca:ro`, "--env", "NODE_EXTRA_CA_CERTS=/bench-ca/ca.pem",
  "--env", "ANTHROPIC_API_KEY=bench", "--env", "DISABLE_AUTOUPDATER=1", "--env", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
  `localhost/${IMAGE_NAME}:latest`, TOOL, PROMPT,
];

const runTimes: number[] = [];
/** Per counted run: ms from the start to the end of prepare, the gateway's ready line, the clone's end. */
const marks: { prepare: number; gateway: number; clone: number }[] = [];
function phaseMarks(out: string): { prepare: number; gateway: number; clone: number } {
  const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
  const t0 = Date.parse(m.startedAt);
  return { prepare: m.phases[0]!.endedMs, gateway: Date.parse(String(m.gateway.log[0]!.time)) - t0, clone: m.phases[1]!.endedMs };
}
const directTimes: number[] = [];
const env = { ...launcherEnv() };
for (let i = 0; i < RUNS + 1; i++) {
  const t0 = Date.now();
  const out = outDir(`bench-${i}`);
  const done = spawnAndWait([process.execPath, join(ROOT, "dist/perimeter.cjs"), ...runArgs(up, TOOL, out), PROMPT], env);
  const t1 = await firstModelRequest(t0);
  await done;
  const t2 = Date.now();
  const alone = spawnAndWait(direct(`${PREFIX}bench-direct-${i}`), env);
  const t3 = await firstModelRequest(t2);
  await alone;
  // The first round warms the page cache and the engine; it is not counted.
  if (i === 0) continue;
  runTimes.push(t1 - t0);
  marks.push(phaseMarks(out));
  directTimes.push(t3 - t2);
}
await up.remove();
await podman(["image", "ls"], { reject: false });
removeScratch();

const result: CaseResult = {
  id: 6,
  name: `perimeter run --tool ${TOOL} (network, volumes, gateway beside the clone, the hardened agent) to the agent's first model request`,
  subject: summarize(runTimes),
  baselineName: `podman run of the same image and command alone, model reached directly`,
  baseline: summarize(directTimes),
  goal: { op: "<=", ratio: 1.5 },
};
const med = (k: "prepare" | "gateway" | "clone") => median(marks.map((m) => m[k])).toFixed(0);
const line = `${formatLine(result)}\n  where the run's time goes (medians, ms from its start): image, network and volumes ready ${med("prepare")}; gateway listening ${med("gateway")}; clone done ${med("clone")}; the agent's first model request ${median(runTimes).toFixed(0)}. Load average ${loadavg().map((l) => l.toFixed(1)).join(", ")} on ${cpus().length} cores.`;
console.log(line);
const readmePath = join(ROOT, "README.md");
const block = `\n\`\`\`text\n${new Date().toISOString()}, ${RUNS} runs each after one warm-up round, interleaved\n${line}\n\`\`\`\n`;
writeFileSync(readmePath, replaceBetweenMarkers(readFileSync(readmePath, "utf8"), block, START, END));
