// Reads a command line as bash would, far enough to know every simple command it can run: lists and
// pipelines, subshells and groups, the bodies of if/while/for/case and functions, command and process
// substitutions (also inside double quotes, ${...} and here-documents), quoting and escapes
// ($'..' included), here-documents and here-strings, redirections, and leading assignments.
//
// Hand-written because the real parsers cost too much per hook call (README "The guard": sh-syntax
// and web-tree-sitter+tree-sitter-bash each take 25-60 ms to start, against a budget of about 10),
// and shell-quote only splits words: it joins lines, keeps backquotes and `2>` as words and does not
// see substitutions inside double quotes. Whatever this parser cannot read is a ShellSyntaxError;
// the analyser then fails closed when the line names a guarded program.

/** One shell word. */
export interface Word {
  /** The word as written. */
  raw: string;
  /** Its value after quote removal, when no expansion decides it; undefined otherwise. */
  value?: string;
  /** The value with each expansion shown as written (`$x`, `$(..)`): for messages and vocabulary. */
  text: string;
  /**
   * True when the word may become several words or none: an unquoted expansion, a glob or a brace
   * expansion. Such a word stands for any run of arguments.
   */
  splits: boolean;
  /** Command and process substitutions inside the word: they run too. */
  scripts: Script[];
}

export interface Redirect {
  /** `<`, `>`, `>>`, `<<`, `<<<`, `>&`, `&>` ... (an fd number before it is dropped). */
  op: string;
  target: Word;
  /** For `<<`: the body, and whether it undergoes expansion (an unquoted delimiter). */
  heredoc?: { body: string; expands: boolean };
}

export interface Assignment {
  name: string;
  value: Word;
}

/** A simple command: what the analyser reads. `words[0]` is the command word. */
export interface SimpleCommand {
  kind: "simple";
  assignments: Assignment[];
  words: Word[];
  redirects: Redirect[];
}

/** `( .. )`, `{ ..; }`, and the bodies of compound commands: their commands run. */
export interface GroupCommand {
  kind: "group";
  body: Script;
  redirects: Redirect[];
}

export type Command = SimpleCommand | GroupCommand;

/** `a | b | c`: each command's standard input is the previous one's output. */
export interface Pipeline {
  commands: Command[];
}

export interface Script {
  pipelines: Pipeline[];
}

export class ShellSyntaxError extends Error {}

const OPERATORS = [";;&", "&>>", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", "&>", "<<", "<>", "<&", ">>", ">&", ">|", ";", "&", "|", "(", ")", "<", ">"];
const REDIRECTS = new Set(["<", ">", ">>", "<<", "<<-", "<<<", "<>", "<&", ">&", ">|", "&>", "&>>"]);
const SEPARATORS = new Set([";", "&", "&&", "||", "\n"]);
/** Reserved words that only structure a list: what follows them is again a command. */
const STRUCTURE_WORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time", "coproc"]);
const META = /[\s;&|()<>]/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=/;

type Token = { kind: "word"; word: Word } | { kind: "op"; op: string } | { kind: "eof" };

interface PendingHeredoc {
  delimiter: string;
  stripTabs: boolean;
  redirect: Redirect;
}

class WordBuilder {
  value = "";
  text = "";
  dynamic = false;
  splits = false;
  scripts: Script[] = [];
  literal(chars: string): void {
    this.value += chars;
    this.text += chars;
  }
  expansion(raw: string, quoted: boolean, script?: Script): void {
    this.dynamic = true;
    this.text += raw;
    if (!quoted) this.splits = true;
    if (script) this.scripts.push(script);
  }
  build(raw: string): Word {
    return { raw, value: this.dynamic ? undefined : this.value, text: this.text, splits: this.splits, scripts: this.scripts };
  }
}

const ANSI_C: Record<string, string> = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", e: "\x1b", E: "\x1b", f: "\f", v: "\v", "\\": "\\", "'": "'", '"': '"', "?": "?" };

class Parser {
  private pos = 0;
  private pending: PendingHeredoc[] = [];
  private peeked: Token | undefined;

  constructor(private readonly src: string) {}

  parseAll(): Script {
    const script = this.parseList(new Set());
    const next = this.next();
    if (next.kind !== "eof") throw new ShellSyntaxError(`unexpected "${next.kind === "op" ? next.op : next.word.raw}"`);
    return script;
  }

  // ---- lists and commands ----

  /** Pipelines until EOF, a `)` or a reserved word in `stopWords` (neither consumed). */
  private parseList(stopWords: ReadonlySet<string>, stopOps: ReadonlySet<string> = new Set([")"])): Script {
    const pipelines: Pipeline[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === "eof") return { pipelines };
      if (token.kind === "op") {
        if (stopOps.has(token.op)) return { pipelines };
        if (SEPARATORS.has(token.op)) {
          this.next();
          continue;
        }
      }
      if (token.kind === "word" && token.word.value !== undefined && stopWords.has(token.word.value) && token.word.raw === token.word.value) {
        return { pipelines };
      }
      const pipeline = this.parsePipeline(stopWords);
      if (pipeline.commands.length > 0) pipelines.push(pipeline);
    }
  }

  private parsePipeline(stopWords: ReadonlySet<string>): Pipeline {
    const commands: Command[] = [];
    for (;;) {
      const command = this.parseCommand(stopWords);
      if (command) commands.push(command);
      const token = this.peek();
      if (token.kind === "op" && (token.op === "|" || token.op === "|&")) {
        this.next();
        if (this.peek().kind === "eof") throw new ShellSyntaxError(`a pipe "${token.op}" with no command after it`);
        continue;
      }
      return { commands };
    }
  }

  private reserved(token: Token): string | undefined {
    if (token.kind !== "word" || token.word.value === undefined || token.word.raw !== token.word.value) return undefined;
    return token.word.value;
  }

  private parseCommand(stopWords: ReadonlySet<string>): Command | undefined {
    const token = this.peek();
    if (token.kind === "op" && token.op === "(") {
      this.next();
      // `((` arithmetic and `( .. )` subshells are both read as a group: what runs inside counts.
      const body = this.parseList(new Set());
      this.expectOp(")");
      return { kind: "group", body, redirects: this.trailingRedirects() };
    }
    const word = this.reserved(token);
    if (word !== undefined && stopWords.has(word)) return undefined;
    if (word === "case") return this.parseCase();
    if (word === "for" || word === "select") return this.parseFor();
    if (word === "function") {
      this.next();
      this.next(); // the name
      return undefined;
    }
    if (word === "[[") return this.parseTest();
    if (word === "time" && /^[ \t]+-(?!p[\s;&|]|-[\s;&|])/.test(this.src.slice(this.pos))) {
      // `time -v CMD` is no keyword form (bash refuses it; sh runs /usr/bin/time -v CMD): read it as
      // the time program, which the analyser unwraps.
      return this.parseSimple();
    }
    if (word === "coproc") {
      this.next();
      // `coproc NAME { ..; }`: the name is no command; the compound command after it runs.
      const name = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]+(?=[{(])/.exec(this.src.slice(this.pos));
      if (name && this.peek().kind === "word") this.next();
      return undefined;
    }
    if (word !== undefined && STRUCTURE_WORDS.has(word)) {
      this.next();
      return undefined;
    }
    return this.parseSimple();
  }

  private parseSimple(): Command | undefined {
    const command: SimpleCommand = { kind: "simple", assignments: [], words: [], redirects: [] };
    for (;;) {
      const token = this.peek();
      if (token.kind === "eof") break;
      if (token.kind === "op") {
        if (REDIRECTS.has(token.op)) {
          this.next();
          command.redirects.push(this.parseRedirect(token.op));
          continue;
        }
        if (token.op === "(" && command.words.length === 1 && command.assignments.length === 0) {
          // `name() { ..; }`: a function definition; its body is read as if it ran.
          this.next();
          this.expectOp(")");
          return this.parseCommand(new Set());
        }
        break;
      }
      this.next();
      const assignment = command.words.length === 0 ? ASSIGNMENT.exec(token.word.raw) : null;
      if (assignment) {
        command.assignments.push({ name: assignment[1]!, value: this.assignmentValue(token.word, assignment[0].length) });
      } else {
        command.words.push(token.word);
      }
    }
    if (command.words.length === 0 && command.assignments.length === 0 && command.redirects.length === 0) return undefined;
    return command;
  }

  /** The value part of `NAME=value` (its substitutions were parsed with the whole word). */
  private assignmentValue(word: Word, prefixLength: number): Word {
    const raw = word.raw.slice(prefixLength);
    const value = word.value?.slice(word.value.indexOf("=") + 1);
    return { raw, value, text: word.text.slice(word.text.indexOf("=") + 1), splits: false, scripts: word.scripts };
  }

  private parseRedirect(op: string): Redirect {
    const token = this.next();
    if (token.kind !== "word") throw new ShellSyntaxError(`a redirection "${op}" needs a target`);
    const redirect: Redirect = { op, target: token.word };
    if (op === "<<" || op === "<<-") {
      const quoted = /["'\\]/.test(token.word.raw);
      redirect.heredoc = { body: "", expands: !quoted };
      this.pending.push({ delimiter: token.word.value ?? token.word.text, stripTabs: op === "<<-", redirect });
    }
    return redirect;
  }

  private trailingRedirects(): Redirect[] {
    const redirects: Redirect[] = [];
    for (let token = this.peek(); token.kind === "op" && REDIRECTS.has(token.op); token = this.peek()) {
      this.next();
      redirects.push(this.parseRedirect(token.op));
    }
    return redirects;
  }

  private expectOp(op: string): void {
    const token = this.next();
    if (token.kind !== "op" || token.op !== op) throw new ShellSyntaxError(`expected "${op}"`);
  }

  /** `for NAME [in WORDS]` (the words' substitutions run); the body follows as a list. */
  private parseFor(): Command | undefined {
    this.next();
    if (this.peek().kind === "op" && (this.peek() as { op: string }).op === "(") {
      // for (( ... )): arithmetic, read as a group.
      return this.parseCommand(new Set());
    }
    const words: Word[] = [];
    for (let token = this.peek(); token.kind === "word"; token = this.peek()) {
      this.next();
      if (this.reserved(token) === "do") break;
      words.push(token.word);
    }
    // `for NAME in WORDS` assigns each word to NAME in turn: read as assignments, so what the loop
    // variable holds (a secret variable's value, a path) is known where the body uses it.
    const name = words[0]?.value;
    if (name !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && words[1]?.value === "in" && words.length > 2) {
      return { kind: "simple", assignments: words.slice(2).map((value) => ({ name, value })), words: [], redirects: [] };
    }
    return this.substitutionsOf(words);
  }

  /** `[[ .. ]]`: a test, not a command; its substitutions still run. `<` and `>` compare there. */
  private parseTest(): Command | undefined {
    this.next();
    const words: Word[] = [];
    for (;;) {
      const token = this.next();
      if (token.kind === "eof") throw new ShellSyntaxError('"[[" without "]]"');
      if (token.kind === "word") {
        if (this.reserved(token) === "]]") break;
        words.push(token.word);
      }
    }
    return this.substitutionsOf(words);
  }

  private substitutionsOf(words: readonly Word[]): Command | undefined {
    const scripts = words.flatMap((w) => w.scripts);
    if (scripts.length === 0) return undefined;
    return { kind: "group", body: { pipelines: scripts.flatMap((s) => s.pipelines) }, redirects: [] };
  }

  /** `case WORD in [(]PATTERN[|PATTERN]) LIST ;; ... esac`: every branch is read as if it ran. */
  private parseCase(): Command {
    this.next();
    const subject = this.next();
    if (subject.kind !== "word") throw new ShellSyntaxError('"case" needs a word');
    this.skipNewlines();
    if (this.reserved(this.next()) !== "in") throw new ShellSyntaxError('"case" without "in"');
    const pipelines: Pipeline[] = [...subject.word.scripts.flatMap((s) => s.pipelines)];
    for (;;) {
      this.skipNewlines();
      const token = this.peek();
      if (token.kind === "eof") throw new ShellSyntaxError('"case" without "esac"');
      if (this.reserved(token) === "esac") {
        this.next();
        break;
      }
      if (token.kind === "op" && token.op === "(") this.next();
      // Patterns up to ")".
      for (;;) {
        const t = this.next();
        if (t.kind === "eof") throw new ShellSyntaxError('a "case" pattern without ")"');
        if (t.kind === "op" && t.op === ")") break;
        if (t.kind === "word") pipelines.push(...t.word.scripts.flatMap((s) => s.pipelines));
      }
      const body = this.parseList(new Set(["esac"]), new Set([")", ";;", ";&", ";;&"]));
      pipelines.push(...body.pipelines);
      const end = this.peek();
      if (end.kind === "op" && [";;", ";&", ";;&"].includes(end.op)) this.next();
    }
    return { kind: "group", body: { pipelines }, redirects: this.trailingRedirects() };
  }

  private skipNewlines(): void {
    for (let t = this.peek(); t.kind === "op" && t.op === "\n"; t = this.peek()) this.next();
  }

  // ---- tokens ----

  private peek(): Token {
    if (this.peeked === undefined) this.peeked = this.lex();
    return this.peeked;
  }

  private next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  private lex(): Token {
    const src = this.src;
    for (;;) {
      const c = src[this.pos];
      if (c === undefined) {
        if (this.pending.length > 0) this.readHeredocs();
        return { kind: "eof" };
      }
      if (c === " " || c === "\t" || c === "\r") {
        this.pos++;
        continue;
      }
      if (c === "\\" && src[this.pos + 1] === "\n") {
        this.pos += 2;
        continue;
      }
      if (c === "#") {
        while (this.pos < src.length && src[this.pos] !== "\n") this.pos++;
        continue;
      }
      if (c === "\n") {
        this.pos++;
        if (this.pending.length > 0) this.readHeredocs();
        return { kind: "op", op: "\n" };
      }
      break;
    }
    // An fd number directly before a redirection (`2>`, `1>&2`) belongs to the redirection.
    const fd = /^\d+(?=[<>])/.exec(src.slice(this.pos, this.pos + 12));
    if (fd) this.pos += fd[0].length;
    const process = src.slice(this.pos, this.pos + 2);
    if (process !== "<(" && process !== ">(") {
      for (const op of OPERATORS) {
        if (src.startsWith(op, this.pos)) {
          this.pos += op.length;
          return { kind: "op", op };
        }
      }
    }
    return { kind: "word", word: this.readWord() };
  }

  private readWord(): Word {
    const start = this.pos;
    const src = this.src;
    const b = new WordBuilder();
    let braceOpen = false;
    while (this.pos < src.length) {
      const c = src[this.pos]!;
      if ((c === "<" || c === ">") && src[this.pos + 1] === "(") {
        this.pos += 2;
        const script = this.nested(")");
        b.expansion(src.slice(this.pos - 1, this.pos), true, script);
        b.splits = false;
        continue;
      }
      if (META.test(c)) {
        // `name=(a b)`: an array assignment keeps its parentheses inside the word.
        if (c === "(" && /^[A-Za-z_][A-Za-z0-9_]*\+?=$/.test(src.slice(start, this.pos))) {
          const end = this.matching(this.pos, "(", ")");
          b.expansion(src.slice(this.pos, end), false);
          this.pos = end;
          continue;
        }
        break;
      }
      if (c === "\\") {
        const n = src[this.pos + 1];
        if (n === "\n") this.pos += 2;
        else if (n === undefined) throw new ShellSyntaxError("a trailing backslash");
        else {
          b.literal(n);
          this.pos += 2;
        }
        continue;
      }
      if (c === "'") {
        const end = src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError("an unterminated single quote");
        b.literal(src.slice(this.pos + 1, end));
        this.pos = end + 1;
        continue;
      }
      if (c === '"') {
        this.pos++;
        this.readDoubleQuoted(b);
        continue;
      }
      if (c === "$" && src[this.pos + 1] === "'") {
        this.pos += 2;
        b.literal(this.readAnsiC());
        continue;
      }
      if (c === "$" && src[this.pos + 1] === '"') {
        this.pos++;
        continue;
      }
      if (c === "$" || c === "`") {
        this.readExpansion(b, false);
        continue;
      }
      if (c === "*" || c === "?" || c === "[") b.splits = true;
      if (c === "{") braceOpen = true;
      if (braceOpen && (c === "," || (c === "." && src[this.pos + 1] === "."))) b.splits = true;
      b.literal(c);
      this.pos++;
    }
    const word = b.build(src.slice(start, this.pos));
    // A glob or brace expansion keeps its text as value (`dist/*`), but may stand for other words.
    return word;
  }

  private readDoubleQuoted(b: WordBuilder): void {
    const src = this.src;
    b.literal("");
    for (;;) {
      const c = src[this.pos];
      if (c === undefined) throw new ShellSyntaxError("an unterminated double quote");
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c === "\\") {
        const n = src[this.pos + 1];
        if (n === "\n") this.pos += 2;
        else if (n !== undefined && '$`"\\'.includes(n)) {
          b.literal(n);
          this.pos += 2;
        } else {
          b.literal("\\");
          this.pos++;
        }
        continue;
      }
      if (c === "$" || c === "`") {
        this.readExpansion(b, true);
        continue;
      }
      b.literal(c);
      this.pos++;
    }
  }

  private readAnsiC(): string {
    const src = this.src;
    let out = "";
    for (;;) {
      const c = src[this.pos];
      if (c === undefined) throw new ShellSyntaxError("an unterminated $'...' string");
      this.pos++;
      if (c === "'") return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const n = src[this.pos]!;
      this.pos++;
      if (n in ANSI_C) out += ANSI_C[n];
      else if (n === "x") out += this.codeUnit(/^[0-9a-fA-F]{1,2}/, 16);
      else if (n === "u") out += this.codeUnit(/^[0-9a-fA-F]{1,4}/, 16);
      else if (n === "U") out += this.codeUnit(/^[0-9a-fA-F]{1,8}/, 16);
      else if (/[0-7]/.test(n)) {
        this.pos--;
        out += this.codeUnit(/^[0-7]{1,3}/, 8);
      } else if (n === "c") {
        out += String.fromCharCode(src.charCodeAt(this.pos) & 31);
        this.pos++;
      } else out += `\\${n}`;
    }
  }

  private codeUnit(digits: RegExp, radix: number): string {
    const m = digits.exec(this.src.slice(this.pos));
    if (!m) return "";
    this.pos += m[0].length;
    return String.fromCodePoint(parseInt(m[0], radix));
  }

  /** `$name`, `${..}`, `$(..)`, `$((..))`, `` `..` `` at this.pos. */
  private readExpansion(b: WordBuilder, quoted: boolean): void {
    const src = this.src;
    const start = this.pos;
    if (src[this.pos] === "`") {
      const script = this.backquoted();
      b.expansion(src.slice(start, this.pos), quoted, script);
      return;
    }
    const n = src[this.pos + 1];
    if (n === "(" && src[this.pos + 2] === "(") {
      const end = this.matching(this.pos + 1, "(", ")");
      const inner = src.slice(this.pos + 3, end - 2);
      this.pos = end;
      b.expansion(src.slice(start, end), quoted, expandingText(inner));
      return;
    }
    if (n === "(") {
      this.pos += 2;
      const script = this.nested(")");
      b.expansion(src.slice(start, this.pos), quoted, script);
      return;
    }
    if (n === "{") {
      const end = this.matching(this.pos + 1, "{", "}");
      const inner = src.slice(this.pos + 2, end - 1);
      this.pos = end;
      b.expansion(src.slice(start, end), quoted, expandingText(inner));
      return;
    }
    const name = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(src.slice(this.pos + 1));
    if (name) {
      this.pos += 1 + name[0].length;
      b.expansion(src.slice(start, this.pos), quoted);
      return;
    }
    b.literal("$");
    this.pos++;
  }

  /** A nested list up to `close` (consumed), parsed with this parser so its here-documents work. */
  private nested(close: string): Script {
    const saved = this.peeked;
    if (saved !== undefined) throw new ShellSyntaxError("internal: nested parse with a peeked token");
    const script = this.parseList(new Set());
    const end = this.next();
    if (end.kind !== "op" || end.op !== close) throw new ShellSyntaxError(`a substitution without its "${close}"`);
    return script;
  }

  private backquoted(): Script {
    const src = this.src;
    let inner = "";
    let i = this.pos + 1;
    for (;;) {
      const c = src[i];
      if (c === undefined) throw new ShellSyntaxError("an unterminated backquote");
      if (c === "`") break;
      if (c === "\\" && "$`\\".includes(src[i + 1] ?? "")) {
        inner += src[i + 1];
        i += 2;
        continue;
      }
      inner += c;
      i++;
    }
    this.pos = i + 1;
    return parseShell(inner);
  }

  /** The index just past the bracket that closes the one at `open`, skipping quotes. */
  private matching(open: number, o: string, c: string): number {
    const src = this.src;
    let depth = 0;
    for (let i = open; i < src.length; i++) {
      const ch = src[i];
      if (ch === "\\") {
        i++;
        continue;
      }
      if (ch === "'") {
        const end = src.indexOf("'", i + 1);
        if (end < 0) break;
        i = end;
        continue;
      }
      if (ch === o) depth++;
      else if (ch === c && --depth === 0) return i + 1;
    }
    throw new ShellSyntaxError(`an unterminated "${o}"`);
  }

  private readHeredocs(): void {
    const src = this.src;
    for (const doc of this.pending) {
      const lines: string[] = [];
      for (;;) {
        if (this.pos >= src.length) break;
        const eol = src.indexOf("\n", this.pos);
        const line = src.slice(this.pos, eol < 0 ? src.length : eol);
        this.pos = eol < 0 ? src.length : eol + 1;
        const compared = doc.stripTabs ? line.replace(/^\t+/, "") : line;
        if (compared === doc.delimiter) break;
        lines.push(compared);
      }
      doc.redirect.heredoc!.body = lines.length > 0 ? `${lines.join("\n")}\n` : "";
      if (doc.redirect.heredoc!.expands) {
        const scripts = expandingText(doc.redirect.heredoc!.body);
        if (scripts) doc.redirect.target.scripts.push(scripts);
      }
    }
    this.pending = [];
  }
}

/**
 * The substitutions inside text that undergoes expansion (here-document bodies, `${..}`, `$((..))`),
 * as one script; undefined when there are none.
 */
function expandingText(text: string): Script | undefined {
  if (!/[$`]/.test(text)) return undefined;
  // Read the text as the inside of double quotes, with the quote characters themselves made inert.
  const parser = new Parser(`"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\\\\\$/g, "\\$").replace(/\\\\`/g, "\\`")}"`);
  const script = parser.parseAll();
  const scripts = script.pipelines.flatMap((p) => p.commands).flatMap((c) => (c.kind === "simple" ? c.words.flatMap((w) => w.scripts) : []));
  return scripts.length === 0 ? undefined : { pipelines: scripts.flatMap((s) => s.pipelines) };
}

/** Parses a command line; throws ShellSyntaxError on what bash would reject or this parser cannot read. */
export function parseShell(source: string): Script {
  return new Parser(source).parseAll();
}
