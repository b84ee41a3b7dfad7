// Which paths a file-changing command writes, for the protected-file check (protected.ts). A plain
// path counts when it is itself protected; a `tree` path also when a protected file lies beneath it
// (a link to `.tool`, `rm -rf ~/.tool`, a tree copied into it), since the file then changes
// under another name.
import { isKnown, type Arg } from "./argv.js";
import { scanOptions } from "./unwrap.js";

export interface Write {
  path: string;
  tree: boolean;
}

/**
 * Programs that change the files named in their arguments. A command that names a protected file
 * through one of them is denied; reading one (cat, grep) is not.
 */
export const FILE_WRITERS = new Set([
  "cp", "mv", "rm", "ln", "tee", "touch", "truncate", "install", "dd", "chmod", "chown", "rsync", "sed", "perl", "patch",
  "unlink", "shred", "mkdir", "rmdir", "tar", "unzip", "sponge", "ed", "ex", "vi", "vim", "nano", "chgrp", "setfacl", "bsdtar",
  // Downloads written to a named file (`curl -o FILE`, `wget -O FILE`), and in-place editors.
  "curl", "wget", "yq", "link", "scp", "ditto",
]);

/** Their operands change whole folders: removing, renaming, linking or re-moding one. */
const TREE_OPERANDS = new Set(["rm", "rmdir", "unlink", "shred", "ln", "chmod", "chown", "chgrp", "setfacl"]);
/** Source operands, then a destination (or `-t DIR`). */
const COPIERS: Record<string, { valued: string; valuedLong: string[] }> = {
  cp: { valued: "tS", valuedLong: ["target-directory", "suffix", "backup", "reflink", "sparse", "preserve", "no-preserve"] },
  mv: { valued: "tS", valuedLong: ["target-directory", "suffix", "backup"] },
  ln: { valued: "tS", valuedLong: ["target-directory", "suffix", "backup"] },
  install: { valued: "tSmogC", valuedLong: ["target-directory", "suffix", "mode", "owner", "group", "backup"] },
  rsync: { valued: "efT", valuedLong: ["rsh", "filter", "exclude", "include", "temp-dir", "partial-dir", "rsync-path", "chmod"] },
  scp: { valued: "cFiJlLoPS", valuedLong: [] },
  ditto: { valued: "", valuedLong: [] },
};

const text = (a: Arg): string => (isKnown(a) ? a : a.raw);
const basename = (p: string): string => p.replace(/\/+$/, "").replace(/^.*\//, "");

export function writesOf(argv: readonly Arg[]): Write[] {
  const name = argv[0] as string;
  const writes: Write[] = [];
  const tree = TREE_OPERANDS.has(name);
  for (const a of argv.slice(1)) {
    const t = text(a);
    writes.push({ path: t, tree: tree && !t.startsWith("-") });
    // `of=FILE` (dd), `--target-directory=DIR`, `--output=FILE`: the value is a path too.
    const eq = t.indexOf("=");
    if (eq > 0) writes.push({ path: t.slice(eq + 1), tree: /directory|^-C/.test(t.slice(0, eq)) });
  }
  const copier = COPIERS[name];
  if (copier) writes.push(...destinations(name, argv, copier));
  if (name === "tar" || name === "bsdtar" || name === "unzip") writes.push(...extractDirs(name, argv));
  return writes;
}

/** `cp SRC... DEST`: a source lands at DEST/its name; a tree copy or a rename onto DEST changes DEST itself. */
function destinations(name: string, argv: readonly Arg[], spec: { valued: string; valuedLong: string[] }): Write[] {
  const options: [string, Arg | undefined][] = [];
  const operands: Arg[] = [];
  // Options may follow operands (GNU getopt permutes): collect both.
  for (let i = 1; i < argv.length; ) {
    const { operand, options: seen } = scanOptions(argv, spec.valued, spec.valuedLong, i);
    options.push(...seen);
    if (operand >= argv.length) break;
    if (argv[operand - 1] === "--") {
      operands.push(...argv.slice(operand));
      break;
    }
    operands.push(argv[operand]!);
    i = operand + 1;
  }
  const has = (...names: string[]) => options.some(([n]) => names.includes(n));
  const target = options.find(([n]) => n === "t" || n === "target-directory")?.[1];
  const dest = target ?? operands.pop();
  if (dest === undefined) return [];
  const d = text(dest);
  const writes: Write[] = operands.map((src) => ({ path: `${d}/${basename(text(src))}`, tree: false }));
  // Moving a folder away takes the files beneath it along (`mv ~/.tool /tmp/x`).
  if (name === "mv") writes.push(...operands.map((src) => ({ path: text(src), tree: true })));
  const recursive = name === "rsync" || name === "mv" || has("r", "R", "a", "recursive", "archive");
  // A destination written without a trailing slash may be renamed onto (`mv /tmp/x .tool`).
  if ((recursive && (target === undefined || name !== "mv")) || has("T", "no-target-directory")) {
    if (!(name === "mv" && d.endsWith("/"))) writes.push({ path: d, tree: true });
  }
  return writes;
}

/** `tar -x -C DIR`, `unzip -d DIR`: the archive's files land beneath DIR. */
function extractDirs(name: string, argv: readonly Arg[]): Write[] {
  const out: Write[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = text(argv[i]!);
    const flag = name === "unzip" ? "-d" : "-C";
    if (a === flag || a === "--directory") out.push({ path: text(argv[i + 1] ?? ""), tree: true });
    else if (a.startsWith(flag) && a.length > 2) out.push({ path: a.slice(2), tree: true });
  }
  return out;
}
