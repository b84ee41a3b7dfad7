// Issue 15: `perimeter secrets-hook TOOL`, the guard's secrets check as each tool's pre-tool hook:
// it answers in the tool's own format, has no opinion on a harmless call, and refuses on any failure.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { secretsHook } from "../../src/cli/commands/secrets-hook.js";
import { tempDir, writeFiles } from "./helpers.js";

const home = tempDir("perimeter-hook-home-");
writeFiles(home, { ".aws/credentials": "KEY", "app/.env.local": "KEY", "app/README.md": "hi" });
const cwd = join(home, "app");
process.env.HOME = home;

const call = (tool: string, input: object) => secretsHook(tool, {}, () => JSON.stringify({ ...input, cwd }));

describe("Claude Code", () => {
  it("denies a shell read of a secret and a Read of one, in PreToolUse's output", async () => {
    for (const input of [
      { tool_name: "Bash", tool_input: { command: "cat ~/.aws/credentials" } },
      { tool_name: "Read", tool_input: { file_path: join(cwd, ".env.local") } },
      { tool_name: "Grep", tool_input: { pattern: "KEY", path: cwd } },
    ]) {
      const result = await call("claude", input);
      expect(result.exitCode).toBe(0);
      const out = JSON.parse(result.stdout).hookSpecificOutput;
      expect(out).toMatchObject({ hookEventName: "PreToolUse", permissionDecision: "deny" });
      expect(out.permissionDecisionReason).toMatch(/^perimeter guard: /);
    }
  });

  it("has no opinion on a harmless call (never answers allow), and asks where it cannot tell", async () => {
    expect(await call("claude", { tool_name: "Bash", tool_input: { command: "cat README.md" } })).toEqual({ exitCode: 0, stdout: "" });
    expect(await call("claude", { tool_name: "Glob", tool_input: { pattern: "**/*" } })).toEqual({ exitCode: 0, stdout: "" });
    const unknown = await call("claude", { tool_name: "Bash", tool_input: { command: "cat $WHATEVER" } });
    expect(JSON.parse(unknown.stdout).hookSpecificOutput.permissionDecision).toBe("ask");
  });
});

describe("Gemini CLI", () => {
  it("denies read_file of a secret and a shell read, with {decision, reason}", async () => {
    for (const input of [
      { tool_name: "read_file", tool_input: { file_path: join(home, ".aws/credentials") } },
      { tool_name: "run_shell_command", tool_input: { command: "cd .. && cat .aws/credentials" } },
      { tool_name: "read_many_files", tool_input: { include: [".env*"] } },
    ]) {
      const result = await call("gemini", input);
      expect(JSON.parse(result.stdout)).toMatchObject({ decision: "deny" });
    }
    expect(await call("gemini", { tool_name: "read_file", tool_input: { file_path: join(cwd, "README.md") } })).toEqual({ exitCode: 0, stdout: "" });
  });
});

describe("a failing hook blocks", () => {
  it("bad input, an unknown profile or an unknown tool exits 2 with the reason (both tools block on exit 2)", async () => {
    const bad = await secretsHook("claude", {}, () => "not json");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/perimeter guard: the secrets check failed/);
    const profile = await secretsHook("gemini", { profile: "no-such-profile" }, () => "{}");
    expect(profile.exitCode).toBe(2);
    expect(profile.stderr).toMatch(/the profile does not load/);
    expect((await secretsHook("codex", {}, () => "{}")).exitCode).toBe(2);
  });
});
