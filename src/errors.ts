// The one family of errors perimeter throws. Core code throws; only src/cli/main.ts prints and exits.

/** Exit codes are part of the CLI contract (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  drift: 1,
  invalidInput: 2,
  refused: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class PerimeterError extends Error {
  abstract readonly exitCode: ExitCode;
}

/** Where a piece of input came from, so every message can point at it. */
export interface SourceLocation {
  file: string;
  line?: number;
  /** Dotted key path inside the file, e.g. `tripwire[3].blocks[0]`. */
  key?: string;
}

export function formatLocation(at: SourceLocation): string {
  const line = at.line === undefined ? "" : `:${at.line}`;
  const key = at.key === undefined || at.key === "" ? "" : ` ${at.key}`;
  return `${at.file}${line}${key}`;
}

/** Bad profile or tripwire input: a syntax error, schema error, conflict or bad reference. */
export class ProfileError extends PerimeterError {
  readonly exitCode = ExitCode.invalidInput;
  constructor(
    readonly at: SourceLocation,
    readonly problem: string,
    readonly hint?: string,
  ) {
    super(`${formatLocation(at)}: ${problem}${hint ? ` (${hint})` : ""}`);
  }
}

/** An existing file on the host that perimeter must merge into but cannot read. */
export class HostFileError extends PerimeterError {
  readonly exitCode = ExitCode.invalidInput;
  constructor(
    readonly at: SourceLocation,
    readonly problem: string,
  ) {
    super(`${formatLocation(at)}: ${problem}; nothing was written`);
  }
}

/** Wrong flags or arguments. */
export class UsageError extends PerimeterError {
  readonly exitCode = ExitCode.invalidInput;
}

/** The host guard found bypass-mode content about to be written onto a host. */
export class HostGuardRefusal extends PerimeterError {
  readonly exitCode = ExitCode.refused;
  constructor(readonly findings: readonly string[]) {
    super(
      `refusing to write bypass-mode settings onto a host (bypass-level behaviour would be in force); nothing was written:\n` +
        findings.map((f) => `  - ${f}`).join("\n") +
        `\nperimeter rewrites only the keys it owns; remove the others from the files named.` +
        `\nNo-prompt profiles exist only inside the agent image (perimeter bake).`,
    );
  }
}

/** A profile that is not allowed in the requested place (e.g. baking an interactive profile). */
export class ProfilePlacementError extends PerimeterError {
  readonly exitCode = ExitCode.refused;
}
