// Built-in profiles and their host renderings, made at build time by the real loader, emitters and
// sink. A render on every pre-commit hook and home-manager activation should not parse TOML, run
// zod, re-check every tripwire example and run three emitters over files that never changed
// (README "Performance").
//
// Used only while every file a rendering may read (all of profiles/ and templates/) is byte for byte
// the text it was compiled from; any edit, added or removed file falls back to the full path (the
// check, cheap enough for every start, is store.ts's). Own
// profile folders always take it. One lookup, compiledBuiltin(name), serves the profile and its
// rendering; the stored form is in store.ts, the types in types.ts, and the build's side in compile.ts
// (which brings the emitters and the sink, so the lookup here does not).
import { join } from "node:path";
import { displayPath, packageRoot } from "../profile/builtin.js";
import type { CommandRule, Example, Origin, Profile, Tripwire } from "../profile/types.js";
import { withLazy } from "../lazy.js";
import type { Rendering } from "../render.js";
import type { AgentTool } from "../tools/types.js";
import { COMPILED_DIR } from "./data.js";
import { openCompiled, type OpenedCompiled } from "./store.js";
import type { GuardPart } from "./types.js";

/** A mapping of the files a profile names (package-relative at build time, absolute at run time). */
export type PathMap = (file: string) => string;

/** A path mapping that computes each distinct file once: a profile has hundreds of origins but a few files. */
function memoized(path: PathMap): PathMap {
  const seen = new Map<string, string>();
  return (file) => {
    let mapped = seen.get(file);
    if (mapped === undefined) seen.set(file, (mapped = path(file)));
    return mapped;
  };
}

export function relocateRule(r: CommandRule, path: PathMap): CommandRule {
  return { pattern: r.pattern, origin: { file: path(r.origin.file), line: r.origin.line, key: r.origin.key } };
}

function relocateGuardPart(part: GuardPart, path: PathMap): GuardPart {
  const origin = (o: Origin): Origin => ({ file: path(o.file), line: o.line, key: o.key });
  const rule = (r: CommandRule): CommandRule => relocateRule(r, path);
  const example = (e: Example): Example => ({ ...e, origin: origin(e.origin) });
  const tripwire = (t: Tripwire): Tripwire => ({ ...t, rules: t.rules.map(rule), except: t.except.map(rule), blocks: t.blocks.map(example), allows: t.allows.map(example), origin: origin(t.origin) });
  return {
    tripwires: part.tripwires.map(tripwire),
    secrets: {
      classes: part.secrets.classes.map((c) => ({
        ...c,
        files: c.files.map((f) => ({ ...f, origin: origin(f.origin) })),
        except: c.except.map((f) => ({ ...f, origin: origin(f.origin) })),
        commands: c.commands.map(rule),
        origin: origin(c.origin),
      })),
    },
  };
}

export function relocate(profile: Profile, path: PathMap): Profile {
  const rule = (r: CommandRule): CommandRule => relocateRule(r, path);
  return {
    ...profile,
    files: profile.files.map(path),
    allow: profile.allow.map(rule),
    ask: profile.ask.map(rule),
    deny: profile.deny.map(rule),
    ...relocateGuardPart(profile, path),
  };
}

// Opened and checked against the files on disk once per process.
let opened: { dir: string; compiled: OpenedCompiled | undefined } | undefined;

/** The compiled built-ins, or undefined when there are none or an input changed since. */
function freshBuiltins(): OpenedCompiled | undefined {
  const dir = COMPILED_DIR;
  if (dir === undefined) return undefined;
  if (opened?.dir !== dir) {
    const compiled = openCompiled(dir);
    opened = { dir, compiled: compiled?.unchanged() ? compiled : undefined };
  }
  return opened.compiled;
}

/** Paths as the loader would give them on this machine: absolute, shown relative to the working folder. */
const onThisMachine = (): PathMap => memoized((file) => displayPath(join(packageRoot(), file)));

/** A built-in profile as compiled: the profile, and its host rendering by any set of tools. */
export interface CompiledBuiltin {
  /** What loadProfile(name) returns. */
  readonly profile: Profile;
  /** Its tripwires and secrets alone, stored apart: a guard-hook call reads a small file, not the whole profile. */
  readonly guard: GuardPart;
  /** What renderProfile(profile, tools, "host") returns, whole-owned files settled for the host sink. */
  hostRendering(tools: readonly AgentTool[]): Rendering;
}

/** The one lookup: the compiled built-in profile `name`, or undefined when there is none or it is stale. */
export function compiledBuiltin(name: string): CompiledBuiltin | undefined {
  const compiled = freshBuiltins();
  if (compiled === undefined || !(name in compiled.profiles)) return undefined;
  const path = onThisMachine();
  const hostRendering = (tools: readonly AgentTool[]): Rendering => {
    const rendering = compiled.hostRenderings[name]!;
    const wanted = new Set(tools.map((t) => t.id));
    const files = rendering.files.filter((f) => wanted.has(f.tool));
    // Most runs print only the profile's name, and check no gaps: both are unpacked when first asked for.
    const gaps = () => rendering.gaps.filter((g) => wanted.has(g.tool)).map((g) => ({ ...g, rule: relocateRule(g.rule, path) }));
    return withLazy(withLazy({ scope: "host" as const, profileName: name, files }, "gaps", gaps), "profile", () => lookup.profile);
  };

  const lookup = withLazy(
    withLazy({ hostRendering }, "profile", () => relocate(compiled.profiles[name]!, path)),
    "guard",
    () => relocateGuardPart(compiled.guardParts[name]!, path),
  );
  return lookup;
}
