// Codex's unified exec can start a shell in one call and type into it with write_stdin in the next: the
// keystrokes are read as the command line they are (control: another tool has no opinion).
import { expect, it } from "vitest";
import { codexHook } from "./hook.js";

it("write_stdin's characters are read as a shell command; a tool without a command has no opinion", () => {
  expect(codexHook.read({ hook_event_name: "PreToolUse", tool_name: "write_stdin", tool_input: { session_id: 1, chars: "git push -f\n" } })).toEqual({ kind: "command", command: "git push -f\n" });
  expect(codexHook.read({ hook_event_name: "PreToolUse", tool_name: "view_image", tool_input: { path: "x.png" } })).toEqual({ kind: "other" });
});
