// The secrets every profile keeps from the agent: the built-in list (profiles/secrets.toml), a
// --profiles-dir's own secrets.toml, and each profile's `[secrets]` section. Lists only grow.
// Only loading a profile from its files comes here (it builds the zod schema); the classes and
// the helpers that read them are in secret-classes.ts.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatKeyPath, type KeyPath } from "./locate.js";
import { builtinProfilesDir, displayPath } from "./builtin.js";
import { parsePattern } from "./pattern.js";
import { errorAt, readValidatedToml, type ReadFile } from "./read-toml.js";
import { parseSecretPath } from "./secret-paths.js";
import type { SecretClass, SecretPath, Secrets } from "./secret-classes.js";
import { SecretsFileSchema, type SecretsSection } from "./secrets-schema.js";
import type { CommandRule, Origin } from "./types.js";

export const SECRETS_FILE = "secrets.toml";

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
