import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProfileError } from "../../src/errors.js";
import { builtinProfilesDir, packageRoot } from "../../src/profile/builtin.js";
import { listProfiles, loadProfile, loadTripwires, type ProfileSource } from "../../src/profile/load.js";
import { tempDir, writeFiles } from "./helpers.js";

const BUILTIN_TRIPWIRES = join(builtinProfilesDir(), "tripwires.toml");

/** 1-based line of the first line of `file` that contains `needle`. */
function lineOf(file: string, needle: string): number {
  const index = readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`"${needle}" not in ${file}`);
  return index + 1;
}

/** A profiles folder with these files, and the source that points at it. */
function profilesDir(files: Record<string, string>): { dir: string; source: ProfileSource } {
  const dir = tempDir("perimeter-profiles-");
  writeFiles(dir, files);
  return { dir, source: { profilesDir: dir } };
}

function loadError(fn: () => unknown): ProfileError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileError);
    return error as ProfileError;
  }
  throw new Error("expected a ProfileError, but nothing was thrown");
}

/** The error names the file, the line and the key path, in its fields and in its message. */
function expectLocated(error: ProfileError, file: string, line: number, key: string | undefined): void {
  expect(error.at.file).toBe(file);
  expect(error.at.line).toBe(line);
  expect(error.at.key).toBe(key);
  expect(error.message).toContain(`${file}:${line}`);
  if (key !== undefined) expect(error.message).toContain(key);
  expect(error.exitCode).toBe(2);
}

const BASE = 'description = "test profile"\n';

describe("built-in profiles", () => {
  it("lists autonomous, ci and interactive (tripwires.toml is not a profile)", () => {
    const names = listProfiles();
    expect(names).toEqual(expect.arrayContaining(["autonomous", "ci", "interactive"]));
    expect(names).not.toContain("tripwires");
  });

  it("every built-in profile loads, with a full posture and the built-in tripwires", () => {
    const tripwireIds = loadTripwires().map((t) => t.id);
    expect(tripwireIds.length).toBeGreaterThan(5);
    for (const name of listProfiles()) {
      const profile = loadProfile(name);
      expect(profile.name).toBe(name);
      expect(profile.description.length).toBeGreaterThan(0);
      expect(["ask", "never"]).toContain(profile.posture.prompts);
      expect(["auto", "ask"]).toContain(profile.posture.edits);
      expect(["text", "json"]).toContain(profile.posture.output);
      expect(profile.tripwires.map((t) => t.id)).toEqual(tripwireIds);
    }
  });

  it("`ci` extends `autonomous`: never prompts, and switches output to json", () => {
    const ci = loadProfile("ci");
    const autonomous = loadProfile("autonomous");
    expect(ci.files).toHaveLength(2);
    expect(ci.files[0]).toMatch(/ci\.toml$/);
    expect(ci.files[1]).toMatch(/autonomous\.toml$/);
    expect(ci.posture).toEqual({ ...autonomous.posture, output: "json" });
    expect(ci.posture.prompts).toBe("never");
    expect(autonomous.posture.output).toBe("text");
  });

  it("`interactive` prompts and carries allow and ask rules, each with its origin", () => {
    const profile = loadProfile("interactive");
    expect(profile.posture.prompts).toBe("ask");
    expect(profile.allow.length).toBeGreaterThan(10);
    expect(profile.ask.length).toBeGreaterThan(0);
    const rule = profile.allow.find((r) => r.pattern.text === "git status")!;
    expect(rule).toBeDefined();
    const file = join(builtinProfilesDir(), "interactive.toml");
    expect(rule.origin.line).toBe(lineOf(file, '"git status"'));
    expect(rule.origin.key).toMatch(/^commands\.allow\[\d+\]$/);
  });
});

describe("bad profile input: every error names the file, the line and the key path", () => {
  it("TOML syntax error: the line comes from the parser", () => {
    const { dir, source } = profilesDir({ "x.toml": `${BASE}\n[posture]\nprompts = = "ask"\n` });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toMatch(/TOML syntax error/);
    expectLocated(error, join(dir, "x.toml"), 4, undefined);
  });

  it('unknown key: `[posture] promtps = "ask"` names posture.promtps and its line', () => {
    const { dir, source } = profilesDir({ "x.toml": `${BASE}\n[posture]\nprompts = "ask"\npromtps = "ask"\n` });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toMatch(/unknown key promtps/);
    expectLocated(error, join(dir, "x.toml"), 5, "posture.promtps");
  });

  it('wrong type: `allow = "git status"` names commands.allow and its line', () => {
    const text = `${BASE}[posture]\nprompts = "ask"\nedits = "auto"\noutput = "text"\n\n[commands]\nallow = "git status"\n`;
    const { dir, source } = profilesDir({ "x.toml": text });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toMatch(/expected array/);
    expectLocated(error, join(dir, "x.toml"), 8, "commands.allow");
  });

  it("an invalid command pattern names its array element and line", () => {
    const text = `${BASE}extends = "interactive"\n[commands]\ndeny = [\n  "ok cmd",\n  "rm -rf /; echo",\n]\n`;
    const { dir, source } = profilesDir({ "x.toml": text });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toMatch(/shell syntax/);
    expectLocated(error, join(dir, "x.toml"), 6, "commands.deny[1]");
  });

  it('an error in an array element after one containing "#" still names that element\'s line', () => {
    const text = `${BASE}extends = "interactive"\n[commands]\ndeny = [\n  "issue#1",\n  "bad;cmd",\n]\n`;
    const { dir, source } = profilesDir({ "x.toml": text });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toMatch(/shell syntax/);
    expectLocated(error, join(dir, "x.toml"), 6, "commands.deny[1]");
  });

  it("unknown extends names the `extends` line", () => {
    const { dir, source } = profilesDir({ "x.toml": `${BASE}\n\nextends = "no-such-profile"\n` });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toMatch(/unknown profile "no-such-profile"/);
    expectLocated(error, join(dir, "x.toml"), 4, "extends");
  });

  it("cyclic extends (a -> b -> a) is an error at the `extends` that closes the cycle", () => {
    const { dir, source } = profilesDir({
      "a.toml": `description = "a"\nextends = "b"\n`,
      "b.toml": `description = "b"\n\nextends = "a"\n`,
    });
    const error = loadError(() => loadProfile("a", source));
    expect(error.problem).toMatch(/cycle/);
    expect(error.problem).toContain("a.toml -> ");
    expectLocated(error, join(dir, "b.toml"), 3, "extends");
  });

  it("cyclic extends is detected when the profiles folder is given relative to the working directory", () => {
    // The usual invocation: `perimeter show --profiles-dir ./profiles` from the project folder.
    // Run in a child process with a timeout: a missed cycle never returns. The built CLI (npm test
    // builds it first), not tsx on the sources: compiling those took over 5 s on a loaded 2-core CI.
    const cwd = tempDir("perimeter-cwd-");
    writeFiles(cwd, {
      "profiles/a.toml": `description = "a"\nextends = "b"\n`,
      "profiles/b.toml": `description = "b"\nextends = "a"\n`,
      "profiles/c.toml": `description = "c"\nextends = "autonomous"\n`,
    });
    const bin = join(packageRoot(), "dist", "perimeter.cjs");
    const show = (name: string) =>
      spawnSync(process.execPath, [bin, "show", "--profile", name, "--profiles-dir", "./profiles"], {
        cwd,
        encoding: "utf8",
        timeout: 20_000,
        killSignal: "SIGKILL",
        env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=256" },
      });
    // Control: the same harness with a profile that has no cycle returns at once.
    const control = show("c");
    expect(control.status, control.stderr).toBe(0);
    expect(control.stdout).toContain("profile c:");
    const result = show("a");
    expect(result.signal, "perimeter did not return: the extends cycle was not detected").toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cycle/);
  }, 60_000);

  it("a command both allowed and denied by a tripwire is an error at the allow entry, naming the tripwire's line", () => {
    const text = `${BASE}extends = "interactive"\n\n[commands]\nallow = [\n  "ls",\n  "npm publish",\n]\n`;
    const { dir, source } = profilesDir({ "x.toml": text });
    const error = loadError(() => loadProfile("x", source));
    expectLocated(error, join(dir, "x.toml"), 7, "commands.allow[1]");
    expect(error.problem).toContain('"npm publish" is both allowed here and denied');
    expect(error.problem).toContain(`tripwires.toml:${lineOf(BUILTIN_TRIPWIRES, '"npm publish",')}`);
    expect(error.problem).toMatch(/tripwire\[\d+\]\.commands\[\d+\]/);
  });

  it("a command both allowed and denied within one profile is an error", () => {
    const text = `${BASE}extends = "interactive"\n[commands]\nallow = ["foo bar"]\ndeny = [\n  "foo bar",\n]\n`;
    const { dir, source } = profilesDir({ "x.toml": text });
    const error = loadError(() => loadProfile("x", source));
    expectLocated(error, join(dir, "x.toml"), 4, "commands.allow[0]");
    expect(error.problem).toContain(`denied at ${join(dir, "x.toml")}:6 commands.deny[0]`);
  });

  it("a command the parent denies cannot be allowed by a child profile", () => {
    const { dir, source } = profilesDir({
      "parent.toml": `description = "p"\n[posture]\nprompts = "ask"\nedits = "auto"\noutput = "text"\n[commands]\ndeny = ["foo"]\n`,
      "child.toml": `description = "c"\nextends = "parent"\n[commands]\nallow = ["foo"]\n`,
    });
    const error = loadError(() => loadProfile("child", source));
    expectLocated(error, join(dir, "child.toml"), 4, "commands.allow[0]");
  });

  it("a command both asked and allowed is an error", () => {
    const text = `${BASE}extends = "interactive"\n[commands]\nask = ["foo bar"]\nallow = ["foo bar"]\n`;
    const { dir, source } = profilesDir({ "x.toml": text });
    const error = loadError(() => loadProfile("x", source));
    expectLocated(error, join(dir, "x.toml"), 5, "commands.allow[0]");
    expect(error.problem).toMatch(/both allowed here and asked/);
  });

  it("an unset posture (no profile in the chain sets it) is an error", () => {
    const { source } = profilesDir({ "x.toml": `${BASE}[posture]\nprompts = "ask"\n` });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toMatch(/posture\.edits is not set/);
  });
});

describe("tripwires", () => {
  const PROFILE = { "x.toml": `${BASE}extends = "interactive"\n` };

  it("an empty tripwire (`commands = []`) is an error at its commands", () => {
    const { dir, source } = profilesDir({
      ...PROFILE,
      "tripwires.toml": `[[tripwire]]\nid = "empty"\nreason = "r"\ncommands = []\nblocks = ["a"]\n`,
    });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toMatch(/at least one command pattern/);
    expectLocated(error, join(dir, "tripwires.toml"), 4, "tripwire[0].commands");
  });

  it("a `blocks` example its commands do not match is an error at that example", () => {
    const { dir, source } = profilesDir({
      ...PROFILE,
      "tripwires.toml": `[[tripwire]]\nid = "t"\nreason = "r"\ncommands = ["foo bar"]\nblocks = [\n  "foo bar x",\n  "foo baz",\n]\n`,
    });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toContain('"foo baz" is not stopped by this tripwire');
    expectLocated(error, join(dir, "tripwires.toml"), 7, "tripwire[0].blocks[1]");
  });

  it("an `allows` example its commands do match is an error at that example", () => {
    const { dir, source } = profilesDir({
      ...PROFILE,
      "tripwires.toml": `[[tripwire]]\nid = "t"\nreason = "r"\ncommands = ["foo bar"]\nblocks = ["foo bar"]\nallows = ["foo", "foo bar --x"]\n`,
    });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toContain('"foo bar --x" is listed as allowed but the guard denies it');
    expectLocated(error, join(dir, "tripwires.toml"), 6, "tripwire[0].allows[1]");
  });

  it("a command line the guard does not stop is an error at that example; one it stops is fine", () => {
    const { source: fine } = profilesDir({
      ...PROFILE,
      "tripwires.toml": `[[tripwire]]\nid = "t"\nreason = "r"\ncommands = ["foo"]\nblocks = ["bar && sh -c 'env foo'"]\n`,
    });
    expect(loadProfile("x", fine).tripwires.find((t) => t.id === "t")!.blocks[0]!.argv).toBeUndefined();
    const { dir, source } = profilesDir({
      ...PROFILE,
      "tripwires.toml": `[[tripwire]]\nid = "t"\nreason = "r"\ncommands = ["foo"]\nblocks = ["bar && baz"]\n`,
    });
    const error = loadError(() => loadProfile("x", source));
    expectLocated(error, join(dir, "tripwires.toml"), 5, "tripwire[0].blocks[0]");
  });

  it("a duplicate tripwire id between the built-in file and a profiles folder's tripwires.toml is an error", () => {
    const { dir, source } = profilesDir({
      ...PROFILE,
      "tripwires.toml": `[[tripwire]]\nid = "own"\nreason = "r"\ncommands = ["foo"]\nblocks = ["foo"]\n\n[[tripwire]]\nid = "gh-secret"\nreason = "r"\ncommands = ["foo bar"]\nblocks = ["foo bar"]\n`,
    });
    const error = loadError(() => loadProfile("x", source));
    expect(error.problem).toContain('tripwire id "gh-secret" is already used at');
    expect(error.problem).toContain(`tripwires.toml:${lineOf(BUILTIN_TRIPWIRES, 'id = "gh-secret"')}`);
    expectLocated(error, join(dir, "tripwires.toml"), 8, "tripwire[1].id");
  });

  it("a profiles folder can add a tripwire, and it comes after every built-in one", () => {
    const builtin = loadTripwires().map((t) => t.id);
    const { source } = profilesDir({
      ...PROFILE,
      "tripwires.toml": `[[tripwire]]\nid = "kubectl-delete-ns"\nreason = "r"\ncommands = ["kubectl delete namespace"]\nblocks = ["kubectl delete namespace prod"]\nallows = ["kubectl delete pod x"]\n`,
    });
    const profile = loadProfile("x", source);
    expect(profile.tripwires.map((t) => t.id)).toEqual([...builtin, "kubectl-delete-ns"]);
    // and the added tripwire also applies to a built-in profile loaded through the same folder
    expect(loadProfile("autonomous", source).tripwires.map((t) => t.id)).toContain("kubectl-delete-ns");
  });

  it("a profiles folder cannot remove the built-in tripwires (an empty tripwires.toml removes nothing)", () => {
    const builtin = loadTripwires().map((t) => t.id);
    const { source } = profilesDir({ ...PROFILE, "tripwires.toml": `tripwire = []\n` });
    expect(loadProfile("x", source).tripwires.map((t) => t.id)).toEqual(builtin);
    expect(loadProfile("autonomous", source).tripwires.map((t) => t.id)).toEqual(builtin);
  });

  it("a profile of the folder shadows the built-in one of the same name", () => {
    const { source } = profilesDir({ "interactive.toml": `description = "mine"\nextends = "autonomous"\n` });
    const profile = loadProfile("interactive", source);
    expect(profile.description).toBe("mine");
    expect(profile.posture.prompts).toBe("never");
  });
});
