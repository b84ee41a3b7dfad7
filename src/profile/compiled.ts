// Built-in profiles, already loaded and checked at build time. A render on every pre-commit hook
// and home-manager activation should not parse TOML, run zod and re-check every tripwire example
// of files that never changed (README "Performance").
//
// Used only while each built-in file on disk is byte-for-byte the text it was compiled from; any
// edit, added or removed file falls back to the full loader. Own profile folders always take it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { builtinProfilesDir, packageRoot } from "./builtin.js";
import { COMPILED_BUILTINS } from "./compiled-data.js";
import type { CommandRule, Example, Origin, Profile, Tripwire } from "./types.js";

/** What the build embeds: the source texts it compiled, and every built-in profile resolved. */
export interface CompiledBuiltins {
  /** Built-in .toml file name to its exact text. */
  sources: Record<string, string>;
  /** Profiles as loadProfile returns them, with file paths relative to the package root. */
  profiles: Record<string, Profile>;
}

/** Serializable form of a loaded profile (origins' lines resolved, paths relative to the package). */
export function compileBuiltins(load: (name: string) => Profile, names: readonly string[]): CompiledBuiltins {
  const dir = builtinProfilesDir();
  const sources = Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith(".toml"))
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );
  const profiles = Object.fromEntries(names.map((name) => [name, relocate(load(name), (file) => relative(packageRoot(), resolve(file)))]));
  return { sources, profiles: JSON.parse(JSON.stringify(profiles)) as Record<string, Profile> };
}

function relocate(profile: Profile, path: (file: string) => string): Profile {
  const origin = (o: Origin): Origin => ({ file: path(o.file), line: o.line, key: o.key });
  const rule = (r: CommandRule): CommandRule => ({ pattern: r.pattern, origin: origin(r.origin) });
  const example = (e: Example): Example => ({ ...e, origin: origin(e.origin) });
  const tripwire = (t: Tripwire): Tripwire => ({ ...t, rules: t.rules.map(rule), blocks: t.blocks.map(example), allows: t.allows.map(example), origin: origin(t.origin) });
  return {
    ...profile,
    files: profile.files.map(path),
    allow: profile.allow.map(rule),
    ask: profile.ask.map(rule),
    deny: profile.deny.map(rule),
    tripwires: profile.tripwires.map(tripwire),
  };
}

function unchangedOnDisk(sources: Record<string, string>): boolean {
  const dir = builtinProfilesDir();
  if (!existsSync(dir)) return false;
  const onDisk = readdirSync(dir).filter((f) => f.endsWith(".toml")).sort();
  const names = Object.keys(sources).sort();
  if (onDisk.length !== names.length || onDisk.some((f, i) => f !== names[i])) return false;
  return names.every((f) => readFileSync(join(dir, f), "utf8") === sources[f]);
}

/** The compiled built-in profile, or undefined when there is none or the files changed since. */
export function compiledBuiltin(name: string, displayPath: (absolute: string) => string): Profile | undefined {
  const compiled = COMPILED_BUILTINS;
  if (compiled === undefined || !(name in compiled.profiles) || !unchangedOnDisk(compiled.sources)) return undefined;
  return relocate(compiled.profiles[name]!, (file) => displayPath(join(packageRoot(), file)));
}
