// Codex CLI's side of the guard hook. Facts (read in the 0.171.0 binary, run with the pinned client):
// `[[hooks.PreToolUse]]` matcher groups with `[[hooks.PreToolUse.hooks]] type = "command"` in any
// config layer; input JSON on stdin with `hook_event_name`, `tool_name` ("Bash" for the shell,
// "apply_patch" for file edits, whose `tool_input.command` is the patch text) and `tool_input`;
// exit code 2 blocks and stderr is the reason. Trust: a hook in the system layer
// (/etc/codex/config.toml) runs without review; one in the user layer runs only once a person has
// trusted it (its hash is recorded as `[hooks.state."<id>"] trusted_hash` in the user config) or
// with --dangerously-bypass-hook-trust, which perimeter never passes.
import type { GuardRequest, HookAnswer, ToolHook } from "../types.js";
import { withHookCwd } from "../hook-cwd.js";

export const BLOCKING_EXIT_CODE = 2;

/** The `hooks` table of a config layer that runs `command` before every tool call. */
export function hookConfig(command: string): Record<string, unknown> {
  return { PreToolUse: [{ matcher: ".*", hooks: [{ type: "command", command, timeout: 30 }] }] };
}

/** The files an apply_patch envelope adds, updates, deletes or moves to. */
export function patchPaths(patch: string): string[] {
  return [...patch.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm)].map((m) => m[1]!.trim());
}

function read(input: unknown): GuardRequest {
  return withHookCwd(input, readCall(input));
}

function readCall(input: unknown): GuardRequest {
  const { hook_event_name: event, tool_name: tool, tool_input: args } = (input ?? {}) as { hook_event_name?: unknown; tool_name?: unknown; tool_input?: Record<string, unknown> };
  if (event !== "PreToolUse") throw new Error(`unexpected hook event ${JSON.stringify(event)}`);
  if (typeof args !== "object" || args === null) throw new Error("the hook input has no tool_input");
  const command = args.command;
  if (tool === "Bash") {
    // The shell tool's command is a string; older builds sent argv (["bash", "-lc", "..."]).
    if (typeof command === "string") return { kind: "command", command };
    if (Array.isArray(command) && command.every((w) => typeof w === "string")) {
      return { kind: "command", command: command.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(" ") };
    }
    throw new Error("a shell call without a command");
  }
  if (tool === "write_stdin" && typeof args.chars === "string") {
    // Unified exec's keystrokes into a running session (`bash` started by one call, `git push -f\n`
    // typed by the next): read as the command line they are. Whether 0.171 runs PreToolUse for this
    // tool was not seen in a run; reading it costs nothing when it does not.
    return { kind: "command", command: args.chars };
  }
  if (tool === "apply_patch") {
    const patch = typeof command === "string" ? command : typeof args.patch === "string" ? args.patch : typeof args.input === "string" ? args.input : undefined;
    if (patch === undefined) throw new Error("apply_patch without its patch");
    return { kind: "write", paths: patchPaths(patch) };
  }
  return { kind: "other" };
}

function deny(reason: string): HookAnswer {
  return { stdout: "", stderr: `${reason}\n`, exitCode: BLOCKING_EXIT_CODE };
}

export const codexHook: ToolHook = {
  read,
  deny,
  blockingExitCode: BLOCKING_EXIT_CODE,
  protectedPaths: [/(^|\/)\.codex(\/|$)/, /^\/etc\/codex(\/|$)/],
};
