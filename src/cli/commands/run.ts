// `perimeter run`: plan a run from the flags, then print the plan (--print), write a cluster's
// objects (--emit k8s), clean up what killed launchers left (--cleanup), or carry it out.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../../errors.js";
import { MEMORY_PATTERN, type RunLimits } from "../../profile/limits.js";
import { isContainerOnly, type Profile } from "../../profile/types.js";
import { detectEngine, type EngineId } from "../../run/engine.js";
import { defaultRunsDir } from "../../run/manifest.js";
import { launcherId, newRunId, RUN_ID_PATTERN } from "../../run/names.js";
import { planRun, type RunPlan } from "../../run/plan.js";
import { checkEngineArgs, defaultGithubApi, parseRepoUrl, type RunRequest } from "../../run/request.js";
import { TOOL_IDS, toolById } from "../../tools/index.js";
import type { ToolId } from "../../tools/types.js";
import { profileFrom } from "../options.js";
import type { CommandResult } from "../result.js";

export interface RunFlags {
  tool?: string;
  repo?: string;
  profile?: string;
  profilesDir?: string;
  image?: string;
  engine?: string;
  out?: string;
  print?: boolean;
  json?: boolean;
  wallClock?: string;
  memory?: string;
  cpus?: string;
  pids?: string;
  hosts?: string;
  upstreamCa?: string;
  engineArg?: string[];
  egressNetwork?: string;
  githubApi?: string;
  namePrefix?: string;
  runId?: string;
  recordPrompt?: boolean;
  promptFile?: string;
  emit?: string;
  k8sSecret?: string;
  runtimeClass?: string;
  cleanup?: boolean;
}

export const DEFAULT_NAME_PREFIX = "perimeter-";
export const IMAGE_VERSION = "0.1.0";

const positiveNumber = (flag: string, text: string, integer: boolean): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag}: "${text}" is not a positive ${integer ? "whole " : ""}number`);
  }
  return value;
};

/** The profile's `[limits]`, each flag on top; a run needs every one of them. */
export function runLimitsFrom(profile: Profile, flags: RunFlags): RunLimits {
  const limits = { ...profile.runLimits };
  if (flags.wallClock !== undefined) limits.wallClockSeconds = positiveNumber("--wall-clock", flags.wallClock, true);
  if (flags.memory !== undefined) {
    if (!MEMORY_PATTERN.test(flags.memory)) throw new UsageError(`--memory: "${flags.memory}" is not a size such as 4g or 512m`);
    limits.memory = flags.memory;
  }
  if (flags.cpus !== undefined) limits.cpus = positiveNumber("--cpus", flags.cpus, false);
  if (flags.pids !== undefined) limits.pids = positiveNumber("--pids", flags.pids, true);
  const missing = (["wallClockSeconds", "memory", "cpus", "pids"] as const).filter((k) => limits[k] === undefined);
  if (missing.length > 0) {
    const keys = { wallClockSeconds: "wall_clock_seconds", memory: "memory", cpus: "cpus", pids: "pids" };
    throw new UsageError(`profile ${profile.name} (${profile.files.join(" <- ")}) sets no [limits] ${missing.map((k) => keys[k]).join(", ")}; a run needs every limit`);
  }
  return limits as RunLimits;
}

function promptFrom(prompt: string | undefined, flags: RunFlags): string {
  if (prompt !== undefined && flags.promptFile !== undefined) throw new UsageError("give the prompt as an argument or with --prompt-file, not both");
  const text = flags.promptFile !== undefined ? readPromptFile(flags.promptFile) : prompt;
  if (text === undefined || text.trim() === "") throw new UsageError("no prompt: give the task as the last argument (or --prompt-file FILE)");
  return text;
}

function readPromptFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--prompt-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

/** Every flag checked and every default decided: the planner's input. */
export async function runRequestFrom(prompt: string | undefined, flags: RunFlags, env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<RunRequest> {
  if (flags.tool === undefined) throw new UsageError(`--tool: choose one of ${TOOL_IDS.join(", ")}`);
  if (!TOOL_IDS.includes(flags.tool as ToolId)) throw new UsageError(`--tool: unknown tool "${flags.tool}"; choose one of ${TOOL_IDS.join(", ")}`);
  if (flags.repo === undefined) throw new UsageError("--repo: give the repository to clone, https://HOST/OWNER/NAME");
  const repo = parseRepoUrl(flags.repo);
  const text = promptFrom(prompt, flags);
  const profile = await profileFrom({ profile: flags.profile, profilesDir: flags.profilesDir }, "autonomous");
  if (!isContainerOnly(profile)) {
    throw new UsageError(`profile ${profile.name} prompts; perimeter run starts agents with no person to answer, so only a no-prompt profile (autonomous, ci) can run`);
  }
  if (profile.network === undefined) {
    throw new UsageError(`profile ${profile.name} (${profile.files.join(" <- ")}) has no [network]: a run's only way out is the gateway, which needs an allowlist`);
  }
  checkEngineArgs(flags.engineArg ?? []);
  const engine: EngineId = detectEngine(flags.engine, env);
  const runId = flags.runId ?? newRunId(now);
  if (!RUN_ID_PATTERN.test(runId)) throw new UsageError(`--run-id: "${runId}" must be lower-case letters, digits and dashes`);
  const namePrefix = flags.namePrefix ?? DEFAULT_NAME_PREFIX;
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(namePrefix)) throw new UsageError(`--name-prefix: "${namePrefix}" must be lower-case letters, digits and dashes`);
  const absolute = (flag: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    const path = resolve(file);
    try {
      readFileSync(path);
    } catch (error) {
      throw new UsageError(`${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    return path;
  };
  return {
    runId,
    tool: toolById(flags.tool as ToolId),
    profile,
    ...(flags.profilesDir !== undefined ? { profilesDir: resolve(flags.profilesDir) } : {}),
    repo,
    prompt: text,
    recordPrompt: flags.recordPrompt ?? false,
    image: flags.image ?? `perimeter-agent:${IMAGE_VERSION}-${profile.name}`,
    engine,
    limits: runLimitsFrom(profile, flags),
    outDir: resolve(flags.out ?? join(defaultRunsDir(env), runId)),
    ...(flags.hosts !== undefined ? { hostsFile: absolute("--hosts", flags.hosts) } : {}),
    ...(flags.upstreamCa !== undefined ? { upstreamCa: absolute("--upstream-ca", flags.upstreamCa) } : {}),
    egressNetwork: flags.egressNetwork ?? (engine === "podman" ? "podman" : "bridge"),
    githubApi: (flags.githubApi ?? defaultGithubApi(repo)).replace(/\/+$/, ""),
    engineArgs: flags.engineArg ?? [],
    namePrefix,
    launcher: launcherId(),
    startedAt: now,
  };
}

/** What `--print` prints: the engine commands in order and the manifest's planned fields. */
export function printedPlan(plan: RunPlan) {
  return {
    runId: plan.runId,
    engine: plan.engine,
    commands: plan.commands.map((c) => ({
      step: c.step,
      argv: c.argv,
      ...(c.passEnv !== undefined ? { passEnv: c.passEnv } : {}),
      ...(c.when !== undefined ? { when: c.when } : {}),
      ...(c.concurrent ? { concurrent: true } : {}),
    })),
    manifest: plan.manifest,
  };
}

export interface RunContext {
  progress: (line: string) => void;
}

export async function run(prompt: string | undefined, flags: RunFlags, context: RunContext): Promise<CommandResult> {
  if (flags.cleanup) {
    const { cleanupStale } = await import("../../run/cleanup.js");
    const engine = detectEngine(flags.engine);
    const removed = await cleanupStale(engine, flags.namePrefix ?? DEFAULT_NAME_PREFIX);
    const text = flags.json ? `${JSON.stringify({ removed }, null, 2)}\n` : removed.length === 0 ? "nothing to clean up\n" : `removed:\n${removed.map((r) => `  ${r}`).join("\n")}\n`;
    return { exitCode: 0, stdout: text };
  }
  const request = await runRequestFrom(prompt, flags);
  if (flags.emit !== undefined) {
    if (flags.emit !== "k8s") throw new UsageError(`--emit: unknown target "${flags.emit}"; the one target is k8s`);
    const { emitK8s } = await import("../../run/k8s.js");
    return { exitCode: 0, stdout: emitK8s(request, { secretName: flags.k8sSecret, runtimeClassName: flags.runtimeClass }) };
  }
  const plan = planRun(request);
  if (flags.print) return { exitCode: 0, stdout: `${JSON.stringify(printedPlan(plan), null, 2)}\n` };
  const { executeRun } = await import("../../run/execute.js");
  const { cleanupStale } = await import("../../run/cleanup.js");
  // What killed launchers left goes while this run starts; it never touches a live run's objects.
  const stale = cleanupStale(request.engine, request.namePrefix).catch(() => []);
  const manifest = await executeRun(request, plan, { progress: flags.json ? undefined : context.progress, handleSignals: true });
  await stale;
  const stop = manifest.stop!;
  if (flags.json) return { exitCode: stop.exitCode, stdout: `${JSON.stringify(manifest, null, 2)}\n` };
  const lines = [
    `${stop.reason}: ${stop.detail}`,
    ...(manifest.pullRequest !== null ? [`pull request: ${manifest.pullRequest.url}`] : []),
    `manifest: ${join(request.outDir, "manifest.json")}`,
  ];
  return { exitCode: stop.exitCode, stdout: `${lines.join("\n")}\n` };
}
