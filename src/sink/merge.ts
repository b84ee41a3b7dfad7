// The one merge policy for files perimeter shares with the user: perimeter replaces the keys it
// owns and leaves every other key exactly as the user had it.
import type { KeyPath } from "../profile/locate.js";
import type { JsonObject, OwnedEntries } from "../tools/types.js";

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function getAt(value: JsonObject, path: KeyPath): unknown {
  let node: unknown = value;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[String(key)];
  }
  return node;
}

/** Sets (or, for undefined, deletes) `path` in a copy-on-write clone; empty parents are left alone. */
function setAt(value: JsonObject, path: KeyPath, next: unknown): JsonObject {
  const [head, ...rest] = path;
  const key = String(head);
  const copy = { ...value };
  if (rest.length === 0) {
    if (next === undefined) delete copy[key];
    else copy[key] = next;
    return copy;
  }
  const child = isObject(copy[key]) ? (copy[key] as JsonObject) : {};
  if (next === undefined && !isObject(copy[key])) return copy;
  copy[key] = setAt(child, rest, next);
  return copy;
}

/** The user's file with perimeter's owned keys taken from `ours`. */
export function mergeOwnedKeys(theirs: JsonObject, ours: JsonObject, owned: readonly KeyPath[]): JsonObject {
  return owned.reduce((acc, path) => setAt(acc, path, getAt(ours, path)), theirs);
}

/** The user's entries of each shared array kept, perimeter's own (those holding the mark) taken from `ours`. */
export function mergeOwnedEntries(theirs: JsonObject, ours: JsonObject, shared: readonly OwnedEntries[]): JsonObject {
  return shared.reduce((acc, { path, mark }) => {
    const existing = getAt(acc, path);
    const users = Array.isArray(existing) ? existing.filter((entry) => !JSON.stringify(entry).includes(mark)) : [];
    const own = getAt(ours, path);
    const next = [...users, ...(Array.isArray(own) ? own : [])];
    return setAt(acc, path, next.length === 0 ? undefined : next);
  }, theirs);
}

/** Shared arrays whose perimeter entries on disk differ from what perimeter would write. */
export function driftedEntries(theirs: JsonObject, ours: JsonObject, shared: readonly OwnedEntries[]): KeyPath[] {
  return shared
    .filter(({ path, mark }) => {
      const existing = getAt(theirs, path);
      const onDisk = Array.isArray(existing) ? existing.filter((entry) => JSON.stringify(entry).includes(mark)) : [];
      const own = getAt(ours, path);
      return !sameValue(onDisk, Array.isArray(own) ? own : []);
    })
    .map(({ path }) => path);
}

/** Equality of parsed JSON/TOML values (what the files hold: no dates, maps or cycles to care about). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue((a as JsonObject)[k], (b as JsonObject)[k]));
}

/** Owned keys whose value on disk differs from what perimeter would write. */
export function driftedKeys(theirs: JsonObject, ours: JsonObject, owned: readonly KeyPath[]): KeyPath[] {
  return owned.filter((path) => !sameValue(getAt(theirs, path), getAt(ours, path)));
}
