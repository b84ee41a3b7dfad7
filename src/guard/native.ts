// Which of a tripwire's patterns the tools' native rules can carry. A native deny is absolute, so a
// pattern that one of the tripwire's exceptions narrows (`npm publish` with `except = ["npm publish
// * --dry-run"]`) would deny the exception too: such a pattern is left to the guard hook alone.
import type { PatternToken } from "../profile/pattern.js";
import type { CommandRule, Tripwire } from "../profile/types.js";
import { unknownArg, type Arg } from "./argv.js";
import { mayMatch } from "./match.js";

/** A pattern read as an argv, its wildcards as Unknowns: what commands it may describe. */
function patternAsArgv(tokens: readonly PatternToken[]): Arg[] {
  return tokens.map((t) => (t.kind === "word" ? t.text : unknownArg(t.kind === "glob" ? t.text : "*", t.kind === "anyArgs")));
}

export interface NativeSplit {
  /** Patterns every tool may deny natively. */
  native: CommandRule[];
  /** Patterns an exception narrows: only the guard hook enforces them. */
  guardOnly: CommandRule[];
}

export function nativeSplit(tripwire: Tripwire): NativeSplit {
  const split: NativeSplit = { native: [], guardOnly: [] };
  for (const rule of tripwire.rules) {
    const narrowed = tripwire.except.some((e) => mayMatch(rule.pattern, patternAsArgv(e.pattern.tokens)));
    (narrowed ? split.guardOnly : split.native).push(rule);
  }
  return split;
}

export const GUARD_ONLY_REASON = "an exception of the tripwire (except) narrows it, and a native deny cannot have exceptions; the guard hook enforces it";
