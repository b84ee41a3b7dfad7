// The contract every tool module fulfils. Generic code (render, sinks, coverage, CLI) only talks to
// tools through this interface and never branches on a tool id.
import type { KeyPath } from "../profile/locate.js";
import type { CommandPattern } from "../profile/pattern.js";
import type { CommandRule, Profile } from "../profile/types.js";
import type { TOOL_IDS } from "./index.js";

/** A tool's id: one the registry (src/tools/index.ts) lists. */
export type ToolId = (typeof TOOL_IDS)[number];

/** `host`: files in a developer's home (paths relative to it). `image`: files in the agent image (absolute). */
export type Scope = "host" | "image";

export type JsonObject = { [key: string]: unknown };

/** Structured files are serialized by the sink, never templated; text files come out of a template. */
export type FileBody =
  | {
      format: "json" | "toml";
      value: JsonObject;
      /** The keys perimeter owns in a file the user shares with it; absent: perimeter owns the whole file. */
      ownedKeys?: readonly KeyPath[];
    }
  | { format: "text"; text: string };

/** A structured file the user shares with perimeter, which owns only `ownedKeys` in it. */
export type SharedBody = Extract<FileBody, { format: "json" | "toml" }> & { ownedKeys: readonly KeyPath[] };

/** True for a file the user shares; every other file perimeter owns whole. */
export function isShared(body: FileBody): body is SharedBody {
  return body.format !== "text" && body.ownedKeys !== undefined;
}

export interface EmittedFile {
  tool: ToolId;
  path: string;
  body: FileBody;
}

/** A rule variant that a tool cannot enforce, reported instead of being dropped silently. */
export interface Gap {
  tool: ToolId;
  rule: CommandRule;
  variant: string;
  reason: string;
}

export interface ToolOutput {
  files: EmittedFile[];
  gaps: Gap[];
}

/** How a tool enforces one pattern: the exact variants it enforces, and those it cannot express. */
export interface Expression {
  enforced: CommandPattern[];
  missing: { variant: string; reason: string }[];
}

/** The command that starts a tool in the agent image; the prompt is appended as the last argument. */
export interface LaunchSpec {
  argv: string[];
}

/** What `perimeter run` must know to start a tool unattended behind the gateway. */
export interface RunFacts {
  /**
   * Variables the tool reads its model API key from. The agent container gets a placeholder in each;
   * the gateway holds the real key and puts it on the wire.
   */
  credentialEnv: string[];
  /** Plain settings the tool needs to run without a person (no update checks, trust the workspace). */
  env: Record<string, string>;
  /** Prints the tool's version; run in a fresh container of the image for the manifest. */
  versionCommand: string[];
}

export interface AgentTool {
  id: ToolId;
  title: string;
  /** The npm package of the real client (its version is pinned in image/clients/package.json). */
  npmPackage: string;
  render(profile: Profile, scope: Scope): ToolOutput;
  express(pattern: CommandPattern): Expression;
  /** Why the tool does not check its rules at all for this command line; undefined when it does. */
  skipsRulesFor(command: string): string | undefined;
  /** Why this file, as it would end up on a host, lets the agent run without prompts (empty: it does not). */
  bypassFindings(path: string, body: FileBody): string[];
  launch(profile: Profile): LaunchSpec;
  run: RunFacts;
}

/** Where one file lives: relative to the home on a host, absolute in the image. */
export type Location = Record<Scope, string>;

/**
 * A structured file's body: on a host the user shares the file and perimeter owns only `ownedKeys`;
 * in the image perimeter owns the whole file.
 */
export function structuredBody(scope: Scope, format: "json" | "toml", value: JsonObject, ownedKeys: readonly KeyPath[]): FileBody {
  return scope === "host" ? { format, value, ownedKeys } : { format, value };
}
