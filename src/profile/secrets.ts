// The secrets every profile keeps from the agent: the built-in list (profiles/secrets.toml), a
// --profiles-dir's own secrets.toml, and each profile's `[secrets]` section. Lists only grow.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatKeyPath, type KeyPath } from "./locate.js";
import { builtinProfilesDir, displayPath } from "./builtin.js";
import { matchesArgv, parsePattern } from "./pattern.js";
import { errorAt, readValidatedToml, type ReadFile } from "./read-toml.js";
import { envNameRegex, matchesSecretPattern, parseSecretPath, restRegex, type SecretContext, type SecretPattern } from "./secret-paths.js";
import { SecretsFileSchema, type SecretsSection } from "./secrets-schema.js";
import type { CommandRule, Origin } from "./types.js";

export const SECRETS_FILE = "secrets.toml";

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

/** The class a profile's own `[secrets]` entries go into. */
export const PROFILE_CLASS = "profile";

function origin(read: ReadFile<unknown>, path: KeyPath): Origin {
  return { file: read.file, key: formatKeyPath(path), line: read.lineOf(path) };
}

function paths(read: ReadFile<unknown>, at: KeyPath, list: readonly string[] | undefined): SecretPath[] {
  return (list ?? []).map((text, i) => {
    const pattern = parseSecretPath(text);
    if (typeof pattern === "string") throw errorAt(read, [...at, i], pattern);
    return { pattern, origin: origin(read, [...at, i]) };
  });
}

function commands(read: ReadFile<unknown>, at: KeyPath, list: readonly string[] | undefined): CommandRule[] {
  return (list ?? []).map((text, i) => {
    const pattern = parsePattern(text);
    if (typeof pattern === "string") throw errorAt(read, [...at, i], pattern);
    return { pattern, origin: origin(read, [...at, i]) };
  });
}

function secretsFiles(profilesDir: string | undefined): { file: string; builtin: boolean }[] {
  const builtin = join(builtinProfilesDir(), SECRETS_FILE);
  const files = [{ file: builtin, builtin: true }];
  if (profilesDir !== undefined) {
    const own = resolve(profilesDir, SECRETS_FILE);
    if (own !== builtin && existsSync(own)) files.push({ file: own, builtin: false });
  }
  return files;
}

/** The built-in classes, a profiles folder's own, then each profile file's section (parents first). */
export function loadSecrets(profilesDir: string | undefined, sections: readonly ReadFile<{ secrets?: SecretsSection }>[]): Secrets {
  const classes: SecretClass[] = [];
  for (const { file, builtin } of secretsFiles(profilesDir)) {
    const read = readValidatedToml(file, SecretsFileSchema);
    read.file = displayPath(file);
    read.data.secret.forEach((entry, i) => {
      const at = (...rest: (string | number)[]): KeyPath => ["secret", i, ...rest];
      if (classes.some((c) => c.id === entry.id)) throw errorAt(read, at("id"), `secret class "${entry.id}" is already defined`);
      // An exception shrinks the list, so only the built-in file may make one.
      if (!builtin && (entry.except ?? []).length > 0) throw errorAt(read, at("except"), "only the built-in secrets list may make exceptions; the list can be extended, not shrunk");
      classes.push({
        id: entry.id,
        title: entry.title,
        files: paths(read, at("files"), entry.files),
        except: paths(read, at("except"), entry.except),
        env: entry.env ?? [],
        commands: commands(read, at("commands"), entry.commands),
        origin: origin(read, at("id")),
      });
    });
  }
  const own: SecretClass = { id: PROFILE_CLASS, title: "Secrets the profile adds", files: [], except: [], env: [], commands: [], origin: { file: "(profiles)", key: "secrets" } };
  for (const read of sections) {
    const section = read.data.secrets;
    if (section === undefined) continue;
    if (own.origin.file === "(profiles)") own.origin = origin(read, ["secrets"]);
    own.files.push(...paths(read, ["secrets", "files"], section.files));
    own.env.push(...(section.env ?? []));
    own.commands.push(...commands(read, ["secrets", "commands"], section.commands));
  }
  if (own.files.length + own.env.length + own.commands.length > 0) classes.push(own);
  return { classes };
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
