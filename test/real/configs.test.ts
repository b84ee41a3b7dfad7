// Issue 3: the real clients accept every file perimeter writes onto a host, and each check has a
// control (the tool's driver breaks a rendered file) that makes it fail. Checks only one tool can make
// live beside its module (src/tools/<tool>/real.test.ts).
import { describe, expect, it } from "vitest";
import { listProfiles, loadProfile } from "../../src/profile/load.js";
import { isContainerOnly } from "../../src/profile/types.js";
import { TOOLS } from "../../src/tools/index.js";
import { DRIVERS } from "./agents.js";
import { checkHostFiles } from "./clients.js";
import { renderHome } from "./harness.js";

const hostProfiles = listProfiles().map((name) => loadProfile(name)).filter((p) => !isContainerOnly(p));

it("there is at least one host profile to check", () => {
  expect(hostProfiles.map((p) => p.name)).toContain("interactive");
});

describe.each(hostProfiles.map((p) => [p.name, p] as const))("host profile %s", (_name, profile) => {
  it.each(TOOLS.map((t) => [t.title, t.id] as const))("%s: its own offline check accepts the rendered files", async (_title, tool) => {
    const { out, problems } = await checkHostFiles(tool, renderHome(profile));
    expect(problems, `${out.stdout}\n${out.stderr}`.slice(-2000)).toBeUndefined();
  });

  it.each(TOOLS.map((t) => [t.title, t.id] as const))("%s control: the same check reports a broken file", async (_title, tool) => {
    const home = renderHome(profile);
    DRIVERS[tool].breakHostFiles(home);
    expect((await checkHostFiles(tool, home)).problems).toBeDefined();
  });
});
