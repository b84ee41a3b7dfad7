// Profile files in, one typed Profile out: TOML parse, zod validation, `extends`, the tripwires,
// and the checks that need the whole picture (conflicts, tripwire examples).
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ProfileError } from "../errors.js";
import { builtinProfilesDir, displayPath } from "./builtin.js";
import type { KeyPath } from "./locate.js";
import { exampleArgv } from "./example.js";
import { analyse } from "../guard/analyse.js";
import { tripwireDenies } from "./tripwire-overlap.js";
import { parsePattern } from "./pattern.js";
import { resolveGatewaySections } from "./gateway-sections.js";
import { parseWireRule, type WireRule } from "./wire.js";
import { mergeLimits } from "./limits.js";
import { errorAt, readValidatedToml, type ReadFile } from "./read-toml.js";
import { ProfileFileSchema, TripwiresFileSchema, type ProfileFile, type TripwiresFile } from "./schema.js";
import type { CommandRule, Example, Origin, Posture, Profile, Tripwire } from "./types.js";
import { secretCommands } from "./secret-classes.js";
import { loadSecrets, SECRETS_FILE } from "./secrets.js";
import { formatKeyPath } from "./locate.js";

export const TRIPWIRES_FILE = "tripwires.toml";

export interface ProfileSource {
  /** A folder of the user's own profiles, searched before the built-in ones. */
  profilesDir?: string;
}

function searchDirs(source: ProfileSource): string[] {
  const dirs = [builtinProfilesDir()];
  if (source.profilesDir !== undefined) dirs.unshift(resolve(source.profilesDir));
  return [...new Set(dirs)];
}

/** Names of every profile the source offers, own folder first. */
export function listProfiles(source: ProfileSource = {}): string[] {
  const names = new Set<string>();
  for (const dir of searchDirs(source)) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      if (entry.endsWith(".toml") && entry !== TRIPWIRES_FILE && entry !== SECRETS_FILE) names.add(entry.slice(0, -".toml".length));
    }
  }
  return [...names].sort();
}

function findProfileFile(name: string, source: ProfileSource): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) return undefined;
  return searchDirs(source)
    .map((dir) => join(dir, `${name}.toml`))
    .find((file) => existsSync(file));
}

export function loadProfile(name: string, source: ProfileSource = {}): Profile {
  if (source.profilesDir !== undefined && !existsSync(source.profilesDir)) {
    throw new ProfileError({ file: source.profilesDir }, "the profiles folder does not exist");
  }
  const chain = readExtendsChain(name, source);
  const posture = resolvePosture(chain);
  const lists = mergeCommandLists(chain);
  const tripwires = loadTripwires(source);
  const named = chain[0]!;
  const profile: Profile = {
    name,
    description: named.data.description,
    files: chain.map((c) => c.file),
    posture,
    ...lists,
    tripwires,
    ...resolveGatewaySections(chain),
    runLimits: mergeLimits(chain.map((c) => c.data.limits)),
    secrets: loadSecrets(source.profilesDir, [...chain].reverse()),
  };
  rejectConflicts(profile);
  rejectTripwireOverlaps(profile);
  return profile;
}

type ProfileRead = ReadFile<ProfileFile>;

function readExtendsChain(name: string, source: ProfileSource): ProfileRead[] {
  const chain: ProfileRead[] = [];
  /** Absolute paths read so far: `read.file` is shortened for messages, so cycles compare these. */
  const seen: string[] = [];
  let wanted = name;
  let referrer: ProfileRead | undefined;
  for (;;) {
    const file = findProfileFile(wanted, source);
    if (file === undefined) {
      const known = listProfiles(source).join(", ");
      if (referrer === undefined) {
        throw new ProfileError({ file: source.profilesDir ?? builtinProfilesDir() }, `unknown profile "${wanted}"`, `known: ${known}`);
      }
      throw errorAt(referrer, ["extends"], `unknown profile "${wanted}"`, `known: ${known}`);
    }
    if (seen.includes(file)) {
      const cycle = [...seen, file].map(displayPath).join(" -> ");
      throw errorAt(referrer!, ["extends"], `"extends" makes a cycle: ${cycle}`);
    }
    const read = readValidatedToml(file, ProfileFileSchema);
    read.file = displayPath(file);
    chain.push(read);
    seen.push(file);
    if (read.data.extends === undefined) return chain;
    wanted = read.data.extends;
    referrer = read;
  }
}

function resolvePosture(chain: readonly ProfileRead[]): Posture {
  const resolved: Partial<Posture> = {};
  for (const read of [...chain].reverse()) Object.assign(resolved, stripUndefined(read.data.posture ?? {}));
  for (const key of ["prompts", "edits", "output"] as const) {
    if (resolved[key] === undefined) {
      throw errorAt(chain[chain.length - 1]!, ["posture"], `posture.${key} is not set by this profile or any it extends`);
    }
  }
  return resolved as Posture;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type ListName = "allow" | "ask" | "deny";

/** Parent lists first, then the child's additions; a child can add rules but never remove them. */
function mergeCommandLists(chain: readonly ProfileRead[]): Record<ListName, CommandRule[]> {
  const lists: Record<ListName, CommandRule[]> = { allow: [], ask: [], deny: [] };
  for (const list of ["allow", "ask", "deny"] as const) {
    const seen = new Set<string>();
    for (const read of [...chain].reverse()) {
      (read.data.commands?.[list] ?? []).forEach((text, i) => {
        const rule = toRule(read, ["commands", list, i], text);
        if (!seen.has(rule.pattern.text)) {
          seen.add(rule.pattern.text);
          lists[list].push(rule);
        }
      });
    }
  }
  return lists;
}

function toRule(read: ReadFile<unknown>, path: KeyPath, text: string): CommandRule {
  const pattern = parsePattern(text);
  if (typeof pattern === "string") throw errorAt(read, path, pattern);
  return { pattern, origin: originOf(read, path) };
}

/** The line is found only when something shows it: most renders never print an origin. */
function originOf(read: ReadFile<unknown>, path: KeyPath): Origin {
  let line: number | undefined | null = null;
  return {
    file: read.file,
    key: formatKeyPath(path),
    get line() {
      if (line === null) line = read.lineOf(path);
      return line;
    },
  };
}

function tripwireFiles(source: ProfileSource): string[] {
  const builtin = join(builtinProfilesDir(), TRIPWIRES_FILE);
  const files = [builtin];
  if (source.profilesDir !== undefined) {
    const own = resolve(source.profilesDir, TRIPWIRES_FILE);
    if (own !== builtin && existsSync(own)) files.push(own);
  }
  return files;
}

/** The built-in tripwires always apply; a profiles folder may add its own, never remove any. */
export function loadTripwires(source: ProfileSource = {}): Tripwire[] {
  const tripwires: Tripwire[] = [];
  for (const file of tripwireFiles(source)) {
    const read = readValidatedToml(file, TripwiresFileSchema);
    read.file = displayPath(file);
    read.data.tripwire.forEach((entry, i) => {
      const duplicate = tripwires.find((t) => t.id === entry.id);
      if (duplicate) {
        throw errorAt(read, ["tripwire", i, "id"], `tripwire id "${entry.id}" is already used at ${duplicate.origin.file}:${duplicate.origin.line}`);
      }
      tripwires.push(toTripwire(read, i, entry));
    });
  }
  return tripwires;
}

type TripwireEntry = TripwiresFile["tripwire"][number];

function toTripwire(read: ReadFile<TripwiresFile>, index: number, entry: TripwireEntry): Tripwire {
  const at = (...rest: (string | number)[]): KeyPath => ["tripwire", index, ...rest];
  const rules = entry.commands.map((text, i) => toRule(read, at("commands", i), text));
  const except = (entry.except ?? []).map((text, i) => toRule(read, at("except", i), text));
  const example = (list: "blocks" | "allows", command: string, i: number): Example => {
    if (command.trim() === "") throw errorAt(read, at(list, i), "the example command is empty");
    return { command, argv: exampleArgv(command), origin: originOf(read, at(list, i)) };
  };
  const blocks = entry.blocks.map((c, i) => example("blocks", c, i));
  const allows = (entry.allows ?? []).map((c, i) => example("allows", c, i));
  const wire = (entry.wire ?? []).map((text, i): WireRule => {
    const rule = parseWireRule(text);
    if (typeof rule === "string") throw errorAt(read, at("wire", i), rule);
    return rule;
  });
  const tripwire: Tripwire = { id: entry.id, reason: entry.reason, rules, except, blocks, allows, wire, origin: originOf(read, at("id")) };
  // The examples are the tripwire's own tests: the guard's analyser reads each one before any tool
  // sees the rules.
  const alone = { tripwires: [tripwire] };
  blocks.forEach((ex, i) => {
    if (analyse(ex.command, alone).decision !== "deny") {
      throw errorAt(read, at("blocks", i), `"${ex.command}" is not stopped by this tripwire's commands`);
    }
  });
  allows.forEach((ex, i) => {
    const verdict = analyse(ex.command, alone);
    if (verdict.decision === "deny") {
      throw errorAt(read, at("allows", i), `"${ex.command}" is listed as allowed but the guard denies it: ${verdict.reason}`);
    }
  });
  return tripwire;
}

/** A pattern the profile allows or asks for that a tripwire denies: which one holds would differ by layer. */
function rejectTripwireOverlaps(profile: Profile): void {
  for (const list of ["allow", "ask"] as const) {
    for (const rule of profile[list]) {
      const denied = tripwireDenies(rule.pattern, profile.tripwires);
      if (denied !== undefined) {
        throw new ProfileError(
          { file: rule.origin.file, line: rule.origin.line, key: rule.origin.key },
          `"${rule.pattern.text}" is ${list === "allow" ? "allowed" : "asked"} here, but a tripwire denies it: ${denied}`,
          "tripwires are denied in every profile; remove the pattern or narrow it",
        );
      }
    }
  }
}

/** The same command may not be both allowed (or asked) and denied: which one wins would differ by tool. */
function rejectConflicts(profile: Profile): void {
  const seen = new Map<string, { list: string; rule: CommandRule }>();
  const denies = [...profile.deny, ...profile.tripwires.flatMap((t) => t.rules), ...secretCommands(profile.secrets).map((s) => s.rule)];
  const lists: [string, CommandRule[]][] = [["deny", denies], ["ask", profile.ask], ["allow", profile.allow]];
  for (const [list, rules] of lists) {
    for (const rule of rules) {
      const earlier = seen.get(rule.pattern.text);
      if (earlier && earlier.list !== list) {
        throw new ProfileError(
          { file: rule.origin.file, line: rule.origin.line, key: rule.origin.key },
          `"${rule.pattern.text}" is both ${list === "allow" ? "allowed" : "asked"} here and ${earlier.list === "deny" ? "denied" : "asked"} at ${earlier.rule.origin.file}:${earlier.rule.origin.line} ${earlier.rule.origin.key}`,
        );
      }
      if (!earlier) seen.set(rule.pattern.text, { list, rule });
    }
  }
}
