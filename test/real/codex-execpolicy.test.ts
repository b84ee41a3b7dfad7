// Issue 3, the fast path: Codex's own `execpolicy check` over every tripwire example, against the
// rules file perimeter renders. Matching here is by argv, so it shows what the rules say; whether the
// agent consults them for a given shell command is the real-agent suites' business.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../src/profile/load.js";
import { matchesArgv } from "../../src/profile/pattern.js";
import { codex } from "../../src/tools/codex/index.js";
import { codexExecpolicy } from "./clients.js";
import { renderHome } from "./harness.js";

const profile = loadProfile("interactive");
const rulesOf = (home: string) => join(home, ".codex/rules/perimeter.rules");

async function decision(rules: string, argv: readonly string[]): Promise<string> {
  const { exitCode, output } = await codexExecpolicy(rules, argv);
  expect(exitCode, output).toBe(0);
  const json = JSON.parse(output.slice(output.indexOf("{"), output.lastIndexOf("}") + 1)) as { decision?: string };
  return json.decision ?? "none";
}

describe.each(profile.tripwires.map((t) => [t.id, t] as const))("tripwire %s", (_id, tripwire) => {
  const home = renderHome(profile);
  const control = renderHome({ ...profile, tripwires: [] });

  it.each(tripwire.blocks.map((e) => [e.command, e] as const))("must block %s: forbidden exactly when Codex can express it", async (_c, example) => {
    const expressible = tripwire.rules.some((r) => codex.express(r.pattern).enforced.some((v) => matchesArgv(v, example.argv)));
    const withTripwires = await decision(rulesOf(home), example.argv);
    // Control: the same argv against the same profile without its tripwires is never forbidden.
    const without = await decision(rulesOf(control), example.argv);
    expect(without).not.toBe("forbidden");
    // A variant Codex cannot express adds nothing: the decision is what the rest of the profile says.
    expect(withTripwires).toBe(expressible ? "forbidden" : without);
  });

  it.each(tripwire.allows.map((e) => [e.command, e] as const))("leaves %s alone", async (_c, example) => {
    expect(await decision(rulesOf(home), example.argv)).not.toBe("forbidden");
  });
});
