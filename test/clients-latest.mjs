#!/usr/bin/env node
// npm run clients:latest: installs the newest published version of every tool's client into a temporary
// folder, runs the real-client suites against them (PERIMETER_CLIENTS_DIR), and prints per tool the
// pinned and the newest version and whether its tests passed, so a pin bump is one command and one look.
// It writes only into that temporary folder: no committed file (README, pins, lockfile) is touched.
//   npm run clients:latest [-- --keep]      --keep: leave the temporary folder (its path is printed)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(join(ROOT, "image/clients/package.json"), "utf8"));
const tools = manifest.perimeter.tools; // id -> npm package
const keep = process.argv.includes("--keep");

const dir = mkdtempSync(join(tmpdir(), "perimeter-clients-latest-"));
try {
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "perimeter-clients-latest", private: true, dependencies: Object.fromEntries(Object.values(tools).map((p) => [p, "latest"])), allowScripts: manifest.allowScripts }, null, 2)}\n`,
  );
  console.log(`installing the newest clients into ${dir} ...`);
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: ["ignore", "inherit", "inherit"] });
  const latest = Object.fromEntries(
    Object.entries(tools).map(([id, pkg]) => [id, JSON.parse(readFileSync(join(dir, "node_modules", pkg, "package.json"), "utf8")).version]),
  );

  const report = join(dir, "vitest.json");
  const suites = ["test/real/", ...Object.keys(tools).map((id) => `src/tools/${id}/real.test.ts`)];
  const vitest = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", ...suites, "--reporter=dot", "--reporter=json", `--outputFile.json=${report}`],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, PERIMETER_CLIENTS_DIR: dir } },
  );
  let results = [];
  try {
    results = JSON.parse(readFileSync(report, "utf8")).testResults;
  } catch {
    // no report: every tool counts as failed below
  }

  const titles = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "-e", `import("./src/tools/index.ts").then(m => console.log(JSON.stringify(Object.fromEntries(m.TOOLS.map(t => [t.id, t.title])))))`], { cwd: ROOT, encoding: "utf8" }));
  /** Which tool a test belongs to: its folder, or its name (the generic suites name the tool). */
  const toolOf = (file, name) =>
    Object.keys(tools).find((id) => file.includes(`/src/tools/${id}/`)) ??
    Object.keys(tools).find((id) => name.includes(titles[id]) || new RegExp(`(^|[^\\w-])${id}([^\\w-]|$)`).test(name));
  const tally = Object.fromEntries(Object.keys(tools).map((id) => [id, { passed: 0, failed: 0 }]));
  const generic = { passed: 0, failed: 0 };
  for (const file of results) {
    if (file.status === "failed" && !file.assertionResults.some((a) => a.status === "failed")) generic.failed++;
    for (const a of file.assertionResults) {
      const bucket = tally[toolOf(file.name, a.fullName)] ?? generic;
      if (a.status === "passed") bucket.passed++;
      else if (a.status === "failed") bucket.failed++;
    }
  }

  console.log("\ntool       pinned     newest     result");
  for (const [id, pkg] of Object.entries(tools)) {
    const t = tally[id];
    const ok = results.length > 0 && t.failed === 0 && t.passed > 0;
    console.log(`${id.padEnd(10)} ${manifest.dependencies[pkg].padEnd(10)} ${latest[id].padEnd(10)} ${ok ? "pass" : "FAIL"} (${t.passed} passed, ${t.failed} failed)`);
  }
  if (generic.failed > 0 || generic.passed > 0) console.log(`(tests of no single tool: ${generic.passed} passed, ${generic.failed} failed)`);
  process.exitCode = vitest.status === 0 ? 0 : 1;
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
