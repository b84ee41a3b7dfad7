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
 * when that cannot be done line by line: an owned key that is not a bare top-level key, a value that
 * is a table, or a result that does not parse back to `merged`.
 */
export function editOwnedTomlKeys(before: string, merged: JsonObject, owned: readonly KeyPath[]): string | undefined {
  const tablePaths = owned.filter((path) => path.length > 1);
  const keys = owned.filter((path) => path.length === 1).map((path) => String(path[0]));
  if ([...keys, ...tablePaths.flat().map(String)].some((key) => !BARE_KEY.test(key))) return undefined;
  let lines = before.split("\n");
  for (const path of tablePaths) {
    const edited = replaceTableArray(lines, path.map(String), merged);
    if (edited === undefined) return undefined;
    lines = edited;
  }
  // A file saved with CRLF keeps its line ends on the lines written here too.
  const lineEnd = before.includes("\r\n") ? "\r" : "";
  const line = (key: string, value: unknown, comment = "") => `${assignment(key, value)}${comment}${lineEnd}`;
  const firstTable = lines.findIndex((l) => TABLE_HEADER.test(l));
  let rootEnd = firstTable === -1 ? lines.length : firstTable;
  for (const key of keys as string[]) {
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
  const edited = lines.join("\n");
  try {
    return sameValue(parse(edited), merged) ? edited : undefined;
  } catch {
    return undefined;
  }
}
