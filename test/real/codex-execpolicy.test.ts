// Issue 3, the fast path: Codex's own `execpolicy check` over every tripwire example, against the
// rules file perimeter renders. Matching here is by argv, so it shows what the rules say; whether the
// agent consults them for a given shell command is the real-agent suites' business.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nativeSplit } from "../../src/guard/native.js";
import { loadProfile } from "../../src/profile/load.js";
import type { Example } from "../../src/profile/types.js";
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

  // Codex's rules read argv: only the one-command examples apply (the guard hook reads the rest).
  const simple = (examples: readonly Example[]) => examples.flatMap((e) => (e.argv === undefined ? [] : [[e.command, e.argv] as const]));
  it.each(simple(tripwire.blocks))("must block %s: forbidden exactly when Codex can express it", async (_c, argv) => {
    const expressible = nativeSplit(tripwire).native.some((r) => codex.express(r.pattern).enforced.some((v) => matchesArgv(v, argv)));
    const withTripwires = await decision(rulesOf(home), argv);
    // Control: the same argv against the same profile without its tripwires is never forbidden.
    const without = await decision(rulesOf(control), argv);
    expect(without).not.toBe("forbidden");
    // A variant Codex cannot express adds nothing: the decision is what the rest of the profile says.
    expect(withTripwires).toBe(expressible ? "forbidden" : without);
  });

  it.each(simple(tripwire.allows))("leaves %s alone", async (_c, argv) => {
    expect(await decision(rulesOf(home), argv)).not.toBe("forbidden");
  });
});
