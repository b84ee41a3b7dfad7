import { describe, expect, it } from "vitest";
import { formatKeyPath, locateKey } from "../../src/profile/locate.js";

const SOURCE = [
  "# a comment line", // 1
  'description = "x"', // 2
  'extends = "base"', // 3
  "", // 4
  "[posture]", // 5
  'prompts = "ask"', // 6
  'edits = "auto"   # trailing comment', // 7
  "", // 8
  "[commands]", // 9
  "allow = [", // 10
  '  "ls",   # a comment with "quotes"', // 11
  '  "git status",', // 12
  '  "git log", "git show",', // 13
  "]", // 14
  'deny = ["rm", "dd"]', // 15
  "", // 16
  "[[tripwire]]", // 17
  'id = "first"', // 18
  'commands = ["a"]', // 19
  "", // 20
  "[[tripwire]]", // 21
  'id = "second"', // 22
  "commands = [", // 23
  '  "b1",', // 24
  '  "b2",', // 25
  "]", // 26
].join("\n");

describe("locateKey", () => {
  it("finds top-level keys", () => {
    expect(locateKey(SOURCE, ["description"])).toBe(2);
    expect(locateKey(SOURCE, ["extends"])).toBe(3);
  });

  it("finds a [table] and the keys inside it", () => {
    expect(locateKey(SOURCE, ["posture"])).toBe(5);
    expect(locateKey(SOURCE, ["posture", "prompts"])).toBe(6);
    expect(locateKey(SOURCE, ["posture", "edits"])).toBe(7);
    expect(locateKey(SOURCE, ["commands", "deny"])).toBe(15);
  });

  it("falls back to the nearest enclosing key for a key that is not in the file", () => {
    expect(locateKey(SOURCE, ["posture", "promtps"])).toBe(5);
    expect(locateKey(SOURCE, ["nothing", "here"])).toBeUndefined();
  });

  it("finds [[array]] tables by index, and keys inside each", () => {
    expect(locateKey(SOURCE, ["tripwire", 0])).toBe(17);
    expect(locateKey(SOURCE, ["tripwire", 1])).toBe(21);
    expect(locateKey(SOURCE, ["tripwire", 0, "id"])).toBe(18);
    expect(locateKey(SOURCE, ["tripwire", 1, "id"])).toBe(22);
    expect(locateKey(SOURCE, ["tripwire", 1, "commands"])).toBe(23);
  });

  it("finds string array elements on separate lines (comments ignored, several per line allowed)", () => {
    expect(locateKey(SOURCE, ["commands", "allow"])).toBe(10);
    expect(locateKey(SOURCE, ["commands", "allow", 0])).toBe(11);
    expect(locateKey(SOURCE, ["commands", "allow", 1])).toBe(12);
    expect(locateKey(SOURCE, ["commands", "allow", 2])).toBe(13);
    expect(locateKey(SOURCE, ["commands", "allow", 3])).toBe(13);
    expect(locateKey(SOURCE, ["commands", "deny", 1])).toBe(15);
    expect(locateKey(SOURCE, ["tripwire", 1, "commands", 0])).toBe(24);
    expect(locateKey(SOURCE, ["tripwire", 1, "commands", 1])).toBe(25);
  });

  it("an index past the end of an array points at the array's key", () => {
    expect(locateKey(SOURCE, ["commands", "allow", 9])).toBe(10);
  });

  it('a "]" inside a string element does not end the array', () => {
    const source = ["allow = [", '  "a]b",', '  "c",', "]"].join("\n");
    expect(locateKey(source, ["allow", 1])).toBe(3);
  });

  it('a "#" inside a string element is not taken for a comment', () => {
    // Patterns may contain "#" (it is not shell syntax for the pattern parser), e.g. a --format.
    const source = ["deny = [", '  "git log --format=#%h",', '  "x y",', "]"].join("\n");
    expect(locateKey(source, ["deny", 0])).toBe(2);
    expect(locateKey(source, ["deny", 1])).toBe(3);
  });

  it("handles CRLF line endings", () => {
    const source = SOURCE.replace(/\n/g, "\r\n");
    expect(locateKey(source, ["posture", "edits"])).toBe(7);
    expect(locateKey(source, ["commands", "allow", 1])).toBe(12);
  });
});

describe("formatKeyPath", () => {
  it("writes key paths the way a TOML reader would", () => {
    expect(formatKeyPath(["tripwire", 2, "blocks", 0])).toBe("tripwire[2].blocks[0]");
    expect(formatKeyPath(["posture", "prompts"])).toBe("posture.prompts");
    expect(formatKeyPath([])).toBe("");
  });
});
