// git's own argv grammar: the global options before the subcommand (git.c handle_options), config
// given on the command line or in the environment, aliases defined there, and `git push`'s options
// as parse-options reads them: bundled short flags (`-uf`), long options as unique prefixes
// (`--forc`), `--no-` negations, and values attached or separate.
import { isKnown, showArg, unknownArg, type Arg } from "../argv.js";
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

export const git: Grammar = {
  programs: ["git"],
  read(argv, env): Reading {
    const configs: Config[] = [];
    let configUnknown = Object.keys(env).some((name) => CONFIG_ENV.test(name));
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
            configs.push([eq < 0 ? value : value.slice(0, eq), eq < 0 ? "true" : value.slice(eq + 1)]);
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
    // send-pack is push's plumbing: the same force, mirror and refspec semantics.
    if (sub === "push" || sub === "send-pack") return readPush(sub, rest, configs, configUnknown);
    return { forms: [["git", sub, ...rest]] };
  },
};
