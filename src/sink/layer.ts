// The image sink: writes files as one OCI layer (a tar), never as a tree on the host, so no-prompt
// settings never exist as files a tool on this machine would read. Same input, same bytes.
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";

export interface LayerEntry {
  /** Absolute path inside the image. */
  path: string;
  content: string | Buffer;
  mode: number;
  uid?: number;
  gid?: number;
}

export interface LayerDir {
  path: string;
  mode: number;
  uid?: number;
  gid?: number;
}

/** A fixed timestamp: layer bytes must not depend on when they were built. */
const EPOCH = new Date(0);

function parents(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

export async function writeLayer(out: string, files: readonly LayerEntry[], extraDirs: readonly LayerDir[] = []): Promise<void> {
  const dirs = new Map<string, LayerDir>();
  for (const f of files) for (const p of parents(f.path)) dirs.set(p, { path: p, mode: 0o755 });
  for (const d of extraDirs) {
    const path = d.path.replace(/^\/+|\/+$/g, "");
    for (const p of parents(path)) if (!dirs.has(p)) dirs.set(p, { path: p, mode: 0o755 });
    dirs.set(path, { ...d, path });
  }
  const entries = [
    ...[...dirs.values()].map((d) => ({ kind: "dir" as const, name: `${d.path}/`, d })),
    ...files.map((f) => ({ kind: "file" as const, name: f.path.replace(/^\/+/, ""), f })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const tar = pack();
  const done = pipeline(tar, createWriteStream(out));
  for (const entry of entries) {
    const common = { mtime: EPOCH, uname: "", gname: "" };
    if (entry.kind === "dir") {
      tar.entry({ ...common, name: entry.name, type: "directory", mode: entry.d.mode, uid: entry.d.uid ?? 0, gid: entry.d.gid ?? 0 });
    } else {
      const body = typeof entry.f.content === "string" ? Buffer.from(entry.f.content) : entry.f.content;
      tar.entry({ ...common, name: entry.name, type: "file", mode: entry.f.mode, uid: entry.f.uid ?? 0, gid: entry.f.gid ?? 0, size: body.length }, body);
    }
  }
  tar.finalize();
  await done;
}
