// Issue 10, "honest counts": .ci/run's closing "N passed, N failed" line (test/ci/count.mjs) counts a
// crashed file, a failing beforeAll and an unhandled error as failures, from real vitest reports of the
// fixture suite in test/ci/fixtures/, and a non-zero exit never prints "0 failed".
import { execa } from "execa";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/profile/builtin.js";
// @ts-expect-error: a plain .mjs script without types (.ci/run calls it with node)
import { countResults } from "../ci/count.mjs";

const ROOT = packageRoot();
const scratch = mkdtempSync(join(tmpdir(), "perimeter-ci-count-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the fixture suite (or one file of it) the way .ci/run runs the real one, then count.mjs. */
async function runFixtures(name: string, pattern = "*.fixture.ts") {
  const report = join(scratch, `${name}.json`);
  const unhandled = join(scratch, `${name}-unhandled.json`);
  const vitest = await execa(
    process.execPath,
    [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--root", join(ROOT, "test/ci/fixtures"),
      "--reporter=json", `--reporter=${join(ROOT, "test/ci/unhandled-reporter.mjs")}`, `--outputFile.json=${report}`],
    { env: { PERIMETER_FIXTURE: pattern, PERIMETER_CI_UNHANDLED: unhandled }, reject: false },
  );
  const count = await execa(process.execPath, [join(ROOT, "test/ci/count.mjs"), report, unhandled, String(vitest.exitCode)]);
  return { exitCode: vitest.exitCode, lines: count.stdout.split("\n") };
}

describe("the closing line, from real vitest runs", () => {
  it("control: a suite that passes ends with 0 failed and exit 0", async () => {
    const r = await runFixtures("passes", "passes.fixture.ts");
    expect(r.exitCode).toBe(0);
    expect(r.lines).toEqual(["(1 skipped)", "2 passed, 0 failed"]);
  });

  it("counts a failed test, a crashed file, a failing beforeAll and an unhandled error", async () => {
    const r = await runFixtures("all");
    expect(r.exitCode).not.toBe(0);
    expect(r.lines.at(-1)).toBe("5 passed, 4 failed");
    const reasons = r.lines.filter((l) => l.startsWith("- ")).join("\n");
    expect(reasons).toMatch(/fails\.fixture\.ts: 1 failed/);
    expect(reasons).toMatch(/crashes\.fixture\.ts: the file failed outside any test: crashed on import/);
    expect(reasons).toMatch(/before-all\.fixture\.ts: the file failed outside any test: setup failed/);
    expect(reasons).toMatch(/unhandled error: Error: rejected late/);
  });
});

describe("countResults", () => {
  const passing = { numPassedTests: 3, numFailedTests: 0, numPendingTests: 0, testResults: [{ name: "a.test.ts", status: "passed", assertionResults: [] }] };

  it("a non-zero exit with nothing failed counts one failure", () => {
    expect(countResults(passing, { count: 0 }, 0)).toMatchObject({ passed: 3, failed: 0 });
    const r = countResults(passing, undefined, 1);
    expect(r).toMatchObject({ passed: 3, failed: 1 });
    expect(r.reasons).toEqual(["the test command exited 1 although no test failed"]);
  });

  it("no report at all is a failure", () => {
    expect(countResults(undefined, undefined, 0)).toMatchObject({ passed: 0, failed: 1 });
  });
});
