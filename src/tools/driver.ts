// The contract of a tool's TEST driver (src/tools/<tool>/driver.ts): how the test suites start the real
// client against the fake model, how it reports a refusal, how to ask it whether it accepts its files.
// Generic suites loop over the registry and load each driver with loadDrivers(); only the drivers know
// a tool's flags, variables and messages. The CLI never imports this.
import type { ToolId } from "./types.js";

export interface ClientOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface HeadlessRun {
  prompt: string;
  /** Machine-readable output (the flag the tool's JSON parsers below read). */
  json: boolean;
  /** The tool's skip-every-approval flag. */
  bypass: boolean;
  /** The fake model's base URL (http://127.0.0.1:PORT). */
  modelUrl: string;
  /** Extra arguments of the caller, before the prompt where the tool takes it last. */
  extra: readonly string[];
}

/** An offline question to the real client: does it accept the files it finds? */
export interface ConfigCheck {
  /** Arguments after the client's binary. */
  args: string[];
  env?: Record<string, string>;
  /** What is wrong, read in the output; undefined when the client accepted its files. */
  problems(out: ClientOutput): string | undefined;
  /** Did the client fail on a race of its own (not a verdict on the files)? Then the check runs again, twice at most. */
  raced?(out: ClientOutput): boolean;
}

export interface ToolDriver {
  /** The real host of the tool's model API: the gateway suites reach the fake model by this name. */
  modelHost: string;
  /** Environment pointing the client at the fake model, with its updater and telemetry off. */
  modelEnv(modelUrl: string): Record<string, string>;
  /** Arguments of a headless run on a host. */
  hostArgs(run: HeadlessRun): string[];
  /** Environment of a host run that depends on this machine and on the home; throws saying what to do. */
  hostEnv?(home: string): Record<string, string>;
  /** Home-relative files an agent home in the image needs to reach the fake model (client driving only). */
  imageHomeFiles?(modelUrl: string): Record<string, string>;
  /** Absolute paths of root-owned files the image's test-fixture layer carries (never policy). */
  imageFixtureFiles?: Record<string, string>;

  /** Arguments that add `dir` to the folders the tool's own file checks let it read (none: it has no such check). */
  addDirArgs?(dir: string): string[];
  /** Home-relative files holding the tool's strongest hand-written deny of `word` (not perimeter's renderer). */
  handWrittenDeny(word: string): Record<string, string>;
  /** Did the run report that a rule or an approval policy refused the command? */
  denied(run: Pick<ClientOutput, "stdout" | "stderr">, toolResults: readonly string[]): boolean;
  /** "rule": a deny rule (a tripwire) refused it; "approval": it needed an approval a headless run cannot give. */
  denialKind(resultText: string): "rule" | "approval" | undefined;

  /** On a host rendered into `home`. */
  hostCheck(home: string): ConfigCheck;
  /** Breaks the files rendered into `home` so that hostCheck must report a problem (its control). */
  breakHostFiles(home: string): void;
  /** In the image, as its user, no entrypoint; `broken` mounted over the baked file must be reported. */
  imageCheck: ConfigCheck & { broken: { path: string; content: string } };
  /** What a run through the entrypoint printed that shows the baked files were not read as meant. */
  launchProblems?(out: ClientOutput): string[];
  /** Does the stdout of a `ci` run hold the tool's JSON output, reporting success? */
  jsonReportsSuccess(stdout: string): boolean;
  /** Environment under which the client fails before any model call (no credentials). */
  failingEnv?: Record<string, string>;
  /**
   * What a person does once on a host before the tool runs a hook from the user's settings (Codex:
   * review and trust it); `bin` is the client's binary. Absent: user hooks run as they are.
   */
  trustHostHooks?(bin: string, home: string, cwd: string): Promise<void>;
  /** The tool's guard-hook input, as the client sends it (src/tools/<tool>/hook.ts reads it). */
  hookInput: {
    shell(command: string): unknown;
    /** A call of the tool's own file-writing tool. */
    write(path: string): unknown;
    /** One of the tool's own settings files, home-relative: what the guard keeps agents from editing. */
    ownFile: string;
  };
}

/** Each registered tool's driver, loaded from src/tools/<id>/driver.ts. */
export async function loadDrivers(ids: readonly ToolId[]): Promise<Record<ToolId, ToolDriver>> {
  // The test runner (vitest) loads TypeScript itself; a specifier it cannot see keeps its bundler away.
  const load = async (id: ToolId) => {
    const specifier = `./${id}/driver.ts`;
    return ((await import(/* @vite-ignore */ specifier)) as { driver: ToolDriver }).driver;
  };
  const entries = await Promise.all(ids.map(async (id) => [id, await load(id)] as const));
  return Object.fromEntries(entries) as Record<ToolId, ToolDriver>;
}
