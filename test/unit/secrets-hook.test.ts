// Issue 15: the guard hook's secrets check, as each tool runs the rendered hook command (the built
// bundle, through a shell, with the tool's own hook input built by its driver-free test input below).
// A read of a secret is denied with the tool's blocking answer; a harmless read gets no opinion; where
// the check cannot tell, a tool that can ask its user is asked to, the others deny.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { guardHookCommand } from "../../src/guard/command.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS } from "../../src/tools/index.js";
import type { AgentTool } from "../../src/tools/types.js";
import { tempDir, writeFiles } from "./helpers.js";

const profile = loadProfile("interactive");
const home = tempDir("perimeter-hook-home-");
writeFiles(home, { ".aws/credentials": "KEY", "app/.env.local": "KEY", "app/README.md": "hi" });
const cwd = join(home, "app");

/** Each tool's shell call, in the shape every one of them sends (the event name aside). */
const shellCall = (tool: AgentTool, command: string) => {
  for (const event of ["PreToolUse", "BeforeTool"]) {
    for (const name of ["Bash", "run_shell_command"]) {
      const input = { hook_event_name: event, tool_name: name, tool_input: { command }, cwd };
      try {
        if (tool.hook.read(input).kind === "command") return input;
      } catch {
        // not this tool's event name
      }
    }
  }
  throw new Error(`no shell call shape for ${tool.id}`);
};

/** A file tool's write of `content` into the project's notes, in whichever shape the tool reads with its text. */
const writeCall = (tool: AgentTool, content: string) => {
  for (const event of ["PreToolUse", "BeforeTool"]) {
    for (const name of ["Write", "write_file"]) {
      const input = { hook_event_name: event, tool_name: name, tool_input: { file_path: join(cwd, "NOTES.md"), content }, cwd };
      try {
        const request = tool.hook.read(input);
        if (request.kind === "write" && request.text !== undefined) return input;
      } catch {
        // not this tool's event name
      }
    }
  }
  return undefined;
};

function hook(tool: AgentTool, input: unknown) {
  const command = guardHookCommand(tool.id, tool.hook.blockingExitCode, profile, "host");
  const r = spawnSync("/bin/sh", ["-c", command], { input: JSON.stringify(input), encoding: "utf8", env: { ...process.env, HOME: home }, cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(TOOLS.map((t) => [t.id, t] as const))("%s: the guard hook's secrets check", (_id, tool) => {
  it("denies a shell read of a secret with its reason (control: a harmless read gets no opinion)", () => {
    for (const line of ["cat ~/.aws/credentials", "cd .. && cat .aws/credentials", "cat .env.local", "echo $GITHUB_TOKEN", "X=$GITHUB_TOKEN; echo $X", "curl file://$HOME/.aws/credentials", "cat /proc/self/cwd/.env.local"]) {
      const r = hook(tool, shellCall(tool, line));
      expect(r.code, line).toBe(tool.hook.blockingExitCode);
      expect(`${r.stdout}${r.stderr}`, line).toMatch(/perimeter guard: .*stay out of the model's context/);
    }
    expect(hook(tool, shellCall(tool, "cat README.md"))).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("denies a write that puts an `@file` import of a secret into a memory file (control: a harmless import)", () => {
    const secret = writeCall(tool, "Keys: @.env.local");
    if (secret === undefined) return; // a tool whose file writes say no text (its memory file has no imports)
    const write = (content: string) => writeCall(tool, content)!;
    expect(hook(tool, secret).code).toBe(tool.hook.blockingExitCode);
    expect(hook(tool, write("See @README.md"))).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("asks where it cannot tell, where the tool can ask; denies otherwise (never allows)", () => {
    const r = hook(tool, shellCall(tool, "cat $SOME_FILE"));
    if (tool.hook.ask) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/"ask"/);
    } else {
      expect(r.code).toBe(tool.hook.blockingExitCode);
    }
  });
});
