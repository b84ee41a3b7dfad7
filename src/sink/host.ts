// The host sink: turns a host rendering into a plan against a real home folder, checks it with the
// host guard, and writes it atomically with backups. Nothing is written unless every file is
// readable and the guard passes.
import { chmodSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { HostFileError, HostGuardRefusal } from "../errors.js";
import { withLazy } from "../lazy.js";
import { formatKeyPath } from "../profile/locate.js";
import type { Rendering } from "../render.js";
import { TOOLS } from "../tools/index.js";
import { isShared, type AgentTool, type ConfigDir, type EmittedFile, type FileBody, type HostPlace, type ToolId } from "../tools/types.js";
import { asHomeOwner } from "./as-owner.js";
import { parseStructured, ParseFailure, serialize } from "./formats.js";
import { driftedEntries, driftedKeys, mergeOwnedEntries, mergeOwnedKeys } from "./merge.js";
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

/** A folder a tool needs before it runs (AgentTool.hostFolders): created empty, mode 0700, when missing. */
export interface PlannedFolder {
  /** Absolute path on this machine. */
  target: string;
  /** The tools that need it. */
  tools: ToolId[];
  status: "create" | "unchanged";
}

export interface HostPlan {
  home: string;
  /** The home, the environment and the project the tools will run with. */
  place: HostPlace;
  /** Where each tool really reads its user files (its location variable honoured). */
  dirs: ConfigDir[];
  files: PlannedFile[];
  folders: PlannedFolder[];
}

function readExisting(target: string): string | undefined {
  if (!existsSync(target)) return undefined;
  try {
    return readFileSync(target, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const link = lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink() ? ` (a symbolic link: it leads to ${readlinkSync(target)})` : "";
    throw new HostFileError({ file: target }, `cannot read the existing file${link} (${code})`);
  }
}

/** The file as the host sink will take it, with what depends on the file alone done now (see SettledFile). */
export function settledForHost(file: EmittedFile, tool: AgentTool): HostFile {
  const body = file.body;
  if (isShared(body)) return file;
  return { ...file, body: { format: "text", text: serialize(body, true) }, guardFindings: tool.bypassFindings(file.path, body) };
}

/** A host path (`.codex/config.toml`) on this machine: under the tool's real folder, or the home. */
function targetOf(home: string, dirs: readonly ConfigDir[], file: HostFile): string {
  const dir = dirs.find((d) => d.tool === file.tool);
  if (dir !== undefined && file.path.startsWith(`${dir.prefix}/`)) return join(dir.dir, file.path.slice(dir.prefix.length + 1));
  return join(home, file.path);
}

function planFile(target: string, file: HostFile): PlannedFile {
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
  const shared = body.ownedEntries ?? [];
  const drift = [...driftedKeys(theirs, body.value, body.ownedKeys), ...driftedEntries(theirs, body.value, shared)].map(formatKeyPath);
  const merged = mergeOwnedEntries(mergeOwnedKeys(theirs, body.value, body.ownedKeys), body.value, shared);
  const finalBody: FileBody = { ...body, value: merged };
  const status: FileStatus = before === undefined ? "create" : drift.length === 0 ? "unchanged" : "update";
  // An up-to-date file keeps its bytes, formatting included: a second run writes nothing.
  return withLazy({ file, target, before, finalBody, status, drift: before === undefined ? ["(missing)"] : drift }, "after", () => {
    if (status === "unchanged") return before!;
    // A TOML file keeps the user's comments and layout where only perimeter's lines need to change.
    const owned = [...body.ownedKeys, ...shared.map((s) => s.path)];
    const edited = body.format === "toml" && before !== undefined ? editOwnedTomlKeys(before, merged, owned) : undefined;
    return edited ?? serialize(finalBody, false);
  });
}

/**
 * The plan for one home. `place` says what the tools will see when they run: the environment (whose
 * location variables move their folders; default none) and the project folder whose files they read.
 */
export function planHost(
  rendering: Pick<Rendering, "scope"> & { files: readonly HostFile[] },
  home: string,
  place: Omit<HostPlace, "home"> = { env: {} },
  tools: readonly AgentTool[] = TOOLS,
): HostPlan {
  if (rendering.scope !== "host") throw new Error("planHost takes a host rendering");
  const full: HostPlace = { ...place, home };
  const ids = new Set(rendering.files.map((f) => f.tool));
  const dirs = tools.filter((t) => ids.has(t.id)).flatMap((t) => (t.hostConfigDir ? [t.hostConfigDir(full)] : []));
  // Read as the home's owner would (asHomeOwner): a link to a file only root may read is not followed.
  const files = asHomeOwner(home, () => rendering.files.map((f) => planFile(targetOf(home, dirs, f), f)));
  return { home, place: full, dirs, files, folders: planFolders(home, files, tools) };
}

/** The folders the planned files need (AgentTool.hostFolders); one in the way as a non-folder is refused. */
function planFolders(home: string, files: readonly PlannedFile[], tools: readonly AgentTool[]): PlannedFolder[] {
  const needed = new Map<string, ToolId[]>();
  for (const p of files) {
    const tool = tools.find((t) => t.id === p.file.tool);
    for (const folder of tool?.hostFolders?.(p.file, home) ?? []) needed.set(folder, [...(needed.get(folder) ?? []), p.file.tool]);
  }
  // Code-unit order: localeCompare would load ICU's collation, several ms at every start.
  return [...needed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([target, ids]) => {
    const stat = statSync(target, { throwIfNoEntry: false });
    if (stat !== undefined && !stat.isDirectory()) throw new HostFileError({ file: target }, `is not a folder, and ${ids.join(", ")} needs one there`);
    return { target, tools: [...new Set(ids)], status: stat === undefined ? "create" : "unchanged" };
  });
}

/** A file the tool reads that perimeter does not write, parsed; undefined when absent or unreadable. */
function readSource(file: string, format: "json" | "toml"): FileBody | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    return { format, value: parseStructured(format, text) };
  } catch {
    return undefined; // the tool cannot use it either (Claude drops an invalid file whole)
  }
}

/**
 * What the host guard finds: the content about to be on disk, judged by each tool's own rules for
 * what means "no prompts" (perimeter's own keys and every other key the tool knows), and every other
 * file the tool reads there, as it stands. Whatever the profile is called.
 */
export function hostFindings(plan: HostPlan, tools: readonly AgentTool[]): string[] {
  const planned = plan.files.flatMap((p) => {
    const tool = tools.find((t) => t.id === p.file.tool)!;
    const at = { shownAs: p.target, home: plan.home, cwd: plan.place.project ?? plan.home };
    return isSettled(p.file) ? p.file.guardFindings : tool.bypassFindings(p.file.path, p.finalBody, at);
  });
  const written = new Set(plan.files.map((p) => p.target));
  const others = tools.flatMap((tool) => {
    const dir = plan.dirs.find((d) => d.tool === tool.id);
    if (dir === undefined || tool.otherBypassSources === undefined) return [];
    return tool.otherBypassSources(plan.place, dir.dir).flatMap((source) => {
      if (written.has(source.file)) return [];
      const body = readSource(source.file, source.format);
      return body !== undefined && body.format !== "text" ? source.judge(body.value, source.file) : [];
    });
  });
  return [...planned, ...others];
}

/** The host guard for `render`: refuses before anything is written. */
export function guardHost(plan: HostPlan, tools: readonly AgentTool[]): void {
  const findings = hostFindings(plan, tools);
  if (findings.length > 0) throw new HostGuardRefusal(findings);
}

export interface WrittenFile {
  target: string;
  status: FileStatus;
  backup?: string;
}

/**
 * A backup beside the file, created exclusively: an existing file (or a link planted at the name)
 * is never overwritten; the next free name is taken instead.
 */
function backUp(source: string, target: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  for (let n = 1; ; n++) {
    const backup = `${target}.perimeter-backup-${stamp}${n === 1 ? "" : `-${n}`}`;
    try {
      copyFileSync(source, backup, constants.COPYFILE_EXCL);
      return backup;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || n >= 100) throw error;
    }
  }
}

interface Staged {
  planned: PlannedFile;
  /** The real file the new content replaces: the target, or the file its link points at. */
  destination: string;
  /** A private folder beside the destination, holding only the new file. */
  tempDir: string;
  temp: string;
}

function ownerOf(path: string): number {
  return statSync(path).uid;
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/**
 * Where the new content really goes. A settings file that is a link (a dotfile manager's) is written
 * through to the file it points at, so the link stays; a link that points nowhere, or at something
 * that is not a regular file, is refused. A destination outside the home (through a link to the file
 * or to a folder on its way) must belong to the home's owner: a root `render --home` into a user's
 * home never writes a file a planted link leads it to. (asHomeOwner makes the kernel say so too.)
 */
function destinationOf(planned: PlannedFile, home: string, homeOwner: number): string {
  const target = planned.target;
  const link = lstatSync(target, { throwIfNoEntry: false });
  let destination: string;
  if (link?.isSymbolicLink()) {
    const leadsTo = readlinkSync(target);
    let real: string;
    try {
      real = realpathSync(target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new HostFileError({ file: target }, `is a symbolic link to a file that does not exist (${leadsTo}); perimeter writes through a link only to an existing file`);
      throw new HostFileError({ file: target }, `is a symbolic link the home's owner cannot follow (it leads to ${leadsTo}: ${code})`);
    }
    if (!statSync(real).isFile()) throw new HostFileError({ file: target }, `is a symbolic link to ${real}, which is not a regular file`);
    destination = real;
  } else {
    destination = join(realpathSync(dirname(target)), basename(target));
  }
  if (inside(destination, realpathSync(home))) return destination;
  const owner = existsSync(destination) ? ownerOf(destination) : ownerOf(dirname(destination));
  if (owner !== homeOwner) {
    throw new HostFileError({ file: target }, `leads out of the home to ${destination}, which belongs to uid ${owner}, not to the home's owner (uid ${homeOwner}); refusing to write through it`);
  }
  return destination;
}

/**
 * Writes the new content beside its destination; nothing a tool reads has changed yet. The temp file
 * is created exclusively inside a folder mkdtemp made with an unpredictable name, so no link planted
 * at a guessable name can redirect the write.
 */
function stage(planned: PlannedFile, home: string, homeOwner: number): Staged {
  mkdirSync(dirname(planned.target), { recursive: true });
  const destination = destinationOf(planned, home, homeOwner);
  const mode = existsSync(destination) ? statSync(destination).mode & 0o7777 : 0o644;
  const tempDir = mkdtempSync(join(dirname(destination), `.${basename(destination)}.perimeter-`));
  const temp = join(tempDir, basename(destination));
  writeFileSync(temp, planned.after, { mode, flag: "wx", flush: true });
  chmodSync(temp, mode);
  return { planned, destination, tempDir, temp };
}

/**
 * Two phases: first every changed file is written to a temp file beside its target (a failure here
 * removes the temp files and leaves every target as it was), then each target is backed up and the
 * temp file renamed over it, so readers see the old file or the new one, never half of one.
 */
export function writeHost(plan: HostPlan): WrittenFile[] {
  mkdirSync(plan.home, { recursive: true });
  return asHomeOwner(plan.home, () => writeAsOwner(plan));
}

function writeAsOwner(plan: HostPlan): WrittenFile[] {
  const changed = plan.files.filter((f) => f.status !== "unchanged");
  const homeOwner = ownerOf(plan.home);
  const staged: Staged[] = [];
  try {
    for (const planned of changed) staged.push(stage(planned, plan.home, homeOwner));
  } catch (error) {
    for (const s of staged) rmSync(s.tempDir, { recursive: true, force: true });
    if (error instanceof HostFileError) throw error;
    const failed = changed[staged.length]!;
    const as = process.geteuid?.() === homeOwner ? ` as the home's owner (uid ${homeOwner})` : "";
    throw new HostFileError({ file: failed.target }, `cannot write${as} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const backups = new Map<string, string>();
  for (const { planned, destination, tempDir, temp } of staged) {
    if (planned.before !== undefined) backups.set(planned.target, backUp(destination, planned.target));
    renameSync(temp, destination);
    rmSync(tempDir, { recursive: true, force: true });
  }
  for (const folder of plan.folders) {
    if (folder.status !== "create") continue;
    try {
      mkdirSync(folder.target, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new HostFileError({ file: folder.target }, `cannot create the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  return plan.files.map((f) => ({ target: f.target, status: f.status, backup: backups.get(f.target) }));
}
