// Issue 12, "the host guard judges the effective configuration": bypass-level behaviour in keys
// perimeter does not own, or in other files the tools read, makes `render` refuse (exit 3, file and
// key named, nothing written) and `check` report it; the tools' location variables decide where
// perimeter renders and checks. Each case has its control: the same home without the one setting.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadProfile } from "../../src/profile/load.js";
import { renderProfile } from "../../src/render.js";
import { hostFindings, planHost } from "../../src/sink/host.js";
import { TOOLS } from "../../src/tools/index.js";
import { listFiles, runCli, snapshot, tempDir, writeFiles } from "./helpers.js";

afterEach(() => vi.unstubAllEnvs());

/** An empty project folder, so the repository's own folder is not what is judged. */
const project = () => tempDir("pw-project-");

async function refused(argv: string[], home: string, ...expected: string[]) {
  const before = snapshot(home);
  const r = await runCli([...argv, "--home", home, "--project", project()]);
  expect(r.code, r.stdout + r.stderr).toBe(3);
  for (const text of expected) expect(r.stderr).toContain(text);
  expect(snapshot(home)).toEqual(before);
  return r;
}

async function renders(home: string, ...extra: string[]) {
  const r = await runCli(["render", "--home", home, "--project", project(), ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

describe("Codex permission profiles", () => {
  it("a full-access profile of the user's in the config: render exits 3 naming file and key, check too", async () => {
    // (`default_permissions` itself is perimeter's key since issue 15, like approval_policy: a bypass
    // value there is replaced on render and is drift for check.)
    const home = tempDir("pw-home-");
    writeFiles(home, { ".codex/config.toml": '[permissions.wide]\nextends = ":danger-full-access"\n' });
    const file = join(home, ".codex/config.toml");
    await refused(["render"], home, `${file}: permissions.wide gives full access`);
    await refused(["check"], home, "permissions.wide");
    const json = await runCli(["check", "--json", "--home", home, "--project", project()]);
    expect(json.code).toBe(3);
    expect((JSON.parse(json.stdout) as { bypass: string[] }).bypass).toEqual([expect.stringContaining("permissions.wide")]);
    // Control: the same config without that profile renders, and a bypass default_permissions is replaced.
    writeFileSync(file, 'default_permissions = ":danger-full-access"\nmodel = "x"\n');
    await renders(home);
    expect(readFileSync(file, "utf8")).toContain('default_permissions = "perimeter"');
  });

  it("a [permissions.NAME] profile with full access, an open network or write access to / is refused, whether default or not", async () => {
    const cases = [
      ['[permissions.wide]\nextends = ":danger-full-access"\n', "permissions.wide gives full access"],
      ['[permissions.net]\n[permissions.net.network]\nenabled = true\nmode = "full"\n', "permissions.net gives full network access"],
      ['[permissions.fs]\n[permissions.fs.filesystem]\n"/" = "write"\n', "permissions.fs gives write access to /"],
      ['default_permissions = "mine"\n[permissions.base]\nextends = ":danger-full-access"\n[permissions.mine]\nextends = "base"\n', 'permissions.mine gives full access (extends "base")'],
    ];
    for (const [config, finding] of cases) {
      const home = tempDir("pw-home-");
      writeFiles(home, { ".codex/config.toml": config! });
      await refused(["render"], home, finding!);
    }
    // Control: a limited profile is fine.
    const home = tempDir("pw-home-");
    writeFiles(home, { ".codex/config.toml": 'default_permissions = "ro"\n[permissions.ro]\nextends = ":read-only"\n[permissions.ro.network]\nmode = "limited"\n' });
    await renders(home);
  });

  it("a --profile file beside the config (NAME.config.toml) that turns approvals off is refused", async () => {
    const home = tempDir("pw-home-");
    writeFiles(home, { ".codex/fast.config.toml": 'approval_policy = "never"\n' });
    await refused(["render"], home, `${join(home, ".codex/fast.config.toml")}: approval_policy = "never"`);
    writeFileSync(join(home, ".codex/fast.config.toml"), 'approval_policy = "on-request"\n');
    await renders(home);
  });
});

describe("location variables: render and check the folder the tool really reads", () => {
  it("CODEX_HOME: files go there, not to ~/.codex, and the output and --json say so", async () => {
    const home = tempDir("pw-home-");
    const codexHome = tempDir("pw-codex-home-");
    vi.stubEnv("CODEX_HOME", codexHome);
    const r = await renders(home, "--tools", "codex");
    expect(r.stdout).toContain(`codex reads ${codexHome} (CODEX_HOME)`);
    expect(listFiles(codexHome)).toEqual(["config.toml", "rules/perimeter.rules"]);
    expect(existsSync(join(home, ".codex"))).toBe(false);
    const json = JSON.parse((await runCli(["check", "--json", "--tools", "codex", "--home", home, "--project", project()])).stdout) as {
      locations: unknown[];
      files: { path: string; status: string }[];
    };
    expect(json.locations).toEqual([{ tool: "codex", dir: codexHome, variable: "CODEX_HOME" }]);
    expect(json.files.map((f) => [f.path, f.status])).toEqual([
      [join(codexHome, "config.toml"), "unchanged"],
      [join(codexHome, "rules/perimeter.rules"), "unchanged"],
    ]);
    // Control: without the variable, ~/.codex is where it goes.
    vi.unstubAllEnvs();
    delete process.env.CODEX_HOME;
    await renders(home, "--tools", "codex");
    expect(listFiles(join(home, ".codex"))).toEqual(["config.toml", "rules/perimeter.rules"]);
  });

  it("CODEX_HOME's own config is the one judged: a bypass there is caught although ~/.codex is clean", async () => {
    const home = tempDir("pw-home-");
    const codexHome = tempDir("pw-codex-home-");
    writeFiles(codexHome, { "config.toml": '[permissions.wide]\nextends = ":danger-full-access"\n' });
    expect((await runCli(["render", "--home", home, "--project", project()])).code).toBe(0);
    vi.stubEnv("CODEX_HOME", codexHome);
    await refused(["check"], home, join(codexHome, "config.toml"));
  });

  it("CLAUDE_CONFIG_DIR: settings.json goes there", async () => {
    const home = tempDir("pw-home-");
    const dir = tempDir("pw-claude-dir-");
    vi.stubEnv("CLAUDE_CONFIG_DIR", dir);
    const r = await renders(home, "--tools", "claude");
    expect(r.stdout).toContain(`claude reads ${dir} (CLAUDE_CONFIG_DIR)`);
    expect(listFiles(dir)).toEqual(["settings.json"]);
    expect(existsSync(join(home, ".claude"))).toBe(false);
  });

  it("GEMINI_CLI_HOME: .gemini goes under it; GEMINI_CLI_SYSTEM_SETTINGS_PATH's file is judged", async () => {
    const home = tempDir("pw-home-");
    const geminiHome = tempDir("pw-gemini-home-");
    vi.stubEnv("GEMINI_CLI_HOME", geminiHome);
    const r = await renders(home, "--tools", "gemini");
    expect(r.stdout).toContain(`gemini reads ${join(geminiHome, ".gemini")} (GEMINI_CLI_HOME)`);
    expect(listFiles(geminiHome)).toEqual([".gemini/policies/perimeter-secrets.toml", ".gemini/policies/perimeter.toml", ".gemini/settings.json"]);
    const system = join(tempDir("pw-etc-"), "settings.json");
    writeFileSync(system, JSON.stringify({ general: { defaultApprovalMode: "yolo" } }));
    vi.stubEnv("GEMINI_CLI_SYSTEM_SETTINGS_PATH", system);
    await refused(["check", "--tools", "gemini"], home, `${system}: general.defaultApprovalMode = "yolo"`);
  });
});

describe("hooks that approve", () => {
  function hookScript(dir: string, answer: "allow" | "deny"): string {
    const file = join(dir, `hook-${answer}.sh`);
    writeFileSync(file, `#!/bin/sh\necho '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"${answer}"}}'\n`);
    chmodSync(file, 0o755);
    return file;
  }
  const claudeHooks = (event: string, command: string) => JSON.stringify({ hooks: { [event]: [{ matcher: "Bash", hooks: [{ type: "command", command }] }] } });

  it("a Claude PreToolUse hook whose script answers allow, in the project's settings: refused, naming the hook; a denying one renders", async () => {
    const home = tempDir("pw-home-");
    const dir = project();
    const allow = hookScript(dir, "allow");
    writeFiles(dir, { ".claude/settings.json": claudeHooks("PreToolUse", `bash ${allow} --quiet`) });
    const r = await runCli(["render", "--home", home, "--project", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${join(dir, ".claude/settings.json")}: hooks.PreToolUse runs "bash ${allow} --quiet", which can answer "allow"`);
    expect(listFiles(home)).toEqual([]);
    writeFileSync(join(dir, ".claude/settings.json"), claudeHooks("PreToolUse", hookScript(dir, "deny")));
    expect((await runCli(["render", "--home", home, "--project", dir])).code).toBe(0);
  });

  it("in the user's own settings, hooks.PreToolUse is shared entry by entry: an approving hook there is kept, so render is refused naming it", async () => {
    const home = tempDir("pw-home-");
    const allow = hookScript(home, "allow");
    writeFiles(home, { ".claude/settings.json": claudeHooks("PreToolUse", allow) });
    // check and render both refuse, naming the user's hook: perimeter keeps it and will not vouch for it.
    const check = await runCli(["check", "--home", home, "--project", project()]);
    expect(check.code).toBe(3);
    expect(check.stderr).toContain("hooks.PreToolUse");
    await refused(["render"], home, `${join(home, ".claude/settings.json")}: hooks.PreToolUse runs "${allow}"`);
    expect(readFileSync(join(home, ".claude/settings.json"), "utf8")).toContain(allow);
    // Control: the user's own hook that denies stays beside perimeter's guard entry.
    const deny = hookScript(home, "deny");
    writeFileSync(join(home, ".claude/settings.json"), claudeHooks("PreToolUse", deny));
    await renders(home);
    const written = readFileSync(join(home, ".claude/settings.json"), "utf8");
    expect(written).toContain(deny);
    expect(written).toContain("perimeter.cjs' hook claude");
  });

  it("an inline command and a ~/ path are read too; a user PermissionRequest hook's behavior allow is refused", async () => {
    const home = tempDir("pw-home-");
    const dir = project();
    writeFiles(dir, { ".claude/settings.local.json": claudeHooks("PreToolUse", `echo '{"hookSpecificOutput":{"permissionDecision":"allow"}}'`) });
    const inline = await runCli(["render", "--home", home, "--project", dir]);
    expect(inline.code).toBe(3);
    expect(inline.stderr).toContain("hooks.PreToolUse");
    mkdirSync(join(home, "bin"));
    writeFileSync(join(home, "bin", "ok.py"), 'print(\'{"hookSpecificOutput": {"decision": {"behavior": "allow"}}}\')\n');
    writeFiles(home, { ".claude/settings.json": claudeHooks("PermissionRequest", "python3 ~/bin/ok.py") });
    await refused(["render"], home, `${join(home, ".claude/settings.json")}: hooks.PermissionRequest`);
    // Control: the same hook on an event that cannot approve (PostToolUse).
    writeFileSync(join(home, ".claude/settings.json"), claudeHooks("PostToolUse", "python3 ~/bin/ok.py"));
    await renders(home);
  });

  it("a Codex [[hooks.PermissionRequest]] in the user config and a Gemini BeforeTool hook in the project that approve are refused", async () => {
    const home = tempDir("pw-home-");
    const allow = hookScript(home, "allow");
    writeFiles(home, { ".codex/config.toml": `[[hooks.PermissionRequest]]\nmatcher = ".*"\n[[hooks.PermissionRequest.hooks]]\ntype = "command"\ncommand = "${allow}"\n` });
    await refused(["render"], home, `${join(home, ".codex/config.toml")}: hooks.PermissionRequest`);
    const gemini = tempDir("pw-home-");
    const dir = project();
    const beforeTool = (answer: string) => JSON.stringify({ hooks: { BeforeTool: [{ matcher: "run_shell_command", hooks: [{ type: "command", command: `echo '{"decision":"${answer}"}'` }] }] } });
    writeFiles(dir, { ".gemini/settings.json": beforeTool("allow") });
    const r = await runCli(["render", "--home", gemini, "--project", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${join(dir, ".gemini/settings.json")}: hooks.BeforeTool`);
    writeFiles(dir, { ".gemini/settings.json": beforeTool("deny") });
    expect((await runCli(["render", "--home", gemini, "--project", dir])).code).toBe(0);
  });

  it("perimeter's own guard hook, which renders into every tool's settings, is not taken for an approving one", async () => {
    const home = tempDir("pw-home-");
    await renders(home);
    const check = await runCli(["check", "--home", home, "--project", project()]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(readFileSync(join(home, ".gemini/settings.json"), "utf8")).toContain(" hook gemini ");
  });

  it("a project hook named through $CLAUDE_PROJECT_DIR is read from the project", async () => {
    const home = tempDir("pw-home-");
    const dir = project();
    mkdirSync(join(dir, ".claude", "hooks"), { recursive: true });
    writeFileSync(join(dir, ".claude", "hooks", "ok.sh"), `echo '{"hookSpecificOutput":{"permissionDecision":"allow"}}'\n`);
    writeFiles(dir, { ".claude/settings.json": claudeHooks("PreToolUse", '"$CLAUDE_PROJECT_DIR"/.claude/hooks/ok.sh') });
    const r = await runCli(["render", "--home", home, "--project", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${join(dir, ".claude/settings.json")}: hooks.PreToolUse`);
    // Control: the same hook script answering deny.
    writeFileSync(join(dir, ".claude", "hooks", "ok.sh"), `echo '{"hookSpecificOutput":{"permissionDecision":"deny"}}'\n`);
    expect((await runCli(["render", "--home", home, "--project", dir])).code).toBe(0);
  });

});

describe("other files the tools read", () => {
  it("defaultMode bypassPermissions in the project's .claude/settings.local.json: refused; acceptEdits there renders", async () => {
    const home = tempDir("pw-home-");
    const dir = project();
    writeFiles(dir, { ".claude/settings.local.json": JSON.stringify({ permissions: { defaultMode: "bypassPermissions" } }) });
    const r = await runCli(["render", "--home", home, "--project", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${join(dir, ".claude/settings.local.json")}: permissions.defaultMode = "bypassPermissions"`);
    expect(listFiles(home)).toEqual([]);
    writeFiles(dir, { ".claude/settings.local.json": JSON.stringify({ permissions: { defaultMode: "acceptEdits" } }) });
    expect((await runCli(["render", "--home", home, "--project", dir])).code).toBe(0);
  });

  it("the project's .gemini/settings.json turning disableYoloMode off outranks the user's: refused; true there renders", async () => {
    const home = tempDir("pw-home-");
    const dir = project();
    writeFiles(dir, { ".gemini/settings.json": JSON.stringify({ security: { disableYoloMode: false } }) });
    const r = await runCli(["render", "--home", home, "--project", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${join(dir, ".gemini/settings.json")}: security.disableYoloMode = false outranks the user's settings`);
    writeFiles(dir, { ".gemini/settings.json": JSON.stringify({ security: { disableYoloMode: true } }) });
    expect((await runCli(["render", "--home", home, "--project", dir])).code).toBe(0);
  });

  describe("settings that switch the guard hook off", () => {
    it.each([
      ["Claude's project settings: disableAllHooks", ".claude/settings.json", { disableAllHooks: true }, { disableAllHooks: false }, "disableAllHooks = true switches off every hook"],
      ["Claude's local settings: disableAllHooks", ".claude/settings.local.json", { disableAllHooks: true }, {}, "disableAllHooks = true switches off every hook"],
      ["Gemini's project settings: the hook's name in hooksConfig.disabled (a union over every layer)", ".gemini/settings.json", { hooksConfig: { disabled: ["perimeter-guard"] } }, { hooksConfig: { disabled: ["other"] } }, 'hooksConfig.disabled lists "perimeter-guard"'],
      ["Gemini's project settings: hooksConfig.enabled false outranks the user's", ".gemini/settings.json", { hooksConfig: { enabled: false } }, { hooksConfig: { enabled: true } }, "hooksConfig.enabled = false outranks the user's settings"],
      ["Codex's project config: features.hooks false", ".codex/config.toml", "[features]\nhooks = false\n", "[features]\nhooks = true\n", "features.hooks = false switches Codex's hooks off"],
    ])("%s: refused; the control renders", async (_c, file, off, on, finding) => {
      const home = tempDir("pw-home-");
      const dir = project();
      const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
      writeFiles(dir, { [file]: text(off) });
      const r = await runCli(["render", "--home", home, "--project", dir]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(`${join(dir, file)}: ${finding}`);
      expect(listFiles(home)).toEqual([]);
      writeFiles(dir, { [file]: text(on) });
      expect((await runCli(["render", "--home", home, "--project", dir])).code).toBe(0);
    });

    it("in the user's own settings too: check reports it, render refuses", async () => {
      const home = tempDir("pw-home-");
      await renders(home);
      const settings = join(home, ".gemini/settings.json");
      const value = JSON.parse(readFileSync(settings, "utf8")) as { hooksConfig: Record<string, unknown> };
      writeFileSync(settings, JSON.stringify({ ...value, hooksConfig: { ...value.hooksConfig, disabled: ["perimeter-guard"] } }));
      await refused(["check"], home, 'hooksConfig.disabled lists "perimeter-guard"');
      const claude = join(home, ".claude/settings.json");
      writeFileSync(settings, JSON.stringify(value));
      writeFileSync(claude, JSON.stringify({ ...(JSON.parse(readFileSync(claude, "utf8")) as object), disableAllHooks: true }));
      await refused(["render"], home, "disableAllHooks = true");
    });
  });

  it("a user Gemini policy file beside perimeter's that allows every shell command is refused", async () => {
    const home = tempDir("pw-home-");
    writeFiles(home, { ".gemini/policies/mine.toml": '[[rule]]\ntoolName = "run_shell_command"\ndecision = "allow"\ncommandRegex = ".*"\npriority = 999\n' });
    await refused(["render"], home, `${join(home, ".gemini/policies/mine.toml")}: an allow rule for run_shell_command`);
    writeFiles(home, { ".gemini/policies/mine.toml": '[[rule]]\ntoolName = "run_shell_command"\ndecision = "allow"\ncommandPrefix = "ls"\npriority = 999\n' });
    await renders(home);
  });

  it("managed and system files under the system root: Claude managed-settings.d, Codex /etc/codex, Gemini admin policies", () => {
    const root = tempDir("pw-root-");
    writeFiles(root, {
      "etc/claude-code/managed-settings.d/10-team.json": JSON.stringify({ permissions: { defaultMode: "auto" } }),
      "etc/codex/config.toml": 'sandbox_mode = "danger-full-access"\n',
      "etc/gemini-cli/policies/admin.toml": '[[rule]]\ntoolName = "*"\ndecision = "allow"\npriority = 1\n',
    });
    const home = tempDir("pw-home-");
    const rendering = renderProfile(loadProfile("interactive"), TOOLS, "host");
    const findings = hostFindings(planHost(rendering, home, { env: {}, systemRoot: root }), TOOLS);
    expect(findings).toEqual([
      `${join(root, "etc/claude-code/managed-settings.d/10-team.json")}: permissions.defaultMode = "auto" runs tools without asking`,
      `${join(root, "etc/codex/config.toml")}: sandbox_mode = "danger-full-access" turns Codex's sandbox off`,
      `${join(root, "etc/gemini-cli/policies/admin.toml")}: an allow rule for * that matches any command allows every shell command`,
    ]);
    // Control: the same home with an empty system root has nothing to report.
    expect(hostFindings(planHost(rendering, home, { env: {}, systemRoot: tempDir("pw-root-") }), TOOLS)).toEqual([]);
    expect(readFileSync(join(root, "etc/codex/config.toml"), "utf8")).toContain("danger");
  });
});
