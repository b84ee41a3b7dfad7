// Codex CLI only, against the real client (the generic suites are in test/real/): the effective
// policies of each host profile, --strict-config, the rules file's own examples, and `execpolicy check`
// over every tripwire example (matching there is by argv, so it shows what the rules say; whether the
// agent consults them for a given shell command is the real-agent suites' business).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { listProfiles, loadProfile } from "../../profile/load.js";
import { matchesArgv } from "../../profile/pattern.js";
import { isContainerOnly, type Example } from "../../profile/types.js";
import { nativeSplit } from "../../guard/native.js";
import { runAgent } from "../../../test/real/agents.js";
import { checkHostFiles, runClient, unlessRaced } from "../../../test/real/clients.js";
import { startFakeModel } from "../../../test/real/fake-model.js";
import { renderHome, tempDir } from "../../../test/real/harness.js";
import { runCli } from "../../../test/unit/helpers.js";
import { renderProfile } from "../../render.js";
import { serialize } from "../../sink/formats.js";
import { codex } from "./index.js";
import { globWalkRaced } from "./driver.js";

const CONFIG = ".codex/config.toml";
const RULES = ".codex/rules/perimeter.rules";
const hostProfiles = listProfiles().map((name) => loadProfile(name)).filter((p) => !isContainerOnly(p));

/** `codex execpolicy check`: JSON decision for one argv; exit 1 when the rules file does not load. */
const execpolicy = (rulesFile: string, argv: readonly string[]) => runClient("codex", ["execpolicy", "check", "--rules", rulesFile, ...argv], {});

describe.each(hostProfiles.map((p) => [p.name, p] as const))("host profile %s", (_name, profile) => {
  it("the config shows the sandbox and approval policy the profile asks for", async () => {
    const { out } = await checkHostFiles("codex", renderHome(profile));
    expect(out.exitCode, out.stderr.slice(-2000)).toBe(0);
    const sandbox = profile.posture.edits === "auto" ? "workspace-write" : "read-only";
    expect(out.stdout).toContain(`\`sandbox_mode\` is \`${sandbox}\``);
    // on-request: the model is told how to ask for escalation; under "never" it is told it cannot.
    expect(out.stdout).toContain("Escalation Requests");
    expect(out.stdout).not.toContain("Approval policy is currently never");
  });

  it("control: a bad value fails with its file and line", async () => {
    const home = renderHome(profile);
    const file = join(home, CONFIG);
    writeFileSync(file, readFileSync(file, "utf8").replace(/approval_policy = "[^"]+"/, 'approval_policy = "onrequest"'));
    const { out } = await checkHostFiles("codex", home);
    expect(out.exitCode).toBe(1);
    expect(`${out.stdout}\n${out.stderr}`).toContain("config.toml:");
  });

  it("--strict-config finds no unknown key (and finds one in the control)", async () => {
    const model = await startFakeModel({ command: "true" });
    try {
      const home = renderHome(profile);
      const ok = await runAgent("codex", { home, cwd: home, model, mode: "host", extraArgs: ["--strict-config"] });
      expect(ok.exitCode, ok.stderr.slice(-1500)).toBe(0);
      const file = join(home, CONFIG);
      writeFileSync(file, `perimeter_bogus_key = 1\n${readFileSync(file, "utf8")}`);
      const bad = await runAgent("codex", { home, cwd: home, model, mode: "host", extraArgs: ["--strict-config"] });
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/unknown configuration field/);
    } finally {
      await model.close();
    }
  });

  it("the rules file loads, its match/not_match examples checked by Codex itself (control: a broken example fails)", async () => {
    const rules = join(renderHome(profile), RULES);
    const loaded = await execpolicy(rules, ["true"]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    // Control: an example that contradicts its rule makes Codex refuse the whole file.
    writeFileSync(rules, readFileSync(rules, "utf8").replace('match = ["gh repo delete', 'match = ["gh repo view x", "gh repo delete'));
    expect((await execpolicy(rules, ["true"])).exitCode).toBe(1);
  });
});

describe.each(["autonomous", "ci"])("the image's system config of %s", (name) => {
  it("passes --strict-config (the pinned Codex knows every key perimeter bakes)", async () => {
    const model = await startFakeModel({ command: "true" });
    try {
      // The baked /etc/codex/config.toml, read here as a user layer: which keys Codex knows is what is checked.
      const codexHome = join(tempDir("codex-home"), ".codex");
      mkdirSync(codexHome, { recursive: true });
      const config = renderProfile(loadProfile(name), [codex], "image").files.find((f) => f.path === "/etc/codex/config.toml")!;
      writeFileSync(join(codexHome, "config.toml"), serialize(config.body, true));
      const home = dirname(codexHome);
      const ok = await runAgent("codex", { home, cwd: home, model, mode: "bypass", extraArgs: ["--strict-config"], env: { CODEX_HOME: codexHome } });
      expect(ok.exitCode, ok.stderr.slice(-1500)).toBe(0);
      // Control: the same run with a key Codex does not know fails.
      writeFileSync(join(codexHome, "config.toml"), `perimeter_bogus_key = 1\n${serialize(config.body, true)}`);
      const bad = await runAgent("codex", { home, cwd: home, model, mode: "bypass", extraArgs: ["--strict-config"], env: { CODEX_HOME: codexHome } });
      expect(bad.exitCode).toBe(1);
    } finally {
      await model.close();
    }
  });
});

describe("execpolicy check over every tripwire example", () => {
  const profile = loadProfile("interactive");

  async function decision(rules: string, argv: readonly string[]): Promise<string> {
    const { exitCode, stdout, stderr } = await execpolicy(rules, argv);
    expect(exitCode, stderr).toBe(0);
    const json = JSON.parse(stdout.slice(stdout.indexOf("{"), stdout.lastIndexOf("}") + 1)) as { decision?: string };
    return json.decision ?? "none";
  }

  describe.each(profile.tripwires.map((t) => [t.id, t] as const))("tripwire %s", (_id, tripwire) => {
    const home = renderHome(profile);
    const control = renderHome({ ...profile, tripwires: [] });

    // Codex's rules read argv: only the one-command examples apply (the guard hook reads the rest).
    const simple = (examples: readonly Example[]) => examples.flatMap((e) => (e.argv === undefined ? [] : [[e.command, e.argv] as const]));
    it.each(simple(tripwire.blocks))("must block %s: forbidden exactly when Codex can express it", async (_c, argv) => {
      const expressible = nativeSplit(tripwire).native.some((r) => codex.express(r.pattern).enforced.some((v) => matchesArgv(v, argv)));
      const withTripwires = await decision(join(home, RULES), argv);
      // Control: the same argv against the same profile without its tripwires is never forbidden.
      const without = await decision(join(control, RULES), argv);
      expect(without).not.toBe("forbidden");
      // A variant Codex cannot express adds nothing: the decision is what the rest of the profile says.
      expect(withTripwires).toBe(expressible ? "forbidden" : without);
    });

    it.each(simple(tripwire.allows))("leaves %s alone", async (_c, argv) => {
      expect(await decision(join(home, RULES), argv)).not.toBe("forbidden");
    });
  });
});

// Issue 15: Codex reads perimeter's permission profile: the secret globs are denied reads, and no
// placeholder file is created for a secret path the home does not have.
describe("the secrets permission profile", () => {
  it("shows the secret globs as denied reads, and creates nothing in the home (control: without default_permissions there are none)", async () => {
    const home = renderHome(loadProfile("interactive"));
    const { out } = await checkHostFiles("codex", home);
    expect(out.exitCode, out.stderr.slice(-1500)).toBe(0);
    expect(out.stdout).toContain("Denied filesystem reads");
    expect(out.stdout).toContain(`glob \`${home}/.ssh/id_*\``);
    expect(existsSync(join(home, ".netrc")) || existsSync(join(home, ".gnupg"))).toBe(false);
    const file = join(home, CONFIG);
    writeFileSync(file, readFileSync(file, "utf8").replace(/^default_permissions = .*$/m, ""));
    expect((await checkHostFiles("codex", home)).out.stdout).not.toContain("Denied filesystem reads");
  });
});

describe("the folder Codex really reads (CODEX_HOME) and its permission profiles (issue 12)", () => {
  // Run again (twice at most) when Codex trips over its own glob-walk race (driver.ts globWalkRaced).
  const prompt = (home: string, codexHome: string) =>
    unlessRaced(() => runClient("codex", ["debug", "prompt-input", "hi"], { HOME: home, CODEX_HOME: codexHome }, home), globWalkRaced);

  it("with CODEX_HOME set, render writes there and Codex reads that config, not ~/.codex", async () => {
    const home = tempDir("pw-home-");
    const codexHome = tempDir("pw-codex-home-");
    const before = process.env.CODEX_HOME;
    process.env.CODEX_HOME = codexHome;
    try {
      const r = await runCli(["render", "--tools", "codex", "--home", home, "--project", tempDir("pw-project-")]);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      if (before === undefined) delete process.env.CODEX_HOME;
      else process.env.CODEX_HOME = before;
    }
    const out = await prompt(home, codexHome);
    expect(out.exitCode, out.stderr.slice(-2000)).toBe(0);
    expect(out.stdout).toContain("`sandbox_mode` is `workspace-write`");
    // Control: the same Codex with the rendered config emptied falls back to its defaults.
    writeFileSync(join(codexHome, "config.toml"), "");
    expect((await prompt(home, codexHome)).stdout).not.toContain("`sandbox_mode` is `workspace-write`");
  });

  it('default_permissions = ":danger-full-access" really gives full access: the guard is right to refuse it', async () => {
    const home = tempDir("pw-home-");
    const codexHome = tempDir("pw-codex-home-");
    writeFileSync(join(codexHome, "config.toml"), 'default_permissions = ":danger-full-access"\n');
    const open = await prompt(home, codexHome);
    expect(open.exitCode, open.stderr.slice(-2000)).toBe(0);
    expect(open.stdout).toContain("danger-full-access");
    expect(codex.bypassFindings(CONFIG, { format: "toml", value: { default_permissions: ":danger-full-access" } })).toHaveLength(1);
    // Control: a read-only profile does not.
    writeFileSync(join(codexHome, "config.toml"), 'default_permissions = ":read-only"\n');
    expect((await prompt(home, codexHome)).stdout).not.toContain("danger-full-access");
  });
});
