// Finds the line of a key path in TOML source. smol-toml reports lines only for syntax errors;
// zod reports key paths; this joins the two so every message can name file, line and key.

export type KeyPath = readonly (string | number)[];

/** Renders a key path the way a reader of the TOML file would write it: `tripwire[2].blocks[0]`. */
export function formatKeyPath(path: KeyPath): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc === "" ? String(seg) : `${acc}.${seg}`),
    "",
  );
}

interface KeyLine {
  path: (string | number)[];
  line: number;
}

const ARRAY_TABLE = /^\s*\[\[\s*([^\]]+?)\s*\]\]/;
const TABLE = /^\s*\[\s*([^\]]+?)\s*\]/;
const KEY_VALUE = /^\s*("[^"]*"|[A-Za-z0-9_\-$.]+)\s*=/;

function splitDotted(key: string): string[] {
  return key.split(".").map((k) => k.trim().replace(/^"|"$/g, ""));
}

function keyLines(lines: readonly string[]): KeyLine[] {
  const found: KeyLine[] = [];
  const arrayCounts = new Map<string, number>();
  let table: (string | number)[] = [];
  lines.forEach((text, i) => {
    const line = i + 1;
    const arrayTable = ARRAY_TABLE.exec(text);
    if (arrayTable) {
      const name = arrayTable[1]!;
      const index = arrayCounts.get(name) ?? 0;
      arrayCounts.set(name, index + 1);
      table = [...splitDotted(name), index];
      found.push({ path: table, line });
      return;
    }
    const plainTable = TABLE.exec(text);
    if (plainTable) {
      table = splitDotted(plainTable[1]!);
      found.push({ path: table, line });
      return;
    }
    const keyValue = KEY_VALUE.exec(text);
    if (keyValue) found.push({ path: [...table, ...splitDotted(keyValue[1]!)], line });
  });
  return found;
}

function commonPrefix(a: KeyPath, b: KeyPath): number {
  let n = 0;
  while (n < a.length && n < b.length && String(a[n]) === String(b[n])) n++;
  return n;
}

/** Line (1-based) of the entry at `path`, or of its nearest enclosing key; undefined if none is found. */
export function locateKey(source: string, path: KeyPath): number | undefined {
  return createLocator(source)(path);
}

/**
 * A locator for one file: the file is split and its keys indexed once, so locating every rule of a
 * large profile stays linear in its size.
 */
export function createLocator(source: string): (path: KeyPath) => number | undefined {
  const lines = source.split(/\r?\n/);
  const keys = keyLines(lines);
  const elementLines = new Map<number, number[]>();
  return (path) => {
    let best: KeyLine | undefined;
    let bestLength = 0;
    for (const candidate of keys) {
      const n = commonPrefix(candidate.path, path);
      if (n === candidate.path.length && n > bestLength) {
        best = candidate;
        bestLength = n;
      }
    }
    if (best === undefined) return undefined;
    // An element of a string array: the line of its string literal, counted from the key's line.
    const index = path[bestLength];
    if (typeof index === "number" && bestLength === path.length - 1) {
      let found = elementLines.get(best.line);
      if (found === undefined) {
        found = stringLines(lines, best.line);
        elementLines.set(best.line, found);
      }
      return found[index] ?? best.line;
    }
    return best.line;
  };
}

const STRING_OR_COMMENT = /"(?:[^"\\]|\\.)*"|'[^']*'|#.*$/g;
const STRING = /"(?:[^"\\]|\\.)*"|'[^']*'/g;

/** The line without its comment; a `#` inside a string is not one. */
function stripComment(line: string): string {
  return line.replace(STRING_OR_COMMENT, (m) => (m.startsWith("#") ? "" : m));
}

/** Lines of each string literal of the array that starts on `fromLine`, in order. */
function stringLines(lines: readonly string[], fromLine: number): number[] {
  const found: number[] = [];
  for (let i = fromLine - 1; i < lines.length; i++) {
    // On the key's own line, skip the key itself.
    const raw = i === fromLine - 1 ? lines[i]!.replace(/^[^=]*=/, "") : lines[i]!;
    const text = stripComment(raw);
    for (const _ of text.match(STRING) ?? []) found.push(i + 1);
    if (/\]/.test(text.replace(STRING, ""))) break;
  }
  return found;
}
