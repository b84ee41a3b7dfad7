// The build's side of the compiled path (src/dev/compile-builtins.ts runs it): every built-in
// profile loaded by the real loader and rendered by the real emitters and sink, with the freshness
// key of what it was made from. builtins.ts is the run-time lookup.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { builtinProfilesDir, packageRoot, templatesDir } from "../profile/builtin.js";
import type { Profile } from "../profile/types.js";
import { renderProfile } from "../render.js";
import { settledForHost } from "../sink/host.js";
import { TOOLS, toolById } from "../tools/index.js";
import { relocate, relocateRule, type PathMap } from "./builtins.js";
import type { CompiledBuiltins, CompiledRendering } from "./types.js";

/** The folders a rendering reads at run time, package-relative: every file in them is an input. */
const inputRoots = (): string[] => [builtinProfilesDir(), templatesDir()].map((dir) => relative(packageRoot(), dir));

/** Package-relative paths of every file under the folders a rendering reads at run time. */
function inputFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(relative(packageRoot(), full));
    }
  };
  walk(builtinProfilesDir());
  walk(templatesDir());
  return files.sort();
}

/** Serializable form of the built-in profiles and their host renderings. */
export function compileBuiltins(load: (name: string) => Profile, names: readonly string[]): CompiledBuiltins {
  const inputs = Object.fromEntries(inputFiles().map((f) => [f, readFileSync(join(packageRoot(), f), "utf8")]));
  const toPackage: PathMap = (file) => relative(packageRoot(), resolve(file));
  const profiles: Record<string, Profile> = {};
  const hostRenderings: Record<string, CompiledRendering> = {};
  for (const name of names) {
    const profile = load(name);
    profiles[name] = relocate(profile, toPackage);
    const rendering = renderProfile(profile, TOOLS, "host");
    hostRenderings[name] = { files: rendering.files.map((f) => settledForHost(f, toolById(f.tool))), gaps: rendering.gaps.map((g) => ({ ...g, rule: relocateRule(g.rule, toPackage) })) };
  }
  return JSON.parse(JSON.stringify({ inputs, inputRoots: inputRoots(), profiles, hostRenderings })) as CompiledBuiltins;
}
