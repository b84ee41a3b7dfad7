// Gemini CLI 0.61's run_shell_command runs in `dir_path` (resolved against the project folder): the
// guard reads the command's relative paths there (control: without dir_path, the project folder).
import { expect, it } from "vitest";
import { geminiHook } from "./hook.js";

it("run_shell_command's dir_path is the command's working folder", () => {
  const call = (tool_input: Record<string, unknown>) => geminiHook.read({ hook_event_name: "BeforeTool", tool_name: "run_shell_command", tool_input, cwd: "/work/app" });
  expect(call({ command: "echo x > settings.json", dir_path: ".gemini" })).toEqual({ kind: "command", command: "echo x > settings.json", cwd: "/work/app/.gemini" });
  expect(call({ command: "ls" })).toEqual({ kind: "command", command: "ls", cwd: "/work/app" });
});
