// The engine and clock half of a profile's `[limits]`: what `perimeter run` gives the agent container
// (memory, cpus, pids) and how long the run may take. The model budget lives beside it (enforced by
// the gateway); each half is its own zod shape so the table stays one `[limits]` in the file.
import * as z from "zod/mini";

const described = <T extends z.ZodMiniType>(schema: T, text: string): T => schema.check(z.describe(text)) as T;

/** Engine memory sizes: a number of bytes with an optional k, m or g suffix, as podman and docker take. */
export const MEMORY_PATTERN = /^[1-9][0-9]*[kmg]?$/;

export const RunLimitsShape = {
  wall_clock_seconds: z.optional(
    described(
      z.int().check(z.minimum(1), z.maximum(7 * 24 * 3600)),
      "Longest the agent may run, in seconds; enforced by the launcher and by the image's entrypoint.",
    ),
  ),
  memory: z.optional(
    described(z.string().check(z.regex(MEMORY_PATTERN, 'a size such as "4g" or "512m"')), 'Memory of the agent container ("4g", "512m"); the engine enforces it.'),
  ),
  cpus: z.optional(described(z.number().check(z.positive(), z.maximum(1024)), "CPUs of the agent container (may be fractional)."),),
  pids: z.optional(described(z.int().check(z.minimum(16), z.maximum(1_000_000)), "Most processes the agent container may hold at once.")),
};

export const LimitsFileSchema = described(z.strictObject({ ...RunLimitsShape }), "Hard limits of a run (perimeter run): clock and container resources.");

export type LimitsFile = z.infer<typeof LimitsFileSchema>;

/** The limits a run gets, every one set: a profile and what it extends, then the flags on top. */
export interface RunLimits {
  wallClockSeconds: number;
  memory: string;
  cpus: number;
  pids: number;
}

/** The `[limits]` of a profile chain, merged key by key, the named profile winning. */
export type ProfileLimits = Partial<RunLimits>;

export function mergeLimits(files: readonly (LimitsFile | undefined)[]): ProfileLimits {
  const merged: ProfileLimits = {};
  // Parents first, so the profile a user names overrides what it extends.
  for (const file of [...files].reverse()) {
    if (file === undefined) continue;
    if (file.wall_clock_seconds !== undefined) merged.wallClockSeconds = file.wall_clock_seconds;
    if (file.memory !== undefined) merged.memory = file.memory;
    if (file.cpus !== undefined) merged.cpus = file.cpus;
    if (file.pids !== undefined) merged.pids = file.pids;
  }
  return merged;
}
