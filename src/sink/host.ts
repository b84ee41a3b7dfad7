// The host sink: turns a host rendering into a plan against a real home folder, checks it with the
// host guard, and writes it atomically with backups. Nothing is written unless every file is
// readable and the guard passes.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { HostFileError, HostGuardRefusal } from "../errors.js";
import { withLazy } from "../lazy.js";
import { formatKeyPath } from "../profile/locate.js";
import type { Rendering } from "../render.js";
import { isShared, type AgentTool, type EmittedFile, type FileBody } from "../tools/types.js";
import { parseStructured, ParseFailure, serialize } from "./formats.js";
import { driftedKeys, mergeOwnedKeys } from "./merge.js";
import { editOwnedTomlKeys } from "./toml-edit.js";

export type FileStatus = "create" | "update" | "unchanged";

/**
 * A whole-owned file as the host sink takes it when what depends on the file alone is done already:
 * its final text, and the guard's findings on its content (the build does this, src/compiled/).
 */
export type SettledFile = Omit<EmittedFile, "body"> & { body: { format: "text"; text: string }; guardFindings: string[] };

/** What the host sink plans from: a file as the emitter made it, or one already settled. */
export type HostFile = EmittedFile | SettledFile;

const isSettled = (file: HostFile): file is SettledFile => "guardFindings" in file;

export interface PlannedFile {
  file: HostFile;
  /** Absolute path on this machine. */
  target: string;
  before?: string;
  /** The file's body as it will be on disk (merged with the user's keys where it is shared). */
  finalBody: FileBody;
  /** The file's text as it will be on disk; serialized on first use (a dry run never needs it). */
  readonly after: string;
  status: FileStatus;
  /** What differs from the profile: owned key paths, or "(whole file)". */
  drift: string[];
}

export interface HostPlan {
  home: string;
  files: PlannedFile[];
}

function readExisting(target: string): string | undefined {
  if (!existsSync(target)) return undefined;
  try {
    return readFileSync(target, "utf8");
  } catch (error) {
    throw new HostFileError({ file: target }, `cannot read the existing file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** The file as the host sink will take it, with what depends on the file alone done now (see SettledFile). */
export function settledForHost(file: EmittedFile, tool: AgentTool): HostFile {
  const body = file.body;
  if (isShared(body)) return file;
  return { ...file, body: { format: "text", text: serialize(body, true) }, guardFindings: tool.bypassFindings(file.path, body) };
}

function planFile(home: string, file: HostFile): PlannedFile {
  const target = join(home, file.path);
  const before = readExisting(target);
  const body = file.body;
  if (!isShared(body)) {
    const text = () => serialize(body, true);
    // A file that is not there yet is created whatever its text: the text waits until asked for.
    if (before === undefined) return withLazy({ file, target, before, finalBody: body, status: "create" as const, drift: ["(whole file)"] }, "after", text);
    const after = text();
    const same = before === after;
    return { file, target, before, finalBody: body, after, status: same ? "unchanged" : "update", drift: same ? [] : ["(whole file)"] };
  }
  let theirs = {};
  if (before !== undefined) {
    try {
      theirs = parseStructured(body.format, before);
    } catch (error) {
      if (error instanceof ParseFailure) throw new HostFileError({ file: target, line: error.line }, error.message);
      throw error;
    }
  }
  const drift = driftedKeys(theirs, body.value, body.ownedKeys).map(formatKeyPath);
  const merged = mergeOwnedKeys(theirs, body.value, body.ownedKeys);
  const finalBody: FileBody = { ...body, value: merged };
  const status: FileStatus = before === undefined ? "create" : drift.length === 0 ? "unchanged" : "update";
  // An up-to-date file keeps its bytes, formatting included: a second run writes nothing.
  return withLazy({ file, target, before, finalBody, status, drift: before === undefined ? ["(missing)"] : drift }, "after", () => {
    if (status === "unchanged") return before!;
    // A TOML file keeps the user's comments and layout where only perimeter's lines need to change.
    const edited = body.format === "toml" && before !== undefined ? editOwnedTomlKeys(before, merged, body.ownedKeys) : undefined;
    return edited ?? serialize(finalBody, false);
  });
}

export function planHost(rendering: Pick<Rendering, "scope"> & { files: readonly HostFile[] }, home: string): HostPlan {
  if (rendering.scope !== "host") throw new Error("planHost takes a host rendering");
  return { home, files: rendering.files.map((f) => planFile(home, f)) };
}

/**
 * The host guard: whatever the profile is called, the content about to be on disk is checked by each
 * tool's own rules for what means "no prompts". Refuses before anything is written.
 */
export function guardHost(plan: HostPlan, tools: readonly AgentTool[]): void {
  const findings = plan.files.flatMap((planned) => {
    const tool = tools.find((t) => t.id === planned.file.tool)!;
    return isSettled(planned.file) ? planned.file.guardFindings : tool.bypassFindings(planned.file.path, planned.finalBody);
  });
  if (findings.length > 0) throw new HostGuardRefusal(findings);
}

export interface WrittenFile {
  target: string;
  status: FileStatus;
  backup?: string;
}

function backupPath(target: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return `${target}.perimeter-backup-${stamp}`;
}

let tempCounter = 0;

interface Staged {
  planned: PlannedFile;
  temp: string;
}

/** Writes the new content beside the target; nothing a tool reads has changed yet. */
function stage(planned: PlannedFile): Staged {
  const target = planned.target;
  const mode = existsSync(target) ? statSync(target).mode & 0o7777 : 0o644;
  // pid + a counter: unique among concurrent perimeter processes without loading a crypto module.
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${++tempCounter}.tmp`);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(temp, planned.after, { mode, flush: true });
  chmodSync(temp, mode);
  return { planned, temp };
}

/**
 * Two phases: first every changed file is written to a temp file beside its target (a failure here
 * removes the temp files and leaves every target as it was), then each target is backed up and the
 * temp file renamed over it, so readers see the old file or the new one, never half of one.
 */
export function writeHost(plan: HostPlan): WrittenFile[] {
  const changed = plan.files.filter((f) => f.status !== "unchanged");
  const staged: Staged[] = [];
  try {
    for (const planned of changed) staged.push(stage(planned));
  } catch (error) {
    for (const s of staged) rmSync(s.temp, { force: true });
    const failed = changed[staged.length]!;
    throw new HostFileError({ file: failed.target }, `cannot write (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const backups = new Map<string, string>();
  for (const { planned, temp } of staged) {
    if (planned.before !== undefined) {
      const backup = backupPath(planned.target);
      copyFileSync(planned.target, backup);
      backups.set(planned.target, backup);
    }
    renameSync(temp, planned.target);
  }
  return plan.files.map((f) => ({ target: f.target, status: f.status, backup: backups.get(f.target) }));
}
