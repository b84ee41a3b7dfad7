// Reads what the stage container printed: the staged tree, the tool's version, `git diff --numstat`
// and the `-U0` diff, into the manifest's diff summary and the text the secret scan reads.

export interface DiffFile {
  path: string;
  /** null for a binary file (git counts no lines). */
  added: number | null;
  deleted: number | null;
}

export interface DiffSummary {
  files: DiffFile[];
  filesChanged: number;
  linesAdded: number;
  linesDeleted: number;
}

export interface StageOutput {
  tree: string;
  version: string;
  /** Policy file to sha256, as the stage container read them from the image (null: could not). */
  policy: Record<string, string | null> | null;
  summary: DiffSummary;
  /** Per file: only the lines the agent added, in order, with their line numbers in the new file. */
  added: Map<string, { lines: string[]; lineNumbers: number[] }>;
}

/** git quotes unusual paths C-style ("a\tb"); undo the common escapes. */
function unquote(path: string): string {
  if (!path.startsWith('"')) return path;
  const bytes: number[] = [];
  const body = path.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      bytes.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const next = body[++i]!;
    if (/[0-7]/.test(next)) {
      bytes.push(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(({ n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[next] ?? next.charCodeAt(0));
  }
  return Buffer.from(bytes).toString("utf8");
}

export function parseStageOutput(stdout: string): StageOutput {
  const lines = stdout.split("\n");
  const tree = /^PERIMETER_TREE ([0-9a-f]{40,64})$/m.exec(stdout)?.[1];
  if (tree === undefined) throw new Error("the stage step printed no tree");
  const version = /^PERIMETER_VERSION (.*)$/m.exec(stdout)?.[1]?.trim() ?? "";
  let policy: StageOutput["policy"] = null;
  try {
    policy = JSON.parse(/^PERIMETER_POLICY (.*)$/m.exec(stdout)?.[1] ?? "null") as StageOutput["policy"];
  } catch {
    policy = null;
  }
  const numstatAt = lines.indexOf("PERIMETER_NUMSTAT");
  const diffAt = lines.indexOf("PERIMETER_DIFF");
  if (numstatAt < 0 || diffAt < numstatAt) throw new Error("the stage step printed no diff");
  const files: DiffFile[] = [];
  for (const line of lines.slice(numstatAt + 1, diffAt)) {
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/.exec(line);
    if (m === null) continue;
    files.push({ path: unquote(m[3]!), added: m[1] === "-" ? null : Number(m[1]), deleted: m[2] === "-" ? null : Number(m[2]) });
  }
  const added = new Map<string, { lines: string[]; lineNumbers: number[] }>();
  let current: { lines: string[]; lineNumbers: number[] } | undefined;
  let lineNumber = 0;
  for (const line of lines.slice(diffAt + 1)) {
    if (line.startsWith("+++ ")) {
      const target = line.slice(4);
      current = undefined;
      if (target !== "/dev/null") {
        const path = unquote(target).replace(/^b\//, "");
        current = added.get(path) ?? { lines: [], lineNumbers: [] };
        added.set(path, current);
      }
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk !== null) {
      lineNumber = Number(hunk[1]);
      continue;
    }
    if (current !== undefined && line.startsWith("+")) {
      current.lines.push(line.slice(1));
      current.lineNumbers.push(lineNumber++);
    }
  }
  return {
    tree,
    version,
    policy,
    added,
    summary: {
      files,
      filesChanged: files.length,
      linesAdded: files.reduce((n, f) => n + (f.added ?? 0), 0),
      linesDeleted: files.reduce((n, f) => n + (f.deleted ?? 0), 0),
    },
  };
}
