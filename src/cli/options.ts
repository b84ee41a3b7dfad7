// Turns the CLI's shared flags into typed inputs; every bad flag is a UsageError (exit 2).
import { homedir } from "node:os";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { compiledBuiltin } from "../compiled/builtins.js";
import type { GuardPart } from "../compiled/types.js";
import type { Profile } from "../profile/types.js";
import { renderProfile, type Rendering } from "../render.js";
import { TOOLS, TOOL_IDS } from "../tools/index.js";
import type { AgentTool, HostPlace } from "../tools/types.js";

export interface ProfileFlags {
  profile?: string;
  profilesDir?: string;
}

export interface HostFlags extends ProfileFlags {
  tools?: string;
  home?: string;
  project?: string;
  dryRun?: boolean;
  diff?: boolean;
  json?: boolean;
}

export function selectTools(list: string | undefined): AgentTool[] {
  if (list === undefined) return [...TOOLS];
  const wanted = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const unknown = wanted.filter((id) => !TOOL_IDS.includes(id as never));
  if (unknown.length > 0 || wanted.length === 0) {
    throw new UsageError(`--tools: unknown tool ${unknown.join(", ") || "(empty list)"}; choose from ${TOOL_IDS.join(", ")}`);
  }
  return TOOLS.filter((t) => wanted.includes(t.id));
}

/**
 * The profile to use. A built-in profile whose files are unchanged comes compiled with the CLI; only
 * otherwise is the full loader (TOML, zod, example checks) loaded and run.
 */
export async function profileFrom(flags: ProfileFlags, fallback: string): Promise<Profile> {
  const name = flags.profile ?? fallback;
  if (flags.profilesDir === undefined) {
    const compiled = compiledBuiltin(name);
    if (compiled !== undefined) return compiled.profile;
  }
  const { loadProfile } = await import("../profile/load.js");
  return loadProfile(name, { profilesDir: flags.profilesDir });
}

/** What the guard hook reads of the profile: its tripwires and secrets (compiled apart for a built-in one). */
export async function guardPartFrom(flags: ProfileFlags, fallback: string): Promise<GuardPart> {
  if (flags.profilesDir === undefined) {
    const compiled = compiledBuiltin(flags.profile ?? fallback);
    if (compiled !== undefined) return compiled.guard;
  }
  return profileFrom(flags, fallback);
}

/** The profile's host rendering by `tools`: compiled with the CLI for an unchanged built-in profile. */
export async function hostRenderingFrom(flags: ProfileFlags, tools: readonly AgentTool[]): Promise<Rendering> {
  if (flags.profilesDir === undefined) {
    const compiled = compiledBuiltin(flags.profile ?? "interactive");
    if (compiled !== undefined) return compiled.hostRendering(tools);
  }
  return renderProfile(await profileFrom(flags, "interactive"), tools, "host");
}

export function homeFrom(flags: HostFlags): string {
  return resolve(flags.home ?? process.env.HOME ?? homedir());
}

/** What the tools will see when they run from here: this environment and this project folder. */
export function placeFrom(flags: HostFlags): Omit<HostPlace, "home"> {
  return { env: process.env, project: resolve(flags.project ?? process.cwd()) };
}
