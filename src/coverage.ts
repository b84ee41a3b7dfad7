// What each tool is expected to do with each tripwire example, from the tools' own `express()`.
// The real-agent suites check these expectations against the real clients and print the table.
import { matchesArgv } from "./profile/pattern.js";
import type { Example, Profile, Tripwire } from "./profile/types.js";
import type { AgentTool, ToolId } from "./tools/types.js";

export type Expected = "blocked" | "runs";

export interface CoverageRow {
  tripwire: Tripwire;
  example: Example;
  expected: Record<ToolId, Expected>;
}

/** An example is blocked by a tool when one of the variants the tool enforces matches it. */
export function expectedOutcome(tool: AgentTool, tripwire: Tripwire, example: Example): Expected {
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
