// The one typed profile every emitter reads. Each rule remembers where it came from.
import type { ProfileLimits } from "./limits.js";
import type { CommandPattern } from "./pattern.js";

export interface Origin {
  file: string;
  line?: number;
  /** Key path inside the file, e.g. `commands.allow[3]` or `tripwire[2].commands[0]`. */
  key: string;
}

export interface CommandRule {
  pattern: CommandPattern;
  origin: Origin;
}

export interface Example {
  command: string;
  argv: string[];
  origin: Origin;
}

export interface Tripwire {
  id: string;
  reason: string;
  rules: CommandRule[];
  blocks: Example[];
  allows: Example[];
  origin: Origin;
}

export interface Posture {
  prompts: "ask" | "never";
  edits: "auto" | "ask";
  output: "text" | "json";
}

export interface Profile {
  name: string;
  description: string;
  /** The profile files read, the named profile first, then what it extends. */
  files: string[];
  posture: Posture;
  allow: CommandRule[];
  ask: CommandRule[];
  /** Profile-specific denies; the tripwires come on top. */
  deny: CommandRule[];
  tripwires: Tripwire[];
  /** The clock and container half of `[limits]`, merged along `extends` (src/profile/limits.ts). */
  runLimits: ProfileLimits;
}

/** A profile that never prompts belongs in the agent image, never on a host. */
export function isContainerOnly(profile: Profile): boolean {
  return profile.posture.prompts === "never";
}
