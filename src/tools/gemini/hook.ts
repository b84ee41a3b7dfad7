// Gemini CLI's side of the guard hook. Facts (geminicli.com/docs/hooks, run with the pinned 0.61.0):
// `hooks.BeforeTool` matcher groups of command hooks in settings.json; `hooksConfig.enabled`
// switches them all; input JSON on stdin with `hook_event_name` "BeforeTool", `tool_name`
// (run_shell_command, write_file, replace, ...) and `tool_input`; exit code 2 blocks, stderr is the
// reason (Claude's JSON answer does not block Gemini). System settings (/etc/gemini-cli/) override
// the user's and the workspace's.
import { resolve } from "node:path";
import type { GuardRequest, HookAnswer, ToolHook } from "../types.js";
import { geminiFileAccess } from "./secret-access.js";
import { withHookCwd } from "../hook-cwd.js";

export const BLOCKING_EXIT_CODE = 2;

const SHELL_TOOL = "run_shell_command";
const WRITE_TOOLS = ["write_file", "replace"];
/** The guard hook's name in Gemini's settings: what `hooksConfig.disabled` would have to list to switch it off. */
export const GUARD_HOOK_NAME = "perimeter-guard";

/** File tools that read (the secrets check); glob and list_directory only list names. */
const READ_TOOLS = ["read_file", "read_many_files", "grep_search", "search_file_content"];

/** The `hooks` value of a settings file that runs `command` before each guarded tool call. */
export function hookSettings(command: string): Record<string, unknown> {
  const hooks = [{ name: GUARD_HOOK_NAME, type: "command", command, timeout: 30000 }];
  return { BeforeTool: [SHELL_TOOL, ...WRITE_TOOLS, ...READ_TOOLS].map((matcher) => ({ matcher, hooks })) };
}

function read(input: unknown): GuardRequest {
  const request = withHookCwd(input, readCall(input));
  // run_shell_command's `dir_path` is the folder the command runs in (0.61: resolved against the
  // project folder), so relative paths in the command are that folder's.
  const dir = ((input ?? {}) as { tool_input?: { dir_path?: unknown } }).tool_input?.dir_path;
  if (request.kind !== "command" || typeof dir !== "string" || dir === "") return request;
  return { ...request, cwd: resolve(request.cwd ?? process.cwd(), dir) };
}

function readCall(input: unknown): GuardRequest {
  const { hook_event_name: event, tool_name: tool, tool_input: args } = (input ?? {}) as { hook_event_name?: unknown; tool_name?: unknown; tool_input?: Record<string, unknown> };
  if (event !== "BeforeTool") throw new Error(`unexpected hook event ${JSON.stringify(event)}`);
  if (typeof args !== "object" || args === null) throw new Error("the hook input has no tool_input");
  if (tool === SHELL_TOOL) {
    if (typeof args.command !== "string") throw new Error("a shell call without a command string");
    return { kind: "command", command: args.command };
  }
  if (typeof tool === "string" && READ_TOOLS.includes(tool)) return { kind: "read", access: geminiFileAccess(tool, args) ?? [] };
  if (typeof tool === "string" && WRITE_TOOLS.includes(tool)) {
    const path = args.file_path ?? args.absolute_path ?? args.path;
    if (typeof path !== "string") throw new Error(`${tool} without file_path`);
    // GEMINI.md files expand `@file` imports into the context at start (0.61: any file in the project).
    const text = tool === "write_file" ? args.content : args.new_string;
    return typeof text === "string" ? { kind: "write", paths: [path], text } : { kind: "write", paths: [path] };
  }
  return { kind: "other" };
}

function deny(reason: string): HookAnswer {
  return { stdout: `${JSON.stringify({ decision: "deny", reason })}\n`, stderr: `${reason}\n`, exitCode: BLOCKING_EXIT_CODE };
}

/** BeforeTool's answer that makes Gemini ask its user. */
function ask(reason: string): HookAnswer {
  return { stdout: `${JSON.stringify({ decision: "ask", reason })}\n`, stderr: "", exitCode: 0 };
}

export const geminiHook: ToolHook = {
  read,
  deny,
  ask,
  blockingExitCode: BLOCKING_EXIT_CODE,
  protectedPaths: [/(^|\/)\.gemini(\/|$)/, /^\/etc\/gemini-cli(\/|$)/],
};
