// Issue 15: Gemini CLI's own rules for the secrets, as rendered, and its side of the guard hook.
// Whether the real clients accept them
// and hold is proven in test/real/ (configs.test.ts, host-secrets.test.ts).
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../profile/load.js";
import { renderProfile } from "../../render.js";
import { TOOLS, toolById } from "../../tools/index.js";
import type { EmittedFile, Scope } from "../types.js";
import { geminiHook } from "./hook.js";

const profile = loadProfile("interactive");
const files = (scope: Scope) => renderProfile(profile, TOOLS, scope).files;
const file = (scope: Scope, path: string): EmittedFile | undefined => files(scope).find((f) => f.path === path);
const json = (f: EmittedFile | undefined) => (f?.body.format === "text" ? parse(f.body.text) : f?.body.value) as Record<string, any>;

describe("Gemini CLI", () => {
  const policy = json(file("host", ".gemini/policies/perimeter-secrets.toml"));
  const rules: { toolName: string | string[]; argsPattern?: string; commandRegex?: string; decision: string; priority: number }[] = policy.rule;
  const pathRules = rules.filter((r) => r.argsPattern !== undefined);
  // The engine tests argsPattern against the JSON text of the call's arguments.
  const denied = (tool: string, args: object) =>
    pathRules.some((r) => (Array.isArray(r.toolName) ? r.toolName : [r.toolName]).includes(tool) && new RegExp(r.argsPattern!).test(JSON.stringify(args)));

  it("has its own policy file, apart from the tripwires' (one bad rule drops a whole file)", () => {
    expect(file("host", ".gemini/policies/perimeter.toml")).toBeDefined();
    expect(rules.length).toBeGreaterThan(20);
    expect(rules.every((r) => r.decision === "deny" && r.priority < 950 && r.priority > 500)).toBe(true);
  });

  it.each([
    ["read_file", { file_path: "/home/dev/.ssh/id_ed25519" }],
    ["read_file", { file_path: "/home/dev/.aws/credentials" }],
    ["read_file", { file_path: "/work/app/.env" }],
    ["read_file", { file_path: ".env" }],
    ["read_many_files", { include: ["~/.kube/config"] }],
    ["grep_search", { pattern: "token", dir_path: "/home/dev/.gnupg" }],
    ["read_file", { file_path: "/proc/self/environ" }],
    ["run_shell_command", { command: "cat ~/.netrc | head -1" }],
    ["run_shell_command", { command: "base64 ~/.codex/auth.json" }],
  ])("denies %s %j", (tool, args) => {
    expect(denied(tool, args)).toBe(true);
  });

  it.each([
    ["read_file", { file_path: "/work/app/.env.example" }],
    ["read_file", { file_path: "/work/app/README.md" }],
    ["read_file", { file_path: "/home/dev/.ssh/config" }],
    ["run_shell_command", { command: "grep -rn TODO src" }],
    ["run_shell_command", { command: "cat .envrc" }],
  ])("leaves %s %j alone", (tool, args) => {
    expect(denied(tool, args)).toBe(false);
  });

  it("denies the commands that print secrets in the shell", () => {
    expect(rules.some((r) => r.commandRegex !== undefined && new RegExp(r.commandRegex).test('git credential fill"'))).toBe(true);
  });

  it("runs the guard hook before the shell and the file tools that read, and reads their paths", () => {
    const settings = json(file("host", ".gemini/settings.json"));
    const matchers = settings.hooks.BeforeTool.map((e: { matcher: string }) => e.matcher);
    expect(matchers).toEqual(expect.arrayContaining(["run_shell_command", "read_file", "read_many_files", "grep_search"]));
    expect(matchers).not.toContain("glob");
    expect(geminiHook.read({ hook_event_name: "BeforeTool", tool_name: "read_many_files", tool_input: { include: [".env*", "docs"] } })).toEqual({
      kind: "read",
      access: [{ path: ".env*", recursive: false }, { path: "docs", recursive: true }],
    });
    expect(JSON.parse(geminiHook.ask!("why").stdout)).toEqual({ decision: "ask", reason: "why" });
    // The shell's `dir_path` is where the command runs: `cat .git-credentials` there is the home's.
    expect(geminiHook.read({ hook_event_name: "BeforeTool", tool_name: "run_shell_command", tool_input: { command: "cat .git-credentials", dir_path: "../.." }, cwd: "/home/dev/work/app" })).toEqual({
      kind: "command",
      command: "cat .git-credentials",
      cwd: "/home/dev",
    });
    // What a write puts in the file: a GEMINI.md's `@file` imports go into the model's context at start.
    expect(geminiHook.read({ hook_event_name: "BeforeTool", tool_name: "write_file", tool_input: { file_path: "GEMINI.md", content: "See @.env" } })).toEqual({ kind: "write", paths: ["GEMINI.md"], text: "See @.env" });
    expect(geminiHook.read({ hook_event_name: "BeforeTool", tool_name: "replace", tool_input: { file_path: "GEMINI.md", old_string: "a", new_string: "@.env" } })).toEqual({ kind: "write", paths: ["GEMINI.md"], text: "@.env" });
  });

  it("writes no secrets policy into the image (control)", () => {
    expect(files("image").some((f) => f.path.includes("secrets"))).toBe(false);
  });
});

