// The Node package managers' argv grammars: npm as nopt reads it (options anywhere, unique-prefix
// option names and commands, shorthands such as `-w` and `-ws`, `--bool false`), npx and `npm exec`
// (which run another command), pnpm (`-r`, `--filter`, `-C`, `exec`, `dlx`) and yarn (`workspace`,
// `workspaces foreach`, `dlx`, `exec`).
import { isKnown, unknownArg, type Arg } from "../argv.js";
import { joinArgs } from "../unwrap.js";
import { NPM_ALIASES, NPM_BOOLEAN, NPM_COMMANDS, NPM_SHORTHANDS, NPM_VALUED } from "./npm-vocabulary.js";
import { expandPrefix, type Grammar, type Reading } from "./types.js";

const NPM_OPTION_NAMES = [...NPM_VALUED, ...NPM_BOOLEAN];
const NPM_NAMES = [...NPM_COMMANDS, ...Object.keys(NPM_ALIASES)];
/** Booleans whose type also takes a string: `--browser x` consumes `x` (nopt). */
const NPM_MIXED = new Set(["browser", "color"]);

/** An npm command as npm resolves it: unique prefixes (`publ`, `pu`) and aliases (`x`, `rum`). */
export function npmCommand(word: string): string | undefined {
  let name = NPM_NAMES.includes(word) ? word : undefined;
  if (name === undefined) {
    const hits = NPM_NAMES.filter((n) => n.startsWith(word));
    if (hits.length === 1) name = hits[0];
  }
  for (let i = 0; name !== undefined && NPM_ALIASES[name] !== undefined && i < 4; i++) name = NPM_ALIASES[name];
  return name;
}

interface NpmArgs {
  /** Final option values by full name. */
  options: Map<string, Arg | boolean>;
  positionals: Arg[];
  afterDashes: Arg[];
  /** An argument the analyser cannot see stood among the options: it may have been one. */
  unknownAmong: boolean;
}

function readNpmArgs(args: readonly Arg[]): NpmArgs | string {
  const out: NpmArgs = { options: new Map(), positionals: [], afterDashes: [], unknownAmong: false };
  const queue = [...args];
  for (let i = 0; i < queue.length; i++) {
    let a = queue[i]!;
    if (!isKnown(a)) {
      out.unknownAmong = true;
      out.positionals.push(a);
      continue;
    }
    if (/^-{2,}$/.test(a)) {
      out.afterDashes.push(...queue.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a.length === 1) {
      out.positionals.push(a);
      continue;
    }
    let value: Arg | undefined;
    const eq = a.indexOf("=");
    if (eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (!a.startsWith("--")) {
      const short = a.slice(1);
      const expanded = NPM_SHORTHANDS[short] ?? (short.split("").every((c) => NPM_SHORTHANDS[c]) ? short.split("").flatMap((c) => NPM_SHORTHANDS[c]!) : undefined);
      if (expanded) {
        const attached = value === undefined ? [] : [`${expanded[0]}=${isKnown(value) ? value : value.raw}`];
        queue.splice(i, 1, ...(value === undefined ? expanded : [...attached, ...expanded.slice(1)]));
        i--;
        continue;
      }
    }
    let name = a.replace(/^-+/, "");
    let negated = false;
    while (name.toLowerCase().startsWith("no-")) {
      negated = !negated;
      name = name.slice(3);
    }
    const full = expandPrefix(name, NPM_OPTION_NAMES);
    if (full === "ambiguous") return `npm option --${name} is ambiguous`;
    name = full ?? name;
    const next = queue[i + 1];
    if (NPM_VALUED.includes(name) && !negated) {
      if (value === undefined) {
        if (next === undefined || (isKnown(next) && /^-{1,2}[^-]+/.test(next))) value = "";
        else {
          value = next;
          i++;
        }
      }
      out.options.set(name, value);
      continue;
    }
    let flag: Arg | boolean = value === undefined ? !negated : isKnown(value) ? (value === "false" ? negated : !negated) : value;
    if (value === undefined && (next === "true" || next === "false")) {
      flag = (next === "true") !== negated;
      i++;
    } else if (value === undefined && NPM_MIXED.has(name) && isKnown(next) && !next.startsWith("-")) {
      flag = next;
      i++;
    }
    out.options.set(name, flag);
  }
  return out;
}

function optionWords(options: ReadonlyMap<string, Arg | boolean>): Arg[] {
  const words: Arg[] = [];
  for (const [name, value] of options) {
    if (value === true) words.push(`--${name}`);
    else if (value === false) continue;
    else if (isKnown(value)) words.push(`--${name}=${value}`);
    else words.push(unknownArg(`--${name}=${value.raw}`, false));
  }
  return words;
}

/** The program a package spec names: `npm@10` and `@scope/npm@10` run `npm`. */
function binOf(spec: Arg): Arg {
  if (!isKnown(spec)) return spec;
  const noVersion = spec.replace(/^(@[^/]+\/)?([^@]+)@.*$/, "$1$2");
  return noVersion.slice(noVersion.lastIndexOf("/") + 1);
}

/** npx's own option rule: a non-switch option without `=` takes the next argument unless it starts with `-`. */
function readNpx(args: readonly Arg[]): Reading {
  const switches = new Set([...NPM_BOOLEAN, "no-install", "quiet", "q", "version", "v", "help", "h", "y", "yes"]);
  const takes = new Set(["package", "p", "cache", "userconfig", "call", "c", "shell", "npm", "node-arg", "n"]);
  const code: { code: Arg; via: string }[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (!isKnown(a)) return { forms: [], runs: [[a, ...args.slice(i + 1)]] };
    if (a === "--") return { forms: [], runs: [[binOf(args[i + 1] ?? ""), ...args.slice(i + 2)]], code };
    if (!a.startsWith("-")) return { forms: [], runs: [[binOf(a), ...args.slice(i + 1)]], code };
    const [key, ...v] = a.replace(/^-+/, "").split("=");
    let value: Arg | undefined = v.length > 0 ? v.join("=") : undefined;
    if (value === undefined && !switches.has(key!) && (takes.has(key!) || !(isKnown(args[i + 1]) && (args[i + 1] as string).startsWith("-")))) {
      value = args[++i];
    }
    if ((key === "c" || key === "call") && value !== undefined) code.push({ code: value, via: "npx --call" });
  }
  return { forms: [], code };
}

function readNpm(argv: readonly Arg[]): Reading {
  const read = readNpmArgs(argv.slice(1));
  if (typeof read === "string") return { forms: [], unreadable: read };
  // nopt puts what follows `--` after the positionals: with none before it, the command is there.
  if (read.positionals.length === 0 && read.afterDashes.length > 0) read.positionals.push(read.afterDashes.shift()!);
  const [first, ...others] = read.positionals;
  const options = optionWords(read.options);
  if (first === undefined) return { forms: [["npm", ...options, ...read.afterDashes]] };
  if (!isKnown(first)) return { forms: [["npm", unknownArg(first.raw, true), ...others, ...options, ...read.afterDashes]] };
  const command = npmCommand(first) ?? first;
  // After `--` every argument is an operand: one that looks like an option is shown as the path it
  // then is (`./--dry-run`), so an exception naming the option never matches it.
  const operands = read.afterDashes.map((a) => (isKnown(a) && a.startsWith("-") ? `./${a}` : a));
  const reading: Reading = { forms: [["npm", command, ...options, ...others, ...operands]] };
  if (read.unknownAmong) reading.forms.push(["npm", unknownArg("<unknown argument>", true), ...others]);
  if (command === "pkg" && others[0] === "set") {
    // `npm pkg set scripts.x='npm publish'` writes a script that `npm run x` runs later: read it now.
    const scripts = others.slice(1).flatMap((a): Arg[] => (isKnown(a) ? (/^scripts\.[^=]+=/.test(a) ? [a.slice(a.indexOf("=") + 1)] : []) : [a]));
    reading.code = scripts.map((code) => ({ code, via: "npm pkg set scripts" }));
  }
  if (command === "exec") {
    // npm reads options anywhere, so only the positionals and what follows `--` reach the command.
    const call = read.options.get("call");
    if (call !== undefined && typeof call !== "boolean") reading.code = [{ code: call, via: "npm exec --call" }];
    const inner = [...others, ...read.afterDashes];
    if (inner.length > 0) reading.runs = [[binOf(inner[0]!), ...inner.slice(1)]];
  }
  return reading;
}

/** pnpm: global options before the command; `exec` and `dlx` run another one. */
const PNPM_VALUED = new Set(["C", "dir", "F", "filter", "filter-prod", "test-pattern", "changed-files-ignore-pattern", "reporter", "loglevel", "workspace-concurrency", "package", "resume-from"]);

function readPnpm(argv: readonly Arg[]): Reading {
  const options: Arg[] = [];
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!isKnown(a)) return { forms: [["pnpm", unknownArg(a.raw, true), ...argv.slice(i + 1)]] };
    if (!a.startsWith("-")) break;
    const name = a.replace(/^-+/, "").split("=")[0]!;
    options.push(a === "-r" ? "--recursive" : a);
    if (!a.includes("=") && PNPM_VALUED.has(name) && !/^-[A-Za-z]./.test(a)) options.push(argv[++i] ?? "");
  }
  const command = argv[i];
  const rest = argv.slice(i + 1);
  if (command === undefined) return { forms: [["pnpm", ...options]] };
  if (command === "exec" || command === "dlx") {
    let j = 0;
    const shellMode = rest.some((a) => a === "-c" || a === "--shell-mode");
    while (j < rest.length && isKnown(rest[j]) && (rest[j] as string).startsWith("-")) {
      if (rest[j] === "--package" || rest[j] === "--allow-build") j++;
      j++;
    }
    const inner = rest.slice(j);
    if (shellMode) return { forms: [], code: [{ code: joinArgs(inner), via: `pnpm ${command} -c` }] };
    return { forms: [["pnpm", command, ...options, ...rest]], runs: inner.length > 0 ? [[binOf(inner[0]!), ...inner.slice(1)]] : [] };
  }
  return { forms: [["pnpm", command, ...rest, ...options]] };
}

const YARN_VALUED = new Set(["cwd", "mutex", "network-timeout", "cache-folder", "modules-folder", "registry", "use-yarnrc", "otp", "global-folder", "link-folder"]);
const FOREACH_VALUED = new Set(["include", "exclude", "from", "j", "jobs"]);

function readYarn(argv: readonly Arg[]): Reading {
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!isKnown(a)) return { forms: [["yarn", unknownArg(a.raw, true), ...argv.slice(i + 1)]] };
    if (!a.startsWith("-")) break;
    if (!a.includes("=") && YARN_VALUED.has(a.replace(/^-+/, ""))) i++;
  }
  const [command, ...rest] = argv.slice(i);
  if (command === undefined) return { forms: [["yarn"]] };
  if (command === "workspace") return { forms: [["yarn", command, ...rest]], runs: rest.length > 1 ? [["yarn", ...rest.slice(1)]] : [] };
  if (command === "workspaces" && (rest[0] === "foreach" || rest[0] === "run")) {
    let j = 1;
    for (; j < rest.length; j++) {
      const a = rest[j]!;
      if (!isKnown(a) || !a.startsWith("-")) break;
      if (!a.includes("=") && FOREACH_VALUED.has(a.replace(/^-+/, ""))) j++;
    }
    const inner = rest.slice(j);
    const runs = inner.length === 0 ? [] : rest[0] === "run" ? [["yarn", "run", ...inner]] : [["yarn", ...inner]];
    return { forms: [["yarn", command, ...rest]], runs };
  }
  if (command === "dlx" || command === "exec") {
    let j = 0;
    while (j < rest.length && isKnown(rest[j]) && (rest[j] as string).startsWith("-")) {
      if (rest[j] === "-p" || rest[j] === "--package") j++;
      j++;
    }
    const inner = rest.slice(j);
    return { forms: [["yarn", command, ...rest]], runs: inner.length > 0 ? [[binOf(inner[0]!), ...inner.slice(1)]] : [] };
  }
  return { forms: [["yarn", command, ...rest]] };
}

/** `bunx [flags] PKG ARGS` and `bun x`, `deno run npm:PKG`: the package's program runs. */
function readRunner(argv: readonly Arg[], from: number): Reading {
  let i = from;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!isKnown(a) || !a.startsWith("-")) break;
    if (a === "-p" || a === "--package") i++;
  }
  const inner = argv.slice(i);
  return { forms: [[...argv]], runs: inner.length > 0 ? [[binOf(inner[0]!), ...inner.slice(1)]] : [] };
}

/** corepack: `corepack npm ...`, `corepack pnpm@8 ...` run that package manager. */
const COREPACK_RUNS = /^(npm|npx|pnpm|pnpx|yarn|yarnpkg)(@.*)?$/;

export const runnersJs: Grammar = {
  programs: ["corepack", "bunx", "deno"],
  read(argv): Reading {
    const name = argv[0] as string;
    if (name === "bunx") return readRunner(argv, 1);
    if (name === "deno") {
      const spec = argv.findIndex((a, k) => k > 1 && isKnown(a) && a.startsWith("npm:"));
      if (argv[1] === "eval") return { forms: [[...argv]], strings: argv.slice(2).filter((a) => !(isKnown(a) && a.startsWith("-"))).slice(0, 1).map((code) => ({ code, via: "deno eval" })) };
      return spec < 0 ? { forms: [[...argv]] } : { forms: [[...argv]], runs: [[binOf((argv[spec] as string).slice(4)), ...argv.slice(spec + 1)]] };
    }
    const tool = argv.findIndex((a, k) => k > 0 && !(isKnown(a) && a.startsWith("-")));
    const word = argv[tool];
    if (tool < 0 || !isKnown(word) || !COREPACK_RUNS.test(word)) return { forms: [[...argv]] };
    return { forms: [[...argv]], runs: [[word.replace(/@.*$/, "").replace(/^yarnpkg$/, "yarn"), ...argv.slice(tool + 1)]] };
  },
};

export const npm: Grammar = { programs: ["npm"], read: (argv) => readNpm(argv) };
export const npx: Grammar = { programs: ["npx"], read: (argv) => readNpx(argv) };
export const pnpm: Grammar = { programs: ["pnpm", "pnpx"], read: (argv) => (argv[0] === "pnpx" ? readNpx(argv) : readPnpm(argv)) };
export const yarn: Grammar = { programs: ["yarn"], read: (argv) => readYarn(argv) };
