// The compiled built-ins on disk (dist/compiled/): written once by the build, read by the CLI on
// demand. A render reads the index and its own profile's rendering, nothing else, and `--version`
// reads nothing. Whole-file texts are kept as plain text files beside the JSON: read as they are,
// not unescaped from a JSON string (the .rules and policy texts are most of the bytes).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withLazy } from "../lazy.js";
import { packageRoot } from "../profile/builtin.js";
import type { Profile } from "../profile/types.js";
import type { HostFile } from "../sink/host.js";
import type { FileBody } from "../tools/types.js";
import type { CompiledBuiltins, CompiledRendering } from "./types.js";

const INDEX = "index.json";

/**
 * Host renderings name the package's own folder (the guard hook runs its CLI from there), and the
 * package may be built in one folder and installed in another: the folder is stored as this mark.
 */
const PACKAGE_ROOT = "@@perimeter-package-root@@";
const jsonText = (text: string) => JSON.stringify(text).slice(1, -1);

interface Index {
  inputs: Record<string, string>;
  names: string[];
}

/** A text body is stored as the name of its text file. */
type StoredBody = Exclude<FileBody, { format: "text" }> | { format: "text"; textFile: string };
type StoredRendering = Omit<CompiledRendering, "files"> & { files: (Omit<HostFile, "body"> & { body: StoredBody })[] };

const profileFile = (name: string) => `${name}.profile.json`;
const renderingFile = (name: string) => `${name}.host.json`;

export function writeCompiled(dir: string, compiled: CompiledBuiltins): void {
  mkdirSync(dir, { recursive: true });
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  const names = Object.keys(compiled.profiles);
  write(INDEX, JSON.stringify({ inputs: compiled.inputs, names } satisfies Index));
  for (const name of names) {
    write(profileFile(name), JSON.stringify(compiled.profiles[name]));
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

/** The compiled built-ins in `dir`, or undefined when there are none. */
export function openCompiled(dir: string): CompiledBuiltins | undefined {
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  let index: Index;
  try {
    index = JSON.parse(read(INDEX)) as Index;
  } catch {
    return undefined;
  }
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
  return {
    inputs: index.inputs,
    profiles: lazyRecord(index.names, (name) => JSON.parse(read(profileFile(name))) as Profile),
    hostRenderings: lazyRecord(index.names, rendering),
  };
}
