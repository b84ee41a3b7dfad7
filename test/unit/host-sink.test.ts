import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../src/profile/load.js";
import { renderProfile } from "../../src/render.js";
import { planHost, writeHost } from "../../src/sink/host.js";
import { TOOLS } from "../../src/tools/index.js";
import { HOST_FILES, listFiles, pause, readJson, runCli, snapshot, tempDir, writeFiles } from "./helpers.js";

const render = (home: string, ...extra: string[]) => runCli(["render", "--home", home, ...extra]);

/** A home that already has the user's own settings in the three shared files. */
function homeWithUserSettings(): string {
  const home = tempDir("perimeter-home-");
  writeFiles(home, {
    ".claude/settings.json": `${JSON.stringify(
      {
        model: "opus",
        env: { FOO: "bar", N: "1" },
        permissions: {
          additionalDirectories: ["/srv/data"],
          allow: ["Bash(make deploy)"],
          deny: ["Bash(my-own-rule)"],
          defaultMode: "plan",
        },
      },
      null,
      2,
    )}\n`,
    ".codex/config.toml": `model = "x"\napproval_policy = "untrusted"\n\n[mcp_servers.y]\ncommand = "y-server"\nargs = ["--port", "1"]\n`,
    ".gemini/settings.json": `${JSON.stringify({ ui: { theme: "GitHub" }, general: { vimMode: true, defaultApprovalMode: "default" } }, null, 2)}\n`,
  });
  return home;
}

const backupsIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.includes(".perimeter-backup-")) : []);

describe("render into an empty home", () => {
  it("creates all 6 files and reports each as created", async () => {
    const home = tempDir("perimeter-home-");
    const result = await render(home);
    expect(result.code).toBe(0);
    expect(listFiles(home)).toEqual([...HOST_FILES].sort());
    for (const file of HOST_FILES) expect(result.stdout).toContain(`created        ~/${file}`);
  });

  it("leaves no temp files behind in any folder it wrote to", async () => {
    const home = tempDir("perimeter-home-");
    expect((await render(home)).code).toBe(0);
    // update every shared file once more, so the temp-then-rename path runs over existing files too
    writeFileSync(join(home, ".codex/config.toml"), 'approval_policy = "never"\n');
    writeFileSync(join(home, ".claude/settings.json"), "{}\n");
    expect((await render(home)).code).toBe(0);
    const stray = listFiles(home).filter((f) => /\.tmp$/.test(f) || /(^|\/)\.[^/]+\.\d+\.[0-9a-f]+\.tmp/.test(f));
    expect(stray).toEqual([]);
    const unexpected = listFiles(home).filter((f) => !(HOST_FILES as readonly string[]).includes(f) && !f.includes(".perimeter-backup-"));
    expect(unexpected).toEqual([]);
  });
});

describe("merge: owned keys replaced, user keys kept", () => {
  it("~/.claude/settings.json keeps model, env and permissions.additionalDirectories; owned permission keys are replaced", async () => {
    const home = homeWithUserSettings();
    expect((await render(home)).code).toBe(0);
    const settings = readJson(join(home, ".claude/settings.json"));
    expect(settings.model).toBe("opus");
    expect(settings.env).toEqual({ FOO: "bar", N: "1" });
    const permissions = settings.permissions as Record<string, unknown>;
    expect(permissions.additionalDirectories).toEqual(["/srv/data"]);
    expect(permissions.defaultMode).toBe("acceptEdits");
    expect(permissions.disableBypassPermissionsMode).toBe("disable");
    expect(permissions.allow).not.toContain("Bash(make deploy)");
    expect(permissions.allow).toContain("Bash(git status)");
    expect(permissions.deny).not.toContain("Bash(my-own-rule)");
    expect(permissions.deny).toContain("Bash(gh secret)");
  });

  it("~/.codex/config.toml keeps model and [mcp_servers.y]; approval_policy is replaced and sandbox_mode removed", async () => {
    const home = homeWithUserSettings();
    expect((await render(home)).code).toBe(0);
    const config = parseToml(readFileSync(join(home, ".codex/config.toml"), "utf8")) as Record<string, unknown>;
    expect(config.model).toBe("x");
    expect(config.mcp_servers).toEqual({ y: { command: "y-server", args: ["--port", "1"] } });
    // top-level keys, not swallowed by the [mcp_servers.y] table
    expect(config.approval_policy).toBe("on-request");
    // sandbox_mode would switch Codex back from perimeter's permission profile (the secrets' read denies)
    expect(config.sandbox_mode).toBeUndefined();
    expect(config.default_permissions).toBe("perimeter");
  });

  it("~/.gemini/settings.json keeps ui.theme and general.vimMode; owned keys are replaced", async () => {
    const home = homeWithUserSettings();
    expect((await render(home)).code).toBe(0);
    const settings = readJson(join(home, ".gemini/settings.json")) as {
      ui?: { theme?: string };
      general?: { vimMode?: boolean; defaultApprovalMode?: string };
      security?: { disableYoloMode?: boolean };
    };
    expect(settings.ui).toEqual({ theme: "GitHub" });
    expect(settings.general?.vimMode).toBe(true);
    expect(settings.general?.defaultApprovalMode).toBe("auto_edit");
    expect(settings.security?.disableYoloMode).toBe(true);
  });

  it("an update leaves a backup holding the exact old content, and reports it", async () => {
    const home = homeWithUserSettings();
    const before = snapshot(home);
    const result = await render(home);
    expect(result.code).toBe(0);
    for (const file of [".claude/settings.json", ".codex/config.toml", ".gemini/settings.json"]) {
      const dir = join(home, file, "..");
      const name = file.split("/").pop()!;
      const backups = backupsIn(dir).filter((b) => b.startsWith(`${name}.perimeter-backup-`));
      expect(backups, file).toHaveLength(1);
      expect(readFileSync(join(dir, backups[0]!), "latin1")).toBe(before[file]!.bytes);
      expect(result.stdout).toMatch(new RegExp(`updated +~/${file.replace(/\./g, "\\.")} \\(backup: ~/`));
    }
    // files that did not exist get no backup
    expect(backupsIn(join(home, ".codex/rules"))).toEqual([]);
    expect(backupsIn(join(home, ".gemini/policies"))).toEqual([]);
  });
});

describe("backups and tool selection", () => {
  it("backups in the tools' policy folders do not end in .toml or .rules, so no tool loads one as a policy", async () => {
    const home = tempDir("perimeter-home-");
    expect((await render(home)).code).toBe(0);
    writeFileSync(join(home, ".codex/rules/perimeter.rules"), "# old\n");
    writeFileSync(join(home, ".gemini/policies/perimeter.toml"), "# old\n");
    expect((await render(home)).code).toBe(0);
    const backups = [...backupsIn(join(home, ".codex/rules")), ...backupsIn(join(home, ".gemini/policies"))];
    expect(backups).toHaveLength(2);
    for (const b of backups) expect(b).not.toMatch(/\.(toml|rules)$/);
  });

  it("--tools claude writes only Claude's file", async () => {
    const home = tempDir("perimeter-home-");
    const result = await render(home, "--tools", "claude");
    expect(result.code).toBe(0);
    expect(listFiles(home)).toEqual([".claude/settings.json"]);
  });

  it("bad flags and unknown profiles exit 2 and write nothing", async () => {
    const home = tempDir("perimeter-home-");
    const badTool = await render(home, "--tools", "claude,vim");
    expect(badTool.code).toBe(2);
    expect(badTool.stderr).toContain("unknown tool vim");
    const badProfile = await render(home, "--profile", "nope");
    expect(badProfile.code).toBe(2);
    expect(badProfile.stderr).toContain('unknown profile "nope"');
    const badFlag = await render(home, "--no-such-flag");
    expect(badFlag.code).toBe(2);
    expect(listFiles(home)).toEqual([]);
  });
});

describe("idempotence", () => {
  it("a second render reports everything unchanged, changes no mtime and makes no backup", async () => {
    const home = homeWithUserSettings();
    expect((await render(home)).code).toBe(0);
    const first = snapshot(home);
    await pause();
    const second = await render(home);
    expect(second.code).toBe(0);
    for (const file of HOST_FILES) expect(second.stdout).toContain(`unchanged      ~/${file}`);
    expect(second.stdout).not.toMatch(/created|updated/);
    expect(snapshot(home)).toEqual(first);
  });

  it("an up-to-date file the user reformatted (4-space JSON, other key order) is left byte-identical", async () => {
    const home = homeWithUserSettings();
    expect((await render(home)).code).toBe(0);
    const file = join(home, ".claude/settings.json");
    const value = readJson(file);
    const reordered = Object.fromEntries(Object.entries(value).reverse());
    const text = `${JSON.stringify(reordered, null, 4)}\n`;
    writeFileSync(file, text);
    const gemini = join(home, ".gemini/settings.json");
    const geminiText = `${JSON.stringify(readJson(gemini), null, 4)}`;
    writeFileSync(gemini, geminiText);
    const before = snapshot(home);
    await pause();
    const result = await render(home);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("unchanged      ~/.claude/settings.json");
    expect(readFileSync(file, "utf8")).toBe(text);
    expect(readFileSync(gemini, "utf8")).toBe(geminiText);
    expect(snapshot(home)).toEqual(before);
  });
});

describe("previews write nothing", () => {
  it("--dry-run writes nothing into an empty home and says what it would do", async () => {
    const home = tempDir("perimeter-home-");
    const result = await render(home, "--dry-run");
    expect(result.code).toBe(0);
    expect(listFiles(home)).toEqual([]);
    expect(result.stdout).toContain("would create   ~/.claude/settings.json");
  });

  it("--dry-run over existing files changes no byte and no mtime", async () => {
    const home = homeWithUserSettings();
    const before = snapshot(home);
    const result = await render(home, "--dry-run");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("would update   ~/.codex/config.toml");
    expect(snapshot(home)).toEqual(before);
  });

  it("--diff writes nothing and prints a unified diff of every change", async () => {
    const home = homeWithUserSettings();
    const before = snapshot(home);
    const result = await render(home, "--diff");
    expect(result.code).toBe(0);
    expect(snapshot(home)).toEqual(before);
    // a new file: from /dev/null
    expect(result.stdout).toContain("--- /dev/null");
    expect(result.stdout).toContain("+++ ~/.codex/rules/perimeter.rules");
    // an updated file: old and new lines
    expect(result.stdout).toContain("--- ~/.codex/config.toml");
    expect(result.stdout).toContain("+++ ~/.codex/config.toml");
    expect(result.stdout).toContain('-approval_policy = "untrusted"');
    expect(result.stdout).toContain('+approval_policy = "on-request"');
    expect(result.stdout).toMatch(/^@@ -\d+(,\d+)? \+\d+(,\d+)? @@/m);
  });

  it("--diff after a render prints no diff at all", async () => {
    const home = tempDir("perimeter-home-");
    expect((await render(home)).code).toBe(0);
    const result = await render(home, "--diff");
    expect(result.stdout).not.toContain("@@");
    expect(result.stdout).not.toContain("+++");
  });
});

describe("unreadable existing files: exit 2, nothing written", () => {
  it("invalid existing JSON -> exit 2, the message names the file and the line, nothing is written", async () => {
    const home = homeWithUserSettings();
    writeFileSync(join(home, ".gemini/settings.json"), '{\n  "ui": {},\n  oops\n}\n');
    const before = snapshot(home);
    const result = await render(home);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(home, ".gemini/settings.json")}:3`);
    expect(result.stderr).toMatch(/not valid JSON/);
    expect(result.stderr).toMatch(/nothing was written/);
    expect(snapshot(home)).toEqual(before);
  });

  it("invalid existing TOML -> exit 2, the message names the file and the line, nothing is written", async () => {
    const home = homeWithUserSettings();
    writeFileSync(join(home, ".codex/config.toml"), 'model = "x"\n\n[mcp_servers.y\ncommand = "y"\n');
    const before = snapshot(home);
    const result = await render(home);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(home, ".codex/config.toml")}:3`);
    expect(result.stderr).toMatch(/not valid TOML/);
    expect(snapshot(home)).toEqual(before);
  });

  it("JSON that is not an object (an array) -> exit 2, nothing is written", async () => {
    const home = homeWithUserSettings();
    writeFileSync(join(home, ".claude/settings.json"), "[]\n");
    const before = snapshot(home);
    const result = await render(home);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(join(home, ".claude/settings.json"));
    expect(snapshot(home)).toEqual(before);
  });

  it("one invalid file among several: the others keep their bytes and mtimes, and no new file appears", async () => {
    const home = tempDir("perimeter-home-");
    expect((await render(home)).code).toBe(0);
    // make every file need an update, then break the last one planned
    writeFileSync(join(home, ".claude/settings.json"), '{"model": "m"}\n');
    writeFileSync(join(home, ".codex/config.toml"), 'model = "x"\n');
    writeFileSync(join(home, ".codex/rules/perimeter.rules"), "# stale\n");
    writeFileSync(join(home, ".gemini/policies/perimeter.toml"), "# stale\n");
    writeFileSync(join(home, ".gemini/settings.json"), "{ not json");
    const before = snapshot(home);
    await pause();
    const result = await render(home);
    expect(result.code).toBe(2);
    expect(snapshot(home)).toEqual(before);
  });

  it("an existing path that cannot be read (a folder where a file should be) writes nothing", async () => {
    const home = homeWithUserSettings();
    mkdirSync(join(home, ".gemini/policies/perimeter.toml"), { recursive: true });
    const before = snapshot(home);
    await render(home).catch(() => undefined);
    expect(snapshot(home)).toEqual(before);
  });

  it("an existing path that cannot be read -> exit 2 naming the file (not an internal error)", async () => {
    const home = homeWithUserSettings();
    const target = join(home, ".codex/config.toml");
    // replace the config file with a folder: reading it fails with EISDIR (chmod 000 would not stop root)
    rmSync(target);
    mkdirSync(target);
    const outcome = await render(home).then(
      (r) => ({ code: r.code, stderr: r.stderr }),
      (error: unknown) => ({ code: -1, stderr: `threw: ${String(error)}` }),
    );
    expect(outcome.stderr).toContain(target);
    expect(outcome.code).toBe(2);
  });
});

describe("a target that cannot be written", () => {
  it("a file where a tool's folder should be (~/.gemini is a file): exit 2 naming it, and nothing written for the other tools", async () => {
    const home = tempDir("perimeter-home-");
    writeFiles(home, { ".gemini": "not a folder\n" });
    const before = snapshot(home);
    const outcome = await render(home).then(
      (r) => ({ code: r.code, stderr: r.stderr }),
      (error: unknown) => ({ code: -1, stderr: `threw: ${String(error)}` }),
    );
    // all or nothing: Claude's and Codex's files must not be written while Gemini's cannot be
    expect(snapshot(home)).toEqual(before);
    expect(outcome.stderr).toContain(join(home, ".gemini"));
    expect(outcome.code).toBe(2);
  });
});

describe("the sink as a library", () => {
  it("planHost reads everything before writeHost writes anything; a plan for an unchanged home writes nothing", () => {
    const home = tempDir("perimeter-home-");
    const rendering = renderProfile(loadProfile("interactive"), TOOLS, "host");
    const plan = planHost(rendering, home);
    expect(plan.files.map((f) => f.status)).toEqual(HOST_FILES.map(() => "create"));
    expect(listFiles(home)).toEqual([]);
    const written = writeHost(plan);
    expect(written.map((w) => w.status)).toEqual(HOST_FILES.map(() => "create"));
    expect(written.every((w) => w.backup === undefined)).toBe(true);
    const again = planHost(rendering, home);
    expect(again.files.map((f) => f.status)).toEqual(HOST_FILES.map(() => "unchanged"));
    const mtimes = HOST_FILES.map((f) => statSync(join(home, f)).mtimeMs);
    writeHost(again);
    expect(HOST_FILES.map((f) => statSync(join(home, f)).mtimeMs)).toEqual(mtimes);
  });

  it("planHost refuses an image rendering", () => {
    const rendering = renderProfile(loadProfile("autonomous"), TOOLS, "image");
    expect(() => planHost(rendering, tempDir())).toThrow(/host rendering/);
  });

  it("a rewritten file keeps the mode of the file it replaces", async () => {
    const home = homeWithUserSettings();
    chmodSync(join(home, ".claude/settings.json"), 0o600);
    expect((await render(home)).code).toBe(0);
    expect(statSync(join(home, ".claude/settings.json")).mode & 0o777).toBe(0o600);
  });
});
