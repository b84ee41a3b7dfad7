// Gemini CLI only, against the real client (the generic suites are in test/real/): a broken policy rule
// is reported at start-up, and a host rendered by perimeter refuses --yolo.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../profile/load.js";
import { runAgent } from "../../../test/real/agents.js";
import { checkHostFiles } from "../../../test/real/clients.js";
import { startFakeModel } from "../../../test/real/fake-model.js";
import { renderHome, tempDir } from "../../../test/real/harness.js";

const SETTINGS = ".gemini/settings.json";
const profile = loadProfile("interactive");

function editJson(file: string, edit: (value: Record<string, any>) => void): void {
  const value = JSON.parse(readFileSync(file, "utf8"));
  edit(value);
  writeFileSync(file, JSON.stringify(value, null, 2));
}

it("start-up reports a broken policy rule", async () => {
  const home = renderHome(profile);
  const policy = join(home, ".gemini/policies/perimeter.toml");
  writeFileSync(policy, readFileSync(policy, "utf8").replace("priority = 950", "priority = 5000"));
  expect((await checkHostFiles("gemini", home)).problems).toMatch(/Policy file error/);
});

describe("a host rendered by perimeter cannot be switched to yolo mode", () => {
  async function yoloRun(unlock?: (home: string) => void) {
    const home = renderHome(profile);
    unlock?.(home);
    const marker = join(tempDir("marker"), "bypassed");
    const model = await startFakeModel({ command: `touch ${marker}` });
    try {
      const run = await runAgent("gemini", { home, cwd: tempDir("gemini-cwd"), model, mode: "bypass", json: false });
      return { run, ran: existsSync(marker) };
    } finally {
      await model.close();
    }
  }

  it("--yolo exits 52 and runs nothing", async () => {
    const { run, ran } = await yoloRun();
    expect(run.exitCode).toBe(52);
    expect(run.stderr).toMatch(/YOLO mode is disabled/);
    expect(ran).toBe(false);
  });

  it("control: without security.disableYoloMode --yolo runs the command", async () => {
    const { ran } = await yoloRun((home) => editJson(join(home, SETTINGS), (s) => delete s.security.disableYoloMode));
    expect(ran).toBe(true);
  });
});

// Issue 15: the secrets policy file is loaded and checked by the real client, apart from the
// tripwires' file: one bad rule in it is reported (and would drop only that file).
describe("the secrets policy file", () => {
  it("loads without a policy error (control: a rule the engine refuses is reported, naming the file)", async () => {
    const home = renderHome(loadProfile("interactive"));
    expect((await checkHostFiles("gemini", home)).problems).toBeUndefined();
    const file = join(home, ".gemini/policies/perimeter-secrets.toml");
    writeFileSync(file, `${readFileSync(file, "utf8")}\n[[rule]]\ntoolName = "read_file"\ndecision = "deny"\npriority = 940\nargsPattern = "(a+)+"\n`);
    const { out, problems } = await checkHostFiles("gemini", home);
    expect(problems).toBeDefined();
    expect(`${out.stdout}${out.stderr}`).toContain("perimeter-secrets.toml");
  });
});
