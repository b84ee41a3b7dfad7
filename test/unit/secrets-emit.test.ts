// Issue 15: each tool's own rules for the secrets, as rendered. Whether the real clients accept them
// and hold is proven in test/real/ (configs.test.ts, host-secrets.test.ts).
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../src/profile/load.js";
import { renderProfile } from "../../src/render.js";
import { TOOLS, toolById } from "../../src/tools/index.js";
import type { EmittedFile, Scope } from "../../src/tools/types.js";

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

  it("runs the guard's secrets hook before the shell and the file tools, and a failing hook blocks", () => {
    const [entry] = settings.hooks.PreToolUse;
    expect(entry.matcher.split("|")).toEqual(expect.arrayContaining(["Bash", "Read", "Grep", "Edit"]));
    expect(entry.hooks[0].command).toMatch(/dist\/perimeter\.cjs' secrets-hook claude --profile 'interactive' \|\| exit 2$/);
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

  it("runs the guard's secrets hook before the shell and the file tools", () => {
    const gemini = json(file("host", ".gemini/settings.json"));
    const [entry] = gemini.hooks.BeforeTool;
    for (const name of ["run_shell_command", "read_file", "read_many_files", "grep_search"]) expect(new RegExp(entry.matcher).test(name), name).toBe(true);
    expect(new RegExp(entry.matcher).test("glob")).toBe(false);
    expect(entry.hooks[0].command).toMatch(/secrets-hook gemini --profile 'interactive' \|\| exit 2$/);
  });

  it("writes no secrets policy into the image (control)", () => {
    expect(files("image").some((f) => f.path.includes("secrets"))).toBe(false);
  });
});

describe("Codex CLI", () => {
  const config = json(file("host", ".codex/config.toml"));
  const fs = config.permissions.perimeter.filesystem;

  it("selects its own permission profile with every secret path unreadable, as globs (a literal would be created on the host)", () => {
    expect(config.default_permissions).toBe("perimeter");
    expect(config.sandbox_mode).toBeUndefined();
    expect(fs["~/.ssh/id_*"]).toBe("none");
    expect(fs["~/.aws/credentials*"]).toBe("none");
    expect(fs["~/.gnupg/**"]).toBe("none");
    expect(fs[":project_roots"]["**/.env"]).toBe("none");
    expect(Object.keys(fs).filter((k) => k !== ":project_roots").every((k) => /[*?]/.test(k))).toBe(true);
    // An absolute glob under /proc fails Codex's whole sandbox: the guard holds /proc/*/environ.
    expect(Object.keys(fs).some((k) => k.startsWith("/proc"))).toBe(false);
  });

  it("leaves the secret variables out of the shell's environment", () => {
    expect(config.shell_environment_policy.exclude).toEqual(expect.arrayContaining(["*_TOKEN", "*_KEY", "*_SECRET", "AWS_*"]));
  });

  it("forbids the commands that print secrets", () => {
    const rules = file("host", ".codex/rules/perimeter.rules")!;
    expect(rules.body.format === "text" && rules.body.text).toMatch(/pattern = \["git", "credential-store"\],\s*decision = "forbidden",\s*justification = "perimeter secrets: GitHub CLI token/);
  });

  it("flags a permission profile with full access as a bypass", () => {
    const body = { format: "toml" as const, value: { approval_policy: "on-request", default_permissions: ":danger-full-access" }, ownedKeys: [] };
    expect(toolById("codex").bypassFindings(".codex/config.toml", body)).toHaveLength(1);
    const own = { format: "toml" as const, value: { approval_policy: "on-request", default_permissions: "x", permissions: { x: { extends: ":danger-full-access" } } }, ownedKeys: [] };
    expect(toolById("codex").bypassFindings(".codex/config.toml", own)).toHaveLength(1);
  });
});
