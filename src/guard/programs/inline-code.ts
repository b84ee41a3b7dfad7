// The command lines inside an interpreter's own code (`python3 -c`, `node -e`, `perl -e`, `awk`,
// a make recipe). The guard does not read these languages; but a command the code hands to a shell
// or exec is nearly always written as string literals: one command line (`os.system("git push
// -f")`), an argv list (`["git", "push", "-f"]`), or literals joined (`"gi" + "t push"`). When the
// code calls anything that runs programs, each of these is read as a command line.

/** Names and syntax that start a program, in the languages the interpreters speak. */
const RUNS_PROGRAMS = /system|exec|spawn|popen|subprocess|child_process|passthru|proc_open|Open3|Command|execute|shell-command|call-process|start-process|\$\(|`|%x|qx|\|\s*["'&]|["']\s*\|/;

interface Literal {
  value: string;
  /** The code between the previous literal and this one. */
  gap: string;
}

function literals(code: string): Literal[] {
  const out: Literal[] = [];
  let last = 0;
  for (let i = 0; i < code.length; i++) {
    const q = code[i]!;
    if (q !== '"' && q !== "'" && q !== "`") continue;
    const triple = code.startsWith(q.repeat(3), i) ? q.repeat(3) : q;
    let value = "";
    let j = i + triple.length;
    for (; j < code.length && !code.startsWith(triple, j); j++) {
      const c = code[j]!;
      if (c === "\\" && j + 1 < code.length) {
        const n = code[++j]!;
        value += n === "n" ? "\n" : n === "t" ? "\t" : n;
      } else value += c;
    }
    // Interpolation (`${x}`, `#{x}`) is a value the guard cannot know: a shell variable stands for it.
    out.push({ value: value.replace(/[$#]\{[^}]*\}/g, "$__interpolated"), gap: code.slice(last, i) });
    i = j + triple.length - 1;
    last = i + 1;
  }
  return out;
}

/** Every string literal's value: the file names the code may open. */
export function literalValues(code: string): string[] {
  return literals(code).map((l) => l.value);
}

const MAX_LITERALS = 400;
/** An argv list names its program within its first few words (`execvp("git", ["git", ..])`). */
const MAX_TAILS = 4;

const quoteWord = (w: string) => `'${w.replace(/'/g, "'\\''")}'`;

/** The command lines the code may run: empty when it calls nothing that runs a program. */
export function commandStrings(code: string, depth = 0): string[] {
  if (!RUNS_PROGRAMS.test(code)) return [];
  // Bounded: the hook must answer within its time, whatever the code (a hook that times out may let
  // the call through).
  const found = literals(code).slice(0, MAX_LITERALS);
  const lines = new Set<string>();
  for (const l of found) if (l.value.trim() !== "") lines.add(l.value);
  // Runs of literals: an argv list (only commas and brackets between them) or a concatenation.
  const runs = (joins: RegExp, join: (parts: string[]) => string, tails = false) => {
    let run: string[] = [];
    const flush = () => {
      for (let k = 0; k < (tails ? Math.min(run.length - 1, MAX_TAILS) : 1); k++) if (run.length - k > 1) lines.add(join(run.slice(k)));
      run = [];
    };
    for (const l of found) {
      if (run.length > 0 && !joins.test(l.gap)) flush();
      run.push(l.value);
    }
    flush();
  };
  // Every tail of an argv list too: `execvp("git", ["git", "push", "-f"])` names the program twice.
  runs(/^[\s,[\](){}]*([A-Za-z_]\w*\s*:\s*)?[\s,[\](){}]*$/, (parts) => parts.map(quoteWord).join(" "), true);
  runs(/^\s*(\+|\.\.?|)\s*$/, (parts) => parts.join(""));
  // Backquotes and `%x(..)` in Perl, Ruby and PHP are shell commands themselves.
  for (const m of code.matchAll(/%x\(([^)]*)\)|qx\{([^}]*)\}/g)) lines.add(m[1] ?? m[2]!);
  // Code inside a literal (`exec('os.system("git push -f")')`): its literals, one level down.
  if (depth < 2) for (const l of found) if (/["'`]/.test(l.value)) for (const inner of commandStrings(l.value, depth + 1)) lines.add(inner);
  return [...lines];
}

/** A make file's recipes: tab-indented lines, and what follows `;` on a rule line. */
export function makeRecipes(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("\t")) out.push(line.slice(1).replace(/^[@+-]+/, ""));
    else {
      const m = /^[^:=#]*::?[^;=]*;(.*)$/.exec(line);
      if (m) out.push(m[1]!);
    }
  }
  return out;
}
