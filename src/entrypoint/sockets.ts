// Finds a container engine's API among the unix sockets the container can reach: the engines' own
// paths, every mount in the mount table and the trees mounted there, each socket probed for a
// Docker/Podman answer. An engine socket lets the agent start a container on the host.
import { parseMountinfo } from "./kernel.js";

export interface DirEntry {
  name: string;
  /** "device": a character or block device node. */
  kind: "dir" | "socket" | "device" | "other";
}

export interface SocketScanIo {
  readText(path: string): string | undefined;
  exists(path: string): boolean;
  /** The kind of the path itself, without following a final symlink; undefined when absent. */
  kindOf(path: string): DirEntry["kind"] | undefined;
  /** A folder's entries, undefined when it cannot be read. Symlinks are "other": never followed. */
  listDir(path: string): DirEntry[] | undefined;
  /** What answered as an engine API on the socket (e.g. "Libpod/4.3.1"), or undefined. */
  probeEngine(path: string): Promise<string | undefined>;
}

/** Where Docker and Podman put their API sockets: refused on sight, answering or not. */
export const ENGINE_SOCKET_PATHS = ["/var/run/docker.sock", "/run/docker.sock", "/run/podman/podman.sock", "/var/run/podman/podman.sock"];

const ENGINE_ADDRESS_VARS = ["DOCKER_HOST", "CONTAINER_HOST"] as const;

/** File systems that never hold a host's socket: the kernel's own views. */
export const PSEUDO_FS = new Set(["proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "securityfs", "debugfs", "tracefs", "bpf", "pstore", "hugetlbfs"]);

/**
 * The scan's cost is bounded: a mounted workspace can hold a million files. Past these, the rest of
 * that tree goes unscanned (README "Refusal codes" says so); a socket is found at any depth up to
 * MAX_DEPTH in the first MAX_ENTRIES entries of all mounted trees together.
 */
export const SCAN_LIMITS = { maxDepth: 6, maxEntries: 20_000 } as const;

function engineVarFindings(env: NodeJS.ProcessEnv, io: SocketScanIo): { sockets: string[]; remote: string[] } {
  const sockets: string[] = [];
  const remote: string[] = [];
  for (const name of ENGINE_ADDRESS_VARS) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    if (!value.startsWith("unix://")) remote.push(`${name}=${value}`);
    else if (io.exists(value.slice("unix://".length))) sockets.push(value.slice("unix://".length));
  }
  return { sockets, remote };
}

/** Every unix socket in the mounted trees (not the image's own root file system). */
export function mountedSockets(io: SocketScanIo): string[] {
  // By file system, not by place: a socket bind-mounted at /dev/x.sock is as reachable as anywhere.
  const mounts = parseMountinfo(io.readText("/proc/self/mountinfo")).filter((m) => m.point !== "/" && !PSEUDO_FS.has(m.fsType));
  const points = new Set(mounts.map((m) => m.point));
  const found = new Set<string>();
  let budget: number = SCAN_LIMITS.maxEntries;
  const walk = (dir: string, depth: number) => {
    if (depth > SCAN_LIMITS.maxDepth || budget <= 0) return;
    for (const entry of io.listDir(dir) ?? []) {
      if (--budget < 0) return;
      const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (entry.kind === "socket") found.add(path);
      // A mount nested inside this one is scanned on its own.
      else if (entry.kind === "dir" && !points.has(path)) walk(path, depth + 1);
    }
  };
  for (const m of mounts) {
    const kind = io.kindOf(m.point);
    if (kind === "socket") found.add(m.point);
    else if (kind === "dir") walk(m.point, 1);
  }
  return [...found];
}

/** Why the agent could reach a container engine, or undefined. */
export async function engineReachable(env: NodeJS.ProcessEnv, io: SocketScanIo): Promise<string | undefined> {
  const fromVars = engineVarFindings(env, io);
  const known = ENGINE_SOCKET_PATHS.filter((p) => io.exists(p));
  const reasons = [...new Set([...known, ...fromVars.sockets])];
  const others = mountedSockets(io).filter((p) => !reasons.includes(p));
  const answers = await Promise.all(others.map(async (p) => [p, await io.probeEngine(p)] as const));
  for (const [path, answer] of answers) if (answer !== undefined) reasons.push(`${path}, answered as ${answer}`);
  reasons.push(...fromVars.remote);
  if (reasons.length === 0) return undefined;
  return `a container engine is reachable (${reasons.join("; ")}); it would let the agent start a container on the host`;
}

/** How long a socket may take to answer the probe; an engine answers /_ping at once. */
export const PROBE_TIMEOUT_MS = 500;

/** The Docker API's ping, which Podman's compatible API answers too, identifying itself in headers. */
export const PING_REQUEST = "GET /_ping HTTP/1.1\r\nHost: engine\r\nConnection: close\r\n\r\n";

/** The engine's name when an HTTP answer to the ping comes from Docker or Podman. */
export function engineFromAnswer(answer: string): string | undefined {
  if (!answer.startsWith("HTTP/1.")) return undefined;
  const head = answer.split("\r\n\r\n")[0]!;
  const server = /^server:\s*(.+)$/im.exec(head)?.[1]?.trim();
  if (/^(api-version|libpod-api-version|docker-experimental|ostype):/im.test(head)) return server ?? "an engine API";
  if (server !== undefined && /^(docker|libpod|podman)\b/i.test(server)) return server;
  return undefined;
}
