// Python's launcher options (`python3 -I -m twine`, `-mtwine`), twine itself, and the runners that
// start a Python tool by name (uvx, `uv run`, `uv tool run`, pipx run, poetry run, pdm run).
import { isKnown, programName, type Arg } from "../argv.js";
import { scanOptions } from "../unwrap.js";
import { scriptAsProgram } from "./interpreters.js";
import type { Grammar, Reading } from "./types.js";

export const python: Grammar = {
  programs: /^(python|pypy)(\d+(\.\d+)*)?$|^py$/,
  read(argv): Reading {
    let i = 1;
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (!isKnown(a) || !a.startsWith("-") || a === "-") break;
      // `-c CODE` (also bundled, `-Ic CODE`): the command lines it runs are in its string literals.
      const c = /^-[bBdEhiIOPqsSuvVx]*c(.*)$/s.exec(a);
      if (c) {
        const code = c[1] !== "" ? c[1]! : argv[i + 1];
        return { forms: [[...argv]], strings: code === undefined ? [] : [{ code, via: "python -c" }] };
      }
      const m = /^-[bBdEhiIOPqsSuvVx]*m(.*)$/.exec(a);
      if (m) {
        const module = m[1] !== "" ? m[1]! : argv[++i];
        if (module === undefined) break;
        // `python -m twine upload` runs twine's CLI: read it as `twine upload`.
        return { forms: [[...argv]], runs: [[module, ...argv.slice(i + 1)]] };
      }
      if (a === "-W" || a === "-X" || a === "--check-hash-based-pycs") i++;
    }
    // No script: the program comes from standard input (`python3 <<'EOF'`, `python3 -`).
    if (i >= argv.length || argv[i] === "-") return { forms: [[...argv]], stdin: { via: "python reading its code from standard input", language: "strings" } };
    return { forms: [[...argv]], reads: [{ path: argv[i]!, language: "strings" }], runs: [scriptAsProgram(argv[i]!, argv.slice(i + 1))] };
  },
};

export const twine: Grammar = { programs: ["twine"], read: (argv) => ({ forms: [["twine", ...argv.slice(1)]] }) };

/** `uvx TOOL`, `uv run|tool run TOOL`, `pipx run TOOL`, `poetry run`, `pdm run`, `hatch run`, `rye run`. */
const RUNNER_VALUED = ["from", "with", "python", "p", "spec", "index-url", "extra-index-url", "directory", "project", "package", "env-file", "group", "extra"];

export const runners: Grammar = {
  programs: ["uvx", "uv", "pipx", "poetry", "pdm", "hatch", "rye"],
  read(argv): Reading {
    const name = programName(argv[0] as string);
    let start = 1;
    if (name !== "uvx") {
      const sub = argv.slice(1, 3);
      if (sub[0] === "run") start = 2;
      else if (name === "uv" && sub[0] === "tool" && sub[1] === "run") start = 3;
      else return { forms: [[...argv]] };
    }
    const { operand } = scanOptions(argv, "pw", RUNNER_VALUED, start);
    const inner = argv.slice(operand);
    return { forms: [[...argv]], runs: inner.length > 0 ? [inner] : [] };
  },
};
