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
import { argOf, isKnown, programName, showArg, showArgv, type Arg } from "./argv.js";
import { mayMatch, mustMatch } from "./match.js";
import { grammarFor } from "./programs/index.js";
import type { Reading, WireRequest } from "./programs/types.js";
import { parseShell, ShellSyntaxError, type Command, type Redirect, type Script, type SimpleCommand, type Word } from "./shell.js";
import { resolve, type Resolution } from "./unwrap.js";
import { protectedAncestor, protectedPath, protectedReason, realTarget } from "./protected.js";
import { commandStrings, literalValues, makeRecipes } from "./programs/inline-code.js";
import { FILE_WRITERS, writesOf, type Write } from "./writes.js";
import { expandBraces } from "./secret-reads.js";
import { expandGlob } from "./secret-paths-fs.js";
import { posix } from "node:path";

/** What the analyser needs of a profile: its tripwires (a Profile is one). */
export interface GuardPolicy {
  tripwires: readonly Tripwire[];
  /** Files no command may write (the tools' own settings and hook files); none when absent. */
  protectedPaths?: readonly RegExp[];
}

/** Where the line runs: relative globs in write targets expand against the real files there. */
export interface LineContext {
  cwd?: string;
  home?: string;
}

export type Verdict =
  | { decision: "deny"; reason: string; tripwire?: Tripwire; command?: string }
  | { decision: "none" };

/** Redirections that write their target. */
const WRITE_REDIRECTS = new Set([">", ">>", ">|", "&>", "&>>", "<>"]);
/** Programs that print, search or look up their arguments rather than run them (`echo git push -f`). */
const PRINTS_ARGUMENTS = new Set([
  "echo", "printf", "grep", "egrep", "fgrep", "rg", "ag", "ack", "man", "info", "help", "which", "whereis", "whatis", "apropos",
  "type", "tldr", "cowsay", "figlet", "logger", "notify-send", "jq", "cat", "head", "tail", "less", "more", "bat", "wc", "sort",
  "test", "[", "expr", "read", "hash", "compgen", "complete", "alias", "unalias", "export", "declare", "typeset", "local", "readonly",
  "unset", "set", "shift", "return", "exit", "true", "false", ":", "ls", "cd", "pushd", "popd", "stat", "file", "du", "wait", "kill",
  "pkill", "pgrep", "killall", "trap",
]);

/** Options whose value is text (a test name, a message), not a command line. */
const TEXT_OPTIONS = /^(-[tmkgMT]|--(message|title|body|grep|name|filter|test-name-pattern|testNamePattern|description|comment|subject|label|summary|notes|reason))$/;

/** Interpreter code that may write, rename or remove a file it names. */
const WRITES_FILES = /write|append|rename|copy|unlink|remove|symlink|rmtree|move|chmod|replace|truncate|mkdir|rmdir|\brm\b|open\s*\([^,)]*,\s*(mode\s*=\s*)?["'][rbt]*[wax+]|open\s*\([^)]*["']\s*[>+]/i;

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
  /**
   * What earlier commands of the line set up for later ones: variables (`export X=..`, `X=..`),
   * the folders `cd` went to, aliases, and files written with text the guard knows.
   */
  private readonly vars: Record<string, Arg> = {};
  private readonly dirs: string[] = [];
  private readonly aliases = new Map<string, string>();
  private readonly files = new Map<string, Stdin>();
  private readonly analysed = new Set<string>();
  /** Denials only because the guard could not read something (it fails closed). */
  readonly unsure = new WeakSet<Verdict>();

  constructor(
    private readonly policy: GuardPolicy,
    private readonly context: LineContext = {},
  ) {}

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
        const text = args.join(" ").replace(/\\n/g, "\n").replace(/\\t/g, "\t");
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
    this.recordFiles(command, input);
    this.simple(command, input, depth);
  }

  /**
   * A file the line writes and then runs (`echo 'git push -f' > x.sh; sh x.sh`, a Makefile and
   * `make`): its text, when the guard knows it, is read where it runs.
   */
  private recordFiles(command: SimpleCommand, stdin: Stdin): void {
    const word = command.words[0]?.value;
    const text: Stdin = word === "cat" && command.words.length === 1 ? (stdin ?? { unknown: "cat" }) : word === "echo" || word === "printf" ? this.outputOf(command) : undefined;
    for (const r of command.redirects) {
      if (r.op !== ">" && r.op !== ">>" && r.op !== ">|" && r.op !== "&>") continue;
      if (r.target.value === undefined) continue;
      const path = posix.normalize(r.target.value);
      let written: Stdin = text ?? { unknown: `what ${r.target.value} was written with` };
      // `>>` adds to what the line wrote there before.
      const before = r.op === ">>" ? this.files.get(path) : undefined;
      if (before !== undefined && "text" in before && "text" in written) written = { text: `${before.text}\n${written.text}` };
      this.files.set(path, written);
    }
    if (word === "tee") for (const w of command.words.slice(1)) if (w.value !== undefined && !w.value.startsWith("-")) this.files.set(posix.normalize(w.value), stdin ?? { unknown: "tee" });
  }

  /** Substitutions in redirection targets run; a here-document or here-string becomes stdin. */
  private redirects(redirects: readonly Redirect[], depth: number): Stdin {
    let stdin: Stdin;
    for (const r of redirects) {
      this.words([r.target], depth);
      if (WRITE_REDIRECTS.has(r.op)) this.checkWrite({ path: r.target.text, tree: false }, r.target.raw.includes("{"));
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
    const env: Record<string, Arg> = { ...this.vars };
    for (const a of command.assignments) env[a.name] = argOf(a.value);
    if (command.words.length === 0) {
      // `X=1; git push`: X is in the shell now, and in the environment when it is exported.
      Object.assign(this.vars, env);
      return;
    }
    const argv = command.words.map(argOf);
    this.lineState(argv);
    const alias = isKnown(argv[0]) ? this.aliases.get(argv[0]) : undefined;
    if (alias !== undefined) {
      // An alias defined earlier in the line: what it expands to runs, with these arguments.
      this.code(`${alias} ${argv.slice(1).map(showArg).join(" ")}`, `the alias ${argv[0] as string}`, depth + 1);
      return;
    }
    this.argv(argv, env, stdin, depth);
  }

  private failClosed(verdict: Verdict): void {
    this.unsure.add(verdict);
    this.denials.push(verdict);
  }

  /** Builtins that change what later commands of the line mean: export, cd, alias. */
  private lineState(argv: readonly Arg[]): void {
    const [name, ...args] = argv;
    if (name === "export" || name === "declare" || name === "typeset" || name === "local" || name === "readonly") {
      for (const a of args) {
        const m = isKnown(a) ? /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(a) : null;
        if (m) this.vars[m[1]!] = m[2]!;
        else if (!isKnown(a)) {
          // `export "$X"`: a variable the guard cannot name may be any, config ones included.
          const named = /^["']?([A-Za-z_][A-Za-z0-9_]*)=/.exec(a.raw);
          this.vars[named ? named[1]! : "GIT_CONFIG_PARAMETERS"] = a;
        }
      }
    } else if ((name === "cd" || name === "pushd") && args.every(isKnown)) {
      const target = (args.filter((a) => !(a as string).startsWith("-"))[0] as string | undefined) ?? "~";
      const from = this.dirs.at(-1) ?? "";
      this.dirs.push(target.startsWith("/") || target.startsWith("~") || from === "" ? target : posix.join(from, target));
    } else if (name === "alias") {
      for (const a of args) {
        const m = isKnown(a) ? /^([^=\s]+)=(.*)$/s.exec(a) : null;
        if (m) this.aliases.set(m[1]!, m[2]!);
      }
    }
  }

  argv(argv: Arg[], env: Record<string, Arg>, stdin: Stdin, depth: number): void {
    if (depth > MAX_DEPTH) {
      this.failClosed({ decision: "deny", reason: `the command nests wrappers, shells or aliases more than ${MAX_DEPTH} deep` });
      return;
    }
    if (isKnown(argv[0]) && programName(argv[0]) === "find") this.findWrites(argv);
    for (const resolution of resolve(argv, env)) this.resolution(resolution, stdin, depth);
  }

  /** `find DIR -delete`, `find DIR -exec rm {} +`: everything beneath DIR may change. */
  private findWrites(argv: readonly Arg[]): void {
    const writes = argv.some((a, i) => a === "-delete" || ((a === "-exec" || a === "-execdir") && isKnown(argv[i + 1]) && FILE_WRITERS.has(programName(argv[i + 1] as string))));
    if (!writes) return;
    for (const a of argv.slice(1)) {
      if (isKnown(a) && (a.startsWith("-") || a === "(" || a === "!")) break;
      this.checkWrite({ path: isKnown(a) ? a : a.raw, tree: true });
    }
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
      case "script":
        this.runScript(r.path, r.via, depth);
        return;
      case "program":
        if (isKnown(r.word) && this.files.has(posix.normalize(r.word))) {
          this.runScript(r.word, `the file ${r.word} the line wrote`, depth);
          return;
        }
        this.program(r.argv, r.env, stdin, depth);
    }
  }

  /** A script file a shell runs (`sh x.sh`, `. ./x.sh`): read when the line wrote it. */
  private runScript(path: Arg, via: string, depth: number): void {
    if (!isKnown(path)) {
      this.unseen.push({ what: `the script ${via} runs (${path.raw})` });
      return;
    }
    const written = this.files.get(posix.normalize(path));
    if (written === undefined) return; // A file from before this line: README "The guard" says what it cannot see.
    if ("text" in written) this.code(written.text, `${via} (${path})`, depth + 1);
    else this.unseen.push({ what: `the script ${path}, written from ${written.unknown}` });
  }

  code(code: Arg, via: string, depth: number): void {
    if (!isKnown(code)) {
      this.unseen.push({ what: `the code ${via} runs (${code.raw})` });
      return;
    }
    this.texts.push(code);
    // The same text reads the same way twice (and an editor variable that runs git would recurse).
    if (this.analysed.has(code)) return;
    this.analysed.add(code);
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

  /**
   * A write to one of the tools' own settings or hook files is denied: also through a glob or a
   * brace list, a variable set earlier in the line, or relative to a folder `cd` went to.
   */
  private checkWrite(write: Write, braces = false): void {
    const patterns = this.policy.protectedPaths;
    if (patterns === undefined || patterns.length === 0) return;
    let path = write.path.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (all, name: string) => {
      const v = this.vars[name];
      return isKnown(v) ? v : all;
    });
    const home = this.context.home ?? process.env.HOME;
    if (home !== undefined) path = path.replace(/^~(?=\/|$)/, home);
    const candidates = new Set<string>();
    for (const p of braces ? expandBraces(path) : [path]) {
      candidates.add(p);
      for (const dir of this.dirs) if (!p.startsWith("/") && !p.startsWith("~")) candidates.add(posix.join(dir, p));
    }
    const cwd = this.context.cwd ?? process.cwd();
    // A relative path is the working folder's: a call that runs inside `.tool/` writes `settings.json` there.
    if (this.context.cwd !== undefined) for (const c of [...candidates]) if (!c.startsWith("/") && !c.startsWith("~") && !c.includes("$")) candidates.add(posix.join(cwd, c));
    for (const c of [...candidates]) {
      if (/[*?[]/.test(c)) for (const found of expandGlob(c.startsWith("/") ? c : posix.join(cwd, c), 50)) candidates.add(found);
      else if (!c.includes("$")) {
        const real = realTarget(c, cwd);
        if (real !== undefined) candidates.add(real);
      }
    }
    for (const c of candidates) {
      if (protectedPath(c, patterns) || (write.tree && protectedAncestor(c, patterns))) {
        this.denials.push({ decision: "deny", reason: protectedReason(write.path).replace(/^perimeter guard: /, "") });
        return;
      }
    }
  }

  private program(argv: Arg[], env: Record<string, Arg>, stdin: Stdin, depth: number): void {
    if (FILE_WRITERS.has(argv[0] as string)) for (const w of writesOf(argv)) this.checkWrite(w, true);
    const grammar = grammarFor(argv[0] as string);
    // A program without a grammar is read as written; one with a grammar only as it reads it.
    const reading: Reading = grammar ? grammar.read(argv, env) : { forms: [argv] };
    if (reading.unreadable !== undefined) {
      // Fail closed, but only for a program some tripwire is about.
      if (namesGuarded(this.policy, [argv[0] as string]) !== undefined) {
        this.failClosed({ decision: "deny", reason: `the guard cannot read this command (${reading.unreadable}), so it refuses it`, command: showArgv(argv) });
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
    if (grammar === undefined && !PRINTS_ARGUMENTS.has(argv[0] as string)) this.tailRuns(argv, depth);
    for (const w of reading.writes ?? []) this.checkWrite({ path: isKnown(w) ? w : w.raw, tree: false });
    for (const inner of reading.runs ?? []) this.argv(inner, {}, undefined, depth + 1);
    for (const { code, via } of reading.code ?? []) this.code(code, via, depth + 1);
    for (const { code, via } of reading.strings ?? []) this.strings(code, via, depth + 1);
    if (reading.stdin !== undefined && stdin !== undefined) this.programText(stdin, reading.stdin.language, reading.stdin.via, depth);
    for (const { path, language } of reading.reads ?? []) {
      const written = isKnown(path) ? this.files.get(posix.normalize(path)) : undefined;
      if (written !== undefined) this.programText(written, language, `${argv[0] as string} running ${path as string}, written on this line`, depth);
    }
  }

  /** A program's text in a language the guard does not read as shell: make recipes, or literals. */
  private programText(text: Stdin & object, language: "strings" | "make", via: string, depth: number): void {
    if ("unknown" in text) this.unseen.push({ what: `the code ${via} from ${text.unknown}` });
    else if (language === "make") for (const r of makeRecipes(text.text)) this.code(r, via, depth + 1);
    else this.strings(text.text, via, depth + 1);
  }

  /**
   * A program the guard does not know may run its arguments (`strace -f git push -f`, `ssh host git
   * push -f`, `unshare -r`, `fakeroot`, `proxychains`, `docker exec c`): from each argument that names a
   * guarded program, the rest is read as that program's command, and only a tripwire it reaches counts.
   */
  private tailRuns(argv: readonly Arg[], depth: number): void {
    for (let k = 1; k < argv.length; k++) {
      const word = argv[k];
      if (!isKnown(word)) continue;
      const inner = new Analysis(this.policy, this.context);
      // One argument with spaces may be a command line it hands to a shell (`ssh host 'git push -f'`,
      // `tmux new 'npm publish'`, `nodemon --exec='..'`), unless it is the value of an option that
      // takes text (`vitest -t "npm publish"`, `--message=..`).
      const attached = /^(--?[\w-]+)=(.*)$/s.exec(word);
      const option = attached ? attached[1]! : (argv[k - 1] as string);
      const text = attached ? attached[2]! : word;
      if (/\s/.test(text) && !(isKnown(option) && TEXT_OPTIONS.test(option))) inner.code(text, `${argv[0] as string}'s argument`, depth + 1);
      else if (grammarFor(word) !== undefined) inner.argv(argv.slice(k), {}, undefined, depth + 1);
      // Only what surely is a tripwire or a protected file: these words may be no command at all
      // (`apt-get install gh npm`), so what the guard cannot read there is no reason to refuse.
      const sure = inner.denials.find((d) => !inner.unsure.has(d));
      if (sure) {
        this.denials.push(sure);
        return;
      }
    }
  }

  /**
   * Code in a language the guard does not read: each command line its string literals may hold is
   * read in a fresh analysis of its own, and only a tripwire or protected file it surely reaches counts
   * (a literal that is no command line is no reason to refuse). Code the guard cannot see at all is
   * unseen.
   */
  private strings(code: Arg, via: string, depth: number): void {
    if (!isKnown(code)) {
      this.unseen.push({ what: `the code ${via} runs (${code.raw})` });
      return;
    }
    this.texts.push(code);
    // The code may write a protected file by name (`open(".tool/settings.json", "w")`).
    if (WRITES_FILES.test(code)) for (const path of literalValues(code)) this.checkWrite({ path: path.replace(/^[\s<>+|]+/, ""), tree: false });
    for (const line of commandStrings(code)) {
      const inner = new Analysis(this.policy, this.context);
      inner.code(line, via, depth);
      const sure = inner.denials.find((d) => !inner.unsure.has(d));
      if (sure) {
        this.denials.push(sure);
        return;
      }
    }
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
export function analyse(commandLine: string, policy: GuardPolicy, context: LineContext = {}): Verdict {
  const analysis = new Analysis(policy, context);
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
