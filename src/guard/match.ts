// Command patterns (src/profile/pattern.ts) against an argv that may hold Unknowns. `mayMatch`
// lets each Unknown stand for whatever makes the pattern match (the guard denies what could be a
// tripwire); `mustMatch` lets it stand for nothing (an exception holds only when it surely applies).
import { globToRegExp, type CommandPattern, type PatternToken } from "../profile/pattern.js";
import type { Arg } from "./argv.js";

function wordMatches(token: Exclude<PatternToken, { kind: "anyArgs" }>, arg: string): boolean {
  return token.kind === "word" ? arg === token.text : globToRegExp(token.text).test(arg);
}

export function mayMatch(pattern: CommandPattern, argv: readonly Arg[]): boolean {
  return matches(pattern.tokens, argv, true);
}

export function mustMatch(pattern: CommandPattern, argv: readonly Arg[]): boolean {
  return matches(pattern.tokens, argv, false);
}

function matches(tokens: readonly PatternToken[], argv: readonly Arg[], unknownMatches: boolean): boolean {
  const seen = new Set<number>();
  const step = (ti: number, ai: number): boolean => {
    if (ti === tokens.length) return true;
    const key = ti * 4096 + ai;
    if (seen.has(key)) return false;
    seen.add(key);
    const token = tokens[ti]!;
    if (token.kind === "anyArgs") {
      for (let skip = ai; skip <= argv.length; skip++) if (step(ti + 1, skip)) return true;
      return false;
    }
    const arg = argv[ai];
    if (arg === undefined) return false;
    if (typeof arg !== "string") {
      if (!unknownMatches) return false;
      // One word; or, when it splits, none, or several (it stays for the next token).
      if (step(ti + 1, ai + 1)) return true;
      return arg.splits && (step(ti, ai + 1) || step(ti + 1, ai));
    }
    return wordMatches(token, arg) && step(ti + 1, ai + 1);
  };
  return step(0, 0);
}
