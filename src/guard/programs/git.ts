// git's own argv grammar: the global options before the subcommand (git.c handle_options), config
// given on the command line or in the environment, aliases defined there, and `git push`'s options
// as parse-options reads them: bundled short flags (`-uf`), long options as unique prefixes
// (`--forc`), `--no-` negations, and values attached or separate.
import { isKnown, programName, showArg, unknownArg, type Arg } from "../argv.js";
import { joinArgs } from "../unwrap.js";
import { parseShell, ShellSyntaxError } from "../shell.js";
import { expandPrefix, type Grammar, type Reading } from "./types.js";

const GLOBAL_FLAGS = new Set([
  "-p", "--paginate", "-P", "--no-pager", "--no-replace-objects", "--no-lazy-fetch", "--no-optional-locks", "--no-advice",
  "--bare", "--literal-pathspecs", "--no-literal-pathspecs", "--glob-pathspecs", "--noglob-pathspecs", "--icase-pathspecs",
  "--html-path", "--man-path", "--info-path", "-v", "--version", "-h", "--help", "--exec-path",
]);
/** Global options that take a value, as `--opt=v` or `--opt v` (`-C` and `-c` only separate). */
const GLOBAL_VALUED = new Set(["--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--attr-source", "--list-cmds", "--exec-path", "--shallow-file"]);

/** Environment variables that bring in config the analyser cannot see. */
const CONFIG_ENV = /^GIT_CONFIG(_PARAMETERS|_COUNT|_KEY_\d+|_VALUE_\d+|_GLOBAL|_SYSTEM)?$/;
/** Environment variables git runs as shell commands (an editor, a pager, ssh). */
const COMMAND_ENV = ["GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER", "GIT_SSH_COMMAND", "GIT_SSH", "GIT_ASKPASS", "GIT_EXTERNAL_DIFF", "EDITOR", "VISUAL", "PAGER"];
/**
 * Config keys whose value git runs as a shell command (git-config(1)): a tripwire in one runs as
 * surely as one written on the command line.
 */
const COMMAND_KEY =
  /^(core\.(editor|pager|sshcommand|askpass|fsmonitor|alternaterefscommand)|sequence\.editor|pager\..+|diff\.external|diff\..+\.(command|textconv)|merge\..+\.driver|filter\..+\.(clean|smudge|process)|credential(\..+)?\.helper|gpg(\..+)?\.program|uploadpack\.packobjectshook|(difftool|mergetool)\..+\.cmd|man\..+\.cmd|browser\..+\.cmd|remote\..+\.(receivepack|uploadpack)|sendemail\.(smtpserver|tocmd|cccmd)|core\.hookspath)$/;
/** Config that brings in config the analyser cannot see, or makes a misspelt command run as another. */
const OPAQUE_KEY = /^(include\.path|includeif\..+\.path)$/;
const AUTOCORRECT_OFF = /^(0|false|no|off|never|show)$/i;
/** Options of some subcommands whose value git runs as a command (`rebase --exec`, `fetch --upload-pack`). */
const CODE_OPTIONS = new Set([
  "exec", "upload-pack", "receive-pack", "extcmd", "tree-filter", "index-filter", "msg-filter", "env-filter", "commit-filter",
  "parent-filter", "tag-name-filter", "setup", "open-files-in-pager",
]);
const CODE_SHORT: Record<string, string> = { rebase: "x", clone: "u", difftool: "x" };
/**
 * git's own commands (git 2.39 `--list-cmds=builtins`, and the scripted ones): an alias cannot hide
 * one. With config the analyser cannot read (`GIT_CONFIG_PARAMETERS`, `--config-env`, `include.path`)
 * any other subcommand may be an alias of any command, force-pushes included.
 */
const GIT_COMMANDS = new Set([
  "add", "am", "annotate", "apply", "archive", "bisect", "blame", "branch", "bugreport", "bundle", "cat-file",
  "check-attr", "check-ignore", "check-mailmap", "check-ref-format", "checkout", "checkout-index", "cherry",
  "cherry-pick", "citool", "clean", "clone", "column", "commit", "commit-graph", "commit-tree", "config",
  "count-objects", "credential", "credential-cache", "credential-store", "cvsimport", "describe", "diagnose", "diff",
  "diff-files", "diff-index", "diff-tree", "difftool", "fast-export", "fast-import", "fetch", "fetch-pack",
  "filter-branch", "fmt-merge-msg", "for-each-ref", "for-each-repo", "format-patch", "fsck", "fsck-objects", "gc",
  "get-tar-commit-id", "gitk", "grep", "gui", "hash-object", "help", "hook", "http-fetch", "http-push", "index-pack",
  "init", "init-db", "instaweb", "interpret-trailers", "lfs", "log", "ls-files", "ls-remote", "ls-tree", "mailinfo",
  "mailsplit", "maintenance", "merge", "merge-base", "merge-file", "merge-index", "merge-ours", "merge-recursive",
  "merge-recursive-ours", "merge-recursive-theirs", "merge-subtree", "merge-tree", "mergetool", "mktag", "mktree",
  "multi-pack-index", "mv", "name-rev", "notes", "p4", "pack-objects", "pack-redundant", "pack-refs", "patch-id",
  "pickaxe", "prune", "prune-packed", "pull", "push", "quiltimport", "range-diff", "read-tree", "rebase",
  "receive-pack", "reflog", "remote", "remote-ext", "remote-fd", "repack", "replace", "request-pull", "rerere",
  "reset", "restore", "rev-list", "rev-parse", "revert", "rm", "send-email", "send-pack", "shortlog", "show",
  "show-branch", "show-index", "show-ref", "sparse-checkout", "stage", "stash", "status", "stripspace", "submodule",
  "subtree", "svn", "switch", "symbolic-ref", "tag", "unpack-file", "unpack-objects", "update-index", "update-ref",
  "update-server-info", "upload-archive", "upload-pack", "var", "verify-commit", "verify-pack", "verify-tag",
  "version", "web--browse", "whatchanged", "worktree", "write-tree",
]);
/** Subcommands that write the files named in their operands (`git checkout other -- FILE`). */
const WRITES_OPERANDS = new Set(["checkout", "restore", "checkout-index", "rm", "mv"]);

/** push's long options; `value` ones need one (attached with `=` or the next argument). */
const PUSH_LONG: Record<string, "flag" | "value" | "optional"> = {
  verbose: "flag", quiet: "flag", repo: "value", all: "flag", branches: "flag", mirror: "flag", delete: "flag", tags: "flag",
  "dry-run": "flag", porcelain: "flag", force: "flag", "force-with-lease": "optional", "force-if-includes": "flag",
  "recurse-submodules": "value", thin: "flag", "receive-pack": "value", exec: "value", "set-upstream": "flag", progress: "flag",
  prune: "flag", verify: "flag", "follow-tags": "flag", signed: "optional", atomic: "flag", "push-option": "value", ipv4: "flag", ipv6: "flag",
};
const PUSH_SHORT: Record<string, string> = { v: "verbose", q: "quiet", d: "delete", n: "dry-run", f: "force", u: "set-upstream", o: "push-option", "4": "ipv4", "6": "ipv6" };
const PUSH_NAMES = [...Object.keys(PUSH_LONG), ...Object.keys(PUSH_LONG).map((n) => `no-${n}`)];

type Config = [key: string, value: Arg];

function splitAlias(value: string): Arg[] | undefined {
  try {
    const script = parseShell(value);
    const command = script.pipelines.length === 1 && script.pipelines[0]!.commands.length === 1 ? script.pipelines[0]!.commands[0]! : undefined;
    if (command?.kind !== "simple" || command.assignments.length > 0 || command.redirects.length > 0) return undefined;
    return command.words.map((w) => w.value ?? unknownArg(w.raw, true));
  } catch (error) {
    if (error instanceof ShellSyntaxError) return undefined;
    throw error;
  }
}

function readPush(sub: string, args: readonly Arg[], configs: readonly Config[], configUnknown: boolean): Reading {
  const active = new Map<string, string>();
  const operands: Arg[] = [];
  const set = (name: string, value?: string) => {
    if (name.startsWith("no-")) {
      active.delete(name.slice(3));
      return;
    }
    active.set(name, value === undefined ? `--${name}` : `--${name}=${value}`);
  };
  let onlyOperands = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!isKnown(a) || onlyOperands || !a.startsWith("-") || a === "-") {
      operands.push(a);
      continue;
    }
    if (a === "--") {
      onlyOperands = true;
      continue;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const given = a.slice(2, eq < 0 ? undefined : eq);
      const name = expandPrefix(given, PUSH_NAMES);
      if (name === undefined) return { forms: [], unreadable: `git ${sub} has no option --${given}` };
      if (name === "ambiguous") return { forms: [], unreadable: `--${given} is ambiguous for git ${sub}` };
      const kind = PUSH_LONG[name.replace(/^no-/, "")]!;
      if (eq >= 0) set(name, a.slice(eq + 1));
      else if (kind === "value" && !name.startsWith("no-")) {
        const value = args[++i];
        if (value === undefined) return { forms: [], unreadable: `--${name} needs a value` };
        set(name, isKnown(value) ? value : value.raw);
      } else set(name);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const name = PUSH_SHORT[a[j]!];
      if (name === undefined) return { forms: [], unreadable: `git ${sub} has no option -${a[j]}` };
      if (PUSH_LONG[name] === "value") {
        set(name, j + 1 < a.length ? a.slice(j + 1) : showArg(args[++i] ?? ""));
        break;
      }
      set(name);
    }
  }
  const extra: Arg[] = [];
  for (const [key, value] of configs) {
    const lower = key.toLowerCase();
    if (/^remote\..*\.mirror$/.test(lower) && (!isKnown(value) || /^(true|yes|on|1)$/i.test(value))) extra.push("--mirror");
    if (/^remote\..*\.push$/.test(lower)) extra.push(value);
  }
  // Config the analyser cannot read may turn this push into any push.
  if (configUnknown) extra.push(unknownArg("<config from the environment>", true));
  return { forms: [["git", "push", ...active.values(), ...extra, ...operands]] };
}

/** What a config setting can make a later git command do, as the analyser reads it. */
function configEffect(key: string, value: Arg): Reading | undefined {
  const lower = key.toLowerCase();
  if (!isKnown(value) && /^(alias|remote|include|includeif|help)\./.test(lower)) return { forms: [["git", unknownArg(`<config ${key}>`, true)]] };
  if (lower.startsWith("alias.")) {
    // An alias can be used later with any arguments: read it so.
    return { forms: [], runs: [["git", "-c", `${key}=${value as string}`, key.slice(6), unknownArg('"$@"', true)]] };
  }
  if (/^remote\..+\.(push|mirror)$/.test(lower)) return { forms: [], runs: [["git", "-c", `${key}=${value as string}`, "push"]] };
  if (OPAQUE_KEY.test(lower) || (lower === "help.autocorrect" && !AUTOCORRECT_OFF.test(value as string))) {
    return { forms: [["git", unknownArg(`<any git command, after ${key}>`, true)]] };
  }
  if (COMMAND_KEY.test(lower)) return { forms: [], code: [{ code: isKnown(value) ? value.replace(/^!/, "") : value, via: `git config ${key}` }] };
  return undefined;
}

/** `git config [options] [set] KEY VALUE`: a setting that lasts, read for what it makes later commands do. */
function readConfigWrite(args: readonly Arg[]): Reading | undefined {
  const VALUED = new Set(["-f", "--file", "--blob", "--type", "--default", "--comment", "--value"]);
  const NOT_A_WRITE = /^(--get|--get-all|--get-regexp|--get-urlmatch|--get-color|--get-colorbool|--list|-l|--edit|-e|--unset|--unset-all|--remove-section|--rename-section)$/;
  const positionals: Arg[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (isKnown(a) && a.startsWith("-")) {
      if (NOT_A_WRITE.test(a)) return undefined;
      if (VALUED.has(a)) i++;
      continue;
    }
    positionals.push(a);
  }
  if (positionals[0] === "set") positionals.shift();
  else if (isKnown(positionals[0]) && ["get", "list", "unset", "rename-section", "remove-section", "edit"].includes(positionals[0])) return undefined;
  const [key, value] = positionals;
  if (key === undefined || value === undefined) return undefined;
  if (!isKnown(key)) return { forms: [["git", unknownArg(`<config ${key.raw}>`, true)]] };
  return configEffect(key, value);
}

/** Commands a subcommand runs through its options (`rebase -x CMD`) or operands (`submodule foreach CMD`). */
function codeOf(sub: string, args: readonly Arg[]): { code: NonNullable<Reading["code"]>; runs: Arg[][] } {
  const code: NonNullable<Reading["code"]> = [];
  const runs: Arg[][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!isKnown(a)) continue;
    const long = /^--([a-z-]+)(?:=(.*))?$/s.exec(a);
    if (long && CODE_OPTIONS.has(long[1]!)) {
      const value = long[2] ?? args[++i];
      if (value !== undefined) code.push({ code: value, via: `git ${sub} --${long[1]}` });
    } else if (CODE_SHORT[sub] !== undefined && a.startsWith(`-${CODE_SHORT[sub]}`)) {
      const value = a.length > 2 ? a.slice(2) : args[++i];
      if (value !== undefined) code.push({ code: value, via: `git ${sub} ${a.slice(0, 2)}` });
    } else if (sub === "grep" && a.startsWith("-O") && a.length > 2) code.push({ code: a.slice(2), via: "git grep -O" });
    else if (a.startsWith("ext::")) {
      // git splits an ext:: command at spaces itself; `% ` is a space inside an argument.
      const words = a.slice(5).split(/(?<!%) /).filter((w) => w !== "").map((w) => w.replace(/% /g, " ").replace(/%[sSG]/g, "x").replace(/%%/g, "%"));
      runs.push(words);
    }
  }
  if (sub === "submodule") {
    const at = args.indexOf("foreach");
    if (at >= 0) {
      const inner = args.slice(at + 1).filter((a, k) => !(k < 2 && (a === "--recursive" || a === "-q" || a === "--quiet")));
      if (inner.length > 0) code.push({ code: joinArgs(inner), via: "git submodule foreach" });
    }
  }
  if (sub === "bisect" && args[0] === "run" && args.length > 1) runs.push(args.slice(1) as Arg[]);
  return { code, runs };
}

export const git: Grammar = {
  // `git-push` (git's own dashed form, also `/usr/lib/git-core/git-push`) is `git push`; hub wraps git.
  programs: /^(git|hub)$|^git-[a-z][a-z0-9-]*$/,
  read(argv, env): Reading {
    const name = programName(argv[0] as string);
    if (name.startsWith("git-")) argv = ["git", name.slice(4), ...argv.slice(1)];
    const configs: Config[] = [];
    let configUnknown = Object.keys(env).some((name) => CONFIG_ENV.test(name));
    const effects: Reading[] = [];
    for (const name of COMMAND_ENV) if (env[name] !== undefined) effects.push({ forms: [], code: [{ code: env[name]!, via: `git's ${name}` }] });
    let i = 1;
    const unknownGlobals: Arg[] = [];
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (!isKnown(a)) {
        // Could be an option (with a value) or the subcommand: keep it where it may stand for either.
        unknownGlobals.push(unknownArg(a.raw, true));
        continue;
      }
      if (!a.startsWith("-")) break;
      if (a === "-c" || a === "-C") {
        const value = argv[++i];
        if (value === undefined) return { forms: [], unreadable: `git ${a} needs a value` };
        if (a === "-c") {
          if (!isKnown(value)) configUnknown = true;
          else {
            const eq = value.indexOf("=");
            const key = eq < 0 ? value : value.slice(0, eq);
            const v = eq < 0 ? "true" : value.slice(eq + 1);
            configs.push([key, v]);
            if (OPAQUE_KEY.test(key.toLowerCase())) configUnknown = true;
            if (key.toLowerCase() === "help.autocorrect" && !AUTOCORRECT_OFF.test(v)) unknownGlobals.push(unknownArg(`<any command, after ${value}>`, true));
            if (COMMAND_KEY.test(key.toLowerCase())) effects.push(configEffect(key, v)!);
          }
        }
        continue;
      }
      const eq = a.indexOf("=");
      const name = eq < 0 ? a : a.slice(0, eq);
      if (name === "--config-env") configUnknown = true;
      if (GLOBAL_VALUED.has(name)) {
        if (eq < 0 && name !== "--exec-path") i++;
        continue;
      }
      if (GLOBAL_FLAGS.has(a)) continue;
      return { forms: [], unreadable: `git has no global option ${a}` };
    }
    const sub = argv[i];
    const rest = argv.slice(i + 1);
    const reading = readSubcommand(argv, i, sub, rest, configs, configUnknown, unknownGlobals);
    for (const e of effects) reading.code = [...(reading.code ?? []), ...(e.code ?? [])];
    return reading;
  },
};

/** The subcommand and what follows it, once the global options are read. */
function readSubcommand(argv: readonly Arg[], i: number, sub: Arg | undefined, rest: Arg[], configs: Config[], configUnknown: boolean, unknownGlobals: Arg[]): Reading {
  if (unknownGlobals.length > 0 || sub === undefined || !isKnown(sub)) {
    // The subcommand itself is unknown: any git command could be meant.
    const read = sub !== undefined && isKnown(sub) && (sub === "push" || sub === "send-pack") ? readPush(sub, rest, configs, true).forms : [];
    return { forms: [["git", ...unknownGlobals, ...(sub === undefined ? [] : [isKnown(sub) ? sub : unknownArg(sub.raw, true)]), ...rest], ...read] };
  }
  const alias = configs.find(([key]) => key.toLowerCase() === `alias.${sub.toLowerCase()}`);
  if (alias && sub !== "push") {
    const [, value] = alias;
    if (!isKnown(value)) return { forms: [["git", unknownArg(value.raw, true), ...rest]] };
    if (value.startsWith("!")) return { forms: [], code: [{ code: [value.slice(1), ...rest.map(showArg)].join(" "), via: `git alias ${sub}` }] };
    const words = splitAlias(value);
    if (!words) return { forms: [], unreadable: `git alias ${sub} = "${value}" cannot be read` };
    return { forms: [], runs: [["git", ...argv.slice(1, i), ...words, ...rest]] };
  }
  const { code, runs } = codeOf(sub, rest);
  const reading: Reading = { forms: [["git", sub, ...rest]], code, runs };
  if (configUnknown && !GIT_COMMANDS.has(sub)) reading.forms.push(["git", unknownArg(`<an alias ${sub} from config the guard cannot read>`, true)]);
  // A remote helper run by hand reads `push +src:dst` lines from stdin: a push the guard cannot read.
  if (sub.startsWith("remote-")) return { forms: [], unreadable: `git ${sub} reads its push commands from standard input` };
  // send-pack and http-push are push's plumbing: the same force, mirror and refspec semantics.
  if (sub === "push" || sub === "send-pack" || sub === "http-push") {
    const push = readPush(sub, rest, configs, configUnknown);
    if (push.unreadable !== undefined) return push;
    reading.forms = push.forms;
  }
  if (sub === "config") {
    // `git config --file F KEY VALUE` writes F, whatever F is.
    const file = rest.findIndex((a) => a === "-f" || a === "--file");
    const attached = rest.find((a): a is string => isKnown(a) && a.startsWith("--file="));
    reading.writes = [...(file >= 0 && rest[file + 1] !== undefined ? [rest[file + 1]!] : []), ...(attached ? [attached.slice(7)] : [])];
    const effect = readConfigWrite(rest);
    if (effect) return { ...effect, forms: [...reading.forms, ...effect.forms], writes: reading.writes };
  }
  if (WRITES_OPERANDS.has(sub)) reading.writes = rest.filter((a) => !(isKnown(a) && a.startsWith("-")));
  return reading;
}
