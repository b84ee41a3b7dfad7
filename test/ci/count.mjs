#!/usr/bin/env node
// The closing line of .ci/run, "N passed, N failed", counted honestly from what vitest left behind:
// its JSON report, the unhandled errors our reporter wrote down, and vitest's exit status.
//   node test/ci/count.mjs REPORT.json UNHANDLED.json EXIT_STATUS
// A test file that failed without a failed test (a crash on import, a failing beforeAll) counts as one
// failure, each unhandled error counts as one, and a non-zero exit never prints "0 failed".
import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * @param {object | undefined} report vitest's JSON report (undefined: none was written)
 * @param {{ count: number, messages?: string[] } | undefined} unhandled
 * @param {number} exitStatus vitest's (npm test's) exit status
 * @returns {{ passed: number, failed: number, skipped: number, reasons: string[] }}
 */
export function countResults(report, unhandled, exitStatus) {
  const reasons = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (report === undefined) {
    reasons.push("no vitest JSON report was written (vitest did not finish)");
    failed += 1;
  } else {
    passed = report.numPassedTests ?? 0;
    failed = report.numFailedTests ?? 0;
    skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    for (const file of report.testResults ?? []) {
      const failedTests = (file.assertionResults ?? []).filter((t) => t.status === "failed").length;
      if (file.status === "failed" && failedTests === 0) {
        failed += 1;
        reasons.push(`${file.name}: the file failed outside any test: ${firstLine(file.message) || "(no message)"}`);
      } else if (failedTests > 0) {
        reasons.push(`${file.name}: ${failedTests} failed`);
      }
    }
  }
  const errors = unhandled?.count ?? 0;
  if (errors > 0) {
    failed += errors;
    for (const m of unhandled.messages ?? []) reasons.push(`unhandled error: ${firstLine(m)}`);
  }
  if (exitStatus !== 0 && failed === 0) {
    failed = 1;
    reasons.push(`the test command exited ${exitStatus} although no test failed`);
  }
  return { passed, failed, skipped, reasons };
}

function firstLine(text) {
  return String(text ?? "").split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
}

function readJson(file) {
  if (!file || !existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [reportFile, unhandledFile, status] = process.argv.slice(2);
  const r = countResults(readJson(reportFile), readJson(unhandledFile), Number(status ?? 1));
  for (const reason of r.reasons) console.log(`- ${reason}`);
  if (r.skipped) console.log(`(${r.skipped} skipped)`);
  console.log(`${r.passed} passed, ${r.failed} failed`);
}
