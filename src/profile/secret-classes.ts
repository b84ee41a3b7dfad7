// The secrets of a profile as the emitters and the guard read them: the classes and the questions
// asked of them. Pure helpers, apart from secrets.ts, which reads the files with their zod schema:
// render, check and the hook use these on compiled profiles and never build that schema.
import { matchesArgv } from "./pattern.js";
import { envNameRegex, matchesSecretPattern, restRegex, type SecretContext, type SecretPattern } from "./secret-paths.js";
import type { CommandRule, Origin } from "./types.js";

export interface SecretPath {
  pattern: SecretPattern;
  origin: Origin;
}

export interface SecretClass {
  id: string;
  title: string;
  files: SecretPath[];
  /** Files the patterns match that hold no secret (only the built-in list has these). */
  except: SecretPath[];
  /** Variable name patterns. */
  env: string[];
  /** Commands that print secrets (denied like tripwires). */
  commands: CommandRule[];
  origin: Origin;
}

export interface Secrets {
  classes: SecretClass[];
  /**
   * Render only the tools' own rules, without the guard hook: set by the real-agent suite to see what
   * each tool's rules hold alone (README secrets table). No profile file can set it.
   */
  nativeOnly?: boolean;
}

/** Every command rule of every class, for the emitters' deny lists. */
export function secretCommands(secrets: Secrets): { rule: CommandRule; secret: SecretClass }[] {
  return secrets.classes.flatMap((secret) => secret.commands.map((rule) => ({ rule, secret })));
}

/** The class whose files hold this absolute, normalized path, unless an exception covers it. */
export function secretClassOf(secrets: Secrets, path: string, ctx: SecretContext): SecretClass | undefined {
  const excepted = secrets.classes.some((c) => c.except.some((e) => matchesSecretPattern(e.pattern, path, ctx)));
  if (excepted) return undefined;
  return secrets.classes.find((c) => c.files.some((f) => matchesSecretPattern(f.pattern, path, ctx)));
}

/** The class whose variable patterns name this variable. */
export function secretClassOfVariable(secrets: Secrets, name: string): SecretClass | undefined {
  return secrets.classes.find((c) => envNameRegex(c.env).test(name));
}

/** The class one of whose commands this argv starts with. */
export function secretClassOfCommand(secrets: Secrets, argv: readonly string[]): SecretClass | undefined {
  return secrets.classes.find((c) => c.commands.some((r) => matchesArgv(r.pattern, argv)));
}

export function allSecretPaths(secrets: Secrets): { path: SecretPath; secret: SecretClass }[] {
  return secrets.classes.flatMap((secret) => secret.files.map((path) => ({ path, secret })));
}

export function allSecretVariables(secrets: Secrets): string[] {
  return [...new Set(secrets.classes.flatMap((c) => c.env))];
}

/**
 * Secret paths a tool's own rules can hold without also hiding a file the list excepts: a native
 * deny cannot make exceptions, so ".env.*" (which would hide ".env.example") is left to the guard.
 */
export function nativeSecretPaths(secrets: Secrets): { path: SecretPath; secret: SecretClass }[] {
  const exceptions = secrets.classes.flatMap((c) => c.except);
  return allSecretPaths(secrets).filter(({ path }) => !exceptions.some((e) => mayOverlap(path.pattern, e.pattern)));
}

/** Could a file match both patterns? Decided on a sample of the exception (each glob made a letter). */
function mayOverlap(pattern: SecretPattern, exception: SecretPattern): boolean {
  if (pattern.base !== exception.base) return false;
  const sample = exception.rest.replace(/\*\*/g, "x").replace(/[*?]/g, "x");
  return restRegex(pattern.rest).test(sample);
}
