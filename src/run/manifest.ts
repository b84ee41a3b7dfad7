// The execution manifest: the run's record, written on the host into a folder no container mounts.
// It is written once when the run starts (so a killed launcher leaves a record that says so) and
// again, complete, when it ends.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RunLimits } from "../profile/limits.js";
import type { DiffSummary } from "./diff.js";
import type { PlannedManifest } from "./plan.js";
import type { EntrypointRecord, GatewayLogLine, UsageSummary } from "./records.js";
import type { SecretFinding } from "./secret-scan.js";
import type { StopReason } from "./stop.js";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_VERSION = 1;

export interface Manifest {
  manifestVersion: typeof MANIFEST_VERSION;
  runId: string;
  /** "running" until the run ends; a manifest still "running" with no launcher alive was killed. */
  state: "running" | "finished";
  tool: { id: string; version: string | null };
  profile: { name: string; files: string[]; sha256: string };
  /** The sha256 of each of the image's policy files, read by the stage step in a fresh container of the image. */
  policy: { digests: Record<string, string | null> | null };
  image: { ref: string; id: string | null };
  engine: string;
  repo: { url: string; slug: string };
  branch: string;
  prompt: PlannedManifest["prompt"];
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  stop: { reason: StopReason; exitCode: number; detail: string } | null;
  /** The agent container: the entrypoint's exit code, whether a clock stopped it, the refusal if it refused. */
  agent: { exitCode: number | null; wallClock: boolean; refusal: { code: string; reason: string } | null };
  limits: RunLimits;
  budget: { tokens: number | null; usd: number | null; warnPercent: number; stopPercent: number };
  usage: UsageSummary | null;
  gateway: { requests: number; allowed: number; refused: number; log: GatewayLogLine[] };
  refsPushed: { ref: string; commit: string }[];
  pullRequest: { url: string; number: number | null } | null;
  diff: DiffSummary | null;
  secretScan: { scanner: string; findings: SecretFinding[] } | null;
  entrypoint: { records: EntrypointRecord[] };
  phases: { name: string; startedMs: number; endedMs: number; ok: boolean }[];
  objects: PlannedManifest["objects"];
  labels: Record<string, string>;
  /** Engine objects the final cleanup could not remove (empty: nothing was left behind). */
  leftovers: string[];
  files: { agentStdout: string; agentStderr: string; gatewayLog: string };
}

/** `$XDG_STATE_HOME/perimeter/runs`, or `~/.local/state/perimeter/runs`. */
export function defaultRunsDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== "" ? env.XDG_STATE_HOME : join(env.HOME ?? homedir(), ".local", "state");
  return join(state, "perimeter", "runs");
}

export function writeManifest(dir: string, manifest: Manifest): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, MANIFEST_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

export function readManifest(file: string): Manifest {
  return JSON.parse(readFileSync(file, "utf8")) as Manifest;
}

/** Every manifest under a runs folder (one sub-folder per run), oldest first. */
export function listManifests(runsDir: string): { dir: string; manifest: Manifest }[] {
  if (!existsSync(runsDir)) return [];
  const out: { dir: string; manifest: Manifest }[] = [];
  for (const entry of readdirSync(runsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(runsDir, entry.name, MANIFEST_FILE);
    if (!existsSync(file)) continue;
    try {
      out.push({ dir: join(runsDir, entry.name), manifest: readManifest(file) });
    } catch {
      // a manifest being written, or not ours: skipped
    }
  }
  return out.sort((a, b) => a.manifest.startedAt.localeCompare(b.manifest.startedAt));
}
