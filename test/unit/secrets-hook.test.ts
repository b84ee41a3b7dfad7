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
