// The gateway's inputs from the host (an own profiles folder, --hosts, --upstream-ca, credential
// files) are copied into a per-run folder before the gateway starts: the gateway runs as the image's
// unprivileged user, which cannot read a 0600 file or a 0700 folder of the launcher's, and a copy
// keeps the launcher's own files out of any container. Removed with the run.
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { AGENT_UID } from "./plan.js";
import type { RunRequest } from "./request.js";

export interface StagedInputs {
  dir: string;
  profilesDir?: string;
  hostsFile?: string;
  upstreamCa?: string;
  /** The path the profile names, and its copy. */
  credentialFiles: [string, string][];
}

export function stagingDir(runId: string, dir: string = tmpdir()): string {
  return join(dir, `perimeter-run-${runId}`);
}

/** The run id's lock (lock.ts), beside its staging folder. */
export function lockPath(runId: string, dir: string = tmpdir()): string {
  return `${stagingDir(runId, dir)}.lock`;
}

/** Run ids with a lock file here, and who holds each (`host:pid`, "" when unreadable). */
export function lockedRuns(dir: string = tmpdir()): { runId: string; holder: string }[] {
  const ids = readdirSync(dir).flatMap((name) => /^perimeter-run-([a-z0-9-]+)\.lock$/.exec(name)?.[1] ?? []);
  return ids.map((runId) => {
    try {
      return { runId, holder: readFileSync(lockPath(runId, dir), "utf8") };
    } catch {
      return { runId, holder: "" };
    }
  });
}

/** Where each input's copy goes (the plan mounts these). */
export function stagedInputs(request: RunRequest): StagedInputs {
  const dir = stagingDir(request.runId);
  const files = request.profile.credentials.flatMap((c) => ("file" in c.source ? [c.source.file] : []));
  return {
    dir,
    ...(request.profilesDir !== undefined ? { profilesDir: join(dir, "profiles") } : {}),
    ...(request.hostsFile !== undefined ? { hostsFile: join(dir, "hosts") } : {}),
    ...(request.upstreamCa !== undefined ? { upstreamCa: join(dir, "upstream-ca.pem") } : {}),
    credentialFiles: [...new Set(files)].sort().map((f, i) => [f, join(dir, "credentials", `${i}-${basename(f)}`)]),
  };
}

/** Makes the copies. Secrets: owned by the gateway's user and 0400 when the launcher is root (rootful engine). */
export function stageInputs(request: RunRequest): StagedInputs {
  const staged = stagedInputs(request);
  rmSync(staged.dir, { recursive: true, force: true });
  mkdirSync(staged.dir, { mode: 0o711 });
  chmodSync(staged.dir, 0o711);
  const plain = (from: string, to: string) => {
    copyFileSync(from, to);
    chmodSync(to, 0o644);
  };
  if (staged.profilesDir !== undefined) {
    mkdirSync(staged.profilesDir, { mode: 0o755 });
    chmodSync(staged.profilesDir, 0o755);
    for (const f of readdirSync(request.profilesDir!)) if (f.endsWith(".toml")) plain(join(request.profilesDir!, f), join(staged.profilesDir, f));
  }
  if (staged.hostsFile !== undefined) plain(request.hostsFile!, staged.hostsFile);
  if (staged.upstreamCa !== undefined) plain(request.upstreamCa!, staged.upstreamCa);
  if (staged.credentialFiles.length > 0) mkdirSync(join(staged.dir, "credentials"), { mode: 0o711 });
  for (const [from, to] of staged.credentialFiles) {
    copyFileSync(from, to);
    if (process.getuid?.() === 0) {
      chownSync(to, AGENT_UID, AGENT_UID);
      chmodSync(to, 0o400);
    } else chmodSync(to, 0o444);
  }
  return staged;
}

export function removeStaged(runId: string, dir: string = tmpdir()): void {
  rmSync(stagingDir(runId, dir), { recursive: true, force: true });
}
