// Where a command line holds code of another kind, for the secrets analyser (secret-reads.ts): the
// interpreters and their code options, SQL shells and jq filters, the variables and git settings whose
// value a program runs as shell code, the programs that take a command string of their own, and the
// signs of code that builds what it opens at run time. Data and small readers only; the analyser
// decides what they mean.
import { isKnown, type Arg } from "./argv.js";

/**
 * Inline code that decodes or evaluates text (`exec(b64decode(..))`, `Buffer.from(.., 'base64')`,
 * `fromCharCode`, a reversed string), or opens a path it joins from a literal and something else
 * (`open('.e'+'nv')`, `open(f'{d}/x')`, a template with `${..}`).
 */
export const BUILT_AT_RUN_TIME = new RegExp(
  [
    String.raw`\b(?:exec|eval|compile|Function|instance_eval|class_eval)\s*\(`,
    String.raw`b64decode|b32decode|a85decode|unhexlify|\batob\s*\(|fromCharCode|codecs\.decode|decode64|unpack1?\s*\(\s*["']m`,
    String.raw`Buffer\.from\s*\([^)]*["'](?:base64|base64url|hex)["']`,
    String.raw`\[::-1\]|\.reverse\(\)\s*\.join|\bchr\s*\(`,
    String.raw`\b(?:open|readFileSync|readFile|createReadStream|read_text|File\.read|File\.open|IO\.read|file_get_contents|fopen|readTextFile|Path)\s*\(\s*(?:(?:["'][^"']*["']|\w+)\s*[+%]|f["']|\`[^\`]*\$\{)`,
  ].join("|"),
);

/** Interpreters and the options whose value is source code. */
export const CODE_OPTIONS: Record<string, readonly string[]> = {
  python: ["-c"], python2: ["-c"], python3: ["-c"], pypy: ["-c"], pypy3: ["-c"],
  node: ["-e", "--eval", "-p", "--print"], nodejs: ["-e", "--eval", "-p", "--print"], bun: ["-e", "--eval", "-p", "--print"],
  deno: ["eval"], ruby: ["-e"], perl: ["-e", "-E"], php: ["-r"], lua: ["-e"], Rscript: ["-e"], osascript: ["-e"], tclsh: [],
};
/** Variables whose value a program runs as shell code (a pager, an editor, git's ssh). */
export const CODE_VARIABLES = new Set(["PAGER", "GIT_PAGER", "MANPAGER", "SYSTEMD_PAGER", "EDITOR", "VISUAL", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_SSH_COMMAND", "LESSOPEN", "LESSCLOSE", "BROWSER", "PROMPT_COMMAND", "BASH_ENV", "ENV"]);

/** git configuration keys whose value is shell code (`alias.x=!cmd`, `core.pager=cmd`). */
export const GIT_CODE_KEYS = /^(?:alias\.[^=]+|core\.pager|pager\.[^=]+|core\.editor|sequence\.editor|core\.sshcommand|core\.fsmonitor|credential(?:\.[^=]+)?\.helper|diff\.external|diff\.[^=]+\.(?:textconv|command)|filter\.[^=]+\.(?:clean|smudge|process)|merge\.[^=]+\.driver|gpg\.program|interactive\.difffilter)=(.*)$/is;

/**
 * Programs that run a command string of their own, and which of their arguments are one: shell code
 * (`script -c`, ssh's remote command, tmux's command, parallel's arguments) or an editor's commands,
 * whose words are read as paths.
 */
export function codeArguments(name: string, argv: readonly Arg[]): { shell: string[]; words: string[] } {
  const known = argv.slice(1).filter(isKnown);
  const after = (options: readonly string[]) => known.flatMap((a, i) => (options.includes(a) ? [known[i + 1] ?? ""] : options.filter((o) => o.startsWith("--") && a.startsWith(`${o}=`)).map((o) => a.slice(o.length + 1))));
  switch (name) {
    case "script":
      return { shell: [...after(["-c", "--command"]), ...known.filter((a) => /^-[a-z]*c$/.test(a)).map((a) => known[known.indexOf(a) + 1] ?? "")], words: [] };
    case "ssh": {
      // The remote command: everything after the destination (options with values skipped).
      const operands: string[] = [];
      for (let i = 0; i < known.length; i++) {
        const a = known[i]!;
        if (operands.length === 0 && a.startsWith("-")) {
          if (/^-[BbcDEeFIiJLlmOoPpQRSWw]$/.test(a)) i++;
          continue;
        }
        operands.push(a);
      }
      return { shell: operands.length > 1 ? [operands.slice(1).join(" ")] : [], words: [] };
    }
    case "tmux":
    case "screen":
    case "parallel":
    case "watch":
      return { shell: known.filter((a) => /\s/.test(a)), words: [] };
    case "vim":
    case "vi":
    case "nvim":
    case "ex":
    case "view":
      return { shell: [], words: [...after(["-c", "--cmd"]), ...known.filter((a) => a.startsWith("+")).map((a) => a.slice(1))] };
    case "emacs":
    case "emacsclient":
      return { shell: [], words: after(["--eval", "-eval", "--execute", "-e"]) };
    default:
      return { shell: [], words: [] };
  }
}

/** jq and its kin: the filter can read the environment. */
export const JQ = new Set(["jq", "gojq", "yq", "jaq"]);
/** SQL shells: every operand after the database is SQL (or a dot command such as `.import FILE`). */
export const SQL_SHELLS = new Set(["sqlite3", "sqlite", "duckdb"]);
export const INTERPRETERS = new Set([...Object.keys(CODE_OPTIONS), "awk", "gawk", "mawk", ...SQL_SHELLS, ...JQ]);
