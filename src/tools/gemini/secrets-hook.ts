// Gemini CLI's side of the guard's secrets hook: the BeforeTool entry in settings.json (its matcher is
// a regex over the tool name), and its answer format: `{"decision":"deny"|"ask","reason":...}` on
// stdout; exit 2 with the reason on stderr also blocks (TOOLS.md "Hooks", run 2026-12-01).
import type { SecretVerdict } from "../../guard/secret-reads.js";
import type { HookAnswer, SecretsHookIO } from "../../guard/secret-hook.js";

const MATCHER = "^(run_shell_command|read_file|read_many_files|grep_search|search_file_content|write_file|replace)$";

export const geminiSecretsHook: SecretsHookIO = {
  settings: (command) => ({ BeforeTool: [{ matcher: MATCHER, hooks: [{ type: "command", command }] }] }),
  shellCommand: (toolName, input) => (toolName === "run_shell_command" && typeof input.command === "string" ? input.command : undefined),
  workspace: () => process.env.GEMINI_PROJECT_DIR,
  answer(verdict: SecretVerdict): HookAnswer {
    if (verdict.decision === "none") return { exitCode: 0, stdout: "" };
    return { exitCode: 0, stdout: `${JSON.stringify({ decision: verdict.decision, reason: `perimeter guard: ${verdict.reason}` })}\n` };
  },
  failure: (reason) => ({ exitCode: 2, stdout: "", stderr: `perimeter guard: ${reason}\n` }),
};
