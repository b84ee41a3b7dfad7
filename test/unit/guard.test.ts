import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HostGuardRefusal } from "../../src/errors.js";
import { loadProfile } from "../../src/profile/load.js";
import { renderProfile } from "../../src/render.js";
import { guardHost, planHost } from "../../src/sink/host.js";
import { TOOLS, toolById } from "../../src/tools/index.js";
import type { FileBody } from "../../src/tools/types.js";
import { listFiles, runCli, snapshot, tempDir, writeFiles } from "./helpers.js";

const claude = toolById("claude");
const codex = toolById("codex");
const gemini = toolById("gemini");

const json = (value: Record<string, unknown>): FileBody => ({ format: "json", value });
const toml = (value: Record<string, unknown>): FileBody => ({ format: "toml", value });

async function expectRefused(argv: string[], home: string): Promise<string> {
  const before = snapshot(home);
  const result = await runCli([...argv, "--home", home]);
  expect(result.code).toBe(3);
  expect(result.stderr).toContain("refusing to write bypass-mode settings onto a host");
  expect(result.stderr).toContain("nothing was written");
  expect(snapshot(home)).toEqual(before);
  return result.stderr;
}

describe("host guard through the CLI: exit 3, nothing written", () => {
  it("render --profile autonomous", async () => {
    const home = tempDir("perimeter-home-");
    const stderr = await expectRefused(["render", "--profile", "autonomous"], home);
    expect(listFiles(home)).toEqual([]);
    expect(stderr).toContain('permissions.defaultMode = "bypassPermissions"');
    expect(stderr).toContain('sandbox_mode = "danger-full-access"');
    expect(stderr).toContain("security.disableYoloMode is not true");
  });

  it("render --profile ci", async () => {
    const home = tempDir("perimeter-home-");
    await expectRefused(["render", "--profile", "ci"], home);
    expect(listFiles(home)).toEqual([]);
  });

  it("render --profile autonomous --dry-run and check --profile autonomous are refused as well", async () => {
    const home = tempDir("perimeter-home-");
    await expectRefused(["render", "--profile", "autonomous", "--dry-run"], home);
    await expectRefused(["check", "--profile", "autonomous"], home);
  });

  it("render --profile autonomous --tools codex: one tool is enough to be refused", async () => {
    const home = tempDir("perimeter-home-");
    const stderr = await expectRefused(["render", "--profile", "autonomous", "--tools", "codex"], home);
    expect(stderr).toContain("approval_policy");
    expect(stderr).not.toContain("claude");
  });

  it('a custom profile NAMED "interactive" that sets posture.prompts = "never" is refused', async () => {
    const dir = tempDir("perimeter-profiles-");
    writeFiles(dir, {
      "interactive.toml": 'description = "looks harmless"\n[posture]\nprompts = "never"\nedits = "auto"\noutput = "text"\n',
    });
    const home = tempDir("perimeter-home-");
    await expectRefused(["render", "--profiles-dir", dir], home);
    await expectRefused(["render", "--profile", "interactive", "--profiles-dir", dir], home);
    expect(listFiles(home)).toEqual([]);
  });

  it('a custom profile that `extends = "autonomous"` is refused', async () => {
    const dir = tempDir("perimeter-profiles-");
    writeFiles(dir, { "laptop.toml": 'description = "mine"\nextends = "autonomous"\n[commands]\nallow = ["ls"]\n' });
    const home = tempDir("perimeter-home-");
    await expectRefused(["render", "--profile", "laptop", "--profiles-dir", dir], home);
    expect(listFiles(home)).toEqual([]);
  });

  it('existing user settings that make the merged file bypass-capable (gemini tools.allowed = ["run_shell_command"]) are refused', async () => {
    const home = tempDir("perimeter-home-");
    writeFiles(home, { ".gemini/settings.json": JSON.stringify({ tools: { allowed: ["run_shell_command"] }, ui: { theme: "x" } }) });
    const stderr = await expectRefused(["render"], home);
    expect(stderr).toContain('tools.allowed "run_shell_command" allows every shell command');
    expect(listFiles(home)).toEqual([".gemini/settings.json"]);
  });

  it("the same home without the bypass-capable user setting renders (control)", async () => {
    const home = tempDir("perimeter-home-");
    writeFiles(home, { ".gemini/settings.json": JSON.stringify({ tools: { allowed: ["read_file"] }, ui: { theme: "x" } }) });
    const result = await runCli(["render", "--home", home]);
    expect(result.code).toBe(0);
    expect(existsSync(join(home, ".claude/settings.json"))).toBe(true);
  });

  it("guardHost throws HostGuardRefusal for an autonomous host plan and passes the interactive one", () => {
    const home = tempDir("perimeter-home-");
    const bad = planHost(renderProfile(loadProfile("autonomous"), TOOLS, "host"), home);
    expect(() => guardHost(bad, TOOLS)).toThrow(HostGuardRefusal);
    const good = planHost(renderProfile(loadProfile("interactive"), TOOLS, "host"), home);
    expect(() => guardHost(good, TOOLS)).not.toThrow();
  });
});

describe("bypassFindings: each tool's own knowledge of its bypass settings", () => {
  const interactiveHost = renderProfile(loadProfile("interactive"), TOOLS, "host");

  it("returns [] for every file of the interactive host rendering (the guard can pass)", () => {
    expect(interactiveHost.files.length).toBe(6);
    for (const file of interactiveHost.files) {
      expect(toolById(file.tool).bypassFindings(file.path, file.body), file.path).toEqual([]);
    }
  });

  const claudeBody = () => {
    const file = interactiveHost.files.find((f) => f.tool === "claude")!;
    if (file.body.format === "text") throw new Error("unexpected");
    return { path: file.path, value: structuredClone(file.body.value) as { permissions: Record<string, unknown> } };
  };

  it('Claude: defaultMode "bypassPermissions" (and "auto") is flagged', () => {
    for (const mode of ["bypassPermissions", "auto"]) {
      const { path, value } = claudeBody();
      value.permissions.defaultMode = mode;
      const findings = claude.bypassFindings(path, json(value));
      expect(findings).toHaveLength(1);
      expect(findings[0]).toContain(`permissions.defaultMode = "${mode}"`);
    }
  });

  it("Claude: a missing disableBypassPermissionsMode is flagged", () => {
    const { path, value } = claudeBody();
    delete value.permissions.disableBypassPermissionsMode;
    const findings = claude.bypassFindings(path, json(value));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toContain("disableBypassPermissionsMode");
    expect(claude.bypassFindings(path, json({}))).toHaveLength(1);
  });

  it('Claude: allow "Bash" (and "Bash(*)", "Bash()") is flagged; a specific Bash rule is not', () => {
    for (const rule of ["Bash", "Bash(*)", "Bash()", "Bash( * )"]) {
      const { path, value } = claudeBody();
      value.permissions.allow = [...(value.permissions.allow as string[]), rule];
      const findings = claude.bypassFindings(path, json(value));
      expect(findings, rule).toHaveLength(1);
      expect(findings[0]).toContain(`permissions.allow "${rule}"`);
    }
    const { path, value } = claudeBody();
    value.permissions.allow = ["Bash(ls)", "Bash(ls *)"];
    expect(claude.bypassFindings(path, json(value))).toEqual([]);
  });

  it('Codex: sandbox_mode "danger-full-access" and approval_policy "never" are each flagged', () => {
    const path = ".codex/config.toml";
    expect(codex.bypassFindings(path, toml({ approval_policy: "on-request", sandbox_mode: "danger-full-access" }))).toEqual([
      expect.stringContaining("danger-full-access"),
    ]);
    expect(codex.bypassFindings(path, toml({ approval_policy: "never", sandbox_mode: "workspace-write" }))).toEqual([
      expect.stringContaining('approval_policy = "never"'),
    ]);
    expect(codex.bypassFindings(path, toml({ approval_policy: "never", sandbox_mode: "danger-full-access" }))).toHaveLength(2);
    expect(codex.bypassFindings(path, toml({ approval_policy: "on-request", sandbox_mode: "workspace-write" }))).toEqual([]);
  });

  it("Gemini: disableYoloMode false (or absent) and defaultApprovalMode yolo are flagged", () => {
    const path = ".gemini/settings.json";
    const ok = { general: { defaultApprovalMode: "auto_edit" }, security: { disableYoloMode: true } };
    expect(gemini.bypassFindings(path, json(ok))).toEqual([]);
    expect(gemini.bypassFindings(path, json({ ...ok, security: { disableYoloMode: false } }))).toEqual([
      expect.stringContaining("security.disableYoloMode is not true"),
    ]);
    expect(gemini.bypassFindings(path, json({ general: ok.general }))).toHaveLength(1);
    expect(gemini.bypassFindings(path, json({ ...ok, general: { defaultApprovalMode: "yolo" } }))).toEqual([
      expect.stringContaining('defaultApprovalMode = "yolo"'),
    ]);
    expect(gemini.bypassFindings(path, json({ ...ok, tools: { allowed: ["*"] } }))).toHaveLength(1);
  });

  it("Gemini: an unconditional allow rule for the shell tool in the policy file is flagged; a prefix-bound one is not", () => {
    const path = ".gemini/policies/perimeter.toml";
    const allowAll = { toolName: "run_shell_command", decision: "allow", priority: 100 };
    expect(gemini.bypassFindings(path, toml({ rule: [allowAll] }))).toEqual([expect.stringContaining("allows every shell command")]);
    expect(gemini.bypassFindings(path, toml({ rule: [{ ...allowAll, toolName: "*" }] }))).toHaveLength(1);
    expect(gemini.bypassFindings(path, toml({ rule: [{ ...allowAll, commandPrefix: "ls" }] }))).toEqual([]);
    expect(gemini.bypassFindings(path, toml({ rule: [{ ...allowAll, decision: "deny" }] }))).toEqual([]);
  });

  it("a tool only judges its own host files", () => {
    expect(codex.bypassFindings(".claude/settings.json", json({}))).toEqual([]);
    expect(claude.bypassFindings(".codex/config.toml", toml({ approval_policy: "never" }))).toEqual([]);
    expect(gemini.bypassFindings(".codex/rules/perimeter.rules", { format: "text", text: "x" })).toEqual([]);
  });
});
