// The one command analyser: a command line in, the guard's decision out. It reads the line as a
// shell would (shell.ts), takes wrappers off (unwrap.ts), reads each guarded program's own argv
// grammar (programs/), and matches the canonical forms against the tripwires' command patterns
// (match.ts). It never allows: it denies, or has no opinion and the tool's own rules decide.
//
// Used by the guard hook (src/guard/hook.ts) and by anything that must agree with it, e.g. a check
// that a profile's allow pattern is not something a tripwire denies.
import type { Tripwire } from "../profile/types.js";
import type { WireRule } from "../profile/wire.js";
import { graphqlWireHit, httpWireHit } from "../profile/wire-match.js";
import { argOf, isKnown, showArgv, type Arg } from "./argv.js";
import { mayMatch, mustMatch } from "./match.js";
import { grammarFor } from "./programs/index.js";
import type { Reading, WireRequest } from "./programs/types.js";
import { parseShell, ShellSyntaxError, type Command, type Redirect, type Script, type SimpleCommand, type Word } from "./shell.js";
import { resolve, type Resolution } from "./unwrap.js";
import { protectedPath, protectedReason } from "./protected.js";

/** What the analyser needs of a profile: its tripwires (a Profile is one). */
export interface GuardPolicy {
  tripwires: readonly Tripwire[];
  /** Files no command may write (the tools' own settings and hook files); none when absent. */
  protectedPaths?: readonly RegExp[];
}

export type Verdict =
  | { decision: "deny"; reason: string; tripwire?: Tripwire; command?: string }
  | { decision: "none" };

/** Redirections that write their target. */
const WRITE_REDIRECTS = new Set([">", ">>", ">|", "&>", "&>>", "<>"]);
/**
 * Programs that change the files named in their arguments. A command that names a protected file
 * through one of them is denied; reading one (cat, grep) is not.
 */
const FILE_WRITERS = new Set([
  "cp", "mv", "rm", "ln", "tee", "touch", "truncate", "install", "dd", "chmod", "chown", "rsync", "sed", "perl", "patch",
  "unlink", "shred", "mkdir", "rmdir", "tar", "unzip", "sponge", "ed", "ex", "vi", "vim", "nano",
]);

/** The deepest nesting of `sh -c`, eval, runners and aliases the analyser follows. */
const MAX_DEPTH = 16;

type Stdin = { text: string } | { unknown: string } | undefined;

interface Unseen {
  /** What the analyser could not see, e.g. `the command word $g`. */
  what: string;
}

class Analysis {
  readonly denials: Verdict[] = [];
  readonly unseen: Unseen[] = [];
  /** Every literal text the line holds, decoded: for the vocabulary check. */
  readonly texts: string[] = [];

  constructor(private readonly policy: GuardPolicy) {}

  script(script: Script, depth: number): void {
    for (const pipeline of script.pipelines) {
      pipeline.commands.forEach((command, i) => {
        const previous = i > 0 ? pipeline.commands[i - 1] : undefined;
        this.command(command, previous === undefined ? undefined : this.outputOf(previous), depth);
      });
    }
  }

  /** The text a command writes, when the analyser can know it (`echo`, `printf`). */
  private outputOf(command: Command): Stdin {
    if (command.kind === "simple") {
      const argv = command.words.map(argOf);
      if (argv.every(isKnown) && (argv[0] === "echo" || argv[0] === "printf")) {
        const args = argv.slice(1).filter((a, i) => !(i === 0 && argv[0] === "echo" && /^-[neE]+$/.test(a)));
        const text = args.join(" ").replace(/\\n/g, "\n");
        return { text };
      }
    }
    return { unknown: "the output of the command before the pipe" };
  }

  private command(command: Command, stdin: Stdin, depth: number): void {
    const fromRedirect = this.redirects(command.redirects, depth);
    const input = fromRedirect ?? stdin;
    if (command.kind === "group") {
      this.script(command.body, depth);
      return;
    }
    this.simple(command, input, depth);
  }

  /** Substitutions in redirection targets run; a here-document or here-string becomes stdin. */
  private redirects(redirects: readonly Redirect[], depth: number): Stdin {
    let stdin: Stdin;
    for (const r of redirects) {
      this.words([r.target], depth);
      if (WRITE_REDIRECTS.has(r.op)) this.checkWrite(r.target.text);
      if (r.heredoc) stdin = { text: r.heredoc.body };
      else if (r.op === "<<<") stdin = r.target.value !== undefined ? { text: r.target.value } : { unknown: `the here-string ${r.target.raw}` };
      else if (r.op === "<") stdin = { unknown: `the file ${r.target.raw}` };
    }
    return stdin;
  }

  private words(words: readonly Word[], depth: number): void {
    for (const word of words) {
      this.texts.push(word.text);
      for (const script of word.scripts) this.script(script, depth + 1);
    }
  }

  private simple(command: SimpleCommand, stdin: Stdin, depth: number): void {
    this.words(command.words, depth);
    this.words(command.assignments.map((a) => a.value), depth);
    const env: Record<string, Arg> = {};
    for (const a of command.assignments) env[a.name] = argOf(a.value);
    if (command.words.length === 0) return;
    this.argv(command.words.map(argOf), env, stdin, depth);
  }

  argv(argv: Arg[], env: Record<string, Arg>, stdin: Stdin, depth: number): void {
    if (depth > MAX_DEPTH) {
      this.denials.push({ decision: "deny", reason: `the command nests wrappers, shells or aliases more than ${MAX_DEPTH} deep` });
      return;
    }
    for (const resolution of resolve(argv, env)) this.resolution(resolution, stdin, depth);
  }

  private resolution(r: Resolution, stdin: Stdin, depth: number): void {
    switch (r.kind) {
      case "unknown":
        this.unseen.push({ what: `the command word ${r.word}` });
        return;
      case "code":
        this.code(r.code, r.via, depth + 1);
        return;
      case "stdin":
        if (stdin === undefined) return;
        if ("text" in stdin) this.code(stdin.text, r.via, depth + 1);
        else this.unseen.push({ what: `the commands ${r.via} reads from ${stdin.unknown}` });
        return;
      case "program":
        this.program(r.argv, r.env, depth);
    }
  }

  code(code: Arg, via: string, depth: number): void {
    if (!isKnown(code)) {
      this.unseen.push({ what: `the code ${via} runs (${code.raw})` });
      return;
    }
    this.texts.push(code);
    let script: Script;
    try {
      script = parseShell(code);
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      this.unseen.push({ what: `the code ${via} runs, which the guard cannot parse (${error.message})` });
      return;
    }
    this.script(script, depth);
  }

  /** A write to one of the tools' own settings or hook files is denied. */
  private checkWrite(path: string): void {
    if (this.policy.protectedPaths !== undefined && protectedPath(path, this.policy.protectedPaths)) {
      this.denials.push({ decision: "deny", reason: protectedReason(path).replace(/^perimeter guard: /, "") });
    }
  }

  private program(argv: Arg[], env: Record<string, Arg>, depth: number): void {
    if (FILE_WRITERS.has(argv[0] as string)) for (const a of argv.slice(1)) this.checkWrite(isKnown(a) ? a : a.raw);
    const grammar = grammarFor(argv[0] as string);
    // A program without a grammar is read as written; one with a grammar only as it reads it.
    const reading: Reading = grammar ? grammar.read(argv, env) : { forms: [argv] };
    if (reading.unreadable !== undefined) {
      // Fail closed, but only for a program some tripwire is about.
      if (namesGuarded(this.policy, [argv[0] as string]) !== undefined) {
        this.denials.push({ decision: "deny", reason: `the guard cannot read this command (${reading.unreadable}), so it refuses it`, command: showArgv(argv) });
      }
      return;
    }
    for (const form of reading.forms) {
      const tripwire = this.policy.tripwires.find((t) => stops(t, form));
      if (tripwire) {
        this.denials.push({ decision: "deny", tripwire, reason: tripwire.reason, command: showArgv(form) });
        return;
      }
    }
    for (const request of reading.requests ?? []) {
      const hit = wireHit(this.policy, request);
      if (hit) {
        this.denials.push({ decision: "deny", tripwire: hit.tripwire, reason: hit.tripwire.reason, command: `${showArgv(argv)}, on the wire ${hit.rule.text}` });
        return;
      }
    }
    for (const inner of reading.runs ?? []) this.argv(inner, {}, undefined, depth + 1);
    for (const { code, via } of reading.code ?? []) this.code(code, via, depth + 1);
  }
}

const wireEntries = new WeakMap<GuardPolicy, { tripwire: Tripwire; rule: WireRule }[]>();

/** The tripwire whose wire form a request meets: the gateway's own reading (wire-match.ts). */
function wireHit(policy: GuardPolicy, request: WireRequest): { tripwire: Tripwire; rule: WireRule } | undefined {
  let entries = wireEntries.get(policy);
  if (entries === undefined) wireEntries.set(policy, (entries = policy.tripwires.flatMap((tripwire) => tripwire.wire.map((rule) => ({ tripwire, rule })))));
  return request.kind === "http" ? httpWireHit(entries, request.host, request.methods, request.path) : graphqlWireHit(entries, request.host, request.fields);
}

/** A tripwire stops a form that may match one of its patterns, unless it surely matches an exception. */
export function stops(tripwire: Tripwire, form: readonly Arg[]): boolean {
  if (!tripwire.rules.some((r) => mayMatch(r.pattern, form))) return false;
  return !tripwire.except.some((r) => mustMatch(r.pattern, form));
}

/**
 * The words that make a line "name a guarded program": each tripwire pattern's program and
 * subcommand. A command the analyser cannot see, in a line holding one of them, is denied.
 */
function vocabulary(policy: GuardPolicy): RegExp | undefined {
  const words = new Set<string>();
  for (const t of policy.tripwires) {
    for (const r of t.rules) {
      for (const token of r.pattern.tokens.slice(0, 2)) if (token.kind === "word" && !token.text.startsWith("-")) words.add(token.text);
    }
  }
  if (words.size === 0) return undefined;
  const alternatives = [...words].map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|");
  return new RegExp(`(^|[^A-Za-z0-9_-])(${alternatives})($|[^A-Za-z0-9_-])`);
}

const vocabularies = new WeakMap<GuardPolicy, RegExp | undefined>();

function namesGuarded(policy: GuardPolicy, texts: readonly string[]): string | undefined {
  if (!vocabularies.has(policy)) vocabularies.set(policy, vocabulary(policy));
  const regex = vocabularies.get(policy);
  if (regex === undefined) return undefined;
  for (const text of texts) {
    const m = regex.exec(text);
    if (m) return m[2];
  }
  return undefined;
}

/** The guard's decision on one command line. */
export function analyse(commandLine: string, policy: GuardPolicy): Verdict {
  const analysis = new Analysis(policy);
  let script: Script;
  try {
    script = parseShell(commandLine);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    const named = namesGuarded(policy, [commandLine]);
    if (named === undefined) return { decision: "none" };
    return { decision: "deny", reason: `the guard cannot parse this command line (${error.message}) and it names "${named}"` };
  }
  analysis.script(script, 0);
  const denial = analysis.denials[0];
  if (denial) return denial;
  if (analysis.unseen.length > 0) {
    const named = namesGuarded(policy, [commandLine, ...analysis.texts]);
    if (named !== undefined) {
      return { decision: "deny", reason: `the guard cannot see ${analysis.unseen[0]!.what}, and the line names "${named}"; write the command out literally` };
    }
  }
  return { decision: "none" };
}

/** The reason as the agent sees it: which tripwire, why, and the command it read. */
export function explain(verdict: Extract<Verdict, { decision: "deny" }>): string {
  const what = verdict.command ? ` (read as: ${verdict.command})` : "";
  return verdict.tripwire ? `perimeter tripwire ${verdict.tripwire.id}: ${verdict.reason}${what}` : `perimeter guard: ${verdict.reason}${what}`;
}
