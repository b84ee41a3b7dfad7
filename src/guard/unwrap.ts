// Programs that run another program: the command they really run is what the analyser must read.
// Generic: no guarded program is named here; package runners (npx, pnpm dlx, python -m ...) are
// part of their own program's grammar (programs/).
import { isKnown, programName, showArgv, unknownArg, type Arg } from "./argv.js";

/** What one argv runs, once wrappers are taken off. */
export type Resolution =
  /** A program with its arguments; `argv[0]` is its name without a directory. */
  | { kind: "program"; argv: Arg[]; env: Record<string, Arg>; word: Arg }
  /** Shell code run by a shell or `eval`; an Unknown when the analyser cannot see the text. */
  | { kind: "code"; code: Arg; via: string }
  /** A shell that reads its commands from standard input. */
  | { kind: "stdin"; via: string }
  /** A shell running a script file (`sh x.sh`, `. ./x.sh`, `bash <(..)`). */
  | { kind: "script"; path: Arg; via: string }
  /** A command word the analyser cannot know (`$g`, `"$(echo git)"`). */
  | { kind: "unknown"; word: string };

/** Shells whose `-c` string and standard input are read as shell code. */
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh", "fish", "rbash"]);

type Unwrapper = (args: Arg[], env: Record<string, Arg>) => Resolution[] | Arg[] | undefined;

/**
 * getopt-style options: `valued` short letters and long names take a value (attached or next), the
 * rest are flags. Stops at `--` or the first operand. Returns the index of the first operand, and
 * the options seen (`undefined` value for flags).
 */
export function scanOptions(
  args: readonly Arg[],
  valuedShort: string,
  valuedLong: readonly string[],
  from = 0,
): { operand: number; options: [string, Arg | undefined][] } {
  const options: [string, Arg | undefined][] = [];
  let i = from;
  while (i < args.length) {
    const a = args[i]!;
    if (!isKnown(a)) break;
    if (a === "--") return { operand: i + 1, options };
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) options.push([name, a.slice(eq + 1)]);
      else if (valuedLong.includes(name)) options.push([name, args[++i] ?? ""]);
      else options.push([name, undefined]);
      i++;
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const letter = a[j]!;
        if (valuedShort.includes(letter)) {
          options.push([letter, j + 1 < a.length ? a.slice(j + 1) : (args[++i] ?? "")]);
          break;
        }
        options.push([letter, undefined]);
      }
      i++;
      continue;
    }
    break;
  }
  return { operand: i, options };
}

const rest = (args: Arg[], from: number) => args.slice(from);

/** `env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE]... COMMAND` */
const env: Unwrapper = (args, vars) => {
  const { operand, options } = scanOptions(args, "uCS", ["unset", "chdir", "split-string"], 1);
  const split = options.find(([name]) => name === "S" || name === "split-string");
  let i = operand;
  for (; i < args.length; i++) {
    const a = args[i]!;
    const m = isKnown(a) ? /^([^=]+)=(.*)$/s.exec(a) : null;
    if (m) {
      vars[m[1]!] = m[2]!;
      continue;
    }
    // `env X=$Y sh -c ...`: an assignment whose value is unknown is still an assignment, not the program.
    const unknown = !isKnown(a) ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(a.raw) : null;
    if (!unknown) break;
    vars[unknown[1]!] = a;
  }
  // -S splits its string into words itself, as a shell would (near enough): read it as code.
  if (split) return [{ kind: "code", code: joinArgs([split[1]!, ...args.slice(i)]), via: "env -S" }];
  return rest(args, i);
};

/** `command [-p] CMD`; `command -v`/`-V` only looks the name up. */
const command: Unwrapper = (args) => {
  const { operand, options } = scanOptions(args, "", [], 1);
  if (options.some(([n]) => n === "v" || n === "V")) return [];
  return rest(args, operand);
};

const plain: Unwrapper = (args) => rest(args, scanOptions(args, "", [], 1).operand);

const withOptions =
  (valuedShort: string, valuedLong: readonly string[], operandsBefore = 0): Unwrapper =>
  (args) =>
    rest(args, scanOptions(args, valuedShort, valuedLong, 1).operand + operandsBefore);

/** `nice -n 5 CMD`, `nice -5 CMD` */
const nice: Unwrapper = (args) => {
  let i = 1;
  if (isKnown(args[i]) && /^-\d+$/.test(args[i] as string)) i++;
  return rest(args, scanOptions(args, "n", ["adjustment"], i).operand);
};

/** `sudo [options] CMD`; `-s`/`-i` with arguments run them through a shell. */
const sudo: Unwrapper = (args) => {
  const { operand, options } = scanOptions(args, "ugCDhprtUT", ["user", "group", "close-from", "chdir", "host", "prompt", "role", "type", "other-user", "command-timeout"], 1);
  const shell = options.some(([n]) => n === "s" || n === "i" || n === "shell" || n === "login");
  if (shell && operand < args.length) return [{ kind: "code", code: joinArgs(args.slice(operand)), via: "sudo -s" }];
  return rest(args, operand);
};

/** `su [-] [user] -c CMD` and `runuser`: only the `-c` string runs. */
const su: Unwrapper = (args) => {
  // The user name may stand before the options: look for -c anywhere.
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === "-c" || a === "--command" || a === "--session-command") return [{ kind: "code", code: args[i + 1] ?? "", via: "su -c" }];
    if (isKnown(a) && /^--(session-)?command=/.test(a)) return [{ kind: "code", code: a.slice(a.indexOf("=") + 1), via: "su -c" }];
  }
  return [];
};

/** `xargs [options] CMD [ARGS]`: the arguments it reads are unknown. */
const xargs: Unwrapper = (args) => {
  const { operand, options } = scanOptions(args, "adEILnPsS", ["arg-file", "delimiter", "eof", "replace", "max-lines", "max-args", "max-procs", "max-chars", "process-slot-var"], 1);
  if (operand >= args.length) return [];
  // `-I STR` puts what xargs reads where STR stands, the command word included (`xargs -I% git %`).
  const replace = options.find(([n]) => n === "I" || n === "replace" || n === "i");
  const mark = replace === undefined ? undefined : replace[1] === undefined || replace[1] === "" ? "{}" : isKnown(replace[1]) ? replace[1] : undefined;
  if (replace !== undefined) {
    return rest(args, operand).map((a) => (isKnown(a) && (mark === undefined || a.includes(mark)) ? unknownArg(`<${a} from what xargs reads>`, false) : a));
  }
  return [...rest(args, operand), unknownArg("<arguments xargs reads>", true)];
};

/** `timeout [options] DURATION CMD` */
const timeout = withOptions("sk", ["signal", "kill-after"], 1);

/** `find ... -exec CMD {} ;` (also -execdir, -ok, -okdir): each command runs. */
const find: Unwrapper = (args) => {
  const out: Resolution[] = [];
  for (let i = 1; i < args.length; i++) {
    if (!["-exec", "-execdir", "-ok", "-okdir"].includes(args[i] as string)) continue;
    const start = i + 1;
    let end = start;
    while (end < args.length && args[end] !== ";" && args[end] !== "+") end++;
    const argv = args.slice(start, end).map((a) => (a === "{}" ? unknownArg("{}", false) : a));
    out.push(...resolve(argv, {}));
    i = end;
  }
  return out;
};

/** `watch [options] CMD...`: joined and run by `sh -c`, unless `-x`. */
const watch: Unwrapper = (args) => {
  const { operand, options } = scanOptions(args, "nq", ["interval", "differences", "equexit"], 1);
  if (options.some(([n]) => n === "x" || n === "exec")) return rest(args, operand);
  return operand < args.length ? [{ kind: "code", code: joinArgs(args.slice(operand)), via: "watch" }] : [];
};

/** `flock [options] FILE CMD...` or `flock FILE -c CMD`. */
const flock: Unwrapper = (args) => {
  const { operand, options } = scanOptions(args, "wEoc", ["timeout", "conflict-exit-code", "command"], 1);
  const code = options.find(([n]) => n === "c" || n === "command");
  if (code) return [{ kind: "code", code: code[1]!, via: "flock -c" }];
  const after = scanOptions(args, "c", ["command"], operand + 1);
  const late = after.options.find(([n]) => n === "c" || n === "command");
  if (late) return [{ kind: "code", code: late[1]!, via: "flock -c" }];
  return rest(args, operand + 1);
};

/** A shell: `-c STRING` runs the string; no operand (or `-s`) reads standard input; a file is a script. */
function shell(args: Arg[]): Resolution[] {
  const name = programName(args[0] as string);
  let i = 1;
  let cmode = false;
  let stdin = false;
  while (i < args.length) {
    const a = args[i]!;
    if (!isKnown(a)) break;
    if (a === "--" || a === "-") {
      i++;
      break;
    }
    if (/^--(rcfile|init-file)$/.test(a)) {
      i += 2;
      continue;
    }
    if (a === "--command" || a === "-command") {
      cmode = true;
      i++;
      continue;
    }
    if (a.startsWith("--")) {
      i++;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(a)) {
      for (const letter of a.slice(1)) {
        if (letter === "c") cmode = true;
        if (letter === "s") stdin = true;
        if (letter === "o" || letter === "O") i++;
      }
      i++;
      continue;
    }
    break;
  }
  if (cmode) return [{ kind: "code", code: args[i] ?? "", via: `${name} -c` }];
  if (stdin || i >= args.length || STDIN_FILES.has(args[i] as string)) return [{ kind: "stdin", via: name }];
  // A script file: read when the line wrote it; otherwise not a command line (README "The guard").
  return [{ kind: "script", path: args[i]!, via: name }];
}

/** Names of standard input as a file: `bash /dev/stdin <<< ..` reads its commands from there. */
const STDIN_FILES = new Set(["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

/** `source FILE` and `. FILE`: the file's commands run in this shell. */
const source: Unwrapper = (args) => {
  if (args[1] === undefined) return [];
  if (STDIN_FILES.has(args[1] as string)) return [{ kind: "stdin", via: args[0] as string }];
  return [{ kind: "script", path: args[1], via: args[0] as string }];
};

/** `script [options] [-c CMD] [FILE]`: runs CMD through a shell; without -c, a shell reading stdin. */
const script: Unwrapper = (args) => {
  const { options } = scanOptions(args, "cEIOBTlmo", ["command", "echo", "log-in", "log-out", "log-io", "log-timing", "logging-format", "output-limit"], 1);
  const command = options.find(([n]) => n === "c" || n === "command");
  if (command) return [{ kind: "code", code: command[1] ?? "", via: "script -c" }];
  return [{ kind: "stdin", via: "script" }];
};

/**
 * GNU parallel: `parallel CMD ::: ARGS` runs CMD with each argument through a shell; with no CMD the
 * arguments (or, without `:::`, the lines of standard input) are the commands.
 */
const parallel: Unwrapper = (args) => {
  const { operand } = scanOptions(args, "jSIaEdnNlLsX", ["jobs", "sshlogin", "arg-file", "delimiter", "max-args", "colsep", "tag-string", "timeout", "joblog", "results", "workdir", "env", "halt"], 1);
  const sep = args.findIndex((a, k) => k >= operand && isKnown(a) && /^:::+\+?$/.test(a));
  const command = args.slice(operand, sep < 0 ? undefined : sep);
  // Its arguments are appended to the command: a variable the guard cannot know stands for them.
  if (command.length > 0) return [{ kind: "code", code: command.every(isKnown) ? `${command.join(" ")} $__parallel_arguments` : joinArgs(command), via: "parallel" }];
  if (sep < 0) return [{ kind: "stdin", via: "parallel" }];
  return args.slice(sep + 1).filter((a) => !(isKnown(a) && /^:::+\+?$/.test(a))).map((code): Resolution => ({ kind: "code", code, via: "parallel" }));
};

/** `eval ARGS`: the arguments joined by spaces are shell code. */
const evaluate: Unwrapper = (args) => [{ kind: "code", code: joinArgs(args.slice(1)), via: "eval" }];

/** Arguments joined by single spaces, as eval and `sh -c "$*"` do; Unknown when any part is. */
export function joinArgs(args: readonly Arg[]): Arg {
  return args.every(isKnown) ? args.join(" ") : unknownArg(showArgv(args), true);
}

const WRAPPERS: Record<string, Unwrapper> = {
  env,
  command,
  builtin: plain,
  exec: withOptions("a", []),
  time: withOptions("fo", ["format", "output"]),
  nice,
  nohup: plain,
  setsid: plain,
  unbuffer: plain,
  chronic: plain,
  caffeinate: plain,
  stdbuf: withOptions("ioe", ["input", "output", "error"]),
  ionice: withOptions("cnpPu", ["class", "classdata", "pid", "pgid", "uid"]),
  taskset: (args) => {
    const { operand, options } = scanOptions(args, "", [], 1);
    // `taskset MASK CMD`, or `taskset -c LIST CMD`: one operand before the command either way.
    return rest(args, operand + (options.some(([n]) => n === "p" || n === "pid") ? 0 : 1));
  },
  timeout,
  sudo,
  doas: (args) => {
    const { operand, options } = scanOptions(args, "uC", [], 1);
    // `doas -s` starts a shell: it reads its commands from standard input.
    if (options.some(([n]) => n === "s")) return [{ kind: "stdin", via: "doas -s" }];
    return rest(args, operand);
  },
  su,
  runuser: su,
  xargs,
  find,
  watch,
  flock,
  eval: evaluate,
  // `at TIME` and `batch` read the commands they run later from standard input (`-f FILE`: a file).
  at: (args) => (args.some((a) => a === "-f" || a === "-l" || a === "-r" || a === "-d" || a === "-c") ? [] : [{ kind: "stdin", via: args[0] as string }]),
  batch: (args) => (args.some((a) => a === "-f") ? [] : [{ kind: "stdin", via: "batch" }]),
  source,
  ".": source,
  script,
  parallel,
  // `trap CODE SIGNAL...`: the code runs later, in this shell.
  trap: (args) => (args[1] === undefined || args[1] === "-p" || args[1] === "-l" ? [] : [{ kind: "code", code: args[1] === "--" ? (args[2] ?? "") : args[1], via: "trap" }]),
};

/** What an argv runs, through any number of wrappers. `env` collects the assignments on the way. */
export function resolve(argv: Arg[], vars: Record<string, Arg>): Resolution[] {
  for (let depth = 0; depth < 32; depth++) {
    const word = argv[0];
    if (word === undefined) return [];
    if (!isKnown(word)) return [{ kind: "unknown", word: word.raw }];
    const name = programName(word);
    const args = [name, ...argv.slice(1)];
    // `busybox APPLET ...` (and toybox) is that applet: a shell, a wrapper or a program.
    if ((name === "busybox" || name === "toybox") && isKnown(argv[1]) && !(argv[1] as string).startsWith("-")) {
      argv = argv.slice(1);
      continue;
    }
    if (SHELLS.has(name)) return shell(args);
    const unwrap = WRAPPERS[name];
    if (!unwrap) return [{ kind: "program", argv: args, env: vars, word }];
    const inner = unwrap(args, vars);
    if (inner === undefined) return [{ kind: "program", argv: args, env: vars, word }];
    if (inner.length > 0 && typeof inner[0] === "object" && "kind" in inner[0]) return inner as Resolution[];
    argv = inner as Arg[];
  }
  return [{ kind: "unknown", word: "(wrappers nested too deep)" }];
}
