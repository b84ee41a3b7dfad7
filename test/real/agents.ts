// How to DRIVE the real agent CLIs (pinned in image/clients) against the fake model
// (test/real/fake-model.ts). This file knows nothing about permissions: the caller prepares HOME
// (e.g. with perimeter-rendered settings) and says whether to run in "host" mode (the CLI's normal
// headless mode, no bypass flag) or "bypass" mode (the CLI's "skip all approvals" flag).
//
// What a run looks like (checked with claude 2.1.330, codex 0.169.0, gemini 0.61.0, offline, as root):
//   claude  -p go [--output-format json] [--dangerously-skip-permissions]          ~0.4-0.8 s
//   codex   exec --skip-git-repo-check [--json] [--dangerously-bypass-approvals-and-sandbox]
//           -c model_provider="mock" -c model_providers.mock={...} ... go            ~0.4-0.6 s
//   gemini  -p go [-o stream-json] [--yolo]                                          ~1.3-2 s
//
// Environment: a clean env (nothing inherited but PATH), HOME=opts.home, plus per tool:
//   claude: ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY, IS_SANDBOX=1 when uid 0 (else bypass exits 1),
//           DISABLE_AUTOUPDATER, DISABLE_TELEMETRY, DISABLE_ERROR_REPORTING,
//           CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC.
//   codex:  nothing; the mock provider is defined with `-c` overrides (the -c layer outranks every
//           config file, so the home's config.toml is never written), plus
//           `-c analytics.enabled=false -c check_for_update_on_startup=false`. All these keys pass
//           `--strict-config`. CODEX_HOME is left unset, so it is $HOME/.codex.
//   gemini: GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL, GEMINI_CLI_TRUST_WORKSPACE=true,
//           GEMINI_CLI_NO_RELAUNCH=true (skips the re-exec for a bigger heap: ~1 s faster), and
//           GEMINI_CLI_SYSTEM_DEFAULTS_PATH -> a file holding
//           security.auth.selectedType="gemini-api-key" (see geminiSystemDefaults below).
//
// Gemini auth: with GOOGLE_GEMINI_BASE_URL set and no selectedType, 0.61.0 picks auth type
// "gateway", which non-interactive mode rejects ("Invalid auth method selected.", exit 41);
// GEMINI_API_KEY alone does not help. selectedType must come from a settings layer. We use the
// LOWEST layer, "system defaults" (defaults < system-defaults < user < workspace < system), so the
// caller's user/workspace/system settings are untouched and win. Gemini only reads a system file
// if it and every ancestor directory are root-owned and not group/other-writable, so the file
// cannot live under /tmp; we write it under /run (or $PERIMETER_GEMINI_DEFAULTS_DIR). When that is
// impossible (not root), put agentHomeExtras("gemini") into the HOME's ~/.gemini/settings.json
// yourself; runAgent detects it there and then skips the system-defaults file.
// Side effect: the real /etc/gemini-cli/system-defaults.json is not read during these runs.

import { execa } from "execa";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeModel, type FakeModel, type FakeModelRequest } from "./fake-model.js";

export type AgentTool = "claude" | "codex" | "gemini";
export const AGENT_TOOLS: readonly AgentTool[] = ["claude", "codex", "gemini"];

export type AgentMode = "host" | "bypass";

export interface RunAgentOptions {
  /** HOME for the run (the caller prepares ~/.claude, ~/.codex, ~/.gemini in it). */
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
  /** Machine-readable output: claude `--output-format json` (one object, has `permission_denials`),
   * codex `--json` (JSON lines), gemini `-o stream-json` (JSON lines, tool_result has `error.type`). */
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
const CLIENTS_DIR = join(REPO_ROOT, "image", "clients");

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
// Gemini auth

const GEMINI_AUTH = { security: { auth: { selectedType: "gemini-api-key" } } };
const GEMINI_SYSTEM_DEFAULTS = {
  ...GEMINI_AUTH,
  privacy: { usageStatisticsEnabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  // The scripted model calls the shell many times in a row, which Gemini would stop as a loop.
  model: { disableLoopDetection: true },
};

/**
 * Settings a tool needs in HOME that runAgent cannot provide another way. Only Gemini has one, and
 * only when runAgent cannot write its root-owned system-defaults file (not running as root): then
 * deep-merge `json` into `<home>/<path>`.
 */
export function agentHomeExtras(tool: AgentTool): { path: string; json: Record<string, unknown> } | null {
  if (tool === "gemini") return { path: ".gemini/settings.json", json: structuredClone(GEMINI_AUTH) };
  return null;
}

/** Is `p` and every ancestor root-owned and not group/other-writable (Gemini's rule for system files)? */
function isSecureChain(p: string): boolean {
  let cur = resolve(p);
  for (;;) {
    let st;
    try {
      st = statSync(cur);
    } catch {
      return false;
    }
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    const parent = dirname(cur);
    if (parent === cur) return true;
    cur = parent;
  }
}

let geminiDefaultsPath: string | null | undefined;

/** Writes (once per process) the Gemini system-defaults file; null when no secure place exists. */
export function geminiSystemDefaults(): string | null {
  if (geminiDefaultsPath !== undefined) return geminiDefaultsPath;
  geminiDefaultsPath = null;
  if (process.getuid?.() !== 0) return null;
  const bases = [process.env.PERIMETER_GEMINI_DEFAULTS_DIR, "/run/perimeter-real-agents", "/root/.cache/perimeter-real-agents"];
  const content = JSON.stringify(GEMINI_SYSTEM_DEFAULTS, null, 2) + "\n";
  for (const base of bases) {
    if (!base) continue;
    try {
      if (!isSecureChain(dirname(base))) continue;
      mkdirSync(base, { recursive: true, mode: 0o755 });
      if (!isSecureChain(base)) continue;
      const file = join(base, "gemini-system-defaults.json");
      if (!existsSync(file) || readFileSync(file, "utf8") !== content) {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, content, { mode: 0o644 });
        renameSync(tmp, file); // atomic: concurrent test workers write the same bytes
      }
      if (!isSecureChain(file)) continue;
      geminiDefaultsPath = file;
      return file;
    } catch {
      // try the next base
    }
  }
  return null;
}

function homeHasGeminiAuth(home: string): boolean {
  try {
    const s = JSON.parse(readFileSync(join(home, ".gemini", "settings.json"), "utf8")) as {
      security?: { auth?: { selectedType?: unknown } };
    };
    return typeof s.security?.auth?.selectedType === "string";
  } catch {
    return false;
  }
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
  const prompt = opts.prompt ?? "go";
  const extra = opts.extraArgs ?? [];
  const bypass = opts.mode === "bypass";
  // Node must stay reachable: codex and gemini start through `#!/usr/bin/env node` scripts.
  const pathEnv = [dirname(process.execPath), process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(":");
  const env: Record<string, string> = { HOME: opts.home, PATH: pathEnv };
  let args: string[];

  switch (tool) {
    case "claude":
      Object.assign(env, {
        ANTHROPIC_BASE_URL: opts.model.url,
        ANTHROPIC_API_KEY: "fake-key",
        DISABLE_AUTOUPDATER: "1",
        DISABLE_TELEMETRY: "1",
        DISABLE_ERROR_REPORTING: "1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      });
      if (process.getuid?.() === 0) env.IS_SANDBOX = "1";
      args = ["-p", prompt];
      if (opts.json) args.push("--output-format", "json");
      if (bypass) args.push("--dangerously-skip-permissions");
      args.push(...extra);
      break;

    case "codex":
      args = ["exec", "--skip-git-repo-check"];
      if (opts.json) args.push("--json");
      if (bypass) args.push("--dangerously-bypass-approvals-and-sandbox");
      args.push(
        "-c",
        'model_provider="mock"',
        "-c",
        `model_providers.mock={ name = "mock", base_url = "${opts.model.url}/v1", wire_api = "responses" }`,
        "-c",
        "analytics.enabled=false",
        "-c",
        "check_for_update_on_startup=false",
        ...extra,
        prompt,
      );
      break;

    case "gemini": {
      Object.assign(env, {
        GEMINI_API_KEY: "fake-key",
        GOOGLE_GEMINI_BASE_URL: opts.model.url,
        GEMINI_CLI_TRUST_WORKSPACE: "true",
        GEMINI_CLI_NO_RELAUNCH: "true",
        GEMINI_TELEMETRY_ENABLED: "false",
      });
      if (!homeHasGeminiAuth(opts.home)) {
        const defaults = geminiSystemDefaults();
        if (!defaults) {
          throw new Error(
            "Gemini needs security.auth.selectedType = \"gemini-api-key\" and runAgent cannot write its " +
              "root-owned system-defaults file here (not root?). Merge agentHomeExtras(\"gemini\").json " +
              `into ${join(opts.home, ".gemini", "settings.json")} before running.`,
          );
        }
        env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH = defaults;
      }
      args = ["-p", prompt];
      if (opts.json) args.push("-o", "stream-json");
      if (bypass) args.push("--yolo");
      args.push(...extra);
      break;
    }
  }

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
    stdin: "ignore", // codex exec otherwise waits for "additional input from stdin"
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

/**
 * Did the CLI report that a permission rule or approval policy refused the command? Seen texts:
 *  - claude: JSON `permission_denials` non-empty (with --output-format json); tool result
 *    "Permission to use Bash with command ... has been denied." (deny rule) or
 *    "... needs approval. ..." (host mode, nothing allows it). Exit code 0.
 *  - codex: stderr "ERROR codex_core::tools::router: error=exec_command failed: CreateProcess
 *    { message: \"Rejected(...)\" }" with "rejected: policy forbids commands starting with `touch`"
 *    (forbidden rule) or "approval required by policy, but AskForApproval is set to Never"
 *    (prompt rule in exec); no command_execution item in --json. Exit code 0.
 *    A read-only sandbox refusal is NOT a denial: the command runs and fails ("Read-only file system").
 *  - gemini: tool result "Tool execution denied by policy."; stream-json tool_result
 *    {"status":"error","error":{"type":"policy_violation"}}; stderr "Error executing tool
 *    run_shell_command: Tool execution denied by policy."; -o json stats.tools.totalFail. Exit code 0.
 */
export function denialReported(tool: AgentTool, run: Pick<AgentRun, "stdout" | "stderr">, toolResults: string[] = []): boolean {
  const results = toolResults.join("\n");
  switch (tool) {
    case "claude": {
      for (const line of run.stdout.split("\n")) {
        const t = line.trim();
        if (!t.startsWith("{")) continue;
        try {
          const j = JSON.parse(t) as { permission_denials?: unknown[] };
          if (Array.isArray(j.permission_denials) && j.permission_denials.length > 0) return true;
        } catch {
          // not JSON
        }
      }
      return /Permission to use \w+ .*has been denied|needs approval/.test(results);
    }
    case "codex":
      return /Rejected\(|rejected: policy forbids|approval required by policy/.test(run.stderr + "\n" + results);
    case "gemini":
      return /denied by policy|"policy_violation"/.test(run.stdout + "\n" + run.stderr + "\n" + results);
  }
}

/**
 * Which refusal a tool result reports: "rule" when a deny rule (a tripwire) stopped the command,
 * "approval" when it was stopped because it needed approval that a headless run cannot give.
 *  - claude: "Permission to use Bash with command ... has been denied." (deny rule) vs
 *    "Claude requested permissions to use Bash, but you haven't granted it yet." / "needs approval".
 *  - codex: "Rejected(... rejected: <justification or 'policy forbids ...'>)" (forbidden rule) vs
 *    "approval required by policy" (prompt rule under exec's never-ask policy).
 *  - gemini: our rules carry a denyMessage naming the perimeter tripwire; other denials do not.
 */
export function denialKind(tool: AgentTool, resultText: string): "rule" | "approval" | undefined {
  switch (tool) {
    case "claude":
      if (/Permission to use \w+ with command .* has been denied/.test(resultText)) return "rule";
      return /requested permissions to use|needs approval/.test(resultText) ? "approval" : undefined;
    case "codex":
      // A forbidden rule rejects with its justification, or "policy forbids commands ..." without one.
      if (/approval required by policy/.test(resultText)) return "approval";
      return /Rejected\(.*rejected: /.test(resultText) ? "rule" : undefined;
    case "gemini":
      if (/perimeter tripwire|denied by perimeter profile/.test(resultText)) return "rule";
      return /denied by policy/.test(resultText) ? "approval" : undefined;
  }
}
