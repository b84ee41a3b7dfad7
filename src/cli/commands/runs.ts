// `perimeter runs [RUN_ID]`: the manifests of past runs, listed or one shown.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../../errors.js";
import { defaultRunsDir, listManifests, MANIFEST_FILE, readManifest, type Manifest } from "../../run/manifest.js";
import type { CommandResult } from "../result.js";

export interface RunsFlags {
  dir?: string;
  json?: boolean;
}

const line = (m: Manifest) =>
  [m.runId, m.tool.id, m.profile.name, m.state === "running" ? "UNFINISHED" : m.stop?.reason ?? "?", m.pullRequest?.url ?? "-", m.repo.slug].join("  ");

export async function runs(runId: string | undefined, flags: RunsFlags): Promise<CommandResult> {
  const dir = resolve(flags.dir ?? defaultRunsDir());
  if (runId !== undefined) {
    const file = existsSync(join(runId, MANIFEST_FILE)) ? join(runId, MANIFEST_FILE) : join(dir, runId, MANIFEST_FILE);
    if (!existsSync(file)) throw new UsageError(`no run ${runId} in ${dir}`);
    const m = readManifest(file);
    if (flags.json) return { exitCode: 0, stdout: `${JSON.stringify(m, null, 2)}\n` };
    const text = [
      `run ${m.runId}: ${m.tool.id} ${m.tool.version ?? ""} on ${m.repo.url}, profile ${m.profile.name} (sha256 ${m.profile.sha256.slice(0, 12)})`,
      `image: ${m.image.ref} ${m.image.id ?? ""}`,
      `started ${m.startedAt}, ended ${m.endedAt ?? "-"}${m.durationMs !== null ? ` (${(m.durationMs / 1000).toFixed(1)} s)` : ""}`,
      `stop: ${m.stop === null ? "unfinished (the launcher never wrote an end)" : `${m.stop.reason} (exit ${m.stop.exitCode}): ${m.stop.detail}`}`,
      `usage: ${m.usage === null ? "-" : `${m.usage.modelCalls} model calls, ${m.usage.inputTokens} in / ${m.usage.outputTokens} out tokens, $${m.usage.usd}`}`,
      `gateway: ${m.gateway.requests} requests, ${m.gateway.allowed} allowed, ${m.gateway.refused} refused`,
      `diff: ${m.diff === null ? "-" : `${m.diff.filesChanged} files, +${m.diff.linesAdded} -${m.diff.linesDeleted}`}`,
      `pushed: ${m.refsPushed.map((r) => `${r.ref} ${r.commit.slice(0, 12)}`).join(", ") || "-"}`,
      `pull request: ${m.pullRequest?.url ?? "-"}`,
    ].join("\n");
    return { exitCode: 0, stdout: `${text}\n` };
  }
  const all = listManifests(dir).map((r) => r.manifest);
  if (flags.json) return { exitCode: 0, stdout: `${JSON.stringify(all.map((m) => ({ runId: m.runId, tool: m.tool.id, profile: m.profile.name, state: m.state, stop: m.stop?.reason ?? null, startedAt: m.startedAt, pullRequest: m.pullRequest?.url ?? null, repo: m.repo.url })), null, 2)}\n` };
  if (all.length === 0) return { exitCode: 0, stdout: `no runs in ${dir}\n` };
  return { exitCode: 0, stdout: `${all.map(line).join("\n")}\n` };
}
