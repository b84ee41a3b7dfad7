// Claude Code's side of the guard's secrets hook: the PreToolUse entry in settings.json, which tool
// calls it sees, and its answer format. Facts: TOOLS.md "Hooks" (run with 2.1.330; the same keys in
// 2.1.332): input `tool_name`, `tool_input`, `cwd`; a deny or ask is
// `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":...}}`; exit 2 blocks.
import type { SecretVerdict } from "../../guard/secret-reads.js";
import type { HookAnswer, SecretsHookIO } from "../../guard/secret-hook.js";
import type { JsonObject } from "../types.js";

/** The shell and every file tool that reads or edits a file (Glob only lists names). */
const MATCHER = "Bash|Read|Edit|MultiEdit|Write|Grep|NotebookEdit";

export const claudeSecretsHook: SecretsHookIO = {
  settings: (command) => ({ PreToolUse: [{ matcher: MATCHER, hooks: [{ type: "command", command }] }] }),
  shellCommand: (toolName, input) => (toolName === "Bash" && typeof input.command === "string" ? input.command : undefined),
  workspace: () => process.env.CLAUDE_PROJECT_DIR,
  answer(verdict: SecretVerdict): HookAnswer {
    if (verdict.decision === "none") return { exitCode: 0, stdout: "" };
    const output: JsonObject = {
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: verdict.decision, permissionDecisionReason: `perimeter guard: ${verdict.reason}` },
    };
    return { exitCode: 0, stdout: `${JSON.stringify(output)}\n` };
  },
  failure: (reason) => ({ exitCode: 2, stdout: "", stderr: `perimeter guard: ${reason}\n` }),
};
