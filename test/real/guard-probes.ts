// What the real-agent suites need to tell whether a tripwire example reached its program: the programs
// they stand in for with shims, the environment the dynamic examples read, and a check that reads each
// command a shim logged back through the analyser (so `sh -c 'git push -f'` counts as reaching git).
import { analyse } from "../../src/guard/analyse.js";
import type { Tripwire } from "../../src/profile/types.js";

/** Every program the examples run: each gets a shim that only logs its argv. */
export const GUARDED_PROGRAMS = ["git", "gh", "npm", "npx", "pnpm", "yarn", "cargo", "twine", "python", "python3", "uvx", "gem", "bundle"];

/**
 * The variables the dynamic examples expand (`$GIT push`, `git push origin "$BRANCH"`), so their
 * controls run: a variable can hold an option, which is why the guard refuses them.
 */
export const SCRIPT_ENV = { GIT: "git", BRANCH: "--force" };

/** The guard's own words in a refusal: "perimeter tripwire <id>: ..." or "perimeter guard: ...". */
export const GUARD_DENIAL = /perimeter (tripwire [a-z0-9-]+|guard)[: ]/;

/** A refusal in a tool's own words (not the guard's): a native rule, an approval, a safety check. */
export const TOOL_REFUSAL = /blocked|denied|not allowed|requires approval|rejected|forbidden/i;

/** Did any command a shim logged (shell-quoted argv) do what the tripwire stops? */
export function reachedProgram(logged: readonly string[], tripwire: Tripwire): boolean {
  return logged.some((line) => analyse(line, { tripwires: [tripwire] }).decision === "deny");
}
