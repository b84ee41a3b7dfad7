// Where the built-in profiles live: the package's own profiles/ folder, found from this file both
// in the source tree (src/profile/) and in the bundle (dist/).
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  // import.meta.dirname: Node 20.11 and later; the bundle has it always (its own folder).
  let dir = import.meta.dirname ?? dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "profiles"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("perimeter: cannot find its package root (profiles/ folder)");
    dir = parent;
  }
  cached = dir;
  return dir;
}

export function builtinProfilesDir(): string {
  return join(packageRoot(), "profiles");
}

export function templatesDir(): string {
  return join(packageRoot(), "templates");
}

/** A path as messages show it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}
