// Issue 15: Claude Code's own rules for the secrets, as rendered, and its side of the guard hook.
// Whether the real clients accept them
// and hold is proven in test/real/ (configs.test.ts, host-secrets.test.ts).
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../profile/load.js";
import { renderProfile } from "../../render.js";
import { TOOLS, toolById } from "../../tools/index.js";
import type { EmittedFile, Scope } from "../types.js";
import { claudeHook } from "./hook.js";

const profile = loadProfile("interactive");
const files = (scope: Scope) => renderProfile(profile, TOOLS, scope).files;
const file = (scope: Scope, path: string): EmittedFile | undefined => files(scope).find((f) => f.path === path);
const json = (f: EmittedFile | undefined) => (f?.body.format === "text" ? parse(f.body.text) : f?.body.value) as Record<string, any>;

describe("Claude Code", () => {
  const settings = json(file("host", ".claude/settings.json"));
  const deny: string[] = settings.permissions.deny;

  it("denies Read and Edit of every secret path it can say, beneath directories too", () => {
    for (const path of ["~/.ssh/id_*", "~/.aws/credentials", "~/.gnupg", "~/.gnupg/**", "~/.codex/auth.json", "~/.claude/.credentials.json", "**/.env", "//proc/*/environ"]) {
      expect(deny, path).toContain(`Read(${path})`);
      expect(deny, path).toContain(`Edit(${path})`);
    }
  });

  it("leaves .env.* to the guard (a deny cannot except .env.example), and denies the named variants", () => {
    expect(deny).not.toContain("Read(**/.env.*)");
    expect(deny).toContain("Read(**/.env.local)");
    expect(deny.some((d) => d.includes("example"))).toBe(false);
  });

  it("runs the guard hook before the shell and the file tools that read (Read, Grep), and reads their paths", () => {
    const [entry] = settings.hooks.PreToolUse;
    expect(entry.matcher.split("|")).toEqual(expect.arrayContaining(["Bash", "Read", "Grep", "Edit"]));
    expect(claudeHook.read({ hook_event_name: "PreToolUse", tool_name: "Read", tool_input: { file_path: "/w/.env" }, cwd: "/w" })).toEqual({ kind: "read", access: [{ path: "/w/.env" }], cwd: "/w" });
    expect(claudeHook.read({ hook_event_name: "PreToolUse", tool_name: "Grep", tool_input: { pattern: "x" } })).toEqual({ kind: "read", access: [{ path: ".", recursive: true }] });
    expect(claudeHook.read({ hook_event_name: "PreToolUse", tool_name: "Glob", tool_input: { pattern: "**" } }).kind).toBe("other");
    expect(JSON.parse(claudeHook.ask!("why").stdout).hookSpecificOutput.permissionDecision).toBe("ask");
    // What a write puts in the file (CLAUDE.md imports `@path` files into the context at start).
    expect(claudeHook.read({ hook_event_name: "PreToolUse", tool_name: "Write", tool_input: { file_path: "CLAUDE.md", content: "@.env" } })).toEqual({ kind: "write", paths: ["CLAUDE.md"], text: "@.env" });
    expect(claudeHook.read({ hook_event_name: "PreToolUse", tool_name: "MultiEdit", tool_input: { file_path: "CLAUDE.md", edits: [{ old_string: "a", new_string: "@x" }, { old_string: "b", new_string: "@y" }] } })).toEqual({ kind: "write", paths: ["CLAUDE.md"], text: "@x\n@y" });
  });

  it("denies the commands that print secrets, and puts literal paths in the sandbox's read denies", () => {
    expect(deny).toContain("Bash(git credential fill)");
    expect(deny).toContain("Bash(git credential fill *)");
    expect(deny).toContain("Bash(printenv)");
    expect(settings.sandbox.filesystem.denyRead).toEqual(expect.arrayContaining(["~/.aws/credentials", "~/.gnupg", "~/.netrc"]));
    expect(settings.sandbox.filesystem.denyRead.some((p: string) => /[*?]/.test(p))).toBe(false);
  });

  it("renders none of it into the image, which holds no secrets (control for the above)", () => {
    const image = json(file("image", "/etc/claude-code/managed-settings.json"));
    expect(image.permissions.deny.some((d: string) => !d.startsWith("Bash("))).toBe(false);
    expect(image.sandbox).toBeUndefined();
  });
});

