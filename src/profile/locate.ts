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
  const lines = source.split(/\r?\n/);
  let best: KeyLine | undefined;
  let bestLength = 0;
  for (const candidate of keyLines(lines)) {
    const n = commonPrefix(candidate.path, path);
    if (n === candidate.path.length && n > bestLength) {
      best = candidate;
      bestLength = n;
    }
  }
  if (best === undefined) return undefined;
  // An element of a string array: count string literals from the key's line onwards.
  const index = path[bestLength];
  if (typeof index === "number" && bestLength === path.length - 1) {
    return nthStringLine(lines, best.line, index) ?? best.line;
  }
  return best.line;
}

const STRING_OR_COMMENT = /"(?:[^"\\]|\\.)*"|'[^']*'|#.*$/g;

/** The line without its comment; a `#` inside a string is not one. */
function stripComment(line: string): string {
  return line.replace(STRING_OR_COMMENT, (m) => (m.startsWith("#") ? "" : m));
}

function nthStringLine(lines: readonly string[], fromLine: number, index: number): number | undefined {
  let seen = 0;
  for (let i = fromLine - 1; i < lines.length; i++) {
    // On the key's own line, skip the key itself; everywhere, skip comments.
    const raw = i === fromLine - 1 ? lines[i]!.replace(/^[^=]*=/, "") : lines[i]!;
    const text = stripComment(raw);
    const strings = text.match(/"(?:[^"\\]|\\.)*"|'[^']*'/g) ?? [];
    for (const _ of strings) {
      if (seen === index) return i + 1;
      seen++;
    }
    if (/\]/.test(text.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, ""))) break;
  }
  return undefined;
}
