// Carries out a RunPlan: exactly its engine commands, in its order, with the run's clocks, the
// interrupt handling and the cleanup. It decides the one stop reason and writes the manifest.
import { join } from "node:path";
import { EXIT_WALL_CLOCK } from "../entrypoint/run.js";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { parseStageOutput, type StageOutput } from "./diff.js";
import { writeManifest, type Manifest } from "./manifest.js";
import { GATEWAY_LOG_FILE, LAUNCHER_GRACE_SECONDS, sha256, type EngineCommand, type RunPlan, type StepName } from "./plan.js";
import { startProcess, type ProcessResult, type RunningProcess } from "./process.js";
import { profileDigest } from "./profile-digest.js";
import { parsePublishOutput, promptForRecord, publishEnv, type PublishFacts } from "./publish-env.js";
import { EXIT_REFUSED, entrypointRecords, parseGatewayLog, refusalOf, requestCounts, usageFromLog, type GatewayLogLine } from "./records.js";
import type { Profile } from "../profile/types.js";
import type { RunRequest } from "./request.js";
import { SCANNER, scanAddedLines, type SecretFinding } from "./secret-scan.js";
import { takeRunLock } from "./lock.js";
import { removeStaged, stageInputs } from "./staging.js";
import { STOP_EXIT_CODES, stopReason, type Observations } from "./stop.js";

/** Longest any helper step (clone, stage, publish) may take. */
const HELPER_TIMEOUT_MS = 10 * 60_000;
const HEARTBEAT_MS = 15_000;

export interface ExecuteOptions {
  /** One line for a person (stderr); absent: quiet. */
  progress?: (line: string) => void;
  /** The launcher's environment: the engine's own settings and the credentials the gateway takes by name. */
  env?: NodeJS.ProcessEnv;
  /** Handle SIGINT/SIGTERM (the CLI does; tests that drive the executor in-process may not). */
  handleSignals?: boolean;
}

class StepFailed extends Error {
  constructor(
    readonly step: StepName,
    readonly result: ProcessResult,
    message: string,
  ) {
    super(message);
  }
}

const lastLines = (text: string, n = 6) => text.trim().split("\n").slice(-n).join("\n");

export async function executeRun(request: RunRequest, plan: RunPlan, options: ExecuteOptions = {}): Promise<Manifest> {
  // Before anything is named after the id: a live run with the same id keeps its objects (lock.ts).
  const release = takeRunLock(plan.runId, request.launcher);
  try {
    return await executeLocked(request, plan, options);
  } finally {
    release();
  }
}

async function executeLocked(request: RunRequest, plan: RunPlan, options: ExecuteOptions): Promise<Manifest> {
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
  const say = (text: string) => options.progress?.(`perimeter run ${plan.runId} [${elapsed()}] ${text}`);
  const baseEnv = options.env ?? process.env;
  const running = new Set<RunningProcess>();
  const files = {
    agentStdout: join(request.outDir, "agent.stdout"),
    agentStderr: join(request.outDir, "agent.stderr"),
    gatewayLog: join(request.outDir, GATEWAY_LOG_FILE),
  };
  const obs: Observations = {
    interrupted: false,
    agentRan: false,
    refused: false,
    wallClock: false,
    budgetRefused: false,
    engineFailedDuringAgent: false,
    secretFound: false,
    publishFailed: false,
  };
  const budget = budgetOf(request.profile);
  const manifest: Manifest = {
    manifestVersion: 1,
    runId: plan.runId,
    state: "running",
    tool: { id: request.tool.id, version: null },
    profile: { name: request.profile.name, files: request.profile.files, sha256: profileDigest(request.profile, request.profilesDir) },
    policy: { digests: null },
    image: { ref: request.image, id: null },
    engine: plan.engine,
    repo: plan.manifest.repo,
    branch: plan.branch,
    prompt: plan.manifest.prompt,
    startedAt: request.startedAt.toISOString(),
    endedAt: null,
    durationMs: null,
    stop: null,
    agent: { exitCode: null, wallClock: false, refusal: null },
    limits: request.limits,
    budget,
    usage: null,
    gateway: { requests: 0, allowed: 0, refused: 0, log: [] },
    refsPushed: [],
    pullRequest: null,
    diff: null,
    secretScan: null,
    entrypoint: { records: [] },
    phases: [],
    objects: plan.names,
    labels: plan.labels,
    leftovers: [],
    files,
  };
  writeManifest(request.outDir, manifest);

  /** Runs one planned command; `env` holds the values of the variables it passes by name. */
  const run = (command: EngineCommand, env: Record<string, string> = {}, extra: { stdoutFile?: string; stderrFile?: string; timeoutMs?: number; onStdout?: (text: string) => void } = {}) => {
    const proc = startProcess(command.argv, { env: { ...baseEnv, ...env }, ...extra });
    running.add(proc);
    return proc.result.finally(() => running.delete(proc));
  };
  const mustRun = async (command: EngineCommand, what: string, env: Record<string, string> = {}, timeoutMs = HELPER_TIMEOUT_MS) => {
    const result = await run(command, env, { timeoutMs });
    if (result.exitCode !== 0) {
      throw new StepFailed(command.step, result, `${what} failed (exit ${result.exitCode}): ${result.spawnError ?? lastLines(result.stderr)}`);
    }
    return result;
  };
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now() - started;
    say(name);
    let ok = false;
    try {
      const value = await fn();
      ok = true;
      return value;
    } finally {
      manifest.phases.push({ name, startedMs: Math.round(t), endedMs: Math.round(performance.now() - started), ok });
    }
  };

  let agentActive = false;
  let gatewayStarted = false;
  const stopAgent = () => void run(plan.steps.stop[0]!).catch(() => undefined);
  const onSignal = (signal: NodeJS.Signals) => {
    if (obs.interrupted) return;
    obs.interrupted = true;
    say(`${signal}: stopping the run and removing everything it started`);
    if (agentActive) stopAgent();
    for (const proc of running) proc.kill("SIGTERM");
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  if (options.handleSignals ?? false) for (const s of signals) process.on(s, onSignal);
  const checkInterrupted = () => {
    if (obs.interrupted) throw new Error("interrupted");
  };

  let detail = "";
  /** The clone's container, still being removed when the agent starts. */
  let cloneDone: Promise<unknown> = Promise.resolve();
  /** The agent container's run, started beside the gateway and the clone. */
  let agentRun: Promise<ProcessResult> | undefined;
  let clone: { base: string; branch: string } | undefined;
  let stage: StageOutput | undefined;
  let findings: SecretFinding[] = [];
  try {
    await phase("prepare: image, network, volumes", async () => {
      stageInputs(request);
      const [inspect, ...creates] = plan.steps.prepare;
      const made = creates.filter((c) => c.concurrent);
      const [image] = await Promise.all([
        run(inspect!),
        ...made.map((c) => mustRun(c, `creating ${c.argv.at(-1)}`)),
      ]);
      if (image!.exitCode !== 0) {
        throw new StepFailed("prepare", image!, `image ${request.image} is not in the ${plan.engine} store (build it with nix build .#agent-image, or pull it): ${lastLines(image!.stderr, 2)}`);
      }
      manifest.image.id = image!.stdout.trim() || null;
      for (const c of creates.filter((c) => !c.concurrent)) await mustRun(c, "making the volumes the agent user's");
    });
    checkInterrupted();

    await phase("gateway and clone", async () => {
      const gateway = (async () => {
        for (const c of plan.steps.gateway) await mustRun(c, "starting the gateway");
        gatewayStarted = true;
      })();
      // The clone's last line is its result: the agent may start then, while its container is removed.
      let printed = "";
      let onResult: (m: RegExpExecArray) => void = () => undefined;
      const result = new Promise<RegExpExecArray>((resolve) => (onResult = resolve));
      const cloneCommand = plan.steps.clone[0]!;
      const cloned = run(cloneCommand, { PERIMETER_REPO_URL: request.repo.url }, {
        timeoutMs: HELPER_TIMEOUT_MS,
        onStdout: (text) => {
          printed += text;
          const m = /^PERIMETER_CLONE (\S+) (\S+)\n/m.exec(printed);
          if (m !== null) onResult(m);
        },
      }).then((r) => {
        if (r.exitCode !== 0) {
          if (r.exitCode === 4) obs.setupFailure = "clone";
          throw new StepFailed("clone", r, `cloning through the gateway failed (exit ${r.exitCode}): ${r.spawnError ?? lastLines(r.stderr)}`);
        }
        return r;
      });
      cloneDone = cloned.catch(() => undefined);
      const created = mustRun(plan.steps.agent[0]!, "creating the agent container", { AGENT_PROMPT: request.prompt });
      // Started as soon as it exists: its entrypoint checks the sandbox now and starts the tool when
      // the clone's marker appears. A clone that fails leaves it waiting, and the cleanup removes it.
      agentRun = created.then(() => {
        agentActive = true;
        return run(plan.steps.agent[1]!, {}, { stdoutFile: files.agentStdout, stderrFile: files.agentStderr });
      });
      agentRun.catch(() => undefined);
      // All at once: the clone waits inside its container until the gateway listens.
      const [g, c, a] = await Promise.allSettled([gateway, Promise.race([result, cloned]), created]);
      if (g.status === "rejected") throw g.reason;
      if (a.status === "rejected") throw a.reason;
      if (c.status === "rejected") throw c.reason;
      const m = Array.isArray(c.value) ? c.value : /^PERIMETER_CLONE (\S+) (\S+)$/m.exec((c.value as ProcessResult).stdout);
      if (m === null) throw new Error(`the clone step printed no result: ${lastLines(printed)}`);
      clone = { base: m[1]!, branch: m[2]! };
    });
    checkInterrupted();

    await phase(`agent: ${request.tool.id} (wall clock ${request.limits.wallClockSeconds}s)`, async () => {
      obs.agentRan = true;
      agentActive = true;
      const clock = setTimeout(() => {
        obs.wallClock = true;
        say(`wall clock of ${request.limits.wallClockSeconds}s ran out: stopping the agent`);
        stopAgent();
      }, (request.limits.wallClockSeconds + LAUNCHER_GRACE_SECONDS) * 1000);
      const heartbeat = options.progress === undefined ? undefined : setInterval(() => void heartbeatLine().then(say), HEARTBEAT_MS);
      try {
        const result = await agentRun!;
        manifest.agent.exitCode = result.exitCode;
        manifest.entrypoint.records = entrypointRecords(result.stderr);
        const refusal = refusalOf(result.stderr);
        if (result.exitCode === EXIT_REFUSED && refusal !== undefined) {
          obs.refused = true;
          manifest.agent.refusal = refusal;
          detail = `the entrypoint refused (${refusal.code}): ${refusal.reason}`;
        }
        if (result.exitCode === EXIT_WALL_CLOCK) obs.wallClock = true;
        if (result.exitCode === 125 || result.spawnError !== undefined) {
          obs.engineFailedDuringAgent = true;
          detail = `the engine could not run the agent: ${result.spawnError ?? lastLines(result.stderr, 3)}`;
        }
        obs.toolExitCode = result.exitCode;
      } finally {
        clearTimeout(clock);
        if (heartbeat !== undefined) clearInterval(heartbeat);
        agentActive = false;
        manifest.agent.wallClock = obs.wallClock;
      }
    });
    checkInterrupted();

    await cloneDone;
    if (!obs.refused && !obs.engineFailedDuringAgent) {
      await phase("stage and scan the diff", async () => {
        const result = await mustRun(plan.steps.stage[0]!, "staging the final tree", { PERIMETER_BASE: clone!.base });
        stage = parseStageOutput(result.stdout);
        manifest.tool.version = stage.version || null;
        manifest.policy.digests = stage.policy;
        manifest.diff = stage.summary;
        findings = await scanAddedLines(stage);
        manifest.secretScan = { scanner: SCANNER, findings };
        obs.secretFound = findings.length > 0;
      });
      checkInterrupted();
    }

    // Collected before deciding whether to publish: a budget refusal is the cause, not a success.
    await collectGatewayLog();
    const publishable = obs.toolExitCode === 0 && !obs.wallClock && !obs.budgetRefused && !obs.secretFound && stage !== undefined;
    if (obs.secretFound) detail = `the secret scan found ${findings.length} secret(s): ${findings.map((f) => `${f.file}:${f.line} ${f.rule}`).join(", ")}; nothing was pushed`;
    if (publishable && stage!.summary.filesChanged === 0) detail = "the agent changed nothing: no commit, no pull request";
    if (publishable && stage!.summary.filesChanged > 0) {
      await phase("commit, push and open the pull request", async () => {
        const env = publishEnv(publishFacts(request, plan), clone!, stage!.summary);
        const result = await run(plan.steps.publish[0]!, env, { timeoutMs: HELPER_TIMEOUT_MS });
        const out = parsePublishOutput(result.stdout);
        if (out.pushed !== undefined) manifest.refsPushed.push(out.pushed);
        if (out.pullRequest !== undefined) manifest.pullRequest = out.pullRequest;
        if (result.exitCode !== 0) {
          obs.publishFailed = true;
          detail = lastLines(result.stderr, 3) || `the publish step exited ${result.exitCode}`;
        }
      });
    }
  } catch (error) {
    if (!obs.interrupted) {
      obs.setupFailure ??= obs.agentRan ? undefined : "engine";
      if (obs.agentRan) obs.publishFailed = true;
      detail = (error as Error).message;
    }
  } finally {
    if (options.handleSignals ?? false) for (const s of signals) process.off(s, onSignal);
  }

  await collectFinalGatewayLog();
  say("cleanup: removing the run's containers, network and volumes");
  for (const command of plan.steps.cleanup) await run(command).catch(() => undefined);
  removeStaged(plan.runId);
  manifest.leftovers = await leftovers();

  const reason = stopReason(obs);
  if (reason === "STOP_BUDGET") detail = "the gateway refused a model call over the budget";
  if (reason === "STOP_WALL_CLOCK") detail = `the agent ran past the wall clock of ${request.limits.wallClockSeconds}s`;
  if (reason === "STOP_INTERRUPTED") detail = "interrupted; everything the run started was removed";
  if (reason === "STOP_TOOL_FAILED") detail = `${request.tool.id} exited ${obs.toolExitCode}`;
  manifest.stop = { reason, exitCode: STOP_EXIT_CODES[reason], detail };
  manifest.state = "finished";
  manifest.endedAt = new Date().toISOString();
  manifest.durationMs = Math.round(performance.now() - started);
  writeManifest(request.outDir, manifest);
  say(`${reason}: ${detail}`);
  return manifest;

  /** The log as the running gateway has it: every exchange the agent closed is in it (one line each). */
  async function collectGatewayLog(): Promise<void> {
    if (!gatewayStarted) return;
    const result = await run(plan.steps.collect[0]!).catch(() => undefined);
    if (result === undefined || result.exitCode !== 0) return;
    writeFileSync(files.gatewayLog, result.stdout, { mode: 0o600 });
    recordGatewayLog(result.stdout);
  }

  /** The gateway stopped (SIGTERM: it settles what is open and writes its totals), then its log copied out. */
  async function collectFinalGatewayLog(): Promise<void> {
    if (!gatewayStarted) return;
    const [stop, copy] = plan.steps.collect.slice(1);
    await run(stop!).catch(() => undefined);
    const copied = await run(copy!).catch(() => undefined);
    if (copied?.exitCode !== 0) return;
    try {
      chmodSync(files.gatewayLog, 0o600);
      recordGatewayLog(readFileSync(files.gatewayLog, "utf8"));
    } catch {
      // the copy left no file: the earlier reading stands
    }
  }

  function recordGatewayLog(text: string): void {
    const log = parseGatewayLog(text);
    manifest.gateway = { ...requestCounts(log), log };
    manifest.usage = usageFromLog(log);
    obs.budgetRefused = manifest.usage.refused;
  }

  async function heartbeatLine(): Promise<string> {
    const result = gatewayStarted ? await run(plan.steps.collect[0]!).catch(() => undefined) : undefined;
    const usage = result?.exitCode === 0 ? usageFromLog(parseGatewayLog(result.stdout)) : undefined;
    return `agent running; ${usage === undefined ? "budget unknown" : budgetLine(usage, budget)}`;
  }

  /** Whatever carries the run's label after the cleanup: the proof that nothing was left behind. */
  async function leftovers(): Promise<string[]> {
    const lists = await Promise.all(plan.steps.verify.map((c) => run(c)));
    return lists.flatMap((r) => r.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== ""));
  }
}

function budgetLine(usage: { inputTokens: number; outputTokens: number; usd: number; percent?: number }, budget: Manifest["budget"]): string {
  const tokens = `${usage.inputTokens + usage.outputTokens} tokens${budget.tokens !== null ? ` of ${budget.tokens}` : ""}`;
  const usd = `$${usage.usd.toFixed(4)}${budget.usd !== null ? ` of $${budget.usd}` : ""}`;
  return `budget used: ${tokens}, ${usd}${usage.percent !== undefined ? ` (${usage.percent.toFixed(0)}%)` : ""}`;
}

/** The model budget of the profile's `[limits]`, which the gateway enforces. */
function budgetOf(profile: Profile): Manifest["budget"] {
  const { tokens, usd, warnPercent, stopPercent } = profile.limits;
  return { tokens: tokens ?? null, usd: usd ?? null, warnPercent, stopPercent };
}

function publishFacts(request: RunRequest, plan: RunPlan): PublishFacts {
  return {
    runId: plan.runId,
    branch: plan.branch,
    tool: { id: request.tool.id, title: request.tool.title },
    profile: request.profile.name,
    promptForRecord: promptForRecord(request.prompt, sha256(request.prompt), request.recordPrompt),
    repoUrl: request.repo.url,
  };
}

export { finishRun, FINISH_ENV, type FinishSpec, type FinishRecord } from "./finish.js";
