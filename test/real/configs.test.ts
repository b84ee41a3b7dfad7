// Issue 3: the real clients accept every file perimeter writes onto a host, and each check has a
// control (a deliberately broken file) that makes it fail.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listProfiles, loadProfile } from "../../src/profile/load.js";
import { isContainerOnly } from "../../src/profile/types.js";
import { claudeDoctor, claudeProblems, codexExecpolicy, codexPromptInput, geminiProblems, geminiStartup } from "./clients.js";
import { startFakeModel } from "./fake-model.js";
import { runAgent } from "./agents.js";
import { renderHome, tempDir } from "./harness.js";

const hostProfiles = listProfiles().map((name) => loadProfile(name)).filter((p) => !isContainerOnly(p));

function editJson(file: string, edit: (value: Record<string, any>) => void): void {
  const value = JSON.parse(readFileSync(file, "utf8"));
  edit(value);
  writeFileSync(file, JSON.stringify(value, null, 2));
}

it("there is at least one host profile to check", () => {
  expect(hostProfiles.map((p) => p.name)).toContain("interactive");
});

describe.each(hostProfiles.map((p) => [p.name, p] as const))("host profile %s", (_name, profile) => {
  it("Claude Code: doctor reports no invalid settings and no rules that may not work as written", async () => {
    const home = renderHome(profile);
    const { output } = await claudeDoctor(home, join(home, ".claude/settings.json"));
    expect(output).toContain("Claude Code doctor");
    expect(claudeProblems(output), output).toBe(false);
  });

  it("Claude Code control: doctor does report a broken value and a rule written wrongly", async () => {
    const home = renderHome(profile);
    const file = join(home, ".claude/settings.json");
    editJson(file, (s) => {
      s.permissions.defaultMode = "bogus";
    });
    expect((await claudeDoctor(home, file)).output).toMatch(/Invalid settings/);
    const home2 = renderHome(profile);
    const file2 = join(home2, ".claude/settings.json");
    editJson(file2, (s) => s.permissions.deny.push("Bash(git push * :*)"));
    expect((await claudeDoctor(home2, file2)).output).toMatch(/may not work as written/);
  });

  it("Codex CLI: the config loads and shows the sandbox and approval policy the profile asks for", async () => {
    const home = renderHome(profile);
    const { exitCode, output } = await codexPromptInput(home);
    expect(exitCode, output.slice(-2000)).toBe(0);
    const sandbox = profile.posture.edits === "auto" ? "workspace-write" : "read-only";
    expect(output).toContain(`\`sandbox_mode\` is \`${sandbox}\``);
    // on-request: the model is told how to ask for escalation; under "never" it is told it cannot.
    expect(output).toContain("Escalation Requests");
    expect(output).not.toContain("Approval policy is currently never");
  });

  it("Codex CLI control: a bad value fails with its file and line", async () => {
    const home = renderHome(profile);
    const file = join(home, ".codex/config.toml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/approval_policy = "[^"]+"/, 'approval_policy = "onrequest"'));
    const { exitCode, output } = await codexPromptInput(home);
    expect(exitCode).toBe(1);
    expect(output).toContain("config.toml:");
  });

  it("Codex CLI: --strict-config finds no unknown key (and finds one in the control)", async () => {
    const model = await startFakeModel({ command: "true" });
    try {
      const home = renderHome(profile);
      const ok = await runAgent("codex", { home, cwd: home, model, mode: "host", extraArgs: ["--strict-config"] });
      expect(ok.exitCode, ok.stderr.slice(-1500)).toBe(0);
      const file = join(home, ".codex/config.toml");
      writeFileSync(file, `perimeter_bogus_key = 1\n${readFileSync(file, "utf8")}`);
      const bad = await runAgent("codex", { home, cwd: home, model, mode: "host", extraArgs: ["--strict-config"] });
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/unknown configuration field/);
    } finally {
      await model.close();
    }
  });

  it("Codex CLI: the rules file loads, its match/not_match examples checked by Codex itself (control: a broken example fails)", async () => {
    const home = renderHome(profile);
    const rules = join(home, ".codex/rules/perimeter.rules");
    const loaded = await codexExecpolicy(rules, ["true"]);
    expect(loaded.exitCode, loaded.output).toBe(0);
    // Control: an example that contradicts its rule makes Codex refuse the whole file.
    writeFileSync(rules, readFileSync(rules, "utf8").replace('match = ["gh repo delete', 'match = ["gh repo view x", "gh repo delete'));
    const broken = await codexExecpolicy(rules, ["true"]);
    expect(broken.exitCode).toBe(1);
  });

  it("Gemini CLI: start-up prints no invalid configuration and no policy file error", async () => {
    const home = renderHome(profile);
    const { output } = await geminiStartup(home);
    expect(geminiProblems(output), output.slice(-2000)).toBe(false);
  });

  it("Gemini CLI control: a broken setting and a broken policy rule are reported", async () => {
    const home = renderHome(profile);
    editJson(join(home, ".gemini/settings.json"), (s) => {
      s.general.defaultApprovalMode = "yolo";
    });
    expect((await geminiStartup(home)).output).toMatch(/Invalid configuration/);
    const home2 = renderHome(profile);
    const policy = join(home2, ".gemini/policies/perimeter.toml");
    writeFileSync(policy, readFileSync(policy, "utf8").replace("priority = 950", "priority = 5000"));
    expect((await geminiStartup(home2)).output).toMatch(/Policy file error/);
  });
});

describe("a host rendered by perimeter cannot be switched to bypass mode", () => {
  const profile = loadProfile("interactive");

  async function bypassRun(tool: "claude" | "gemini", unlock?: (home: string) => void) {
    const home = renderHome(profile);
    unlock?.(home);
    const marker = join(tempDir("marker"), "bypassed");
    const model = await startFakeModel({ command: `touch ${marker}` });
    try {
      const run = await runAgent(tool, { home, cwd: tempDir(`${tool}-cwd`), model, mode: "bypass", json: false });
      const { existsSync } = await import("node:fs");
      return { run, ran: existsSync(marker) };
    } finally {
      await model.close();
    }
  }

  it("Claude Code ignores --dangerously-skip-permissions: the command is not run", async () => {
    const { ran } = await bypassRun("claude");
    expect(ran).toBe(false);
  });

  it("Claude Code control: without disableBypassPermissionsMode the same flag runs the command", async () => {
    const { ran } = await bypassRun("claude", (home) =>
      editJson(join(home, ".claude/settings.json"), (s) => delete s.permissions.disableBypassPermissionsMode),
    );
    expect(ran).toBe(true);
  });

  it("Gemini CLI refuses --yolo (exit 52) and runs nothing", async () => {
    const { run, ran } = await bypassRun("gemini");
    expect(run.exitCode).toBe(52);
    expect(run.stderr).toMatch(/YOLO mode is disabled/);
    expect(ran).toBe(false);
  });

  it("Gemini CLI control: without security.disableYoloMode --yolo runs the command", async () => {
    const { ran } = await bypassRun("gemini", (home) => editJson(join(home, ".gemini/settings.json"), (s) => delete s.security.disableYoloMode));
    expect(ran).toBe(true);
  });
});
