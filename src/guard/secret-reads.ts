// The guard's secrets analyser: does a command line read a secret, or print one? It reads the line
// with the guard's shell parser (shell.ts) and takes wrappers off (unwrap.ts), then resolves every
// path the line names as the shell would (`~`, `$HOME` and variables set earlier in the line,
// relative paths and `..`, a `cd` earlier in the line, brace lists and globs against the real files,
// symlinks), including redirections, `key=path` and `@path` arguments (`curl -d @file`), folders
// read recursively (grep -r, rg, tar, cp -r, find -exec, a listing piped into xargs), the source of
// `sh -c` and of an interpreter's `-c`/`-e`, and the commands that print the environment. Also: a
// `..` taken from where a symlinked folder really is, `/proc/self/cwd`, `file://` URLs, `~USER`,
// secret variables under other names (`X=$T`, `${!v}`, `for t in $T`), and code handed over other
// ways (pagers, git aliases, ssh's remote command, SQL, jq; which ones: secret-code.ts).
//
// Decisions: "deny" when it reads a secret; "ask" when it cannot tell whether a command that reads
// files reads one (a path it cannot know); never "allow". The tool's own rules decide the rest.
import { homedir, userInfo } from "node:os";
import { dirname } from "node:path";
import { argOf, isKnown, programName, type Arg } from "./argv.js";
import { BUILT_AT_RUN_TIME, CODE_OPTIONS, CODE_VARIABLES, codeArguments, GIT_CODE_KEYS, INTERPRETERS, JQ, SQL_SHELLS } from "./secret-code.js";
import { absolute, GlobTooLarge, logical, patternMaySecret, procAlias, secretAt, secretBeneath, type Found, type WalkOptions } from "./secret-paths-fs.js";
import { parseShell, ShellSyntaxError, type Command, type Redirect, type Script, type SimpleCommand, type Word } from "./shell.js";
import { resolve as unwrap } from "./unwrap.js";
import type { SecretContext } from "../profile/secret-paths.js";
import { secretClassOfCommand, secretClassOfVariable, type SecretClass, type Secrets } from "../profile/secret-classes.js";

export type SecretVerdict =
  | { decision: "deny"; reason: string; secret: SecretClass }
  | { decision: "ask"; reason: string }
  | { decision: "none" };

export interface SecretScene extends SecretContext {
  /** The agent's working directory for this command (the workspace unless the tool says otherwise). */
  cwd: string;
}

/** The scene of a hook call: HOME from the environment, the project folder as workspace and cwd. */
export function sceneFor(cwd: string, home = process.env.HOME ?? homedir()): SecretScene {
  return { home, workspace: cwd, cwd };
}

const MAX_DEPTH = 12;

/** Programs that read the files named on their command line (an unknown operand makes them ask). */
const READERS = new Set([
  "cat", "tac", "head", "tail", "less", "more", "most", "bat", "batcat", "nl", "od", "xxd", "hexdump", "hd", "strings",
  "base64", "base32", "basenc", "uuencode", "cut", "sort", "uniq", "paste", "join", "comm", "diff", "cmp", "sed", "awk",
  "gawk", "mawk", "grep", "egrep", "fgrep", "rg", "ag", "ack", "jq", "yq", "cp", "scp", "rsync", "tar", "zip", "gzip",
  "zcat", "bzcat", "xzcat", "curl", "wget", "openssl", "gpg", "source", ".", "dd", "tee", "xargs", "fold", "fmt", "column",
  "iconv", "split", "csplit", "shuf", "rev", "expand", "unexpand", "pr", "look", "vim", "vi", "nano", "emacs", "view",
]);


/** Commands that print every variable when given no names. */
function printsEnvironment(argv: readonly Arg[]): boolean {
  const [name, ...rest] = argv;
  if (!isKnown(name)) return false;
  const known = rest.filter(isKnown);
  const operands = known.filter((a) => !a.startsWith("-") && !a.startsWith("+"));
  switch (programName(name)) {
    case "env":
      // `env` alone, or with options and NAME=VALUE only: it prints the environment.
      return rest.every((a) => isKnown(a) && (a.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)));
    case "set":
      return rest.length === 0 || known.every((a) => a === "-o" || a === "posix" || a === "--");
    case "export":
    case "declare":
    case "typeset":
    case "readonly":
      // An operand the guard cannot read (`export PATH=$PATH:x`) is still an operand: it sets, not prints.
      return operands.length === 0 && rest.every((a) => isKnown(a));
    case "ps":
      // BSD-style options without a dash: `e` adds each process's environment (`ps eww`, `ps auxe`);
      // macOS also has `-E`.
      return known.some((a) => /^[A-Za-z]*e[A-Za-z]*$/.test(a) || /^-[A-Za-z]*E/.test(a));
    case "make":
      // The data base it prints holds every variable, the environment's among them.
      return known.some((a) => a === "--print-data-base" || /^-[A-Za-z]*p/.test(a));
    case "compgen":
      return known.some((a) => /^-[A-Za-z]*[ev]/.test(a));
    default:
      return false;
  }
}

/** `$NAME` and `${NAME...}` references in a word as written. */
function variablesIn(text: string): string[] {
  return [...text.matchAll(/\$\{?!?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

/**
 * Programs that print (or echo back) what their arguments hold: a secret variable expanded into
 * their arguments reaches the output (inline code given one is read in program()). Others
 * (`curl -H "Authorization: Bearer $T" https://...`) send it where it was meant to go.
 */
const PRINTERS = new Set([
  "echo", "printf", "print", "logger", "cat", "tee", "printenv", "awk", "gawk", "mawk", "sed", "expr", "basename",
  "dirname", "realpath", "readlink", "jq", "yq", "gojq",
]);

/**
 * Brace lists `a{b,c}d` expanded as bash does (nested ones too); ranges left as written. Past a few
 * hundred words (`{a,b}{a,b}...` doubles with each list, and a hook that runs out of time may let the
 * call through) each list becomes a `*` glob instead, which stands for at least as much.
 */
export function expandBraces(text: string): string[] {
  const estimate = [...text.matchAll(/\{([^{}]*)\}/g)].reduce((n, m) => n * m[1]!.split(",").length, 1);
  if (estimate > 256) return [text.replace(/\{[^{}]*\}/g, "*").replace(/[{}]/g, "*")];
  return expandAll(text);
}

function expandAll(text: string): string[] {
  const open = text.indexOf("{");
  if (open < 0) return [text];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) {
      if (commas.length === 0) return expandAll(text.slice(i + 1)).map((tail) => text.slice(0, i + 1) + tail);
      const parts: string[] = [];
      let from = open + 1;
      for (const comma of [...commas, i]) {
        parts.push(text.slice(from, comma));
        from = comma + 1;
      }
      const tails = expandAll(text.slice(i + 1));
      return parts.flatMap((p) => expandAll(text.slice(0, open) + p).flatMap((head) => tails.map((t) => head + t)));
    } else if (c === "," && depth === 1) commas.push(i);
  }
  return [text];
}

/** A word after the shell's expansions: known paths, or a pattern with unknown parts as `*`. */
type Expanded = { kind: "known"; values: string[] } | { kind: "partial"; pattern: string } | { kind: "unknown" };

class Reader {
  private verdict: SecretVerdict = { decision: "none" };
  private cwd: string | undefined;
  private readonly vars: Record<string, string>;
  /** Variables set from a secret variable (`X=$GITHUB_TOKEN`, `for t in $T`, `declare -n r=T`): as secret. */
  private readonly tainted = new Set<string>();

  constructor(
    private readonly secrets: Secrets,
    private readonly scene: SecretScene,
  ) {
    this.cwd = scene.cwd;
    this.vars = { HOME: scene.home, PWD: scene.cwd };
  }

  result(): SecretVerdict {
    return this.verdict;
  }

  private deny(found: Found, how: string): void {
    if (this.verdict.decision === "deny") return;
    this.verdict = { decision: "deny", secret: found.secret, reason: `${how} ${found.path}: ${found.secret.title} stay out of the model's context` };
  }

  private denyClass(secret: SecretClass, what: string): void {
    if (this.verdict.decision === "deny") return;
    this.verdict = { decision: "deny", secret, reason: `${what}: ${secret.title} stay out of the model's context` };
  }

  private ask(reason: string): void {
    if (this.verdict.decision === "none") this.verdict = { decision: "ask", reason };
  }

  get decided(): boolean {
    return this.verdict.decision === "deny";
  }

  // ---- shell structure ----

  private script(script: Script, depth: number): void {
    for (const pipeline of script.pipelines) {
      // A listing piped into xargs (or a `while read` loop) hands its files to the next command.
      const feedsNames = pipeline.commands.slice(1).some((c) => c.kind === "simple" && /^(xargs|parallel|while|read)$/.test(programOf(c) ?? ""));
      pipeline.commands.forEach((command, i) => {
        const stdin = i > 0 ? textOutput(pipeline.commands[i - 1]!) : undefined;
        this.command(command, depth, { feedsNames: feedsNames && i < pipeline.commands.length - 1, stdin });
      });
      if (this.decided) return;
    }
  }

  private command(command: Command, depth: number, pipe: { feedsNames: boolean; stdin: string | undefined }): void {
    for (const redirect of command.redirects) this.redirect(redirect, depth);
    if (command.kind === "group") {
      this.script(command.body, depth);
      return;
    }
    this.simple(command, depth, pipe);
  }

  private redirect(redirect: Redirect, depth: number): void {
    for (const s of redirect.target.scripts) this.script(s, depth + 1);
    if (redirect.heredoc) {
      if (redirect.heredoc.expands) this.printsVariables([redirect.heredoc.body], "a here-document expands");
      return;
    }
    if (redirect.op === "<<<") {
      this.printsVariables([redirect.target.text], "a here-string expands");
      this.pathsOf(redirect.target, "reads", true);
      return;
    }
    if (redirect.op === "<" || redirect.op === "<>") this.pathsOf(redirect.target, "redirects from", true);
  }

  private simple(command: SimpleCommand, depth: number, pipe: { feedsNames: boolean; stdin: string | undefined }): void {
    for (const word of [...command.words, ...command.assignments.map((a) => a.value)]) for (const s of word.scripts) this.script(s, depth + 1);
    this.taints(command);
    this.unredacted(command);
    this.codeVariables(command, depth);
    if (command.words.length === 0) {
      // `F=~/.ssh/id_rsa` on its own sets a shell variable for what follows (a `for` loop assigns
      // each of its words in turn, so a name assigned twice is no longer known).
      for (const a of command.assignments) {
        const e = this.expand(a.value);
        const once = command.assignments.filter((b) => b.name === a.name).length === 1;
        if (e.kind === "known" && e.values.length === 1 && once) this.vars[a.name] = e.values[0]!;
        else delete this.vars[a.name];
        if (e.kind === "known") for (const v of e.values) this.pathCheck(v, "names");
      }
      return;
    }
    const argv = command.words.map((w) => this.argOf(w));
    const first = argv[0];
    if (isKnown(first) && (first === "cd" || first === "pushd")) {
      this.changeDirectory(command.words.slice(1));
      return;
    }
    if (printsEnvironment(argv)) {
      const secret = this.secrets.classes.find((c) => c.env.length > 0);
      if (secret) this.denyClass(secret, `\`${command.words.map((w) => w.text).join(" ")}\` prints the environment`);
      return;
    }
    // Listers whose names feed another command (find -exec, `find | xargs`) read what they list;
    // the wrapper reading below keeps only the command they run.
    for (const dir of recursiveOperands(programName(isKnown(first) ? first : ""), argv, pipe.feedsNames)) this.recursive(dir, walkOptions(argv));
    for (const resolution of unwrap(argv, {})) {
      if (resolution.kind === "code") {
        if (isKnown(resolution.code)) this.shellCode(resolution.code, depth + 1);
        else this.ask(`the guard cannot see the shell code run by ${resolution.via}`);
      } else if (resolution.kind === "stdin") {
        if (pipe.stdin !== undefined) this.shellCode(pipe.stdin, depth + 1);
        const heredoc = command.redirects.find((r) => r.heredoc)?.heredoc;
        if (heredoc) this.shellCode(heredoc.body, depth + 1);
        if (pipe.stdin === undefined && !heredoc) this.ask(`${resolution.via} runs commands from its input, which the guard cannot see`);
      } else if (resolution.kind === "program") {
        this.program(resolution.argv, command, depth, pipe);
      }
      if (this.decided) return;
    }
    // Every word of the line, whatever runs it: a secret path named anywhere is read by something.
    command.words.forEach((word, i) => this.pathsOf(word, i === 0 ? "runs" : "names", READERS.has(programName(isKnown(first) ? first : ""))));
    if (PRINTERS.has(programName(isKnown(first) ? first : ""))) this.printsVariables(command.words.slice(1).map((w) => w.text), "prints");
  }

  private program(argv: Arg[], command: SimpleCommand, depth: number, pipe: { feedsNames: boolean }): void {
    const name = programName(String(argv[0]));
    const secretCommand = secretClassOfCommand(this.secrets, withoutGitOptions(argv).filter(isKnown));
    if (secretCommand) {
      this.denyClass(secretCommand, `\`${argv.filter(isKnown).join(" ")}\` prints credentials`);
      return;
    }
    if (printsEnvironment(argv)) {
      const secret = this.secrets.classes.find((c) => c.env.length > 0);
      if (secret) this.denyClass(secret, `\`${argv.filter(isKnown).join(" ")}\` prints the environment`);
      return;
    }
    if (INTERPRETERS.has(name)) this.interpreter(name, argv, command);
    // Wrapped printers too (`env X=1 echo "$T"`, `xargs echo`), and inline code given the variable
    // (`python3 -c 'print(sys.argv[1])' "$T"`); a script file given one (`python3 deploy.py --token "$T"`)
    // is the user's program, which has it to use.
    const inline = CODE_OPTIONS[name]?.some((o) => argv.some((a) => a === o || (isKnown(a) && a.startsWith(`${o}=`))));
    if (PRINTERS.has(name) || inline || SQL_SHELLS.has(name)) this.printsVariables(command.words.slice(1).map((w) => w.text), "prints");
    if (name === "git") this.git(argv, depth);
    const handed = codeArguments(name, argv);
    for (const code of handed.shell) this.shellCode(code, depth + 1);
    for (const text of handed.words) {
      this.code(text);
      this.tokensCheck(text);
    }
    // `make -f - <<< 'x:; cat ~/.netrc'`: a makefile from the input holds recipes, which are shell code.
    if (name === "make" && argv.some((a, i) => a === "-" && (argv[i - 1] === "-f" || argv[i - 1] === "--file"))) {
      for (const r of command.redirects) if (r.heredoc || r.op === "<<<") this.tokensCheck(r.heredoc?.body ?? r.target.text);
    }
    if (name === "curl" && hasFlag(argv, "n", ["--netrc", "--netrc-optional"]) && hasFlag(argv, "v", ["--verbose", "--trace", "--trace-ascii"])) {
      // curl sends ~/.netrc's password as an Authorization header, and -v or --trace prints that header.
      this.pathCheck(`${this.scene.home}/.netrc`, "curl prints the header it builds from");
    }
    if (name === "mv") this.relocates(argv);
    // A wrapped command (`env grep -r ...`); the line's own first command was checked in simple().
    const raw = command.words.map((w) => this.argOf(w));
    const wrapped = raw.length !== argv.length || raw.some((a, i) => JSON.stringify(a) !== JSON.stringify(argv[i]));
    if (wrapped) for (const dir of recursiveOperands(name, argv, pipe.feedsNames)) this.recursive(dir, walkOptions(argv));
    // Names it reads that the line does not show (xargs input, `find -exec {}`): it cannot tell.
    const unseen = argv.slice(1).find((a) => !isKnown(a));
    if (READERS.has(name) && unseen !== undefined && !isKnown(unseen)) this.ask(`the guard cannot tell which files ${name} reads (${unseen.raw})`);
    // The placeholder of `xargs -I{}` and `find -exec {}` stands for any name.
    for (const arg of argv) {
      if (isKnown(arg) && arg.includes("{}")) {
        const found = this.cwd === undefined ? undefined : patternMaySecret(this.secrets, this.abs(this.tilde(arg.replace(/\{\}/g, "*"))), this.scene);
        if (found) this.deny(found, "reads");
      }
    }
  }

  private interpreter(name: string, argv: readonly Arg[], command: SimpleCommand): void {
    const sources: Arg[] = [];
    const options = CODE_OPTIONS[name];
    if (JQ.has(name)) {
      // jq's `env` and `$ENV` are the environment (`jq -n env`, `jq -n '$ENV.GITHUB_TOKEN'`).
      for (const filter of argv.slice(1).filter(isKnown)) this.jqEnvironment(filter);
      return;
    }
    if (SQL_SHELLS.has(name)) {
      // `sqlite3 DB "select readfile('.env')"`, `sqlite3 DB '.import .env t'`: SQL names files too.
      const operands = argv.slice(1).filter((a) => !(isKnown(a) && a.startsWith("-")));
      for (const sql of operands.slice(1)) {
        if (!isKnown(sql)) this.ask(`the guard cannot see the SQL in ${sql.raw}`);
        else {
          this.code(sql);
          this.tokensCheck(sql);
        }
      }
      return;
    }
    if (options === undefined) {
      // awk: the program is the first operand that is not an option.
      const program = argv.slice(1).find((a, i, all) => !(isKnown(a) && a.startsWith("-")) && !(i > 0 && all[i - 1] === "-f"));
      if (program !== undefined) sources.push(program);
    } else {
      argv.forEach((a, i) => {
        if (!isKnown(a)) return;
        if (options.includes(a)) sources.push(argv[i + 1] ?? "");
        const attached = options.find((o) => o.startsWith("--") && a.startsWith(`${o}=`));
        if (attached) sources.push(a.slice(attached.length + 1));
      });
      const heredoc = command.redirects.find((r) => r.heredoc)?.heredoc;
      if (heredoc) sources.push(heredoc.body);
    }
    for (const source of sources) {
      if (isKnown(source)) this.code(source);
      else this.ask(`the guard cannot see the ${name} code in ${source.raw}`);
    }
  }

  /** Source code of another language: the paths it spells out, home-relative joins, environment reads. */
  private code(source: string): void {
    const strings = [...source.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`([^`]*)`/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
    const bare = [...source.matchAll(/[~$A-Za-z0-9_.{}\/-]*\/[A-Za-z0-9_.*?\/-]+/g)].map((m) => m[0]);
    // The home as languages spell it inside a string: $HOME, ~, #{Dir.home}, ${os.homedir()}.
    const home = (s: string) => s.replace(/\$\{?HOME\}?|^~(?=\/|$)|#\{[^}]*\b(?:home|HOME)\b[^}]*\}|\$\{[^}]*(?:homedir|HOME)[^}]*\}/g, this.scene.home);
    for (const text of [...strings, ...bare]) {
      for (const value of expandBraces(home(text))) this.pathCheck(value, "the code reads");
    }
    // os.path.join(home, ".ssh", "id_rsa"), Path.home() / ".aws" / "credentials": joins of literals.
    for (let i = 0; i < strings.length; i++) {
      for (let j = i + 1; j < Math.min(strings.length, i + 4); j++) {
        const joined = strings.slice(i, j + 1).join("/");
        this.pathCheck(`${this.scene.home}/${joined}`, "the code reads");
        this.pathCheck(joined, "the code reads");
      }
    }
    for (const s of strings) this.pathCheck(`${this.scene.home}/${s}`, "the code reads");
    // A string the code hands to a shell (`os.system('cat .env')`, `['cat', '.env']`): its words.
    for (const s of strings) if (/\s/.test(s)) this.tokensCheck(home(s));
    this.codeEnvironment(source);
    // What the code builds at run time (decoded, joined from pieces) no reading of its text can
    // follow: the user is asked rather than the read let through as harmless.
    if (BUILT_AT_RUN_TIME.test(source)) this.ask("the code builds at run time what it runs or opens (decoded or joined text), which the guard cannot follow");
  }

  /** A jq filter's `env` / `$ENV`: the whole environment, unless it names one variable (`env.HOME`). */
  private jqEnvironment(filter: string): void {
    const secret = this.secrets.classes.find((c) => c.env.length > 0);
    if (!secret) return;
    for (const m of filter.matchAll(/(?:^|[^.\w$])(\$ENV|env)\b(\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*"([A-Za-z_]\w*)"\s*\]))?/g)) {
      const name = m[3] ?? m[4];
      if (name === undefined) return this.denyClass(secret, `the jq filter reads the whole environment (${m[1]})`);
      const variable = secretClassOfVariable(this.secrets, name);
      if (variable) return this.denyClass(variable, `the jq filter reads ${name}`);
    }
  }

  /** `os.environ`, `process.env`, `ENV[...]`, `getenv(...)`: a named secret, or the whole environment. */
  private codeEnvironment(source: string): void {
    // `environ` alone too: `from os import environ`, `o.environ`, `os.environb`; awk's ENVIRON.
    const access = /\b(os\.environb?|environb?|ENVIRON|os\.getenv|process\.env|Deno\.env|Bun\.env|ENV|getenv|System\.getenv|\$ENV|%ENV)\b|\$_(?:ENV|SERVER)\b/g;
    for (const m of source.matchAll(access)) {
      const after = source.slice(m.index! + m[0].length);
      // A name in brackets without quotes is a variable holding the name (`ENVIRON[k]`, `os.environ[k]`).
      const named = /^\s*\[\s*[A-Za-z_]/.test(after) ? null : /^\s*(?:\.get\(|\.fetch\(|\[|\(|\{|\.)\s*["'`]?([A-Za-z_][A-Za-z0-9_]*)/.exec(after);
      const secret = this.secrets.classes.find((c) => c.env.length > 0);
      if (!secret) return;
      const methods = /^(get|fetch|items|keys|values|copy|entries|toObject|toJSON|to_h|to_a|to_hash|inspect|each|each_pair|map|select|filter|sort|dup|clone|__dict__|_data)$/;
      if (named === null || methods.test(named[1]!) && !/^\s*\.(get|fetch)\(\s*["'`]/.test(after)) {
        this.denyClass(secret, `the code reads the whole environment (${m[0]})`);
        return;
      }
      const variable = secretClassOfVariable(this.secrets, named[1]!);
      if (variable) this.denyClass(variable, `the code reads ${named[1]}`);
    }
  }

  shellCode(code: string, depth: number): void {
    if (depth > MAX_DEPTH) {
      this.ask("the shell code is nested too deep for the guard to follow");
      return;
    }
    let script: Script;
    try {
      script = parseShell(code);
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      this.textFallback(code);
      return;
    }
    this.script(script, depth);
  }

  /** A line the parser cannot read: its path-like words still may not name a secret. */
  private textFallback(line: string): void {
    this.tokensCheck(line);
    if (this.verdict.decision === "none") this.ask("the guard cannot read this command line");
  }

  /** Every word-like token of a text, as a path. */
  private tokensCheck(text: string): void {
    for (const token of text.split(/[\s;&|()<>'"`=@,]+/)) if (token !== "") this.pathCheck(this.tilde(token), "names");
  }

  /** `~` and `~USER` (this user) are the home, `~+` the working folder, as bash expands them. */
  private tilde(text: string): string {
    return text.replace(/^~([A-Za-z0-9._+-]*)(?=\/|$)/, (m, user: string) =>
      user === "" || user === currentUser() ? this.scene.home : user === "+" && this.cwd !== undefined ? this.cwd : m,
    );
  }

  /** The absolute path a command means, `/proc/self/cwd/...` and its kin read as the folder they are. */
  private abs(path: string): string {
    // `~/` at the start of a candidate the shell would not expand (`@~/.netrc` in a text) still is the home to a reader.
    const abs = absolute(this.tilde(path), this.cwd!);
    return procAlias(abs, this.cwd!);
  }

  /** `GIT_PAGER='cat ~/.netrc' git log`, `export EDITOR=...`: a value some program runs as shell code. */
  private codeVariables(command: SimpleCommand, depth: number): void {
    const values = [
      ...command.assignments.map((a) => [a.name, a.value.value] as const),
      ...command.words.slice(1).map((w) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w.value ?? "")).filter((m) => m !== null).map((m) => [m[1]!, m[2]] as const),
    ];
    for (const [name, value] of values) {
      if (!CODE_VARIABLES.has(name)) continue;
      if (value === undefined) this.ask(`the guard cannot see the shell code in ${name}`);
      else this.shellCode(value, depth + 1);
    }
  }

  /**
   * `GIT_TRACE_REDACT=0` (with GIT_CURL_VERBOSE or GIT_TRACE_CURL) makes git print the Authorization
   * header it sends, with the stored credential in it: redaction is what keeps git's traces harmless.
   */
  private unredacted(command: SimpleCommand): void {
    const texts = [...command.assignments.map((a) => `${a.name}=${a.value.value ?? a.value.text}`), ...command.words.map((w) => w.value ?? w.text)];
    if (!texts.some((t) => /^GIT_TRACE_REDACT=["']?(?:0|false|no|off)["']?$/i.test(t))) return;
    const secret = secretClassOfCommand(this.secrets, ["git", "credential", "fill"]) ?? this.secrets.classes.find((c) => c.env.length > 0);
    if (secret) this.denyClass(secret, "GIT_TRACE_REDACT off lets git's traces print the credential it sends");
  }

  /** Sets `tainted` from the assignments (and `NAME=VALUE` arguments) a command makes from secret variables. */
  private taints(command: SimpleCommand): void {
    const first = command.words[0]?.value;
    const nameref = (first === "declare" || first === "typeset" || first === "local") && command.words.some((w) => /^-[A-Za-z]*n/.test(w.value ?? ""));
    const set = (name: string, text: string) => {
      if (this.secretVariableIn(text) !== undefined) this.tainted.add(name);
      // `declare -n r=GITHUB_TOKEN`: r is another name for the variable.
      else if (nameref && (secretClassOfVariable(this.secrets, text) || this.tainted.has(text))) this.tainted.add(name);
    };
    for (const a of command.assignments) set(a.name, a.value.text);
    for (const w of command.words.slice(1)) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w.text);
      if (m) set(m[1]!, m[2]!);
    }
  }

  /** The secret class of a variable a text expands, a tainted one included. */
  private secretVariableIn(text: string): SecretClass | undefined {
    for (const name of variablesIn(text)) {
      const secret = secretClassOfVariable(this.secrets, name) ?? (this.tainted.has(name) ? this.secrets.classes.find((c) => c.env.length > 0) : undefined);
      if (secret) return secret;
    }
    return undefined;
  }

  /** `git show REV:PATH`, `git add -f DIR`, `git stash --all`: git reads a secret the line names another way. */
  private git(argv: readonly Arg[], depth: number): void {
    // `git -c alias.x='!cat ~/.netrc' x`, `-c core.pager=...`: configuration that git runs as shell code.
    argv.forEach((a, i) => {
      const value = argv[i - 1] === "-c" && isKnown(a) ? GIT_CODE_KEYS.exec(a)?.[1] : undefined;
      if (value !== undefined) this.shellCode(value.replace(/^!/, ""), depth + 1);
    });
    const args = withoutGitOptions(argv).slice(1);
    const sub = args[0];
    for (const arg of args.slice(1)) {
      // An object named by its path (`HEAD:.env`, `:.env` the staged copy, `stash^3:.env`): from the
      // repository's top (the workspace), or from the working folder when it starts with `./`.
      const m = isKnown(arg) ? /^[^:/]*:(?!\/\/)(.+)$/s.exec(arg) : null;
      if (m && this.cwd !== undefined) {
        const path = m[1]!;
        for (const at of path.startsWith("./") || path.startsWith("../") ? [this.abs(path)] : [absolute(path, this.scene.workspace), this.abs(path)]) {
          const found = secretAt(this.secrets, at, this.scene);
          if (found) return this.deny(found, `git reads the object ${arg}, which is`);
        }
      }
    }
    // Ignored files go into the index or a stash only when forced; `git diff --cached` or
    // `git stash show` then prints them.
    if (sub === "add" && hasFlag(args, "f", ["--force"])) {
      const operands = args.slice(1).filter((a) => !(isKnown(a) && a.startsWith("-")));
      const whole = operands.length === 0 || hasFlag(args, "A", ["--all"]);
      for (const dir of whole ? [this.scene.workspace] : operands) this.recursive(dir);
    }
    if (sub === "stash" && hasFlag(args, "a", ["--all"])) this.recursive(this.scene.workspace);
  }

  /**
   * `mv ~/.aws x`: the secret inside keeps its bytes but leaves the place the list names, so a later
   * `cat x/credentials` is not known as one. Workspace names (`.env`) keep their names when moved.
   */
  private relocates(argv: readonly Arg[]): void {
    const operands = argv.slice(1).filter((a) => !(isKnown(a) && a.startsWith("-")));
    const target = argv.findIndex((a) => a === "-t" || a === "--target-directory" || (isKnown(a) && a.startsWith("--target-directory=")));
    const sources = target >= 0 ? operands.filter((a) => a !== argv[target + 1]) : operands.slice(0, -1);
    for (const source of sources) {
      if (!isKnown(source) || this.cwd === undefined) continue;
      const verdict = secretBeneath(this.secrets, this.abs(this.tilde(source)), this.scene, undefined, { locationsOnly: true });
      if (verdict.kind === "secret") this.deny(verdict.found, `moves ${source}, which holds`);
    }
  }

  private changeDirectory(args: readonly Word[]): void {
    const target = args.find((w) => !(w.value ?? "").startsWith("-"));
    if (target === undefined) {
      this.cwd = this.scene.home;
      return;
    }
    const e = this.expand(target);
    this.cwd = e.kind === "known" && e.values.length === 1 && this.cwd !== undefined ? logical(e.values[0]!, this.cwd) : undefined;
    if (this.cwd !== undefined) {
      this.vars.PWD = this.cwd;
      const found = secretAt(this.secrets, this.cwd, this.scene);
      if (found) this.deny(found, "changes into");
    }
  }

  // ---- words and paths ----

  private argOf(word: Word): Arg {
    const e = this.expand(word);
    return e.kind === "known" && e.values.length === 1 ? e.values[0]! : argOf(word);
  }

  /** The word as the shell would expand it: variables known in the line, `~`, brace lists. */
  private expand(word: Word): Expanded {
    let text: string;
    if (word.value !== undefined) {
      text = word.raw.startsWith("~") ? this.tilde(word.value) : word.value;
    } else {
      let unknown = false;
      text = word.text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\([^)]*\)|`[^`]*`|\$\{[^}]*\}|\$[^A-Za-z_\s]/g, (m, a, b) => {
        const value = this.vars[a ?? b ?? ""];
        if (value !== undefined) return value;
        unknown = true;
        return "\u0000";
      });
      if (word.raw.startsWith("~")) text = this.tilde(text);
      if (unknown) {
        const pattern = text.replace(/\u0000/g, "*");
        return pattern.replace(/\*/g, "") === "" ? { kind: "unknown" } : { kind: "partial", pattern };
      }
    }
    const values = word.raw.includes("{") ? expandBraces(text) : [text];
    return { kind: "known", values };
  }

  /** Checks every path a word may stand for; `reader`: an unknown one makes the command ask. */
  private pathsOf(word: Word, how: string, reader: boolean): void {
    if (this.cwd === undefined) {
      if (reader) this.ask("the guard cannot tell which folder the command runs in (a `cd` it cannot follow)");
      return;
    }
    const e = this.expand(word);
    if (e.kind === "unknown") {
      if (reader) this.ask(`the guard cannot tell which file ${word.raw} names`);
      return;
    }
    try {
      if (e.kind === "partial") {
        for (const candidate of candidates(e.pattern)) {
          // `a=$X`: the part after "=" is wholly unknown, as `$X` alone would be, not every file here.
          if (candidate.replace(/\*/g, "") === "") {
            if (reader) this.ask(`the guard cannot tell which file ${word.raw} names`);
            continue;
          }
          const found = patternMaySecret(this.secrets, this.abs(candidate), this.scene);
          if (found) return this.deny(found, how);
          // An unknown start (`${HOME%/}/.netrc`, `$(echo ~)/.ssh/id_rsa`) may be any folder: the
          // home's, the working folder's, the root's among them.
          const tail = /^\*+(\/.*)$/s.exec(candidate)?.[1];
          if (tail !== undefined && !tail.includes("*")) {
            for (const base of [this.scene.home, this.cwd, this.scene.workspace, "/"]) {
              const at = secretAt(this.secrets, absolute(`${base}${tail}`, "/"), this.scene);
              if (at) return this.deny(at, `${how} (a folder the guard cannot know, then ${tail})`);
            }
          }
        }
        return;
      }
      for (const value of e.values) {
        for (const candidate of candidates(value)) {
          const path = this.abs(candidate);
          const found = /[*?[]/.test(candidate) && word.splits ? patternMaySecret(this.secrets, path, this.scene) : secretAt(this.secrets, path, this.scene);
          if (found) return this.deny(found, how);
        }
      }
    } catch (error) {
      if (!(error instanceof GlobTooLarge)) throw error;
      this.ask(error.message);
    }
  }

  private pathCheck(text: string, how: string): void {
    if (this.cwd === undefined || text === "" || text.includes("\u0000")) return;
    for (const candidate of candidates(text)) {
      const found = secretAt(this.secrets, this.abs(candidate), this.scene);
      if (found) return this.deny(found, how);
    }
  }

  private recursive(dir: Arg, options: WalkOptions = {}): void {
    if (!isKnown(dir) || this.cwd === undefined) {
      this.ask(`the guard cannot tell which folder is read recursively`);
      return;
    }
    const verdict = secretBeneath(this.secrets, this.abs(this.tilde(dir)), this.scene, undefined, options);
    if (verdict.kind === "secret") this.deny(verdict.found, `reads ${dir} recursively, which holds`);
    else if (verdict.kind === "unknown") this.ask(`the guard cannot look through everything it reads: ${verdict.why}`);
  }

  private printsVariables(texts: readonly string[], how: string): void {
    for (const text of texts) {
      for (const name of variablesIn(text)) {
        const secret = secretClassOfVariable(this.secrets, name) ?? (this.tainted.has(name) ? this.secrets.classes.find((c) => c.env.length > 0) : undefined);
        if (secret) return this.denyClass(secret, `${how} $${name}${this.tainted.has(name) ? ", which holds a secret variable" : ""}`);
      }
      // `${!v}` expands the variable whose name v holds (`${!prefix*}` only lists names).
      for (const m of text.matchAll(/\$\{!([A-Za-z_][A-Za-z0-9_]*|[0-9@*])([^}]?)/g)) {
        if (m[2] === "*" || m[2] === "@") continue;
        const target = this.vars[m[1]!];
        if (target === undefined) {
          this.ask(`the guard cannot tell which variable \${!${m[1]}} prints`);
          continue;
        }
        const secret = secretClassOfVariable(this.secrets, target) ?? (this.tainted.has(target) ? this.secrets.classes.find((c) => c.env.length > 0) : undefined);
        if (secret) return this.denyClass(secret, `${how} \${!${m[1]}}, which is $${target}`);
      }
    }
  }
}

/** A word's possible file names: itself, the value of `--opt=path` / `if=path`, and `@path` (curl). */
function candidates(text: string): string[] {
  const out = [text];
  // `curl file:///home/u/.netrc` (`file://localhost/...` too) reads the local file, %-escapes decoded.
  const url = /^file:\/\/(?:localhost)?(\/.*)$/is.exec(text);
  if (url) out.push(decodeURIComponentSafe(url[1]!));
  const eq = text.indexOf("=");
  if (eq > 0) out.push(text.slice(eq + 1));
  for (const part of [...out]) if (part.startsWith("@")) out.push(part.slice(1));
  const at = text.indexOf("=@");
  if (at > 0) out.push(text.slice(at + 2));
  // `printf 'See @.env\n' >> NOTES.md`: an `@file` import inside a longer text (a memory file's).
  if (/\s/.test(text)) for (const m of text.matchAll(/\s@([.\/~A-Za-z][^\s]*)/g)) out.push(m[1]!, m[1]!.replace(/(?:\\n|[.,;:)\]}>"'`])+$/, ""));
  // `-fFILE` style bundled short options are too varied to split; `host:path` is remote.
  return out.filter((c) => c !== "" && !/^[A-Za-z0-9.-]+:[^/]/.test(c));
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

let user: string | undefined;
/** The user's login name, for `~NAME`; looked up once, and only when a line spells one. */
function currentUser(): string {
  if (user === undefined) {
    try {
      user = userInfo().username;
    } catch {
      user = "";
    }
  }
  return user;
}

function programOf(command: SimpleCommand): string | undefined {
  const first = command.words[0]?.value;
  return first === undefined ? undefined : programName(first);
}

/** What a command writes, when known (echo/printf of literals): shell code for `| sh`. */
function textOutput(command: Command): string | undefined {
  if (command.kind !== "simple") return undefined;
  const argv = command.words.map((w) => w.value);
  if (argv.some((a) => a === undefined) || !(argv[0] === "echo" || argv[0] === "printf")) return undefined;
  return argv.slice(1).filter((a, i) => !(i === 0 && /^-[neE]+$/.test(a!))).join(" ");
}

/** `git -C dir -c k=v credential fill` is `git credential fill` for the secrets' command patterns. */
function withoutGitOptions(argv: readonly Arg[]): Arg[] {
  if (argv[0] !== "git") return [...argv];
  let i = 1;
  while (i < argv.length) {
    const a = argv[i];
    if (a === "-C" || a === "-c" || a === "--git-dir" || a === "--work-tree" || a === "--namespace") i += 2;
    else if (isKnown(a) && a.startsWith("-")) i++;
    else break;
  }
  return ["git", ...argv.slice(i)];
}

/**
 * How a recursive reader walks: ripgrep and the silver searcher skip hidden files and folders, and
 * they and `grep -r` (not -R) do not follow the symlinks they meet, unless told otherwise.
 */
function walkOptions(argv: readonly Arg[]): WalkOptions {
  const name = programName(String(argv[0]));
  if (["rg", "ag", "pt"].includes(name)) {
    return {
      skipHidden: !hasFlag(argv, "u", ["--hidden", "--no-ignore", "--unrestricted", "--all-types", "--skip-vcs-ignores"]) && !argv.some((a) => a === "-."),
      noFollow: !hasFlag(argv, "L", ["--follow"]),
    };
  }
  if (["grep", "egrep", "fgrep"].includes(name)) return { noFollow: !hasFlag(argv, "R", ["--dereference-recursive"]) };
  return {};
}

const hasFlag = (argv: readonly Arg[], short: string, long: readonly string[]) =>
  argv.some((a) => isKnown(a) && ((/^-[A-Za-z]+$/.test(a) && [...short].some((s) => a.includes(s))) || long.includes(a) || long.some((l) => a.startsWith(`${l}=`))));

/** The folders a command reads recursively (its default `.` included). */
function recursiveOperands(name: string, argv: readonly Arg[], feedsNames: boolean): Arg[] {
  const operands = (skipFirst: boolean) => {
    const out: Arg[] = [];
    let patternSeen = !skipFirst || hasFlag(argv, "ef", ["--regexp", "--file"]);
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (isKnown(a) && a.startsWith("-") && a !== "-") {
        if (/^-[efmABCdD]$|^--(regexp|file|max-count|context|after-context|before-context|type|glob|iglob)$/.test(a)) i++;
        continue;
      }
      if (!patternSeen) {
        patternSeen = true;
        continue;
      }
      out.push(a);
    }
    return out;
  };
  switch (name) {
    case "grep":
    case "egrep":
    case "fgrep": {
      if (!hasFlag(argv, "rR", ["--recursive", "--dereference-recursive"])) return [];
      const dirs = operands(true);
      return dirs.length > 0 ? dirs : ["."];
    }
    case "rg":
    case "ag":
    case "ack":
    case "pt": {
      const files = hasFlag(argv, "", ["--files"]);
      const dirs = operands(!files);
      return dirs.length > 0 ? dirs : ["."];
    }
    case "cp":
    case "scp":
    case "rsync":
    case "zip":
      return hasFlag(argv, "rRa", ["--recursive", "--archive"]) ? operands(false) : [];
    case "tar":
    case "bsdtar":
    case "7z":
    case "zstd":
      return operands(false).filter((a) => !(isKnown(a) && /\.(tar|tgz|gz|bz2|xz|zst|zip|7z)$/.test(a)));
    case "find":
    case "fd":
    case "fdfind":
    case "ls": {
      const runs = argv.some((a) => isKnown(a) && /^-(exec|execdir|ok|okdir|x|X|-exec|-exec-batch)$/.test(a));
      if (!runs && !feedsNames) return [];
      const start = argv.slice(1).findIndex((a) => isKnown(a) && /^[-(!]/.test(a) && a !== "-");
      const dirs = (start < 0 ? argv.slice(1) : argv.slice(1, start + 1)).filter((a) => !(isKnown(a) && a.startsWith("-")));
      return dirs.length > 0 ? dirs : ["."];
    }
    case "git":
      // `git ls-files | xargs cat` reads the tracked files, which are the workspace's own.
      return [];
    default:
      return [];
  }
}

/** The secrets decision on one shell command line. */
export function analyseSecretReads(commandLine: string, secrets: Secrets, scene: SecretScene): SecretVerdict {
  const reader = new Reader(secrets, scene);
  reader.shellCode(commandLine, 0);
  return reader.result();
}

/**
 * The secrets decision on text a file tool writes into `file`: an `@path` import of a secret. Tools
 * read the files their memory files (a project's instructions file, or a file it imports) name as
 * `@path` into the model's context when they start, with no tool call to check (which tools do: their
 * hook modules, src/tools/<tool>/hook.ts); such a line written by the agent would send the secret in
 * a later session. Paths are taken from the file's folder, `~/` from the home.
 */
export function analyseSecretImports(text: string, file: string, secrets: Secrets, scene: SecretScene): SecretVerdict {
  const folder = dirname(absolute(file.replace(/^~(?=\/|$)/, scene.home), scene.cwd));
  for (const m of text.matchAll(/(?:^|\s)@([.\/~A-Za-z][^\s]*)/g)) {
    const written = m[1]!;
    for (const path of new Set([written, written.replace(/[.,;:)\]}>"'`]+$/, "")])) {
      const found = secretAt(secrets, absolute(path.replace(/^~(?=\/|$)/, scene.home), folder), scene);
      if (found) return { decision: "deny", secret: found.secret, reason: `the text imports @${written}, which a memory file reads into the model's context: ${found.secret.title} stay out of it` };
    }
  }
  return { decision: "none" };
}

/**
 * The secrets decision on a file tool's call: each path it reads, and each folder it searches
 * (`recursive`). Each tool's hook module says which is which (src/tools/<tool>/secret-access.ts).
 */
export function analyseSecretFileAccess(
  access: readonly { path: string; recursive?: boolean }[],
  secrets: Secrets,
  scene: SecretScene,
): SecretVerdict {
  const reader = new Reader(secrets, scene);
  for (const { path, recursive } of access) {
    const abs = procAlias(absolute(path.replace(/^~(?=\/|$)/, scene.home), scene.cwd), scene.cwd);
    let found: Found | undefined;
    try {
      found = /[*?[]/.test(abs) ? patternMaySecret(secrets, abs, scene) : secretAt(secrets, abs, scene);
    } catch (error) {
      if (!(error instanceof GlobTooLarge)) throw error;
      return { decision: "ask", reason: error.message };
    }
    if (found) return { decision: "deny", secret: found.secret, reason: `reads ${found.path}: ${found.secret.title} stay out of the model's context` };
    if (recursive) {
      const beneath = secretBeneath(secrets, abs, scene);
      if (beneath.kind === "secret") return { decision: "deny", secret: beneath.found.secret, reason: `searches ${path}, which holds ${beneath.found.path}: ${beneath.found.secret.title} stay out of the model's context` };
      if (beneath.kind === "unknown") return { decision: "ask", reason: beneath.why };
    }
  }
  return reader.result();
}
