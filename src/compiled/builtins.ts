// Built-in profiles and their host renderings, made at build time by the real loader, emitters and
// sink. A render on every pre-commit hook and home-manager activation should not parse TOML, run
// zod, re-check every tripwire example and run three emitters over files that never changed
// (README "Performance").
//
// Used only while each built-in file on disk is byte-for-byte the text it was compiled from; any
// edit, added or removed file falls back to the full path. Own profile folders always take it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { builtinProfilesDir, displayPath, packageRoot } from "../profile/builtin.js";
import type { CommandRule, Example, Origin, Profile, Tripwire } from "../profile/types.js";
import { withLazy } from "../lazy.js";
import { renderProfile, type Rendering } from "../render.js";
import { settledForHost } from "../sink/host.js";
import { TOOLS, toolById } from "../tools/index.js";
import type { AgentTool, EmittedFile, Gap } from "../tools/types.js";
import { COMPILED_DIR } from "./data.js";
import { openCompiled } from "./store.js";

/** A host rendering for every tool, whole-owned files already settled (see settledForHost). */
export interface CompiledRendering {
  files: EmittedFile[];
  gaps: Gap[];
}

/** What the build embeds: the source texts it compiled, and every built-in profile resolved. */
export interface CompiledBuiltins {
  /** Built-in .toml file name to its exact text. */
  sources: Record<string, string>;
  /** Profiles as loadProfile returns them, with file paths relative to the package root. */
  profiles: Record<string, Profile>;
  /** Each profile's host rendering by every tool, paths relative to the package root likewise. */
  hostRenderings: Record<string, CompiledRendering>;
}

type PathMap = (file: string) => string;

/** Serializable form of the built-in profiles and their host renderings. */
export function compileBuiltins(load: (name: string) => Profile, names: readonly string[]): CompiledBuiltins {
  const dir = builtinProfilesDir();
  const sources = Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith(".toml"))
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );
  const toPackage: PathMap = (file) => relative(packageRoot(), resolve(file));
  const profiles: Record<string, Profile> = {};
  const hostRenderings: Record<string, CompiledRendering> = {};
  for (const name of names) {
    const profile = load(name);
    profiles[name] = relocate(profile, toPackage);
    const rendering = renderProfile(profile, TOOLS, "host");
    hostRenderings[name] = { files: rendering.files.map((f) => settledForHost(f, toolById(f.tool))), gaps: rendering.gaps.map((g) => ({ ...g, rule: relocateRule(g.rule, toPackage) })) };
  }
  return JSON.parse(JSON.stringify({ sources, profiles, hostRenderings })) as CompiledBuiltins;
}

/** A path mapping that computes each distinct file once: a profile has hundreds of origins but a few files. */
function memoized(path: PathMap): PathMap {
  const seen = new Map<string, string>();
  return (file) => {
    let mapped = seen.get(file);
    if (mapped === undefined) seen.set(file, (mapped = path(file)));
    return mapped;
  };
}

function relocateRule(r: CommandRule, path: PathMap): CommandRule {
  return { pattern: r.pattern, origin: { file: path(r.origin.file), line: r.origin.line, key: r.origin.key } };
}

function relocate(profile: Profile, path: PathMap): Profile {
  const origin = (o: Origin): Origin => ({ file: path(o.file), line: o.line, key: o.key });
  const rule = (r: CommandRule): CommandRule => relocateRule(r, path);
  const example = (e: Example): Example => ({ ...e, origin: origin(e.origin) });
  const tripwire = (t: Tripwire): Tripwire => ({ ...t, rules: t.rules.map(rule), except: t.except.map(rule), blocks: t.blocks.map(example), allows: t.allows.map(example), origin: origin(t.origin) });
  return {
    ...profile,
    files: profile.files.map(path),
    allow: profile.allow.map(rule),
    ask: profile.ask.map(rule),
    deny: profile.deny.map(rule),
    tripwires: profile.tripwires.map(tripwire),
    secrets: {
      classes: profile.secrets.classes.map((c) => ({
        ...c,
        files: c.files.map((f) => ({ ...f, origin: origin(f.origin) })),
        except: c.except.map((f) => ({ ...f, origin: origin(f.origin) })),
        commands: c.commands.map(rule),
        origin: origin(c.origin),
      })),
    },
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

// Opened and checked against the files on disk once per process (a render asks for the profile
// and its rendering).
let opened: { dir: string; compiled: CompiledBuiltins | undefined } | undefined;

/** The compiled built-ins, or undefined when there are none or a built-in file changed since. */
function freshBuiltins(): CompiledBuiltins | undefined {
  const dir = COMPILED_DIR;
  if (dir === undefined) return undefined;
  if (opened?.dir !== dir) {
    const compiled = openCompiled(dir);
    opened = { dir, compiled: compiled !== undefined && unchangedOnDisk(compiled.sources) ? compiled : undefined };
  }
  return opened.compiled;
}

/** Paths as the loader would give them on this machine: absolute, shown relative to the working folder. */
const onThisMachine = (): PathMap => memoized((file) => displayPath(join(packageRoot(), file)));

/** The compiled built-in profile, or undefined when there is none or the files changed since. */
export function compiledProfile(name: string): Profile | undefined {
  const compiled = freshBuiltins();
  if (compiled === undefined || !(name in compiled.profiles)) return undefined;
  return relocate(compiled.profiles[name]!, onThisMachine());
}

/** What renderProfile(profile, tools, "host") returns for a built-in profile, or undefined as above. */
export function compiledHostRendering(name: string, tools: readonly AgentTool[]): Rendering | undefined {
  const compiled = freshBuiltins();
  const rendering = compiled?.hostRenderings[name];
  if (rendering === undefined || !(name in compiled!.profiles)) return undefined;
  const wanted = new Set(tools.map((t) => t.id));
  const path = onThisMachine();
  const files = rendering.files.filter((f) => wanted.has(f.tool));
  const gaps = rendering.gaps.filter((g) => wanted.has(g.tool)).map((g) => ({ ...g, rule: relocateRule(g.rule, path) }));
  // Most runs print only the profile's name: it is unpacked when first asked for.
  return withLazy({ scope: "host" as const, files, gaps }, "profile", () => compiledProfile(name)!);
}
