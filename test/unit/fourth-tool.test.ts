// Issue 10: "a fourth tool is its module folder plus at most 5 other files". The fixture tool in
// test/unit/fixtures/fourth-tool/ is registered only here (the tool list is passed in); generic code
// renders it, writes and guards its host file, finds no drift after, bakes it once it is pinned, and
// counts it in the coverage table, with no edit of its own. test/unit/tool-knowledge.test.ts shows that
// no generic file names today's tools; the README's "Adding a tool" lists the files that do.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectedCoverage } from "../../src/coverage.js";
import { bakeEntries } from "../../src/image/bake.js";
import { loadProfile } from "../../src/profile/load.js";
import { renderProfile } from "../../src/render.js";
import { guardHost, planHost, writeHost } from "../../src/sink/host.js";
import { TOOLS } from "../../src/tools/index.js";
import { missingCells } from "../report/coverage.js";
import { ALLOWED } from "./tool-knowledge.js";
import { fourth } from "./fixtures/fourth-tool/index.js";
import { tempDir } from "./helpers.js";

const tools = [...TOOLS, fourth];
const interactive = loadProfile("interactive");

describe("a fourth tool, registered only in this test", () => {
  it("is rendered beside the others, with the tripwires it cannot express reported as gaps", () => {
    const rendering = renderProfile(interactive, tools, "host");
    expect(rendering.files.filter((f) => f.tool === fourth.id).map((f) => f.path)).toEqual([".fourth/settings.json"]);
    expect(rendering.gaps.some((g) => g.tool === fourth.id)).toBe(true);
  });

  it("gets its host file written by the host sink, the user's own keys kept, and nothing to do the second time", () => {
    const home = tempDir("perimeter-fourth-");
    const file = join(home, ".fourth/settings.json");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ theme: "dark" }));
    const plan = planHost(renderProfile(interactive, tools, "host"), home);
    guardHost(plan, tools);
    writeHost(plan);
    const written = JSON.parse(readFileSync(file, "utf8")) as { theme: string; permissions: { deny: string[] } };
    expect(written.theme).toBe("dark");
    expect(written.permissions.deny).toContain("gh repo delete");
    const again = planHost(renderProfile(interactive, tools, "host"), home);
    expect(again.files.map((f) => f.status)).toEqual(again.files.map(() => "unchanged"));
  });

  it("is refused by the host guard when a rendering would let it bypass (its own bypassFindings)", () => {
    const plan = planHost(renderProfile(loadProfile("autonomous"), [fourth], "host"), tempDir("perimeter-fourth-"));
    expect(() => guardHost(plan, tools)).toThrow();
    expect(fourth.bypassFindings(".fourth/settings.json", plan.files[0]!.finalBody)).toEqual([".fourth/settings.json: permissions.bypass is on"]);
  });

  it("needs its pin in image/clients/package.json before the image can be baked with it", () => {
    expect(() => bakeEntries(loadProfile("autonomous"), tools)).toThrow("image/clients/package.json does not pin @example/fourth-cli");
    expect(() => bakeEntries(loadProfile("autonomous"), TOOLS)).not.toThrow();
  });

  it("gets its own columns in the coverage table: expected outcomes, and cells a run must observe", () => {
    const rows = expectedCoverage(interactive, tools);
    expect(rows.every((r) => r.expected[fourth.id] !== undefined)).toBe(true);
    const missing = missingCells(interactive, new Map(), tools);
    expect(missing.filter((m) => m.startsWith(`${fourth.id}/host:`)).length).toBe(rows.length);
    expect(missing.filter((m) => m.startsWith(`${fourth.id}/image:`)).length).toBe(rows.length);
  });

  it("touches at most 5 files outside its folder: the registry, the pin and its lockfile, and generated files", () => {
    const registryFiles = ["src/tools/index.ts", "image/clients/package.json", "image/clients/package-lock.json", "nix/image-spec.json"];
    for (const f of registryFiles) expect(ALLOWED[f], f).toBeDefined();
    // ... plus README.md, whose versions and coverage tables are regenerated (npm run gen:readme, npm test).
    expect(registryFiles.length + 1).toBeLessThanOrEqual(5);
  });
});
