import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HOST_FILES, readJson, runCli, snapshot, tempDir } from "./helpers.js";

async function renderedHome(): Promise<string> {
  const home = tempDir("perimeter-home-");
  const result = await runCli(["render", "--home", home]);
  expect(result.code).toBe(0);
  return home;
}

const check = (home: string, ...extra: string[]) => runCli(["check", "--home", home, ...extra]);

describe("perimeter check", () => {
  it("exits 0 right after render", async () => {
    const home = await renderedHome();
    const result = await check(home);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`up to date: ${HOST_FILES.length} file(s) carry profile "interactive"`);
  });

  it("exits 1 on an empty home, naming every missing file", async () => {
    const home = tempDir("perimeter-home-");
    const result = await check(home);
    expect(result.code).toBe(1);
    for (const file of HOST_FILES) expect(result.stdout).toContain(`~/${file}`);
  });

  it("exits 1 after the user removes a deny rule, naming the file and permissions.deny", async () => {
    const home = await renderedHome();
    const file = join(home, ".claude/settings.json");
    const settings = readJson(file) as { permissions: { deny: string[] } };
    expect(settings.permissions.deny).toContain("Bash(gh secret)");
    settings.permissions.deny = settings.permissions.deny.filter((r) => r !== "Bash(gh secret)");
    writeFileSync(file, JSON.stringify(settings, null, 2));
    const before = snapshot(home);
    const result = await check(home);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("drift: ~/.claude/settings.json: permissions.deny");
    expect(result.stdout).not.toContain("permissions.allow");
    expect(result.stdout).not.toContain(".codex");
    expect(result.stdout).toContain("perimeter render --profile interactive");
    // check only reports: it does not repair
    expect(snapshot(home)).toEqual(before);
  });

  it("names each drifted owned key in the other tools' shared files too", async () => {
    const home = await renderedHome();
    const codexConfig = join(home, ".codex/config.toml");
    writeFileSync(codexConfig, readFileSync(codexConfig, "utf8").replace('approval_policy = "on-request"', 'approval_policy = "never"'));
    const gemini = join(home, ".gemini/settings.json");
    const value = readJson(gemini) as { security: { disableYoloMode: boolean } };
    delete (value as { security?: unknown }).security;
    writeFileSync(gemini, JSON.stringify(value));
    const result = await check(home);
    // the codex change makes the file bypass-capable as it stands, but check compares with what render would
    // write (owned keys replaced), so it reports drift rather than refusing
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("drift: ~/.codex/config.toml: approval_policy");
    expect(result.stdout).not.toMatch(/config\.toml: [^\n]*(sandbox_mode|default_permissions|permissions\.perimeter)/);
    expect(result.stdout).toContain("drift: ~/.gemini/settings.json: security.disableYoloMode");
  });

  it("exits 1 after the codex rules file is deleted, naming it", async () => {
    const home = await renderedHome();
    rmSync(join(home, ".codex/rules/perimeter.rules"));
    const result = await check(home);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("~/.codex/rules/perimeter.rules");
    expect(result.stdout.trim().split("\n").filter((l) => l.startsWith("drift:"))).toHaveLength(1);
  });

  it("exits 1 after a whole-owned file is edited", async () => {
    const home = await renderedHome();
    const file = join(home, ".gemini/policies/perimeter.toml");
    writeFileSync(file, readFileSync(file, "utf8").replace('decision = "deny"', 'decision = "allow"'));
    const result = await check(home);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("drift: ~/.gemini/policies/perimeter.toml: (whole file)");
  });

  it("a user change to keys perimeter does not own is not drift", async () => {
    const home = await renderedHome();
    const claude = join(home, ".claude/settings.json");
    const settings = readJson(claude) as Record<string, unknown> & { permissions: Record<string, unknown> };
    settings.model = "opus";
    settings.permissions.additionalDirectories = ["/srv"];
    writeFileSync(claude, JSON.stringify(settings, null, 4));
    const gemini = join(home, ".gemini/settings.json");
    writeFileSync(gemini, JSON.stringify({ ...readJson(gemini), ui: { theme: "Dracula" } }));
    const codex = join(home, ".codex/config.toml");
    writeFileSync(codex, `model = "gpt"\n${readFileSync(codex, "utf8")}\n[mcp_servers.y]\ncommand = "y"\n`);
    const result = await check(home);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("up to date");
  });

  it("--json lists each file with its status and drifted key paths", async () => {
    const home = await renderedHome();
    const file = join(home, ".claude/settings.json");
    const settings = readJson(file) as { permissions: { defaultMode: string } };
    settings.permissions.defaultMode = "default";
    writeFileSync(file, JSON.stringify(settings));
    const result = await check(home, "--json");
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { profile: string; files: { path: string; status: string; drift: string[] }[] };
    expect(report.profile).toBe("interactive");
    expect(report.files).toHaveLength(HOST_FILES.length);
    const claude = report.files.find((f) => f.path === file)!;
    expect(claude.status).toBe("update");
    expect(claude.drift).toEqual(["permissions.defaultMode"]);
    for (const f of report.files.filter((x) => x.path !== file)) expect(f.status).toBe("unchanged");
  });
});
