// Test driver for Claude Code (see src/tools/driver.ts). Seen with 2.1.330 and 2.1.332, offline:
//   claude -p go [--output-format json] [--dangerously-skip-permissions]        ~0.4-0.8 s
// As uid 0 the bypass flag exits 1 ("cannot be used with root/sudo privileges") unless IS_SANDBOX=1.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ToolDriver } from "../driver.js";

const SETTINGS = ".claude/settings.json";

function editJson(file: string, edit: (value: Record<string, any>) => void): void {
  const value = JSON.parse(readFileSync(file, "utf8"));
  edit(value);
  writeFileSync(file, JSON.stringify(value, null, 2));
}

/** `claude doctor` exits 0 even when settings are invalid: the problems are in its text. */
function doctorProblems(out: { stdout: string; stderr: string }): string | undefined {
  const text = `${out.stdout}\n${out.stderr}`;
  if (!text.includes("Claude Code doctor")) return `no doctor report: ${text.slice(-500)}`;
  const m = /.*(Invalid settings|may not work as written).*/.exec(text);
  return m ? m[0] : undefined;
}

export const driver: ToolDriver = {
  hookInput: {
    shell: (command) => ({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command }, permission_mode: "bypassPermissions" }),
    write: (file_path) => ({ hook_event_name: "PreToolUse", tool_name: "Write", tool_input: { file_path, content: "{}" } }),
    ownFile: ".claude/settings.local.json",
  },
  modelHost: "api.anthropic.com",
  // Claude reads files only inside its working folders unless asked (2.1.332: "cat in ... was blocked").
  addDirArgs: (dir) => ["--add-dir", dir],
  modelEnv: (url) => ({
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_API_KEY: "fake-key",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  }),
  hostArgs: (run) => [
    "-p",
    run.prompt,
    ...(run.json ? ["--output-format", "json"] : []),
    ...(run.bypass ? ["--dangerously-skip-permissions"] : []),
    ...run.extra,
  ],
  hostEnv: (): Record<string, string> => (process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {}),

  handWrittenDeny: (word) => ({ [SETTINGS]: JSON.stringify({ permissions: { deny: [`Bash(${word} *)`] } }) }),

  // JSON output: `permission_denials` non-empty. Tool results: "Permission to use Bash with command ...
  // has been denied." (a deny rule) or "... needs approval" / "requested permissions" (nothing allows it).
  denied(run, toolResults) {
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
    return /Permission to use \w+ .*has been denied|needs approval/.test(toolResults.join("\n"));
  },
  denialKind(text) {
    if (/Permission to use \w+ with command .* has been denied/.test(text)) return "rule";
    return /requested permissions to use|needs approval/.test(text) ? "approval" : undefined;
  },

  hostCheck: (home) => ({
    args: ["--settings", join(home, SETTINGS), "doctor"],
    env: { DISABLE_AUTOUPDATER: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" },
    problems: doctorProblems,
  }),
  breakHostFiles: (home) =>
    editJson(join(home, SETTINGS), (s) => {
      s.permissions.defaultMode = "bogus";
    }),
  imageCheck: {
    args: ["doctor"],
    problems: doctorProblems,
    broken: {
      path: "/etc/claude-code/managed-settings.json",
      content: JSON.stringify({ permissions: { deny: ["Bash(git push :* --x)"], defaultMode: "bogus" } }),
    },
  },
  jsonReportsSuccess(stdout) {
    try {
      const r = JSON.parse(stdout.trim()) as { type?: string; is_error?: boolean; result?: string };
      return r.type === "result" && r.is_error === false && r.result === "done";
    } catch {
      return false;
    }
  },
  // Without an API key Claude Code says "Not logged in" and exits 1.
  failingEnv: { ANTHROPIC_API_KEY: "" },
};
