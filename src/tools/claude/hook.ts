// Claude Code's side of the guard hook. Facts (read in the 2.1.332 binary, run with the pinned
// client; code.claude.com/docs/en/hooks): `hooks.<Event>` holds matcher groups of command hooks run
// through a shell; the input is JSON on stdin with `hook_event_name`, `tool_name` and `tool_input`;
// exit code 2 blocks the call and feeds stderr to the model (exit 1 does NOT block). PreToolUse runs
// before every tool call, in bypass mode too; PreSkillShellCommand (2.1.332) before each shell line
// a skill runs, with the same input shape. Managed settings can set `allowManagedHooksOnly`.
import type { GuardRequest, HookAnswer, ToolHook } from "../types.js";
import { claudeFileAccess } from "./secret-access.js";
import { withHookCwd } from "../hook-cwd.js";

/** The exit code that blocks a tool call. */
export const BLOCKING_EXIT_CODE = 2;

/** The tools whose calls the guard reads: the shell, every file-writing tool, and Read and Grep (secrets). */
const TOOL_MATCHER = "Bash|Edit|Write|MultiEdit|NotebookEdit|Read|Grep";
const WRITE_TOOLS: Record<string, string> = { Edit: "file_path", Write: "file_path", MultiEdit: "file_path", NotebookEdit: "notebook_path" };

/** The `hooks` value of a settings file that runs `command` for every guarded call. */
export function hookSettings(command: string): Record<string, unknown> {
  const hook = { type: "command", command, timeout: 30 };
  return {
    PreToolUse: [{ matcher: TOOL_MATCHER, hooks: [hook] }],
    PreSkillShellCommand: [{ matcher: "*", hooks: [hook] }],
  };
}

interface HookInput {
  hook_event_name?: unknown;
  tool_name?: unknown;
  tool_input?: Record<string, unknown>;
}

function read(input: unknown): GuardRequest {
  return withHookCwd(input, readCall(input));
}

function readCall(input: unknown): GuardRequest {
  const { hook_event_name: event, tool_name: tool, tool_input: args } = (input ?? {}) as HookInput;
  if (event !== "PreToolUse" && event !== "PreSkillShellCommand") throw new Error(`unexpected hook event ${JSON.stringify(event)}`);
  if (typeof args !== "object" || args === null) throw new Error("the hook input has no tool_input");
  if (event === "PreSkillShellCommand" || tool === "Bash") {
    if (typeof args.command !== "string") throw new Error("a shell call without a command string");
    return { kind: "command", command: args.command };
  }
  if (tool === "Read" || tool === "Grep") return { kind: "read", access: claudeFileAccess(tool, args as Record<string, unknown>) ?? [] };
  const key = typeof tool === "string" ? WRITE_TOOLS[tool] : undefined;
  if (key === undefined) return { kind: "other" };
  if (typeof args[key] !== "string") throw new Error(`${String(tool)} without ${key}`);
  // CLAUDE.md files expand `@path` imports into the context at start.
  const edits = Array.isArray(args.edits) ? args.edits.map((e) => (e as { new_string?: unknown })?.new_string) : [args.content ?? args.new_string ?? args.new_source];
  const texts = edits.filter((t): t is string => typeof t === "string");
  return texts.length > 0 ? { kind: "write", paths: [args[key] as string], text: texts.join("\n") } : { kind: "write", paths: [args[key] as string] };
}

function deny(reason: string): HookAnswer {
  return { stdout: "", stderr: `${reason}\n`, exitCode: BLOCKING_EXIT_CODE };
}

/** PreToolUse's own answer that makes Claude ask its user (exit 0, JSON on stdout). */
function ask(reason: string): HookAnswer {
  const output = { hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "ask", permissionDecisionReason: reason } };
  return { stdout: `${JSON.stringify(output)}\n`, stderr: "", exitCode: 0 };
}

export const claudeHook: ToolHook = {
  read,
  deny,
  ask,
  blockingExitCode: BLOCKING_EXIT_CODE,
  // Settings files in the home and any workspace, and the managed folder.
  protectedPaths: [/(^|\/)\.claude\/settings[^/]*\.json$/, /(^|\/)\.claude\/hooks(\/|$)/, /(^|\/)\.claude\.json$/, /^\/etc\/claude-code(\/|$)/],
};
