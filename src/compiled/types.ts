// The compiled path's own types: what the build stores and the CLI reads back (src/compiled/).
import type { Profile } from "../profile/types.js";
import type { HostFile } from "../sink/host.js";
import type { Gap } from "../tools/types.js";

/** A host rendering for every tool, as the host sink takes it (whole-owned files already settled). */
export interface CompiledRendering {
  files: HostFile[];
  gaps: Gap[];
}

/** What the build stores: the inputs it compiled from, and every built-in profile resolved and rendered. */
export interface CompiledBuiltins {
  /**
   * The freshness key: every file a rendering may read at run time (all of `inputRoots`),
   * package-relative path to its exact text. Any edit, added or removed file means "not fresh".
   */
  inputs: Record<string, string>;
  /** The package-relative folders every file of which is an input (profiles/, templates/). */
  inputRoots: string[];
  /** Profiles as loadProfile returns them, with file paths relative to the package root. */
  profiles: Record<string, Profile>;
  /** Each profile's host rendering by every tool, paths relative to the package root likewise. */
  hostRenderings: Record<string, CompiledRendering>;
}

/** What the guard hook reads of a profile: its tripwires and its secrets. */
export type GuardPart = Pick<Profile, "tripwires" | "secrets">;
