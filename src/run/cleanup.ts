// `perimeter run --cleanup`, and the same at every start: removes the engine objects of runs whose
// launcher is gone (same host, process no longer alive) or whose time is long past (the expiry
// label). A live run's objects are never touched.
import { rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import type { EngineId } from "./engine.js";
import { LABEL } from "./names.js";
import { startProcess } from "./process.js";
import { lockedRuns, lockPath, removeStaged } from "./staging.js";

interface Found {
  kind: "container" | "network" | "volume";
  name: string;
  launcher: string;
  expires: number;
  run: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when nobody can still be using the run's objects. */
export function isStale(launcher: string, expires: number, now: number = Date.now() / 1000, host: string = hostname()): boolean {
  if (Number.isFinite(expires) && expires > 0 && expires < now) return true;
  const at = launcher.lastIndexOf(":");
  const pid = Number(launcher.slice(at + 1));
  return launcher.slice(0, at) === host && Number.isInteger(pid) && pid > 0 && !alive(pid);
}

/** podman prints a JSON array; docker one JSON object per line, its labels as "k=v,k=v". */
function parseListing(stdout: string): { name: string; labels: Record<string, string> }[] {
  const text = stdout.trim();
  if (text === "") return [];
  const items = (text.startsWith("[") ? JSON.parse(text) : text.split("\n").map((l) => JSON.parse(l))) as Record<string, unknown>[];
  return items.map((item) => {
    const names = item.Names ?? item.Name ?? item.name;
    const raw = item.Labels ?? item.labels ?? {};
    const labels =
      typeof raw === "string"
        ? Object.fromEntries(raw.split(",").filter((p) => p.includes("=")).map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]))
        : (raw as Record<string, string>);
    return { name: String(Array.isArray(names) ? names[0] : names), labels };
  });
}

async function list(engine: EngineId, prefix: string): Promise<Found[]> {
  const filter = `label=${LABEL.prefix}=${prefix}`;
  const format = engine === "podman" ? "json" : "{{json .}}";
  const queries: [Found["kind"], string[]][] = [
    ["container", [engine, "ps", "--all", "--filter", filter, "--format", format]],
    ["network", [engine, "network", "ls", "--filter", filter, "--format", format]],
    ["volume", [engine, "volume", "ls", "--filter", filter, "--format", format]],
  ];
  const results = await Promise.all(queries.map(([, argv]) => startProcess(argv, { env: process.env }).result));
  return queries.flatMap(([kind], i) =>
    parseListing(results[i]!.stdout).map(({ name, labels }) => ({
      kind,
      name,
      launcher: labels[LABEL.launcher] ?? "",
      expires: Number(labels[LABEL.expires]),
      run: labels[LABEL.run] ?? "",
    })),
  );
}

/** Removes stale runs' objects; returns what it removed, as `kind name (run id)`. */
export async function cleanupStale(engine: EngineId, prefix: string): Promise<string[]> {
  const stale = (await list(engine, prefix)).filter((f) => isStale(f.launcher, f.expires));
  const removed: string[] = [];
  const remove = async (kind: Found["kind"], argv: string[]) => {
    const items = stale.filter((f) => f.kind === kind);
    if (items.length === 0) return;
    await startProcess([...argv, ...items.map((f) => f.name)], { env: process.env }).result;
    removed.push(...items.map((f) => `${kind} ${f.name} (run ${f.run})`));
  };
  // Containers first: a network or volume in use cannot go.
  await remove("container", engine === "podman" ? [engine, "rm", "--force", "--ignore", "--time", "0"] : [engine, "rm", "--force"]);
  await remove("network", engine === "podman" ? [engine, "network", "rm", "--force"] : [engine, "network", "rm"]);
  await remove("volume", [engine, "volume", "rm", "--force"]);
  return [...removed, ...sweepStaleStaging()];
}

/**
 * The host side of a killed launcher: its staging folder (copies of the credential files the
 * gateway read) and its lock, found by the lock whatever the engine still holds. A live run's stay.
 */
export function sweepStaleStaging(dir: string = tmpdir()): string[] {
  const removed: string[] = [];
  for (const { runId, holder } of lockedRuns(dir)) {
    if (holder === "" || !isStale(holder, Number.NaN)) continue;
    removeStaged(runId, dir);
    rmSync(lockPath(runId, dir), { force: true });
    removed.push(`staged files of run ${runId}`);
  }
  return removed;
}
