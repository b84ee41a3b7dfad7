// Test driver for Gemini CLI (see src/tools/driver.ts). Seen with 0.61.0, offline:
//   gemini -p go [-o stream-json] [--yolo]                                          ~1.3-2 s
// GEMINI_CLI_NO_RELAUNCH=true skips the re-exec for a bigger heap (~1 s faster).
//
// Auth: with GOOGLE_GEMINI_BASE_URL set and no selectedType, 0.61.0 picks auth type "gateway", which
// non-interactive mode rejects ("Invalid auth method selected.", exit 41); GEMINI_API_KEY alone does not
// help. selectedType must come from a settings layer: we use the LOWEST, "system defaults" (defaults <
// system-defaults < user < workspace < system), so the settings under test are untouched and win.
// Gemini reads a system file only if it and every ancestor are root-owned and not group/other-writable,
// so on a host the file lives under /run (or $PERIMETER_GEMINI_DEFAULTS_DIR), and in the image in the
// fixture layer at its default path. Not root on a host: put the auth into ~/.gemini/settings.json.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ClientOutput, ToolDriver } from "../driver.js";

const SETTINGS = ".gemini/settings.json";
const AUTH = { security: { auth: { selectedType: "gemini-api-key" } } };
const SYSTEM_DEFAULTS = {
  ...AUTH,
  privacy: { usageStatisticsEnabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  // The scripted model calls the shell many times in a row, which Gemini would stop as a loop.
  model: { disableLoopDetection: true },
};
const SYSTEM_DEFAULTS_TEXT = `${JSON.stringify(SYSTEM_DEFAULTS, null, 2)}\n`;

/** Is `p` and every ancestor root-owned and not group/other-writable (Gemini's rule for system files)? */
function isSecureChain(p: string): boolean {
  for (let cur = resolve(p); ; cur = dirname(cur)) {
    let st;
    try {
      st = statSync(cur);
    } catch {
      return false;
    }
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    if (dirname(cur) === cur) return true;
  }
}

let defaultsPath: string | null | undefined;

/** Writes (once per process) the system-defaults file; null when no secure place exists. */
function systemDefaults(): string | null {
  if (defaultsPath !== undefined) return defaultsPath;
  defaultsPath = null;
  if (process.getuid?.() !== 0) return null;
  for (const base of [process.env.PERIMETER_GEMINI_DEFAULTS_DIR, "/run/perimeter-real-agents", "/root/.cache/perimeter-real-agents"]) {
    if (!base) continue;
    try {
      if (!isSecureChain(dirname(base))) continue;
      mkdirSync(base, { recursive: true, mode: 0o755 });
      if (!isSecureChain(base)) continue;
      const file = join(base, "gemini-system-defaults.json");
      if (!existsSync(file) || readFileSync(file, "utf8") !== SYSTEM_DEFAULTS_TEXT) {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, SYSTEM_DEFAULTS_TEXT, { mode: 0o644 });
        renameSync(tmp, file); // atomic: concurrent test workers write the same bytes
      }
      if (!isSecureChain(file)) continue;
      defaultsPath = file;
      return file;
    } catch {
      // try the next base
    }
  }
  return null;
}

function homeHasAuth(home: string): boolean {
  try {
    const s = JSON.parse(readFileSync(join(home, SETTINGS), "utf8")) as { security?: { auth?: { selectedType?: unknown } } };
    return typeof s.security?.auth?.selectedType === "string";
  } catch {
    return false;
  }
}

function editJson(file: string, edit: (value: Record<string, any>) => void): void {
  const value = JSON.parse(readFileSync(file, "utf8"));
  edit(value);
  writeFileSync(file, JSON.stringify(value, null, 2));
}

/** At start-up a bad value prints "Invalid configuration in ..." and a bad rule "Policy file error". */
function startupProblems(out: ClientOutput): string | undefined {
  return /.*(Invalid configuration|Policy file error).*/.exec(`${out.stdout}\n${out.stderr}`)?.[0];
}

const CHECK_ENV = { GEMINI_API_KEY: "fake-key", GEMINI_CLI_NO_RELAUNCH: "true" };

export const driver: ToolDriver = {
  hookInput: {
    shell: (command) => ({ hook_event_name: "BeforeTool", tool_name: "run_shell_command", tool_input: { command } }),
    write: (file_path) => ({ hook_event_name: "BeforeTool", tool_name: "write_file", tool_input: { file_path, content: "{}" } }),
    ownFile: ".gemini/settings.json",
  },
  modelHost: "generativelanguage.googleapis.com",
  // Gemini's file tools read only inside the workspace folders unless asked.
  addDirArgs: (dir) => ["--include-directories", dir],
  modelEnv: (url) => ({
    GEMINI_API_KEY: "fake-key",
    GOOGLE_GEMINI_BASE_URL: url,
    GEMINI_CLI_TRUST_WORKSPACE: "true",
    GEMINI_CLI_NO_RELAUNCH: "true",
    GEMINI_TELEMETRY_ENABLED: "false",
  }),
  hostArgs: (run) => ["-p", run.prompt, ...(run.json ? ["-o", "stream-json"] : []), ...(run.bypass ? ["--yolo"] : []), ...run.extra],
  hostEnv(home): Record<string, string> {
    if (homeHasAuth(home)) return {};
    const file = systemDefaults();
    if (!file) {
      throw new Error(
        `Gemini needs security.auth.selectedType = "gemini-api-key", and its root-owned system-defaults file ` +
          `cannot be written here (not root?). Merge ${JSON.stringify(AUTH)} into ${join(home, SETTINGS)} before running.`,
      );
    }
    return { GEMINI_CLI_SYSTEM_DEFAULTS_PATH: file };
  },
  imageFixtureFiles: { "/etc/gemini-cli/system-defaults.json": SYSTEM_DEFAULTS_TEXT },

  handWrittenDeny: (word) => ({
    ".gemini/policies/x.toml": `[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "${word}"\ndecision = "deny"\npriority = 200\n`,
  }),

  // Tool result "Tool execution denied by policy."; stream-json tool_result {"status":"error",
  // "error":{"type":"policy_violation"}}; stderr "Error executing tool run_shell_command: ...".
  denied: (run, toolResults) => /denied by policy|"policy_violation"/.test(`${run.stdout}\n${run.stderr}\n${toolResults.join("\n")}`),
  // perimeter's rules carry a denyMessage naming the tripwire; other denials do not.
  denialKind(text) {
    if (/perimeter tripwire|denied by perimeter profile/.test(text)) return "rule";
    return /denied by policy/.test(text) ? "approval" : undefined;
  },

  // Settings and policy files are loaded at start-up; `--list-extensions` stops before any model call.
  hostCheck: () => ({ args: ["--list-extensions"], env: CHECK_ENV, problems: startupProblems }),
  breakHostFiles: (home) =>
    editJson(join(home, SETTINGS), (s) => {
      s.general.defaultApprovalMode = "yolo";
    }),
  imageCheck: {
    args: ["--list-extensions"],
    env: CHECK_ENV,
    problems: startupProblems,
    broken: { path: "/etc/gemini-cli/policies/broken.toml", content: '[[rule]]\ntoolName = "run_shell_command"\ndecision = "deny"\npriority = "high"\n' },
  },
  launchProblems: (out) => [
    ...(startupProblems(out) ? [startupProblems(out)!] : []),
    ...(out.stderr.includes("YOLO mode is enabled") ? [] : ["stderr lacks \"YOLO mode is enabled\""]),
  ],
  jsonReportsSuccess(stdout) {
    try {
      return (JSON.parse(stdout.trim()) as { response?: string }).response === "done";
    } catch {
      return false;
    }
  },
};
