// Issue 12, "profile input": an allow or ask pattern that a tripwire matches (the guard's analyser,
// reading the pattern as a command line, would deny it) is an error naming file, line and key; so is
// a control character in a pattern. Nothing is written when `render` meets one (exit 2).
import { describe, expect, it } from "vitest";
import { ProfileError } from "../../src/errors.js";
import { loadProfile } from "../../src/profile/load.js";
import { parsePattern, type CommandPattern } from "../../src/profile/pattern.js";
import { tripwireDenies } from "../../src/profile/tripwire-overlap.js";
import { listFiles, runCli, tempDir, writeFiles } from "./helpers.js";

const BASE = 'description = "mine"\nextends = "interactive"\n';

function own(commands: string): { dir: string } {
  const dir = tempDir("pw-profiles-");
  writeFiles(dir, { "mine.toml": `${BASE}\n[commands]\n${commands}` });
  return { dir };
}

function loadError(dir: string): ProfileError {
  try {
    loadProfile("mine", { profilesDir: dir });
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileError);
    return error as ProfileError;
  }
  throw new Error("expected a ProfileError");
}

const pattern = (text: string): CommandPattern => {
  const p = parsePattern(text);
  if (typeof p === "string") throw new Error(p);
  return p;
};

describe("allow and ask patterns a tripwire matches", () => {
  it('allow = ["git push --force"]: exit 2 naming the file, the line and commands.allow[1]; nothing written', async () => {
    const { dir } = own('allow = [\n  "ls",\n  "git push --force",\n]\n');
    const error = loadError(dir);
    expect(error.at).toMatchObject({ line: 7, key: "commands.allow[1]" });
    expect(error.at.file).toContain("mine.toml");
    expect(error.message).toMatch(/"git push --force" is allowed here, but a tripwire denies it: perimeter tripwire /);
    const home = tempDir("pw-home-");
    const r = await runCli(["render", "--profile", "mine", "--profiles-dir", dir, "--home", home]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("mine.toml:7 commands.allow[1]");
    expect(listFiles(home)).toEqual([]);
  });

  it("the analyser's reading counts, not the text: a wrapped or reordered form in ask is caught too", () => {
    for (const text of ["env git push -f", "git -C repo push --force origin main"]) {
      const { dir } = own(`ask = ["${text}"]\n`);
      const error = loadError(dir);
      expect(error.at.key, text).toBe("commands.ask[0]");
      expect(error.message).toContain("is asked here, but a tripwire denies it");
    }
  });

  it('control: "git push" in ask stays valid (only some pushes are tripwires), and so do the built-in profiles', () => {
    const { dir } = own('ask = ["git push", "git push origin main"]\n');
    expect(loadProfile("mine", { profilesDir: dir }).ask.map((r) => r.pattern.text)).toEqual(expect.arrayContaining(["git push", "git push origin main"]));
    for (const name of ["interactive", "autonomous", "ci"]) expect(() => loadProfile(name)).not.toThrow();
  });

  it("tripwireDenies is the one decision: it uses the profile's tripwires as the guard does", () => {
    const { tripwires } = loadProfile("interactive");
    expect(tripwireDenies(pattern("git push --force"), tripwires)).toMatch(/^perimeter tripwire /);
    expect(tripwireDenies(pattern("git push"), tripwires)).toBeUndefined();
    expect(tripwireDenies(pattern("git push --force"), [])).toBeUndefined();
  });
});

describe("control characters in a pattern", () => {
  it.each([
    ["NUL", "\\u0000", "U+0000"],
    ["ESC", "\\u001b", "U+001B"],
    ["DEL", "\\u007f", "U+007F"],
  ])("%s in an allow pattern: exit 2 naming file, line and key", (_name, escape, code) => {
    const { dir } = own(`allow = ["ls${escape}-la"]\n`);
    const error = loadError(dir);
    expect(error.at).toMatchObject({ line: 5, key: "commands.allow[0]" });
    expect(error.message).toContain(`control character ${code}`);
  });

  it("a NUL in a deny pattern too; tab and newline still only separate words", () => {
    const { dir } = own('deny = ["rm\\u0000 -rf"]\n');
    expect(loadError(dir).at.key).toBe("commands.deny[0]");
    expect(parsePattern("gh\tsecret\nset")).toMatchObject({ text: "gh secret set" });
  });
});
