// What a path on this machine holds, as far as secrets go: the guard hook runs on the host beside the
// agent, so it can look at the real files (expand a glob, follow a symlink, walk a folder a command
// reads recursively) where a tool's own rules only see text.
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { literalPath, type SecretContext } from "../profile/secret-paths.js";
import { secretClassOf, type SecretClass, type Secrets } from "../profile/secret-classes.js";

export interface Found {
  secret: SecretClass;
  path: string;
}

/** The secret this path (or what a symlink at it points to) holds; undefined when none. */
export function secretAt(secrets: Secrets, path: string, ctx: SecretContext): Found | undefined {
  path = procAlias(path, ctx.workspace);
  const direct = secretClassOf(secrets, path, ctx);
  if (direct) return { secret: direct, path };
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return undefined;
  }
  // The home may be a symlink's path (HOME=/home/u, the files in /data/u): the real path is matched
  // against the real home too.
  const home = realHome(ctx.home);
  const target = secretClassOf(secrets, real, ctx) ?? (home !== ctx.home ? secretClassOf(secrets, real, { ...ctx, home }) : undefined);
  if (real === path && !target) return undefined;
  return target ? { secret: target, path: real === path ? path : `${path} (-> ${real})` } : undefined;
}

const realHomes = new Map<string, string>();
function realHome(home: string): string {
  let real = realHomes.get(home);
  if (real === undefined) {
    try {
      real = realpathSync(home);
    } catch {
      real = home;
    }
    realHomes.set(home, real);
  }
  return real;
}

const GLOB = /[*?[]/;

/** A shell glob over one path name, as a regex (`[...]` kept as a class). */
function segmentRegex(segment: string): RegExp {
  let body = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") body += "[^/]*";
    else if (c === "?") body += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end < 0) body += "\\[";
      else {
        body += `[${segment.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else body += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${body}$`, "s");
}

/** A glob the guard would have to look through more of the disk for than it may. */
export class GlobTooLarge extends Error {}

/**
 * `/proc/self/cwd/...` (and `thread-self`, a pid, a task's, an unknown pid as `*`) is the working
 * folder of the process that opens it, so for a command it is the command's own; `/proc/.../root`
 * is `/`. A real path lookup would answer for the hook's process instead.
 */
export function procAlias(path: string, cwd: string): string {
  const m = /^\/proc\/(?:self|thread-self|\d+|\*)(?:\/task\/(?:\d+|\*))?\/(cwd|root)(\/.*)?$/.exec(path);
  if (!m) return path;
  return resolve(m[1] === "cwd" ? cwd : "/", `.${m[2] ?? ""}`);
}

/** Every folder at or below `dir` (what `**` can stand for), following no symlinks. */
function foldersBelow(dir: string, budget: { left: number }): string[] {
  const out = [dir];
  for (let i = 0; i < out.length; i++) {
    let entries;
    try {
      entries = readdirSync(out[i]!, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      if (--budget.left < 0) throw new GlobTooLarge(`the glob reaches more than a few thousand folders below ${dir} for the guard to look through`);
      out.push(join(out[i]!, entry.name));
    }
  }
  return out;
}

/**
 * The paths an absolute glob matches on this machine, at most `limit` of them (dot files included).
 * `**` is any depth, none included (`**\/*.local` matches `.env.local` at the top too), as the file
 * tools' glob libraries read it; a shell without globstar reads it as `*`, which this covers.
 */
export function expandGlob(pattern: string, limit = 2000): string[] {
  if (!GLOB.test(pattern)) return [pattern];
  const segments = pattern.split("/").filter((s, i) => s !== "" || i === 0);
  let paths = [segments[0] === "" ? "/" : segments[0]!];
  const budget = { left: 4000 };
  for (const [index, segment] of segments.slice(1).entries()) {
    if (segment === "**") {
      const folders = paths.flatMap((p) => foldersBelow(p, budget));
      // Last: everything beneath, files too.
      paths = index === segments.length - 2 ? folders.flatMap((f) => [f, ...safeNames(f).map((n) => join(f, n))]) : folders;
      continue;
    }
    if (!GLOB.test(segment)) {
      paths = paths.map((p) => join(p, segment));
      continue;
    }
    const regex = segmentRegex(segment);
    const next: string[] = [];
    for (const dir of paths) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) if (regex.test(name)) next.push(join(dir, name));
      if (next.length > limit) break;
    }
    paths = next;
  }
  return paths.filter((p) => existsSync(p)).slice(0, limit);
}

function safeNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** Folders a recursive read never needs to look into for the workspace's secret files. */
const SKIPPED = new Set(["node_modules", ".git"]);

export type TreeVerdict = { kind: "secret"; found: Found } | { kind: "unknown"; why: string } | { kind: "clean" };

/**
 * What a command that reads `dir` recursively reads: a secret when a home or absolute secret lies
 * beneath it, or when a walk of its files finds one; unknown when the walk is cut short.
 */
export interface WalkOptions {
  /** The reader skips hidden files and folders below what it was given (rg, ag). */
  skipHidden?: boolean;
  /** The reader does not follow symlinks it meets below what it was given (rg, grep -r). */
  noFollow?: boolean;
  /** Only the home and absolute secret locations beneath, no walk for workspace names (`mv`). */
  locationsOnly?: boolean;
}

export function secretBeneath(secrets: Secrets, dir: string, ctx: SecretContext, budget = 4000, { skipHidden = false, noFollow = false, locationsOnly = false }: WalkOptions = {}): TreeVerdict {
  const root = resolve(dir);
  const itself = secretAt(secrets, root, ctx);
  if (itself) return { kind: "secret", found: itself };
  for (const secret of secrets.classes) {
    for (const file of secret.files) {
      // The part of the pattern before its first glob: a folder the secret lives in.
      const head = file.pattern.rest.split("/").findIndex((s) => GLOB.test(s));
      const fixed = head < 0 ? file.pattern.rest : file.pattern.rest.split("/").slice(0, head).join("/");
      if (file.pattern.base === "workspace" || fixed === "") continue;
      const location = literalPath({ ...file.pattern, rest: fixed }, ctx.home)!;
      // Without case, as the secret patterns match (one file on a case-insensitive disk).
      const [at, under] = [location.toLowerCase(), root.toLowerCase()];
      const inside = at === under || at.startsWith(under.endsWith("/") ? under : `${under}/`);
      if (!inside) continue;
      // A reader that skips hidden files (rg, ag) never gets below a dot folder it was not given.
      if (skipHidden && location.slice(root.length).split("/").some((part) => part.startsWith("."))) continue;
      const whole = head < 0 ? location : `${location}/${file.pattern.rest.split("/").slice(head).join("/")}`;
      let present: string[];
      try {
        present = head < 0 ? (existsSync(whole) ? [whole] : []) : expandGlob(whole);
      } catch (error) {
        if (!(error instanceof GlobTooLarge)) throw error;
        return { kind: "unknown", why: error.message };
      }
      if (present.length > 0) return { kind: "secret", found: { secret, path: present[0]! } };
    }
  }
  if (locationsOnly || !isDirectory(root)) return { kind: "clean" };
  let seen = 0;
  const stack = [root];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (skipHidden && entry.name.startsWith(".")) continue;
      if (++seen > budget) return { kind: "unknown", why: `${dir} holds more than ${budget} files to look through` };
      const path = join(current, entry.name);
      const found = noFollow && entry.isSymbolicLink() ? (secretClassOf(secrets, path, ctx) ? { secret: secretClassOf(secrets, path, ctx)!, path } : undefined) : secretAt(secrets, path, ctx);
      if (found) return { kind: "secret", found };
      if (entry.isDirectory() && !SKIPPED.has(entry.name)) stack.push(path);
    }
  }
  return { kind: "clean" };
}

/** Could a path that is only partly known (unknown parts as `*`) be a secret? Tries it on disk and as text. */
export function patternMaySecret(secrets: Secrets, pattern: string, ctx: SecretContext): Found | undefined {
  for (const path of expandGlob(pattern)) {
    const found = secretAt(secrets, path, ctx);
    if (found) return found;
  }
  // As text: the pattern with each glob made a letter, against each secret pattern (e.g. /proc/*/environ).
  const sample = pattern.replace(/\*|\?/g, "x");
  const secret = secretClassOf(secrets, sample, ctx);
  return secret ? { secret, path: pattern } : undefined;
}

/**
 * The absolute path the kernel opens for `path` from `cwd`. A `..` is taken from where the folder
 * before it really is (`link/..` is the link target's parent), unlike the shell's own `cd`.
 */
export function absolute(path: string, cwd: string): string {
  const joined = isAbsolute(path) ? path : `${cwd}/${path}`;
  if (!/(^|\/)\.\.(\/|$)/.test(joined)) return resolve(joined);
  let at = "/";
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      at = dirname(realOr(at));
      continue;
    }
    at = join(at, part);
  }
  return at;
}

/** The shell's logical path for `cd` (`cd link/..` comes back to where it started). */
export const logical = (path: string, cwd: string): string => (isAbsolute(path) ? resolve(path) : resolve(cwd, path));

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

