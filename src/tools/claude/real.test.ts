// Claude Code only, against the real client (the generic suites are in test/real/): doctor flags a
// rule written wrongly, and a host rendered by perimeter cannot be switched to bypass mode.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../profile/load.js";
import { runAgent } from "../../../test/real/agents.js";
import { checkHostFiles } from "../../../test/real/clients.js";
import { startFakeModel } from "../../../test/real/fake-model.js";
import { renderHome, tempDir } from "../../../test/real/harness.js";

const SETTINGS = ".claude/settings.json";
const profile = loadProfile("interactive");

function editJson(file: string, edit: (value: Record<string, any>) => void): void {
  const value = JSON.parse(readFileSync(file, "utf8"));
  edit(value);
  writeFileSync(file, JSON.stringify(value, null, 2));
}

it("doctor reports a rule that may not work as written", async () => {
  const home = renderHome(profile);
  editJson(join(home, SETTINGS), (s) => s.permissions.deny.push("Bash(git push * :*)"));
  expect((await checkHostFiles("claude", home)).problems).toMatch(/may not work as written/);
});

describe("a host rendered by perimeter cannot be switched to bypass mode", () => {
  async function bypassRun(unlock?: (home: string) => void) {
    const home = renderHome(profile);
    unlock?.(home);
    const marker = join(tempDir("marker"), "bypassed");
    const model = await startFakeModel({ command: `touch ${marker}` });
    try {
      const run = await runAgent("claude", { home, cwd: tempDir("claude-cwd"), model, mode: "bypass", json: false });
      return { run, ran: existsSync(marker) };
    } finally {
      await model.close();
    }
  }

  it("--dangerously-skip-permissions is ignored: the command is not run", async () => {
    expect((await bypassRun()).ran).toBe(false);
  });

  it("control: without disableBypassPermissionsMode the same flag runs the command", async () => {
    const { ran } = await bypassRun((home) => editJson(join(home, SETTINGS), (s) => delete s.permissions.disableBypassPermissionsMode));
    expect(ran).toBe(true);
  });
});
