// What each tool is expected to do with each tripwire example. Every tool runs the guard hook, whose
// analyser reads every example (the loader checks that it stops each one), so every must-block
// example is expected blocked; `nativeOutcome` says what the tool's own rules alone would do, from
// its `express()`. The real-agent suites check these against the real clients and print the table.
import { matchesArgv } from "./profile/pattern.js";
import type { Example, Profile, Tripwire } from "./profile/types.js";
import type { AgentTool, ToolId } from "./tools/types.js";

export type Expected = "blocked" | "runs";

export interface CoverageRow {
  tripwire: Tripwire;
  example: Example;
  expected: Record<ToolId, Expected>;
}

/** Every tool runs the guard hook, which stops every must-block example (checked at load time). */
export function expectedOutcome(_tool: AgentTool, _tripwire: Tripwire, _example: Example): Expected {
  return "blocked";
}

/** Without the hook: blocked when one of the variants the tool enforces natively matches the example as written. */
export function nativeOutcome(tool: AgentTool, tripwire: Tripwire, example: Example): Expected {
  if (tool.skipsRulesFor(example.command) !== undefined) return "runs";
  const enforced = tripwire.rules.flatMap((rule) => tool.express(rule.pattern).enforced);
  return example.argv !== undefined && enforced.some((variant) => matchesArgv(variant, example.argv!)) ? "blocked" : "runs";
}

export function expectedCoverage(profile: Profile, tools: readonly AgentTool[]): CoverageRow[] {
  return profile.tripwires.flatMap((tripwire) =>
    tripwire.blocks.map((example) => ({
      tripwire,
      example,
      expected: Object.fromEntries(tools.map((tool) => [tool.id, expectedOutcome(tool, tripwire, example)])) as Record<ToolId, Expected>,
    })),
  );
}
