// Claude Code 2.1.332's PreSkillShellCommand event (a skill's shell line) is guarded like a Bash call.
import { expect, it } from "vitest";
import { claudeHook } from "./hook.js";

it("PreSkillShellCommand is read as a shell command; an unknown event fails (and so denies)", () => {
  expect(claudeHook.read({ hook_event_name: "PreSkillShellCommand", tool_name: "Bash", tool_input: { command: "gh auth token" } })).toEqual({ kind: "command", command: "gh auth token" });
  expect(() => claudeHook.read({ hook_event_name: "SomethingElse", tool_input: {} })).toThrow();
  expect(claudeHook.read({ hook_event_name: "PreToolUse", tool_name: "WebFetch", tool_input: { url: "x" } })).toEqual({ kind: "other" });
});
