// The benchmark's pure helpers (test/bench/lib.ts). Nothing here times anything.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { builtinProfilesDir } from "../../src/profile/builtin.js";
import { loadProfile } from "../../src/profile/load.js";
import {
  countActions,
  formatLine,
  median,
  multipliedProfile,
  quantile,
  README_END,
  README_START,
  replaceBetweenMarkers,
  rulesyncPermissions,
  summarize,
  variants,
  type CaseResult,
} from "./lib.js";

const interactiveToml = readFileSync(join(builtinProfilesDir(), "interactive.toml"), "utf8");
const tripwiresToml = readFileSync(join(builtinProfilesDir(), "tripwires.toml"), "utf8");
const interactive = parse(interactiveToml) as { commands: { allow: string[]; ask: string[] } };

describe("statistics", () => {
  const oneToTen = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6];

  it("median of odd and even counts, in any order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median(oneToTen)).toBe(5.5);
    expect(median([42])).toBe(42);
  });

  it("quantiles interpolate between closest ranks", () => {
    expect(quantile(oneToTen, 0)).toBe(1);
    expect(quantile(oneToTen, 1)).toBe(10);
    expect(quantile(oneToTen, 0.1)).toBeCloseTo(1.9);
    expect(quantile(oneToTen, 0.9)).toBeCloseTo(9.1);
  });

  it("refuses no values and quantiles outside 0..1", () => {
    expect(() => median([])).toThrow();
    expect(() => quantile([1], 1.5)).toThrow();
  });

  it("summarize reports runs, median and the p10..p90 spread", () => {
    expect(summarize(oneToTen)).toEqual({ runs: 10, median: 5.5, p10: expect.closeTo(1.9), p90: expect.closeTo(9.1) });
  });
});

describe("result lines", () => {
  const s = (median: number) => ({ runs: 15, median, p10: median - 1, p90: median + 2 });
  const base: CaseResult = { id: 1, name: "render", subject: s(60), baselineName: "node -e 0", baseline: s(40), goal: { op: "<=", ratio: 1.5 } };

  it("prints median, spread, baseline, ratio, goal and verdict", () => {
    expect(formatLine(base)).toBe(
      "case 1: render: median 60.0 ms (spread 59.0–62.0 ms) vs node -e 0 median 40.0 ms -> ratio 1.50 (goal ≤ 1.5) PASS",
    );
  });

  it("MISS above the goal; a strict goal misses at equality", () => {
    expect(formatLine({ ...base, subject: s(61) })).toMatch(/ratio 1\.52 \(goal ≤ 1\.5\) MISS$/);
    expect(formatLine({ ...base, goal: { op: "<", ratio: 1.5 } })).toMatch(/\(goal < 1\.5\) MISS$/);
  });

  it("INFO without a goal, SKIP without data", () => {
    expect(formatLine({ ...base, goal: undefined })).toMatch(/\(no goal: peer comparison\) INFO$/);
    expect(formatLine({ ...base, goal: undefined, noGoal: "the floor" })).toMatch(/\(no goal: the floor\) INFO$/);
    expect(formatLine({ ...base, subject: undefined, skipped: "needs root" })).toBe("case 1: render: not measured: needs root (goal ≤ 1.5) SKIP");
  });
});

describe("README section", () => {
  const readme = `# x\n\n## Performance\n\nintro\n\n${README_START}\nold\nlines\n${README_END}\n\n## Dependencies\n`;

  it("replaces only what is between the markers, and again on the next run", () => {
    const once = replaceBetweenMarkers(readme, "new");
    expect(once).toBe(`# x\n\n## Performance\n\nintro\n\n${README_START}\nnew\n${README_END}\n\n## Dependencies\n`);
    expect(replaceBetweenMarkers(once, "newer\n")).toBe(once.replace("new\n", "newer\n"));
  });

  it("throws when a marker is missing", () => {
    expect(() => replaceBetweenMarkers("# x\n", "new")).toThrow(/markers/);
    expect(() => replaceBetweenMarkers(`${README_END}\n${README_START}\n`, "new")).toThrow(/markers/);
  });
});

describe("the 10x profile", () => {
  it("variants keep the pattern and add plain words", () => {
    expect(variants("git status", 3)).toEqual(["git status", "git status x1", "git status x2"]);
  });

  it("loads, with 10x the allow and ask entries, all distinct, and the built-in tripwires", () => {
    const dir = mkdtempSync(join(tmpdir(), "perimeter-bench-test-"));
    let big;
    try {
      writeFileSync(join(dir, "big.toml"), multipliedProfile(interactiveToml, 10, "big"));
      big = loadProfile("big", { profilesDir: dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const normal = loadProfile("interactive");
    expect(big.allow).toHaveLength(10 * interactive.commands.allow.length);
    expect(big.ask).toHaveLength(10 * interactive.commands.ask.length);
    expect(new Set(big.allow.map((r) => r.pattern.text)).size).toBe(big.allow.length);
    expect(big.posture).toEqual(normal.posture);
    expect(big.tripwires.map((t) => t.id)).toEqual(normal.tripwires.map((t) => t.id));
  });

  it("refuses a profile that extends another", () => {
    expect(() => multipliedProfile('extends = "interactive"\n', 10, "x")).toThrow(/extends/);
  });
});

describe("rulesync's permissions file", () => {
  it("has each allow, ask and tripwire pattern as `P` and `P *`", () => {
    const permissions = rulesyncPermissions(interactiveToml, tripwiresToml);
    const bash = permissions.permission.bash;
    const tripwireCommands = new Set(
      (parse(tripwiresToml) as { tripwire: { commands: string[] }[] }).tripwire.flatMap((t) => t.commands.map((c) => c.replace(/( \*)+$/, ""))),
    );
    expect(countActions(permissions)).toEqual({
      allow: 2 * interactive.commands.allow.length,
      ask: 2 * interactive.commands.ask.length,
      deny: 2 * tripwireCommands.size,
    });
    expect(bash["git status"]).toBe("allow");
    expect(bash["git status *"]).toBe("allow");
    expect(bash["git push"]).toBe("ask");
    expect(bash["git push * --force"]).toBe("deny");
    expect(bash["git push * --force *"]).toBe("deny");
  });

  it("refuses a pattern that is both allowed and denied", () => {
    expect(() => rulesyncPermissions('[commands]\nallow = ["gh secret"]\n', '[[tripwire]]\ncommands = ["gh secret"]\n')).toThrow(/both allow and deny/);
  });
});
