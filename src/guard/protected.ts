// The tools' own settings and hook files: no edit by the agent, by shell or by file tool. Each tool
// names its files (src/tools/<tool>/hook.ts); this module only matches paths against them.
import { realpathSync } from "node:fs";
import { posix } from "node:path";

export function protectedReason(path: string): string {
  return `perimeter guard: ${path} is an agent tool's own settings or hook file; an agent may not change it (a workspace or home edit needs no prompt and could turn the guard off)`;
}

/**
 * A path as the patterns see it: quotes off, `.` and `..` folded (`/tmp/../etc/tool` is
 * `/etc/tool`), and lower-cased, since a macOS host's file system ignores case (`.TOOL/` is
 * `.tool/` there).
 */
function normal(path: string): string {
  const bare = path.replace(/["']/g, "");
  if (bare === "") return bare;
  const folded = posix.normalize(bare).toLowerCase();
  return folded.length > 1 ? folded.replace(/\/$/, "") : folded;
}

/** True when the path (absolute, relative, or with `~` or `$HOME` in it) names a protected file. */
export function protectedPath(path: string, patterns: readonly RegExp[]): boolean {
  const p = normal(path);
  return p !== "" && patterns.some((re) => re.test(p));
}

/**
 * One concrete path each pattern matches (`(^|\/)\.tool\/settings[^/]*\.json$` gives
 * `.tool/settings.json`, `^\/etc\/tool(\/|$)` gives `/etc/tool/x`): what a folder must lead to
 * for a link to it, or a move or removal of it, to reach a protected file.
 */
function samples(patterns: readonly RegExp[]): string[] {
  const out: string[] = [];
  for (const re of patterns) {
    const sample = re.source
      .replace(/^\^/, "")
      .replace(/\(\^\|\\\/\)/g, "")
      .replace(/\(\\\/\|\$\)/g, "/x")
      .replace(/\[\^\/\]\*/g, "")
      .replace(/\$$/, "")
      .replace(/\\(.)/g, "$1");
    if (re.test(sample)) out.push(sample);
  }
  return out;
}

const sampleCache = new WeakMap<readonly RegExp[], string[]>();

/**
 * True when the path is a folder a protected file lies in (`.tool`, `~/.tool`, `/etc`): a link
 * to it, or moving, removing or copying a tree into it, reaches that file by another name. A
 * folder that merely holds a workspace (`/work/app`) is not one: its protected files keep their
 * own names under any link to it.
 */
export function protectedAncestor(path: string, patterns: readonly RegExp[]): boolean {
  const p = normal(path);
  if (p === "" || p === ".") return false;
  if (!sampleCache.has(patterns)) sampleCache.set(patterns, samples(patterns));
  for (const sample of sampleCache.get(patterns)!) {
    if (sample.startsWith("/")) {
      if (p === "/" || sample.startsWith(`${p}/`)) return true;
      continue;
    }
    // A relative sample may stand under any folder: the path must end in one of its parents.
    const parts = sample.split("/");
    for (let k = 1; k < parts.length; k++) {
      const parent = parts.slice(0, k).join("/");
      if (p === parent || p.endsWith(`/${parent}`)) return true;
    }
  }
  return false;
}

/**
 * Where a write to `path` really lands when a link on this machine redirects it (a link made in an
 * earlier call, or by a program the guard cannot read): the real path of the file, or of its folder
 * when the file is not there yet. Undefined when no link is involved or nothing is there.
 */
export function realTarget(path: string, cwd: string): string | undefined {
  const absolute = posix.resolve(cwd, path);
  for (const [dir, rest] of [
    [absolute, ""],
    [posix.dirname(absolute), posix.basename(absolute)],
  ] as const) {
    try {
      const real = posix.join(realpathSync(dir), rest);
      return real === absolute ? undefined : real;
    } catch {
      // Not there: try its folder, then give up.
    }
  }
  return undefined;
}
