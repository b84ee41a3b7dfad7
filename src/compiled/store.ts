// The compiled built-ins on disk (dist/compiled/): written once by the build, read by the CLI on
// demand. A render reads the index and its own profile's rendering, nothing else, and `--version`
// reads nothing. Whole-file texts are kept as plain text files beside the JSON: read as they are,
// not unescaped from a JSON string (the .rules and policy texts are most of the bytes).
//
// The freshness key is stored so that checking it at every start is cheap: each input folder's
// entry names (an added or removed file shows there) and the input files' bytes, one after the
// other in one file, compared with the files on disk as bytes (no JSON, no decoding).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { withLazy } from "../lazy.js";
import { packageRoot } from "../profile/builtin.js";
import type { Profile } from "../profile/types.js";
import type { HostFile } from "../sink/host.js";
import type { FileBody } from "../tools/types.js";
import type { CompiledBuiltins, CompiledRendering, GuardPart } from "./types.js";

const INDEX = "index.json";
/** The input files' bytes, in the order of the index's `files`. */
const INPUTS = "inputs.bin";

/**
 * Host renderings name the package's own folder (the guard hook runs its CLI from there), and the
 * package may be built in one folder and installed in another: the folder is stored as this mark.
 */
const PACKAGE_ROOT = "@@perimeter-package-root@@";
const jsonText = (text: string) => JSON.stringify(text).slice(1, -1);

interface Index {
  roots: string[];
  /** Each input folder (package-relative) and its entries' names, sorted. */
  folders: Record<string, string[]>;
  /** Each input file (package-relative) and its size in bytes. */
  files: [string, number][];
  names: string[];
}

/** A text body is stored as the name of its text file. */
type StoredBody = Exclude<FileBody, { format: "text" }> | { format: "text"; textFile: string };
type StoredRendering = Omit<CompiledRendering, "files"> & { files: (Omit<HostFile, "body"> & { body: StoredBody })[] };

const profileFile = (name: string) => `${name}.profile.json`;
const renderingFile = (name: string) => `${name}.host.json`;
const guardFile = (name: string) => `${name}.guard.json`;

/** What each input folder holds, from the inputs' paths: every folder from a root down to each file. */
function inputFolders(compiled: CompiledBuiltins): Record<string, string[]> {
  const folders: Record<string, Set<string>> = Object.fromEntries(compiled.inputRoots.map((root) => [root, new Set<string>()]));
  for (const file of Object.keys(compiled.inputs)) {
    for (let path = file; !compiled.inputRoots.includes(path); path = dirname(path)) {
      const parent = dirname(path);
      if (parent === path) throw new Error(`input ${file} is under none of ${compiled.inputRoots.join(", ")}`);
      (folders[parent] ??= new Set()).add(path.slice(parent.length + 1));
    }
  }
  return Object.fromEntries(Object.entries(folders).map(([folder, names]) => [folder, [...names].sort()]));
}

export function writeCompiled(dir: string, compiled: CompiledBuiltins): void {
  mkdirSync(dir, { recursive: true });
  const write = (file: string, text: string | Buffer) => writeFileSync(join(dir, file), text);
  const names = Object.keys(compiled.profiles);
  const inputs = Object.entries(compiled.inputs).map(([file, text]) => [file, Buffer.from(text)] as const);
  write(INPUTS, Buffer.concat(inputs.map(([, bytes]) => bytes)));
  write(INDEX, JSON.stringify({ roots: compiled.inputRoots, folders: inputFolders(compiled), files: inputs.map(([file, bytes]) => [file, bytes.length]), names } satisfies Index));
  for (const name of names) {
    const profile = compiled.profiles[name]!;
    write(profileFile(name), JSON.stringify(profile));
    write(guardFile(name), JSON.stringify({ tripwires: profile.tripwires, secrets: profile.secrets } satisfies GuardPart));
    const rendering = compiled.hostRenderings[name]!;
    const files = rendering.files.map((file, i) => {
      if (file.body.format !== "text") return file as StoredRendering["files"][number];
      const textFile = `${name}.host.${i}.txt`;
      write(textFile, file.body.text);
      return { ...file, body: { format: "text" as const, textFile } };
    });
    write(renderingFile(name), JSON.stringify({ ...rendering, files } satisfies StoredRendering).replaceAll(jsonText(packageRoot()), PACKAGE_ROOT));
  }
}

/** Each name's entry, read on first use. */
function lazyRecord<T>(names: readonly string[], read: (name: string) => T): Record<string, T> {
  return names.reduce((record, name) => withLazy(record, name, () => read(name)), {} as Record<string, T>);
}

/** A folder's entries, sorted; none when it cannot be listed (it is not there). */
function entriesOf(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

function bytesOf(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** True when the package's input folders hold exactly the files compiled from, byte for byte. */
function unchangedOnDisk(index: Index, inputs: () => Buffer): boolean {
  const root = packageRoot();
  const sameNames = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((name, i) => name === b[i]);
  if (!Object.entries(index.folders).every(([folder, names]) => sameNames(entriesOf(join(root, folder)), names))) return false;
  const all = inputs();
  let at = 0;
  return index.files.every(([file, size]) => {
    const bytes = bytesOf(join(root, file));
    const same = bytes !== undefined && bytes.equals(all.subarray(at, (at += size)));
    return same;
  });
}

/**
 * The compiled built-ins as opened: they, each profile's guard part (its tripwires and secrets, read
 * from a file of their own), and whether the files they were compiled from are still so.
 */
export type OpenedCompiled = CompiledBuiltins & { guardParts: Record<string, GuardPart>; unchanged(): boolean };

/** The compiled built-ins in `dir`, or undefined when there are none. */
export function openCompiled(dir: string): OpenedCompiled | undefined {
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  let index: Index;
  try {
    index = JSON.parse(read(INDEX)) as Index;
  } catch {
    return undefined;
  }
  const inputBytes = () => readFileSync(join(dir, INPUTS));
  const rendering = (name: string): CompiledRendering => {
    const stored = JSON.parse(read(renderingFile(name)).replaceAll(PACKAGE_ROOT, jsonText(packageRoot()))) as StoredRendering;
    const files = stored.files.map((file): HostFile => {
      const body = file.body;
      if (!("textFile" in body)) return { ...file, body };
      // Read when first asked for: a dry run into an empty home never needs the text.
      return { ...file, body: withLazy({ format: "text" as const }, "text", () => read(body.textFile)) };
    });
    return { ...stored, files };
  };
  const opened = {
    inputRoots: index.roots,
    profiles: lazyRecord(index.names, (name) => JSON.parse(read(profileFile(name))) as Profile),
    guardParts: lazyRecord(index.names, (name) => JSON.parse(read(guardFile(name))) as GuardPart),
    hostRenderings: lazyRecord(index.names, rendering),
    unchanged: () => unchangedOnDisk(index, inputBytes),
  };
  // The texts, for a reader that wants them back; the check above compares bytes.
  return withLazy(opened, "inputs", () => {
    const all = inputBytes();
    let at = 0;
    return Object.fromEntries(index.files.map(([file, size]) => [file, all.toString("utf8", at, (at += size))]));
  });
}
