// Whether a tripwire matches an allow or ask pattern: the one place that decides it, so the profile
// loader and the guard hook always agree. "Matches" means the guard's analyser (src/guard/), reading
// the pattern as a command line, would deny it: `git push --force` in `allow` is an error, `git push`
// in `ask` is not (only some pushes are tripwires).
import { analyse, explain } from "../guard/analyse.js";
import type { CommandPattern } from "./pattern.js";
import type { Tripwire } from "./types.js";

/** Why the guard would deny the pattern read as a command line, or undefined. */
export function tripwireDenies(pattern: CommandPattern, tripwires: readonly Tripwire[]): string | undefined {
  const verdict = analyse(pattern.text, { tripwires });
  return verdict.decision === "deny" ? explain(verdict) : undefined;
}
