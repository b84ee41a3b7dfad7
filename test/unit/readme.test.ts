// The README says nothing the code no longer does: its version table matches the pins, and its
// coverage table (written by the real-agent suites) matches what the current profiles and tool
// modules expect, so a tripwire added without re-running those suites shows up here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pinnedClientVersions } from "../../src/image/spec.js";
import { packageRoot } from "../../src/profile/builtin.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS } from "../../src/tools/index.js";
import { commandCell, expectedObservation, tableCells } from "../report/coverage.js";
import { VERSIONS_END, VERSIONS_START, versionsMarkdown } from "../report/versions.js";

const readme = readFileSync(join(packageRoot(), "README.md"), "utf8");

describe("README", () => {
  it("lists exactly the pinned client versions, as npm run gen:readme writes them", () => {
    const section = readme.slice(readme.indexOf(VERSIONS_START) + VERSIONS_START.length, readme.indexOf(VERSIONS_END));
    expect(section.trim()).toBe(versionsMarkdown());
    for (const [pkg, version] of Object.entries(pinnedClientVersions())) expect(section).toContain(`| \`${pkg}\` | ${version} |`);
  });

  it("has a coverage table whose every cell matches what the tools are expected to do", () => {
    const section = readme.slice(readme.indexOf("<!-- coverage:start"), readme.indexOf("<!-- coverage:end"));
    const lines = section.split("\n").filter((l) => l.startsWith("| "));
    expect(lines.length).toBeGreaterThan(2);
    const header = tableCells(lines[0]!).slice(2);
    const columns = header.map((h) => ({
      tool: TOOLS.find((t) => h.startsWith(t.title))!,
      scope: h.includes("(host") ? ("host" as const) : ("image" as const),
    }));
    expect(columns.every((c) => c.tool !== undefined)).toBe(true);
    // Headers name the pinned versions the table was observed with.
    const versions = pinnedClientVersions();
    columns.forEach((c, i) => expect(header[i]).toContain(`${c.tool.title} ${versions[c.tool.npmPackage]} (`));
    // Every tool x scope column, in the registry's order: a partial run must not have dropped one.
    expect(columns.map((c) => `${c.tool.id}/${c.scope}`)).toEqual(TOOLS.flatMap((t) => [`${t.id}/host`, `${t.id}/image`]));
    const profile = loadProfile("interactive");
    const rows = lines.slice(1).map(tableCells);
    const examples = profile.tripwires.flatMap((t) => t.blocks.map((e) => ({ t, e })));
    expect(rows.map((r) => r[1])).toEqual(examples.map(({ e }) => commandCell(e.command)));
    rows.forEach((row, i) => {
      const { t, e } = examples[i]!;
      columns.forEach((column, j) => {
        const cell = row[2 + j]!.replace(/[*¹ ]/g, "");
        expect(cell, `${column.tool.title} ${column.scope} ${e.command}`).toBe(expectedObservation(column.tool, t, e, column.scope));
      });
    });
  });
});
