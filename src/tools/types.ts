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
      /** Arrays perimeter shares entry by entry: it owns the entries holding `mark`, the user the rest. */
      ownedEntries?: readonly OwnedEntries[];
    }
  | { format: "text"; text: string };

/** An array in a shared file (hook lists) where perimeter owns only its own entries. */
export interface OwnedEntries {
  path: KeyPath;
  /** Text that perimeter's entries hold in their JSON form, and the user's do not. */
  mark: string;
}

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

/**
 * The command that starts a tool in the agent image. The prompt is the user's text and may start
 * with `-`: it must never be read as an option (a prompt `--settings=...` or `-c key=value` would
 * reconfigure the agent). So either argv ends with `--` and the prompt follows it, or
 * `promptOption` names the option whose value the prompt is, passed as one `OPTION=PROMPT` argument.
 */
export interface LaunchSpec {
  argv: string[];
  promptOption?: string;
  /**
   * Variables that, set when the container starts, make the tool read its system (policy) layer
   * from another file than the one bake wrote and digested; the entrypoint refuses a start that sets
   * one (E_POLICY_ENV).
   */
  policyEnv?: string[];
  /** The tool's own login files, relative to the home: a real token in one is refused (E_CREDENTIAL). */
  loginFiles?: string[];
  /**
   * Settings the agent or its repository can write that switch the guard hook off despite the
   * system layer (a list the tool unions over every layer, a key a higher layer sets): the entrypoint
   * refuses to start the tool while one holds (E_GUARD_OFF).
   */
  guardOff?: GuardOffSwitch[];
}

export interface GuardOffSwitch {
  /** Relative to the workdir, `~/` for the home, or `$NAME/` for a variable's folder (skipped when unset). */
  file: string;
  format: "json" | "toml";
  key: string[];
  /** The switch: a list at `key` holding this entry (the hook's name), or `key` set to this value. */
  is: { contains: string } | { equals: boolean };
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

/** A path a file tool call reads; `recursive`: everything beneath it (a search of a folder). */
export interface FileAccess {
  path: string;
  recursive?: boolean;
}

/** Where perimeter judges a host: the home, the environment the tools will see, the project folder. */
export interface HostPlace {
  home: string;
  env: NodeJS.ProcessEnv;
  /** The project whose settings the tools also read when started there; undefined: none judged. */
  project?: string;
  /** Prefixes system paths such as /etc (tests point it at a folder of their own); default "". */
  systemRoot?: string;
}

/** The folder a tool really reads its user settings from, and the variable that moved it there. */
export interface ConfigDir {
  tool: ToolId;
  /** The folder's name in the tool's host paths, e.g. ".codex" in ".codex/config.toml". */
  prefix: string;
  /** Absolute folder the tool will read. */
  dir: string;
  /** The location variable that chose it (e.g. CODEX_HOME); undefined: the default under the home. */
  variable?: string;
}

/** A file the tool reads on a host that perimeter does not write, judged as it stands. */
export interface BypassSource {
  file: string;
  format: "json" | "toml";
  /** Why this content lets the agent run without prompts (empty: it does not); `shownAs` names the file. */
  judge(value: JsonObject, shownAs: string): string[];
}

/** What a finding may read besides the file: the home and folder a hook command runs from. */
export interface FindingPlace {
  /** How the file is named in messages (default: its host path). */
  shownAs?: string;
  home?: string;
  cwd?: string;
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
  /**
   * Why this file, as it would end up on a host, lets the agent run without prompts (empty: it does
   * not): perimeter's own keys and every other bypass-level key the tool knows in that file.
   */
  bypassFindings(path: string, body: FileBody, at?: FindingPlace): string[];
  /**
   * The folder this tool reads its user settings from on a host, its location variable honoured.
   * Without it, the tool's host paths are under the home as written.
   */
  hostConfigDir?(place: HostPlace): ConfigDir;
  /** Every other file the tool reads on a host that can turn prompts off, with how to judge it. */
  otherBypassSources?(place: HostPlace, configDir: string): BypassSource[];
  /**
   * Folders (absolute) that must exist before the tool runs with this file as rendered for a host:
   * the host sink creates the missing ones, empty and private (mode 0700), and leaves present ones.
   * It takes the whole file so that a body it does not need is never unpacked (compiled renderings).
   */
  hostFolders?(file: EmittedFile, home: string): string[];
  launch(profile: Profile): LaunchSpec;
  run: RunFacts;
  /** The tool's side of the guard hook (src/guard/hook.ts): its input, its answer, its own files. */
  hook: ToolHook;
}

/** What one hook call asks the guard about, read from the tool's own hook input. */
export type GuardRequest = (
  | { kind: "command"; command: string }
  /**
   * A file tool's write; `text`, where the tool says it, is what it writes (a memory file's `@file`
   * imports are read into the model's context when the tool starts).
   */
  | { kind: "write"; paths: string[]; text?: string }
  /** A file tool's read: the files it reads, and the folders it searches (`recursive`). */
  | { kind: "read"; access: FileAccess[] }
  /** A tool call the guard has no opinion on. */
  | { kind: "other" }
) & {
  /** The agent's working folder, from the hook input (the secrets check resolves relative paths there). */
  cwd?: string;
};

/** A hook's answer: what it prints and how it exits. */
export interface HookAnswer {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ToolHook {
  /** Reads the tool's hook input (parsed JSON); throws when it is not the shape the tool sends. */
  read(input: unknown): GuardRequest;
  /** The answer that refuses the call, in the tool's own hook protocol. */
  deny(reason: string): HookAnswer;
  /** The answer that makes the tool ask its user; a tool without one gets a denial instead. */
  ask?(reason: string): HookAnswer;
  /** The tool's own settings and hook files, in the workspace or the home: an agent may not edit them. */
  protectedPaths: readonly RegExp[];
  /** The exit code with which a hook blocks the call in this tool. */
  blockingExitCode: number;
}

/** Where one file lives: relative to the home on a host, absolute in the image. */
export type Location = Record<Scope, string>;

/**
 * A structured file's body: on a host the user shares the file and perimeter owns only `ownedKeys`;
 * in the image perimeter owns the whole file.
 */
export function structuredBody(
  scope: Scope,
  format: "json" | "toml",
  value: JsonObject,
  ownedKeys: readonly KeyPath[],
  ownedEntries?: readonly OwnedEntries[],
): FileBody {
  return scope === "host" ? { format, value, ownedKeys, ...(ownedEntries ? { ownedEntries } : {}) } : { format, value };
}
