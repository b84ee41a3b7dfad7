// How to DRIVE the real agent CLIs (pinned in image/clients) against the fake model
// (test/real/fake-model.ts), for any registered tool: the tool's own flags, variables and messages are
// in its driver (src/tools/<tool>/driver.ts). This file knows nothing about permissions: the caller
// prepares HOME (e.g. with perimeter-rendered settings) and says whether to run in "host" mode (the
// CLI's normal headless mode, no bypass flag) or "bypass" mode (the CLI's "skip all approvals" flag).
// Environment: a clean env (nothing inherited but PATH), HOME, and what the driver adds.
// The binary: image/clients/node_modules/.bin/<tool id> (each client's npm bin is named like its id).

import { execa } from "execa";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDrivers, type ToolDriver } from "../../src/tools/driver.js";
import { TOOL_IDS } from "../../src/tools/index.js";
import type { ToolId } from "../../src/tools/types.js";
import { startFakeModel, type FakeModel, type FakeModelRequest } from "./fake-model.js";

export type AgentTool = ToolId;
export const AGENT_TOOLS: readonly AgentTool[] = TOOL_IDS;
/** Every registered tool's test driver. */
export const DRIVERS: Record<ToolId, ToolDriver> = await loadDrivers(TOOL_IDS);

export type AgentMode = "host" | "bypass";

export interface RunAgentOptions {
  /** HOME for the run (the caller prepares the tools' settings in it). */
  home: string;
  /** Working directory of the agent (the "project"). Need not be a git repo. */
  cwd: string;
  model: FakeModel;
  mode: AgentMode;
  /** Appended after the built-in flags, before the prompt. */
  extraArgs?: string[];
  /** Merged last over the built-in env; a value of "" removes that variable. */
  env?: Record<string, string>;
  /** Default 60 000 ms. A run normally takes 0.4-2.5 s. */
  timeoutMs?: number;
  /** Machine-readable output, in the form the tool's driver reads denials from. */
  json?: boolean;
  /** The prompt (default "go"); the fake model ignores it. */
  prompt?: string;
}

export interface AgentRun {
  /** Process exit code; -1 when killed (timeout or signal). */
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** The exact invocation, for error messages. */
  command: string;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** PERIMETER_CLIENTS_DIR: another install of the clients (npm run clients:latest points it at the newest). */
const CLIENTS_DIR = process.env.PERIMETER_CLIENTS_DIR ? resolve(process.env.PERIMETER_CLIENTS_DIR) : join(REPO_ROOT, "image", "clients");

/** Path of the pinned CLI in image/clients/node_modules/.bin; throws if it is not installed. */
export function clientBin(tool: AgentTool): string {
  const bin = join(CLIENTS_DIR, "node_modules", ".bin", tool);
  if (!existsSync(bin)) {
    throw new Error(
      `The pinned ${tool} CLI is not installed (no ${bin}). Run \`npm ci --prefix image/clients\` ` +
        `from the repository root (image/clients/package-lock.json pins the versions).`,
    );
  }
  return bin;
}

// ---------------------------------------------------------------------------------------------
// Invocation

export interface AgentInvocation {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** The exact binary, argv and (complete) environment runAgent uses. */
export function agentInvocation(tool: AgentTool, opts: Omit<RunAgentOptions, "cwd" | "timeoutMs">): AgentInvocation {
  const file = clientBin(tool);
  const driver = DRIVERS[tool];
  // Node must stay reachable: clients may start through `#!/usr/bin/env node` scripts.
  const pathEnv = [dirname(process.execPath), process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(":");
  const env: Record<string, string> = { HOME: opts.home, PATH: pathEnv, ...driver.modelEnv(opts.model.url), ...driver.hostEnv?.(opts.home) };
  const args = driver.hostArgs({
    prompt: opts.prompt ?? "go",
    json: opts.json ?? false,
    bypass: opts.mode === "bypass",
    modelUrl: opts.model.url,
    extra: opts.extraArgs ?? [],
  });
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === "") delete env[k];
    else env[k] = v;
  }
  return { file, args, env };
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Runs one real agent against the fake model. Never rejects on a non-zero exit; check exitCode. */
export async function runAgent(tool: AgentTool, opts: RunAgentOptions): Promise<AgentRun> {
  const { file, args, env } = agentInvocation(tool, opts);
  const command = [
    ...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`),
    shellQuote(file),
    ...args.map(shellQuote),
  ].join(" ");
  const started = Date.now();
  const r = await execa(file, args, {
    cwd: opts.cwd,
    env,
    extendEnv: false,
    stdin: "ignore", // a client may otherwise wait for "additional input from stdin"
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    forceKillAfterDelay: 3_000,
    stripFinalNewline: false,
  });
  return {
    exitCode: r.timedOut || typeof r.exitCode !== "number" ? -1 : r.exitCode,
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    durationMs: Date.now() - started,
    timedOut: r.timedOut === true,
    command: `cd ${shellQuote(opts.cwd)} && ${command}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Convenience

export interface MarkerRun extends AgentRun {
  /** The working directory used (kept only when `keepCwd` or when the caller passed `cwd`). */
  cwd: string;
  /** What the fake model saw. */
  requests: FakeModelRequest[];
  toolResults: string[];
  /** How often the fake offered the scripted tool call (0: the CLI never offered a shell tool). */
  toolCallsOffered: number;
  /** denialReported(tool, run, toolResults) */
  denied: boolean;
}

/**
 * Starts a fake model whose first turn runs `command`, runs the agent once in a fresh temp cwd
 * (or `cwd`), stops the model. Checking a marker file is the caller's job; put markers outside an
 * auto-created cwd (it is removed afterwards unless keepCwd).
 */
export async function runMarkerCommand(
  tool: AgentTool,
  opts: {
    home: string;
    mode: AgentMode;
    command: string | ((cwd: string) => string);
    cwd?: string;
    keepCwd?: boolean;
    extraArgs?: string[];
    env?: Record<string, string>;
    timeoutMs?: number;
    json?: boolean;
  },
): Promise<MarkerRun> {
  const ownCwd = opts.cwd === undefined;
  const cwd = opts.cwd ?? mkdtempSync(join(tmpdir(), `perimeter-${tool}-cwd-`));
  const command = typeof opts.command === "function" ? opts.command(cwd) : opts.command;
  const model = await startFakeModel({ command });
  try {
    const run = await runAgent(tool, {
      home: opts.home,
      cwd,
      model,
      mode: opts.mode,
      extraArgs: opts.extraArgs,
      env: opts.env,
      timeoutMs: opts.timeoutMs,
      json: opts.json ?? true,
    });
    return {
      ...run,
      cwd,
      requests: [...model.requests],
      toolResults: [...model.toolResults],
      toolCallsOffered: model.toolCallsOffered,
      denied: denialReported(tool, run, model.toolResults),
    };
  } finally {
    await model.close();
    if (ownCwd && !opts.keepCwd) rmSync(cwd, { recursive: true, force: true });
  }
}

/** Did the CLI report that a permission rule or approval policy refused the command? (its driver reads it) */
export function denialReported(tool: AgentTool, run: Pick<AgentRun, "stdout" | "stderr">, toolResults: string[] = []): boolean {
  return DRIVERS[tool].denied(run, toolResults);
}

/**
 * Which refusal a tool result reports: "rule" when a deny rule (a tripwire) stopped the command,
 * "approval" when it was stopped because it needed approval that a headless run cannot give.
 */
export function denialKind(tool: AgentTool, resultText: string): "rule" | "approval" | undefined {
  return DRIVERS[tool].denialKind(resultText);
}
