// Rewrites only perimeter's own top-level keys in a TOML file the user shares with it, so the
// user's comments, order and layout stay as they were. TOML libraries re-serialize a whole file and
// drop every comment; none for Node edits in place. So this edits whole lines, each written by the
// TOML library, and keeps the result only if it parses to exactly the merged value; otherwise the
// caller serializes the whole file (still correct, comments lost, old file in the backup).
import { parse, stringify } from "smol-toml";
import type { KeyPath } from "../profile/locate.js";
import type { JsonObject } from "../tools/types.js";
import { sameValue } from "./merge.js";

const TABLE_HEADER = /^\s*\[/;
const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** `key = value` as the TOML library writes it. */
const assignment = (key: string, value: unknown): string => stringify({ [key]: value }).trim();

/** The comment ending a one-line `key = value`, with the spaces before it; "" when there is none. */
function trailingComment(text: string): string {
  for (let at = text.indexOf("#"); at !== -1; at = text.indexOf("#", at + 1)) {
    try {
      parse(text.slice(0, at)); // a `#` inside a string leaves the rest unparsable
    } catch {
      continue;
    }
    return text.slice(text.slice(0, at).trimEnd().length);
  }
  return "";
}

const isTable = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** The key path a `[a.b."c"]` header line names, or undefined for anything else (`[[array]]` included). */
function headerPath(line: string): string[] | undefined {
  if (!/^\s*\[[^[]/.test(line)) return undefined;
  let node: unknown;
  try {
    node = parse(`${line.replace(/\r$/, "")}\n`);
  } catch {
    return undefined;
  }
  const path: string[] = [];
  while (isTable(node) && Object.keys(node).length === 1) {
    const key = Object.keys(node)[0]!;
    path.push(key);
    node = node[key];
  }
  return isTable(node) && Object.keys(node).length === 0 ? path : undefined;
}

const startsWith = (path: readonly string[], prefix: readonly string[]) => prefix.every((k, i) => path[i] === k);

/** `{a: {b: value}}` for the path ["a", "b"]. */
const nested = (path: readonly string[], value: unknown): JsonObject =>
  path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as JsonObject;

/**
 * Owned keys below the top level: a key inside a `[table]` section is edited on its line there; an
 * owned table is written whole as its own sections at the end of the file, its old sections removed.
 */
function editSections(lines: string[], merged: JsonObject, path: readonly string[], lineEnd: string): boolean {
  const value = path.reduce<unknown>((node, key) => (isTable(node) ? node[key] : undefined), merged);
  const headers = lines.map(headerPath);
  // A section ends at the next header, before the comments that lead up to it (they belong to that one).
  const sectionEnd = (start: number) => {
    const next = lines.findIndex((l, i) => i > start && TABLE_HEADER.test(l));
    if (next === -1) return lines.length;
    let end = next;
    while (end - 1 > start && /^\s*(#.*)?\r?$/.test(lines[end - 1]!)) end--;
    return end;
  };
  if (isTable(value) || (value === undefined && headers.some((h) => h !== undefined && startsWith(h, path)))) {
    // Every section of the owned table goes, then the table is written anew at the end.
    for (let i = lines.length - 1; i >= 0; i--) {
      const h = headers[i];
      if (h !== undefined && startsWith(h, path)) lines.splice(i, sectionEnd(i) - i);
    }
    if (value !== undefined) {
      while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
      const text = stringify(nested(path, value)).trim().split("\n").map((l) => `${l}${lineEnd}`);
      lines.push("", ...text, "");
    }
    return true;
  }
  const parent = path.slice(0, -1);
  const key = path[path.length - 1]!;
  if (!BARE_KEY.test(key)) return false;
  const header = headers.findIndex((h) => h !== undefined && h.length === parent.length && startsWith(h, parent));
  const assigns = new RegExp(`^\\s*${key}\\s*=`);
  if (header === -1) {
    if (value !== undefined) {
      while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
      lines.push("", `[${stringify(nested(parent, {})).trim().replace(/^\[|\]$/g, "")}]${lineEnd}`, `${assignment(key, value)}${lineEnd}`, "");
    }
    return true;
  }
  const end = sectionEnd(header);
  const at = lines.slice(header + 1, end).findIndex((l) => assigns.test(l));
  if (at !== -1 && value === undefined) lines.splice(header + 1 + at, 1);
  else if (at !== -1) lines[header + 1 + at] = `${assignment(key, value)}${trailingComment(lines[header + 1 + at]!.replace(/\r$/, ""))}${lineEnd}`;
  else if (value !== undefined) lines.splice(header + 1, 0, `${assignment(key, value)}${lineEnd}`);
  return true;
}

/**
 * The lines with the array of tables at `path` (`[[a.b]]` blocks and their `[[a.b.x]]` sub-tables)
 * taken out and, when `merged` has a value there, written again at the end of the file.
 */
function replaceTableArray(lines: string[], path: string[], merged: JsonObject): string[] | undefined {
  let value: unknown = merged;
  for (const key of path) value = typeof value === "object" && value !== null ? (value as JsonObject)[key] : undefined;
  if (value !== undefined && !(Array.isArray(value) && value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v)))) return undefined;
  const name = path.join("\\.");
  const own = new RegExp(`^\\s*\\[\\[?\\s*${name}(\\.[A-Za-z0-9_.-]+)?\\s*\\]\\]?`);
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (TABLE_HEADER.test(line)) inside = own.test(line);
    if (!inside) out.push(line);
  }
  if (value === undefined) return out;
  while (out.length > 0 && out[out.length - 1]!.trim() === "") out.pop();
  let nested: unknown = value;
  for (const key of [...path].reverse()) nested = { [key]: nested };
  return [...out, "", ...stringify(nested as JsonObject).trim().split("\n"), ""];
}

/**
 * `before` with each owned key set to its value in `merged` (removed when absent there), or undefined
 * when that cannot be done line by line: an owned key that is not a bare key, a top-level value that
 * is a table perimeter does not own whole, or a result that does not parse back to `merged`.
 */
export function editOwnedTomlKeys(before: string, merged: JsonObject, owned: readonly KeyPath[]): string | undefined {
  const keys = owned.filter((path) => path.length === 1).map((path) => String(path[0]));
  const deeper = owned.filter((path) => path.length > 1).map((path) => path.map(String));
  if ([...keys, ...deeper.flat()].some((key) => !BARE_KEY.test(key))) return undefined;
  let lines = before.split("\n");
  // Arrays of tables (`[[hooks.PreToolUse]]`) are replaced whole; tables and keys in sections further down.
  const valueAt = (path: readonly string[]) => path.reduce<unknown>((node, key) => (isTable(node) ? node[key] : undefined), merged);
  const isArrayPath = (path: readonly string[]) =>
    (Array.isArray(valueAt(path)) && (valueAt(path) as unknown[]).every(isTable)) || lines.some((l) => new RegExp(`^\\s*\\[\\[\\s*${path.join("\\.")}\\s*\\]\\]`).test(l));
  const arrays = deeper.filter(isArrayPath);
  for (const path of arrays) {
    const edited = replaceTableArray(lines, path, merged);
    if (edited === undefined) return undefined;
    lines = edited;
  }
  // A file saved with CRLF keeps its line ends on the lines written here too.
  const lineEnd = before.includes("\r\n") ? "\r" : "";
  const line = (key: string, value: unknown, comment = "") => `${assignment(key, value)}${comment}${lineEnd}`;
  const firstTable = lines.findIndex((l) => TABLE_HEADER.test(l));
  let rootEnd = firstTable === -1 ? lines.length : firstTable;
  for (const key of keys) {
    const value = merged[key];
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return undefined;
    const assigns = new RegExp(`^\\s*${key}\\s*=`);
    const at = lines.slice(0, rootEnd).findIndex((l) => assigns.test(l));
    if (at !== -1 && value === undefined) {
      lines.splice(at, 1);
      rootEnd--;
    } else if (at !== -1) {
      lines[at] = line(key, value, trailingComment(lines[at]!.replace(/\r$/, "")));
    } else if (value !== undefined) {
      // A new key ends the root table: before the first [table] and the blank and comment lines that
      // lead up to it (they belong to that table), or before the file's trailing blank lines.
      let insertAt = rootEnd;
      const skippable = (l: string) => l.trim() === "" || (firstTable !== -1 && l.trim().startsWith("#"));
      while (insertAt > 0 && skippable(lines[insertAt - 1]!)) insertAt--;
      lines.splice(insertAt, 0, line(key, value));
      rootEnd++;
    }
  }
  for (const path of deeper) if (!arrays.includes(path) && !editSections(lines, merged, path, lineEnd)) return undefined;
  const edited = lines.join("\n");
  try {
    return sameValue(parse(edited), merged) ? edited : undefined;
  } catch {
    return undefined;
  }
}
