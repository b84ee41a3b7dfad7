// The arguments of one invocation, after the shell: a literal string, or an Unknown the shell
// decides at run time (a variable, a substitution, a glob). Grammars read these, and the matcher
// lets an Unknown stand for whatever would make a tripwire fire.
import type { Word } from "./shell.js";

export interface Unknown {
  unknown: true;
  /** As written, for messages. */
  raw: string;
  /** True when it may be several arguments or none (unquoted expansion, glob, brace expansion). */
  splits: boolean;
}

export type Arg = string | Unknown;

export const unknownArg = (raw: string, splits: boolean): Unknown => ({ unknown: true, raw, splits });

export const isKnown = (arg: Arg | undefined): arg is string => typeof arg === "string";

export function argOf(word: Word): Arg {
  return word.value !== undefined && !word.splits ? word.value : unknownArg(word.raw, word.splits);
}

export function showArg(arg: Arg): string {
  return typeof arg === "string" ? (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`) : arg.raw;
}

export const showArgv = (argv: readonly Arg[]): string => argv.map(showArg).join(" ");

/** The program a command word names: `/usr/bin/git` and `./git` are git. */
export function programName(word: string): string {
  const slash = word.lastIndexOf("/");
  return slash < 0 ? word : word.slice(slash + 1);
}
