// The one typed profile every emitter reads. Each rule remembers where it came from.
import type { ProfileLimits } from "./limits.js";
import type { HostPattern } from "./host.js";
import type { CommandPattern } from "./pattern.js";
import type { WireRule } from "./wire.js";
import type { Secrets } from "./secret-classes.js";

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
  /** The argv of a one-command example as written; undefined for a line with shell syntax. */
  argv: string[] | undefined;
  origin: Origin;
}

export interface Tripwire {
  id: string;
  reason: string;
  rules: CommandRule[];
  /** Patterns of commands it never stops, though a rule matches (`npm publish * --dry-run`). */
  except: CommandRule[];
  blocks: Example[];
  allows: Example[];
  /** What the tripwire means on the wire, refused by the gateway. */
  wire: WireRule[];
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
  /** What may leave the agent container; undefined: the profile has no [network] (no gateway). */
  network?: NetworkPolicy;
  credentials: Credential[];
  git: GitPolicy;
  limits: Limits;
  /** What the agent must never read: the built-in list plus the profile's additions. */
  secrets: Secrets;
}

export interface NetworkPolicy {
  allow: HostPattern[];
  /** Allowed hosts whose TLS the gateway terminates even without credentials or wire rules. */
  inspect: HostPattern[];
}

export interface Credential {
  name: string;
  host: string;
  header: string;
  scheme: "raw" | "bearer" | "basic";
  username?: string;
  /** Where the launcher keeps the secret: exactly one of the two. */
  source: { env: string } | { file: string };
  placeholderEnv: string[];
  required: boolean;
  origin: Origin;
}

export interface GitPolicy {
  hosts: HostPattern[];
  /** Ref globs the agent may update; deletions and tags are refused whatever these say. */
  push: string[];
}

export interface Price {
  input: number;
  output: number;
  cachedInput: number;
}

export interface Limits {
  tokens?: number;
  usd?: number;
  warnPercent: number;
  stopPercent: number;
  /** Model name glob to price, in file order. */
  prices: { model: string; price: Price }[];
}

export const DEFAULT_PUSH_REFS = ["refs/heads/agent/**"];
export const DEFAULT_WARN_PERCENT = 70;
export const DEFAULT_STOP_PERCENT = 100;

/** A profile that never prompts belongs in the agent image, never on a host. */
export function isContainerOnly(profile: Profile): boolean {
  return profile.posture.prompts === "never";
}
