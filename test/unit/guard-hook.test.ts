// Issue 11: the guard hook as each tool runs it: the rendered command line, through a shell, with the
// tool's own hook input on stdin. It denies with the tool's blocking code, or has no opinion; it never
// answers "allow"; any failure, a missing bundle or Node included, blocks.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { guardHookCommand } from "../../src/guard/command.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS, toolById } from "../../src/tools/index.js";
import type { AgentTool } from "../../src/tools/types.js";

const profile = loadProfile("interactive");

/** The tool's hook input for one shell command or file write, as each CLI sends it. */
const INPUT: Record<string, { shell: (command: string) => unknown; write: (path: string) => unknown }> = {
  claude: {
    shell: (command) => ({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command }, permission_mode: "bypassPermissions" }),
    write: (file_path) => ({ hook_event_name: "PreToolUse", tool_name: "Write", tool_input: { file_path, content: "{}" } }),
  },
  codex: {
    shell: (command) => ({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command } }),
    write: (path) => ({ hook_event_name: "PreToolUse", tool_name: "apply_patch", tool_input: { command: `*** Begin Patch\n*** Update File: ${path}\n@@\n-a\n+b\n*** End Patch\n` } }),
  },
  gemini: {
    shell: (command) => ({ hook_event_name: "BeforeTool", tool_name: "run_shell_command", tool_input: { command } }),
    write: (file_path) => ({ hook_event_name: "BeforeTool", tool_name: "write_file", tool_input: { file_path, content: "{}" } }),
  },
};

function hook(tool: AgentTool, input: unknown, command = guardHookCommand(tool.id, tool.hook.blockingExitCode, profile, "host"), env = process.env) {
  const r = spawnSync("/bin/sh", ["-c", command], { input: typeof input === "string" ? input : JSON.stringify(input), encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(TOOLS.map((t) => [t.id, t] as const))("%s: the rendered hook command", (id, tool) => {
  const input = INPUT[id]!;
  const blocked = tool.hook.blockingExitCode;

  it("denies a tripwire command an agent writes, with the tripwire's reason (control: the near-miss gets no opinion)", () => {
    const denied = hook(tool, input.shell("cd /work && git -C app push -uf origin main"));
    expect(denied.code).toBe(blocked);
    expect(denied.stderr).toContain("perimeter tripwire git-force-push: Force-pushing rewrites history");
    const control = hook(tool, input.shell("git -C app push origin agent/x"));
    expect(control).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("never answers allow: no opinion is exit 0 with nothing printed", () => {
    for (const command of ["ls", "npm publish --dry-run", "gh -R o/r pr create"]) {
      const r = hook(tool, input.shell(command));
      expect(r, command).toEqual({ code: 0, stdout: "", stderr: "" });
    }
  });

  it("denies edits to any tool's own settings and hook files, by file tool and by shell (control: another file)", () => {
    for (const path of ["/home/u/.claude/settings.json", "/work/app/.claude/settings.local.json", "/home/u/.codex/config.toml", "/work/app/.gemini/settings.json"]) {
      const r = hook(tool, input.write(path));
      expect(r.code, path).toBe(blocked);
      expect(r.stderr).toContain("own settings or hook file");
    }
    expect(hook(tool, input.shell("echo '{}' > .claude/settings.local.json")).code).toBe(blocked);
    expect(hook(tool, input.shell("cp /tmp/x ~/.codex/config.toml")).code).toBe(blocked);
    expect(hook(tool, input.shell("sed -i s/x/y/ .gemini/settings.json")).code).toBe(blocked);
    expect(hook(tool, input.write("/work/app/src/index.ts")).code).toBe(0);
    expect(hook(tool, input.shell("cat .claude/settings.json")).code).toBe(0);
  });

  it("any failure denies: input it cannot read, an event it does not know", () => {
    for (const bad of ["not json", "{}", JSON.stringify({ hook_event_name: "Nope", tool_input: {} })]) {
      const r = hook(tool, bad);
      expect(r.code, bad).toBe(blocked);
      expect(r.stderr).toContain("perimeter guard failed");
    }
  });

  it("a missing bundle or a missing Node blocks too (control: the same command with the bundle runs and has no opinion)", () => {
    const command = guardHookCommand(tool.id, blocked, profile, "host");
    expect(hook(tool, input.shell("ls"), command).code).toBe(0);
    const noBundle = command.replace("/dist/perimeter.cjs", "/dist/removed.cjs");
    expect(noBundle).not.toBe(command);
    expect(hook(tool, input.shell("ls"), noBundle).code).toBe(blocked);
    const noNode = hook(tool, input.shell("ls"), command, { PATH: "/nonexistent" });
    expect(noNode.code).toBe(blocked);
  });
});

it("Claude's PreSkillShellCommand event is guarded like a shell call", () => {
  const claude = toolById("claude");
  const r = hook(claude, { hook_event_name: "PreSkillShellCommand", tool_name: "Bash", tool_input: { command: "gh auth token" } });
  expect(r.code).toBe(claude.hook.blockingExitCode);
  expect(r.stderr).toContain("gh-auth");
});

it("generic guard code names no tool: each tool's hook knowledge lives in src/tools/<tool>/", () => {
  const dir = join(import.meta.dirname, "../../src/guard");
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : files.push(join(d, f));
  };
  walk(dir);
  for (const file of [...files, join(dir, "../cli/commands/hook.ts")]) {
    const text = readFileSync(file, "utf8");
    for (const tool of TOOLS) expect(new RegExp(`\\b${tool.id}\\b`, "i").test(text), `${file} names ${tool.id}`).toBe(false);
  }
});
