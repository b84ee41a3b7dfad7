// Reads one TOML input file and validates it against a zod schema, turning every failure into a
// ProfileError that names the file, the line and the key.
import { readFileSync } from "node:fs";
import { parse as parseToml, TomlError } from "smol-toml";
import type * as z from "zod/mini";
import { ProfileError } from "../errors.js";
import { createLocator, formatKeyPath, locateKey, type KeyPath } from "./locate.js";

export interface ReadFile<T> {
  file: string;
  data: T;
  /** Line of a key path in this file (indexed once per file). */
  lineOf(path: KeyPath): number | undefined;
}

export function readValidatedToml<S extends z.ZodMiniType>(file: string, schema: S): ReadFile<z.infer<S>> {
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (error) {
    throw new ProfileError({ file }, `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let parsed: unknown;
  try {
    parsed = parseToml(source);
  } catch (error) {
    if (error instanceof TomlError) {
      const message = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new ProfileError({ file, line: error.line }, `TOML syntax error: ${message}`);
    }
    throw error;
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const [first, ...rest] = result.error.issues;
    const issuePath = first!.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    // For an unknown key, point at the key itself rather than at the table that holds it.
    const unknownKeys = first!.code === "unrecognized_keys" ? first!.keys : [];
    const path: KeyPath = unknownKeys.length > 0 ? [...issuePath, unknownKeys[0]!] : issuePath;
    const key = formatKeyPath(path);
    const problem = unknownKeys.length > 0 ? `unknown key ${unknownKeys.join(", ")}` : first!.message;
    const more = rest.length === 0 ? undefined : `${rest.length} more problem(s) in this file`;
    throw new ProfileError({ file, line: locateKey(source, path), key }, problem, more);
  }
  let locate: ((path: KeyPath) => number | undefined) | undefined;
  const lineOf = (path: KeyPath) => (locate ??= createLocator(source))(path);
  return { file, data: result.data, lineOf };
}

/** Locates a key path in a file already read, for errors found after schema validation. */
export function errorAt(read: ReadFile<unknown>, path: KeyPath, problem: string, hint?: string): ProfileError {
  return new ProfileError({ file: read.file, line: read.lineOf(path), key: formatKeyPath(path) }, problem, hint);
}
