// The command pattern language of profiles, independent of any tool.
//
// A pattern is words separated by spaces and matches a command's argv as a prefix:
//   "gh secret"          matches `gh secret`, `gh secret set X` (not `gh secrets`)
//   "git push * --force" `*` alone stands for any number of arguments, none included
//   "git push * +*"      `*` inside a word matches within that one argument
// The first word is always literal, and shell syntax is not allowed: a pattern names one command.

export type PatternToken =
  | { kind: "word"; text: string }
  | { kind: "anyArgs" }
  | { kind: "glob"; text: string };

export interface CommandPattern {
  /** Normalized text: tokens joined by one space, trailing `*` dropped. */
  readonly text: string;
  readonly tokens: readonly PatternToken[];
}

const SHELL_SYNTAX = /[;&|<>`$(){}\\"']/;

/** Parses a pattern; returns an error message instead of throwing so callers can add the location. */
/**
 * C0 controls (NUL, ESC...), DEL and C1 controls: never part of a command a rule can name. Tab, line
 * feed and carriage return separate words like spaces do (and are normalized away).
 */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export function parsePattern(source: string): CommandPattern | string {
  const control = CONTROL.exec(source);
  if (control !== null) {
    const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    return `the pattern contains the control character U+${code}; a pattern is one line of printable text`;
  }
  const words = source.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return "the command pattern is empty";
  const bad = words.find((w) => SHELL_SYNTAX.test(w));
  if (bad !== undefined) {
    return `"${bad}" contains shell syntax; a pattern names one command and its arguments`;
  }
  const tokens: PatternToken[] = words.map((w) =>
    w === "*" ? { kind: "anyArgs" } : w.includes("*") ? { kind: "glob", text: w } : { kind: "word", text: w },
  );
  if (tokens[0]!.kind !== "word") return `the first word must be a literal command name, not "${words[0]}"`;
  // A trailing `*` adds nothing: patterns already match any further arguments.
  while (tokens.length > 1 && tokens[tokens.length - 1]!.kind === "anyArgs") tokens.pop();
  for (let i = 1; i < tokens.length; i++) {
    if (tokens[i]!.kind === "anyArgs" && tokens[i - 1]!.kind === "anyArgs") {
      return `"* *" is redundant; write one "*"`;
    }
  }
  return { text: tokensToText(tokens), tokens };
}

export function tokensToText(tokens: readonly PatternToken[]): string {
  return tokens.map((t) => (t.kind === "anyArgs" ? "*" : t.text)).join(" ");
}

export function patternFromTokens(tokens: readonly PatternToken[]): CommandPattern {
  return { tokens, text: tokensToText(tokens) };
}

/** True when `argv` starts with what the pattern describes. */
export function matchesArgv(pattern: CommandPattern, argv: readonly string[]): boolean {
  return walkPattern(pattern.tokens, argv, (token, arg) => (wordMatches(token, arg) ? "one" : "no"));
}

/** Does one argument meet one word or glob token of a pattern? */
export function wordMatches(token: Exclude<PatternToken, { kind: "anyArgs" }>, arg: string): boolean {
  return token.kind === "word" ? arg === token.text : globToRegExp(token.text).test(arg);
}

/**
 * How one argument meets one word or glob token: not at all, as that one word, or as any number of
 * words (an argument whose words are unknown, such as `$X` unquoted, may be none or several).
 */
export type ArgMeets = "no" | "one" | "any";

/**
 * The one walk of a pattern's tokens over an argv, from its start: `*` takes any run of arguments,
 * every other token one argument as `meets` says. Arguments are strings here; the guard's walk
 * (src/guard/match.ts) passes arguments it could not resolve.
 */
export function walkPattern<A>(tokens: readonly PatternToken[], argv: readonly A[], meets: (token: Exclude<PatternToken, { kind: "anyArgs" }>, arg: A) => ArgMeets): boolean {
  const seen = new Set<number>();
  const step = (ti: number, ai: number): boolean => {
    if (ti === tokens.length) return true;
    const key = ti * (argv.length + 1) + ai;
    if (seen.has(key)) return false;
    seen.add(key);
    const token = tokens[ti]!;
    if (token.kind === "anyArgs") {
      for (let skip = ai; skip <= argv.length; skip++) if (step(ti + 1, skip)) return true;
      return false;
    }
    if (ai >= argv.length) return false;
    const meeting = meets(token, argv[ai]!);
    if (meeting === "no") return false;
    if (step(ti + 1, ai + 1)) return true;
    // Several words: it stays for the next token; none: the token meets the next argument.
    return meeting === "any" && (step(ti, ai + 1) || step(ti + 1, ai));
  };
  return step(0, 0);
}

/** A pattern's in-word glob: `*` stands for any run of characters, everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.split("*").map(escapeRegExp).join(".*");
  return new RegExp(`^${body}$`, "s");
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Every way the optional `*` arguments can be present or absent, as plain token lists. Tools whose
 * wildcard needs at least one character (or that have none) express a pattern as these variants.
 */
export function optionalArgVariants(pattern: CommandPattern): readonly (readonly PatternToken[])[] {
  // Most patterns have no `*`: they are their own only variant.
  if (!pattern.tokens.some((t) => t.kind === "anyArgs")) return [pattern.tokens];
  let variants: PatternToken[][] = [[]];
  for (const token of pattern.tokens) {
    variants =
      token.kind === "anyArgs"
        ? variants.flatMap((v) => [v, [...v, token]])
        : variants.map((v) => [...v, token]);
  }
  return variants;
}
