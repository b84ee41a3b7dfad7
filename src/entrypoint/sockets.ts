// Finds a container engine's API among the unix sockets the container can reach: the engines' own
// paths, every mount in the mount table and the trees mounted there, each socket probed for a
// Docker/Podman answer. An engine socket lets the agent start a container on the host. The same walk
// finds set-user-ID files where the kernel would honour them, and any socket that answers at all:
// under a gateway profile a listening socket is a way out past the gateway (checks.ts).
import { parseMountinfo } from "./kernel.js";

export interface DirEntry {
  name: string;
  /**
   * "device": a character or block device node. "setid": a regular file with the set-user-ID or
   * set-group-ID bit; "exec": any other executable regular file (listDir reports these two only when
   * asked for modes; kindOf always).
   */
  kind: "dir" | "socket" | "device" | "setid" | "exec" | "other";
}

/** What a socket did when probed: accepted the connection at all, and answered as an engine. */
export interface SocketAnswer {
  listening: boolean;
  engine?: string;
}

export interface SocketScanIo {
  readText(path: string): string | undefined;
  exists(path: string): boolean;
  /** The kind of the path itself, without following a final symlink; undefined when absent. */
  kindOf(path: string): DirEntry["kind"] | undefined;
  /**
   * A folder's entries, undefined when it cannot be read. Symlinks are "other": never followed.
   * With `modes`, regular files are looked at one by one and set-ID ones are "setid".
   */
  listDir(path: string, modes?: boolean): DirEntry[] | undefined;
  /** Whether the socket accepts a connection, and what answered as an engine API (e.g. "Libpod/4.3.1"). */
  probeSocket(path: string): Promise<SocketAnswer>;
}

/**
 * Where the engines put their API sockets: refused on sight, answering or not. containerd, CRI-O and
 * BuildKit speak gRPC, which never answers the HTTP ping, so their sockets go by name (below) too.
 */
export const ENGINE_SOCKET_PATHS = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/run/podman/podman.sock",
  "/var/run/podman/podman.sock",
  "/run/containerd/containerd.sock",
  "/var/run/containerd/containerd.sock",
  "/run/k3s/containerd/containerd.sock",
  "/run/crio/crio.sock",
  "/var/run/crio/crio.sock",
  "/run/buildkit/buildkitd.sock",
];

/** An engine's socket by its file name, wherever it is mounted (a renamed one is found by the probe). */
const ENGINE_SOCKET_NAME = /^(docker|podman|containerd|crio|cri-dockerd|dockershim|buildkitd)\.sock(\.ttrpc)?$/;

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

export interface MountScan {
  /** Every unix socket in the mounted trees. */
  sockets: string[];
  /** Set-ID files in mounts that honour them (not nosuid); only looked for when `setid` is true. */
  setid: string[];
  /** Other executables there (one may carry file capabilities, which no mode bit shows). */
  exec: string[];
}

/**
 * One walk of the mounted trees (not the image's own root file system). Set-ID files matter only
 * while no_new_privs is off, so the caller says whether to look (it costs an lstat per file).
 */
export function scanMounts(io: SocketScanIo, setid = false): MountScan {
  // By file system, not by place: a socket bind-mounted at /dev/x.sock is as reachable as anywhere.
  const mounts = parseMountinfo(io.readText("/proc/self/mountinfo")).filter((m) => m.point !== "/" && !PSEUDO_FS.has(m.fsType));
  const points = new Set(mounts.map((m) => m.point));
  const sockets = new Set<string>();
  const setids = new Set<string>();
  const execs = new Set<string>();
  let budget: number = SCAN_LIMITS.maxEntries;
  const walk = (dir: string, depth: number, modes: boolean) => {
    if (depth > SCAN_LIMITS.maxDepth || budget <= 0) return;
    for (const entry of io.listDir(dir, modes) ?? []) {
      if (--budget < 0) return;
      const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (entry.kind === "socket") sockets.add(path);
      else if (entry.kind === "setid") setids.add(path);
      else if (entry.kind === "exec") execs.add(path);
      // A mount nested inside this one is scanned on its own.
      else if (entry.kind === "dir" && !points.has(path)) walk(path, depth + 1, modes);
    }
  };
  for (const m of mounts) {
    const modes = setid && !m.options.includes("nosuid");
    const kind = io.kindOf(m.point);
    if (kind === "socket") sockets.add(m.point);
    else if (kind === "setid" && modes) setids.add(m.point);
    else if (kind === "exec" && modes) execs.add(m.point);
    else if (kind === "dir") walk(m.point, 1, modes);
  }
  return { sockets: [...sockets], setid: [...setids], exec: [...execs] };
}

export interface SocketFindings {
  /** Why the agent could reach a container engine, or undefined. */
  engine: string | undefined;
  /** Mounted sockets that accept a connection and are no engine (a relay, an ssh agent, a proxy). */
  listening: string[];
}

/** Probes every mounted socket once: for an engine (E_CONTAINER_SOCKET) and for any listener at all. */
export async function socketFindings(env: NodeJS.ProcessEnv, io: SocketScanIo, mounted: readonly string[]): Promise<SocketFindings> {
  const fromVars = engineVarFindings(env, io);
  const known = ENGINE_SOCKET_PATHS.filter((p) => io.exists(p));
  const reasons = [...new Set([...known, ...fromVars.sockets])];
  const named = mounted.filter((p) => !reasons.includes(p) && ENGINE_SOCKET_NAME.test(p.slice(p.lastIndexOf("/") + 1)));
  reasons.push(...named);
  const others = mounted.filter((p) => !reasons.includes(p));
  const answers = await Promise.all(others.map(async (p) => [p, await io.probeSocket(p)] as const));
  const listening: string[] = [];
  for (const [path, answer] of answers) {
    if (answer.engine !== undefined) reasons.push(`${path}, answered as ${answer.engine}`);
    else if (answer.listening) listening.push(path);
  }
  reasons.push(...fromVars.remote);
  const engine = reasons.length === 0 ? undefined : `a container engine is reachable (${reasons.join("; ")}); it would let the agent start a container on the host`;
  return { engine, listening };
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
