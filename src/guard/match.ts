// Command patterns (src/profile/pattern.ts) against an argv that may hold Unknowns. `mayMatch`
// lets each Unknown stand for whatever makes the pattern match (the guard denies what could be a
// tripwire); `mustMatch` lets it stand for nothing (an exception holds only when it surely applies).
import { walkPattern, wordMatches, type ArgMeets, type CommandPattern } from "../profile/pattern.js";
import type { Arg } from "./argv.js";

export function mayMatch(pattern: CommandPattern, argv: readonly Arg[]): boolean {
  return walkPattern(pattern.tokens, argv, (token, arg) => meets(token, arg, true));
}

export function mustMatch(pattern: CommandPattern, argv: readonly Arg[]): boolean {
  return walkPattern(pattern.tokens, argv, (token, arg) => meets(token, arg, false));
}

/** A known word meets a token or not; an Unknown is one word, or when it splits any number of them. */
function meets(token: Parameters<typeof wordMatches>[0], arg: Arg, unknownMatches: boolean): ArgMeets {
  if (typeof arg === "string") return wordMatches(token, arg) ? "one" : "no";
  if (!unknownMatches) return "no";
  return arg.splits ? "any" : "one";
}
