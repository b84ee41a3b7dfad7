// `perimeter run --cleanup`, and the same at every start: removes the engine objects of runs whose
// launcher is gone (same host, process no longer alive) or whose time is long past (the expiry
// label). A live run's objects are never touched.
import { hostname } from "node:os";
import type { EngineId } from "./engine.js";
import { LABEL } from "./names.js";
import { startProcess } from "./process.js";

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

const label = (engine: EngineId, key: string) => (engine === "podman" ? `{{index .Labels "${key}"}}` : `{{.Label "${key}"}}`);

async function list(engine: EngineId, prefix: string): Promise<Found[]> {
  const filter = `label=${LABEL.prefix}=${prefix}`;
  const fields = (name: string) => [name, label(engine, LABEL.launcher), label(engine, LABEL.expires), label(engine, LABEL.run)].join("\t");
  const queries: [Found["kind"], string[]][] = [
    ["container", [engine, "ps", "--all", "--filter", filter, "--format", fields("{{.Names}}")]],
    ["network", [engine, "network", "ls", "--filter", filter, "--format", fields("{{.Name}}")]],
    ["volume", [engine, "volume", "ls", "--filter", filter, "--format", fields("{{.Name}}")]],
  ];
  const results = await Promise.all(queries.map(([, argv]) => startProcess(argv, { env: process.env }).result));
  return queries.flatMap(([kind], i) =>
    results[i]!.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((line) => {
        const [name, launcher, expires, run] = line.split("\t");
        return { kind, name: name!.trim(), launcher: launcher ?? "", expires: Number(expires), run: run ?? "" };
      }),
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
  return removed;
}
