// Shared helpers for the unit suite: temp folders, the CLI run in-process with its output captured,
// and snapshots of a folder tree (bytes and mtimes) to prove that nothing was written.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { buildProgram } from "../../src/cli/commands.js";
import { runMain } from "../../src/cli/main.js";
import { loadProfile } from "../../src/profile/load.js";
import { renderProfile } from "../../src/render.js";
import { TOOLS } from "../../src/tools/index.js";

export function tempDir(prefix = "perimeter-unit-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `files` (relative path -> text) under `root`, creating folders. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const file = join(root, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the perimeter CLI in this process and captures what it prints. */
export async function runCli(argv: readonly string[]): Promise<CliResult> {
  const printed = { 1: "", 2: "" };
  const code = await runMain(argv, buildProgram, (fd, text) => {
    printed[fd] += text;
  });
  return { code, stdout: printed[1], stderr: printed[2] };
}

export interface FileState {
  bytes: string;
  mtimeMs: number;
}

/** Every file under `root` (recursively, hidden ones included): relative path -> bytes and mtime. */
export function snapshot(root: string): Record<string, FileState> {
  const result: Record<string, FileState> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else result[relative(root, full)] = { bytes: readFileSync(full, "latin1"), mtimeMs: statSync(full).mtimeMs };
    }
  };
  walk(root);
  return result;
}

/** Relative paths of every file under `root`. */
export function listFiles(root: string): string[] {
  return Object.keys(snapshot(root)).sort();
}

/** The files `perimeter render` writes into a home for the built-in interactive profile, every tool's. */
export const HOST_FILES: readonly string[] = renderProfile(loadProfile("interactive"), TOOLS, "host").files.map((f) => f.path);

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** Waits long enough that a rewrite would get a different mtime. */
export function pause(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
