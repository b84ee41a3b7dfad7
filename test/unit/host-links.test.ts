// Issue 12: a root `render --home` into a home its user can write never follows a link the user
// planted: not at the temp-file name perimeter used to predict, not at a backup name, not as the
// settings file or its folder. A link the user made to their own file (a dotfile manager) is written
// through and kept. Run as root: the attack needs a home owned by someone else.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readJson, runCli } from "./helpers.js";

const USER = 1000;
const asRoot = process.getuid?.() === 0;

/**
 * Folders the user must reach (perimeter writes their home as them): under /tmp itself, since $TMPDIR
 * may be a root-only `mktemp -d` folder that uid 1000 cannot enter.
 */
const tempDir = (prefix: string) => mkdtempSync(join("/tmp", prefix));

/** A home owned by the user, with ~/.claude/settings.json; and a root-owned file outside it. */
function userHome(settings = "{}\n") {
  const home = tempDir("pw-home-");
  mkdirSync(join(home, ".claude"));
  writeFileSync(join(home, ".claude", "settings.json"), settings);
  for (const p of [home, join(home, ".claude"), join(home, ".claude", "settings.json")]) chownSync(p, USER, USER);
  const outside = tempDir("pw-victim-");
  const victim = join(outside, "root-owned.conf");
  writeFileSync(victim, '{"root":"own"}\n', { mode: 0o644 });
  return { home, victim, settings: join(home, ".claude", "settings.json") };
}

const render = (home: string) => runCli(["render", "--home", home, "--tools", "claude"]);

describe.runIf(asRoot)("host writes never follow a planted link (as root)", () => {
  afterEach(() => vi.useRealTimers());

  it("links planted at the old predictable temp names (.settings.json.PID.N.tmp) are never written through", async () => {
    const { home, victim, settings } = userHome();
    // The old writer used `.${name}.${process.pid}.${counter}.tmp`: every name it could pick here.
    const planted = Array.from({ length: 200 }, (_, i) => join(home, ".claude", `.settings.json.${process.pid}.${i + 1}.tmp`));
    for (const link of planted) symlinkSync(victim, link);
    const r = await render(home);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe('{"root":"own"}\n');
    expect(readJson(settings).permissions).toMatchObject({ disableBypassPermissionsMode: "disable" });
    for (const link of planted) expect(readlinkSync(link)).toBe(victim);
  });

  it("a link planted at the backup's name is not overwritten: the backup takes the next free name", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-01T10:00:00.000Z"));
    const { home, victim, settings } = userHome('{"model":"x"}\n');
    const taken = `${settings}.perimeter-backup-2026-12-01T10-00-00-000Z`;
    symlinkSync(victim, taken);
    const r = await render(home);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe('{"root":"own"}\n');
    expect(readlinkSync(taken)).toBe(victim);
    expect(readFileSync(`${taken}-2`, "utf8")).toBe('{"model":"x"}\n');
  });

  it("settings.json linked to a root-owned file: refused, exit 2 naming the link and where it leads; nothing written", async () => {
    const { home, victim, settings } = userHome();
    rmSync(settings);
    symlinkSync(victim, settings);
    const r = await render(home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(settings);
    expect(r.stderr).toContain(`it leads to ${victim}`);
    expect(r.stderr).toContain("nothing was written");
    expect(readFileSync(victim, "utf8")).toBe('{"root":"own"}\n');
    expect(lstatSync(settings).isSymbolicLink()).toBe(true);
  });

  it("~/.claude linked to a root-owned folder: refused, nothing written there", async () => {
    const { home } = userHome();
    rmSync(join(home, ".claude"), { recursive: true });
    const rootDir = tempDir("pw-rootdir-");
    symlinkSync(rootDir, join(home, ".claude"));
    const r = await render(home);
    expect(r.code).toBe(2);
    // The kernel refuses first: perimeter writes as the home's owner, who cannot write there.
    expect(r.stderr).toContain("cannot write as the home's owner (uid 1000) (EACCES)");
    expect(existsSync(join(rootDir, "settings.json"))).toBe(false);
  });

  it("~/.claude linked to a folder of the owner's own outside the home is written through; another user's is refused", async () => {
    const { home } = userHome();
    rmSync(join(home, ".claude"), { recursive: true });
    const elsewhere = tempDir("pw-dotfiles-");
    chownSync(elsewhere, USER, USER);
    symlinkSync(elsewhere, join(home, ".claude"));
    expect((await render(home)).code).toBe(0);
    expect(readJson(join(elsewhere, "settings.json")).permissions).toMatchObject({ disableBypassPermissionsMode: "disable" });
    // The same link to a folder uid 1000 may write but another user owns: refused by perimeter's own check.
    const other = tempDir("pw-other-");
    chmodSync(other, 0o777);
    chownSync(other, 1001, 1001);
    rmSync(join(home, ".claude"));
    symlinkSync(other, join(home, ".claude"));
    const r = await render(home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`leads out of the home to ${join(other, "settings.json")}, which belongs to uid 1001, not to the home's owner (uid 1000)`);
    expect(existsSync(join(other, "settings.json"))).toBe(false);
  });

  it("files root creates in a user's home belong to the user", async () => {
    const home = tempDir("pw-home-");
    chownSync(home, USER, USER);
    expect((await render(home)).code).toBe(0);
    expect(statSync(join(home, ".claude")).uid).toBe(USER);
    expect(statSync(join(home, ".claude", "settings.json")).uid).toBe(USER);
    expect(process.geteuid!()).toBe(0);
  });

  it("a dotfile manager's link to the user's own file is written through, and stays a link", async () => {
    const { home } = userHome();
    const dotfiles = join(home, "dotfiles");
    mkdirSync(dotfiles);
    const real = join(dotfiles, "claude-settings.json");
    writeFileSync(real, '{"model":"opus"}\n');
    chownSync(dotfiles, USER, USER);
    chownSync(real, USER, USER);
    const settings = join(home, ".claude", "settings.json");
    rmSync(settings);
    symlinkSync("../dotfiles/claude-settings.json", settings);
    const r = await render(home);
    expect(r.code, r.stderr).toBe(0);
    expect(readlinkSync(settings)).toBe("../dotfiles/claude-settings.json");
    const written = readJson(real);
    expect(written.model).toBe("opus");
    expect(written.permissions).toMatchObject({ disableBypassPermissionsMode: "disable" });
    expect(r.stdout).toMatch(/backup: ~\/\.claude\/settings\.json\.perimeter-backup-/);
  });

  it("a dangling link is refused clearly", async () => {
    const { home, settings } = userHome();
    rmSync(settings);
    symlinkSync(join(home, "nowhere.json"), settings);
    const r = await render(home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("symbolic link to a file that does not exist");
    expect(existsSync(join(home, "nowhere.json"))).toBe(false);
  });
});
