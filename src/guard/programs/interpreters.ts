// Interpreters and editors that run code given on their command line or on standard input: node
// (and bun), perl, ruby, php, lua, awk, vim, make. What they hand to a shell or exec is read by
// inline-code.ts; what the guard then finds there is denied like the same command written out.
// Python has its own grammar (python.ts) for `-m`; its `-c` code is read the same way.
import { isKnown, programName, type Arg } from "../argv.js";
import { makeRecipes } from "./inline-code.js";
import type { Grammar, Reading } from "./types.js";

/** The code options of each interpreter: `-e CODE` (also bundled last, `-pe CODE`, or attached). */
const CODE_FLAGS: Record<string, { short: string; long: string[]; valued: string }> = {
  node: { short: "ep", long: ["eval", "print"], valued: "r" },
  nodejs: { short: "ep", long: ["eval", "print"], valued: "r" },
  bun: { short: "ep", long: ["eval", "print"], valued: "r" },
  perl: { short: "eE", long: [], valued: "IMmx" },
  ruby: { short: "e", long: [], valued: "IrCEF" },
  php: { short: "r", long: [], valued: "cdz" },
  lua: { short: "e", long: [], valued: "l" },
  luajit: { short: "e", long: [], valued: "l" },
};

function readCodeFlags(argv: readonly Arg[], spec: { short: string; long: string[]; valued: string }): Reading {
  const code: Arg[] = [];
  let operand = false;
  let script: Arg | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!isKnown(a)) return { forms: [[...argv]], strings: [{ code: a, via: `${argv[0]} code` }] };
    if (a === "--" || !a.startsWith("-") || a === "-") {
      operand = a !== "-";
      script = a === "--" ? argv[i + 1] : a;
      break;
    }
    const long = /^--([^=]+)(?:=(.*))?$/s.exec(a);
    if (long) {
      if (spec.long.includes(long[1]!)) {
        const value = long[2] ?? argv[++i];
        if (value !== undefined) code.push(value);
      }
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const letter = a[j]!;
      if (spec.short.includes(letter) || spec.valued.includes(letter)) {
        const value = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (spec.short.includes(letter) && value !== undefined) code.push(value);
        break;
      }
    }
  }
  const reading: Reading = { forms: [[...argv]], strings: code.map((c) => ({ code: c, via: `${argv[0]} code` })) };
  if (code.length === 0 && operand && script !== undefined) {
    reading.reads = [{ path: script, language: "strings" }];
    reading.runs = [scriptAsProgram(script, argv.slice(argv.indexOf(script) + 1))];
  }
  // No code and no script: the program is read from standard input (`node <<'EOF'`).
  if (code.length === 0 && !operand) reading.stdin = { via: `${argv[0]} reading its code from standard input`, language: "strings" };
  return reading;
}

/**
 * A program's own script run by the interpreter is that program: `node /usr/lib/node_modules/npm/bin/
 * npm-cli.js publish` is `npm publish`, `python3 /usr/bin/twine upload` is `twine upload`.
 */
export function scriptAsProgram(script: Arg, args: readonly Arg[]): Arg[] {
  const name = isKnown(script) ? programName(script).replace(/(-cli)?\.(c|m)?js$|\.py$/, "") : script;
  return [name, ...args];
}

export const scripting: Grammar = {
  // Versioned names too: `perl5.36`, `lua5.4`, `ruby3.2`, `php8.2`.
  programs: new RegExp(`^(${Object.keys(CODE_FLAGS).join("|")})(\\d+(\\.\\d+)*)?$`),
  read(argv): Reading {
    const name = programName(argv[0] as string).replace(/[\d.]+$/, "");
    if (name === "bun") {
      // `bun x PKG` is bunx (node.ts reads package runners); `bun publish` is npm's publish, in profile terms.
      let i = 1;
      for (; i < argv.length && isKnown(argv[i]) && (argv[i] as string).startsWith("-") && !/^-(e|p|-eval|-print)$/.test(argv[i] as string); i++) {
        if (argv[i] === "--cwd" || argv[i] === "-c" || argv[i] === "--config") i++;
      }
      if (argv[i] === "x") return { forms: [[...argv]], runs: [["bunx", ...argv.slice(i + 1)]] };
      if (argv[i] === "publish") return { forms: [["npm", "publish", ...argv.slice(i + 1)]] };
    }
    return readCodeFlags(argv, CODE_FLAGS[name]!);
  },
};

/** awk's program is its first operand (unless `-f FILE`); `-v` and `-F` take values. */
export const awk: Grammar = {
  programs: ["awk", "gawk", "mawk", "nawk"],
  read(argv): Reading {
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (isKnown(a) && (a === "-f" || a.startsWith("--file"))) return { forms: [[...argv]] };
      if (isKnown(a) && /^-[vFf]$/.test(a)) {
        i++;
        continue;
      }
      if (isKnown(a) && a.startsWith("-") && a !== "-" && a !== "--") continue;
      const program = a === "--" ? argv[i + 1] : a;
      return { forms: [[...argv]], strings: program === undefined ? [] : [{ code: program, via: "awk program" }] };
    }
    return { forms: [[...argv]] };
  },
};

/** vim's `-c CMD`, `+CMD` and `--cmd CMD`: `:!cmd` runs a shell command, `:call system(..)` too. */
export const vim: Grammar = {
  programs: ["vim", "vi", "nvim", "ex", "view", "gvim"],
  read(argv): Reading {
    const commands: Arg[] = [];
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === "-c" || a === "--cmd") commands.push(argv[++i] ?? "");
      else if (isKnown(a) && a.startsWith("+") && a.length > 1) commands.push(a.slice(1));
    }
    const code: NonNullable<Reading["code"]> = [];
    const strings: NonNullable<Reading["strings"]> = [];
    for (const c of commands) {
      const bang = isKnown(c) ? /^[\s:]*(?:sil(?:ent)?!?\s*)?!(.*)$/s.exec(c) : null;
      if (bang) code.push({ code: bang[1]!, via: "vim :!" });
      else strings.push({ code: c, via: "vim command" });
    }
    return { forms: [[...argv]], code, strings };
  },
};

/** emacs `--eval EXPR` (and `-eval`, `--execute`): Lisp that may call `shell-command`. */
export const emacs: Grammar = {
  programs: ["emacs", "emacsclient"],
  read(argv): Reading {
    const strings: NonNullable<Reading["strings"]> = [];
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === "--eval" || a === "-eval" || a === "--execute" || a === "-e") strings.push({ code: argv[++i] ?? "", via: "emacs --eval" });
      else if (isKnown(a) && /^--(eval|execute)=/.test(a)) strings.push({ code: a.slice(a.indexOf("=") + 1), via: "emacs --eval" });
    }
    return { forms: [[...argv]], strings };
  },
};

/** make: `--eval TEXT` and a make file on standard input; recipes are shell command lines. */
export const make: Grammar = {
  programs: ["make", "gmake"],
  read(argv): Reading {
    const recipes: string[] = [];
    const files: Arg[] = [];
    let fromStdin = false;
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (!isKnown(a)) continue;
      const evalText = a === "-E" || a === "--eval" ? argv[++i] : a.startsWith("--eval=") ? a.slice(7) : undefined;
      if (evalText !== undefined) recipes.push(...(isKnown(evalText) ? makeRecipes(evalText) : [evalText.raw]));
      const file = a === "-f" || a === "--file" || a === "--makefile" ? argv[++i] : /^--(make)?file=/.test(a) ? a.slice(a.indexOf("=") + 1) : undefined;
      if (file === "-" || file === "/dev/stdin") fromStdin = true;
      else if (file !== undefined) files.push(file);
    }
    const reading: Reading = { forms: [[...argv]], code: recipes.map((r) => ({ code: r, via: "make recipe" })) };
    // Without -f, make reads the first of these it finds.
    reading.reads = (files.length > 0 ? files : ["GNUmakefile", "makefile", "Makefile"]).map((path) => ({ path, language: "make" as const }));
    if (fromStdin) reading.stdin = { via: "make reading its make file from standard input", language: "make" };
    return reading;
  },
};
