// The entrypoint's refusals: each names one reason, with its own code, so a log line says exactly
// why an agent did not start. Every check reads the environment it is given, so tests can run them.
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { ImageSpec } from "../image/spec.js";
import { credentialFiles, realCredentials, secretFiles } from "./credentials.js";
import { mountsIntoPolicy, tamperedFiles, type PolicyDigests } from "./digests.js";
import { boundingCapabilities, heldCapabilities, hostMounts, hostNamespaces, hostPidNamespace, noNewPrivileges, parseMountinfo, privilegedSignals, rootGroup, seccompOff } from "./kernel.js";
import { notAPod, proxyProblem, serviceAccountTokens } from "./cluster.js";
import { policyVariables } from "./environment.js";
import { directNetworkSignals } from "./network.js";
import { engineFromAnswer, PING_REQUEST, PROBE_TIMEOUT_MS, PSEUDO_FS, scanMounts, socketFindings, type DirEntry, type SocketAnswer, type SocketScanIo } from "./sockets.js";

/**
 * Most specific first: when several apply, the first is the one reported (`--privileged` also drops
 * seccomp and may add capabilities, and is reported as E_PRIVILEGED). README "Refusal codes".
 */
export const REFUSAL_CODES = [
  "E_PRIVILEGED",
  "E_HOST_PID",
  "E_HOST_NAMESPACE",
  "E_HOST_MOUNT",
  "E_ROOT",
  "E_SETUID",
  "E_CAPABILITIES",
  "E_SECCOMP",
  "E_CONTAINER_SOCKET",
  "E_NETWORK_DIRECT",
  "E_PROXY_UNSET",
  "E_CREDENTIAL",
  "E_SERVICE_ACCOUNT_TOKEN",
  "E_POLICY_TAMPERED",
  "E_POLICY_ENV",
  "E_POLICY_MISSING",
  "E_POLICY_WRITABLE",
  "E_SANDBOX_FLAG",
] as const;

export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface Refusal {
  code: RefusalCode;
  reason: string;
}

export interface Environment extends SocketScanIo {
  env: NodeJS.ProcessEnv;
  uid: number;
  /** The folder the tool starts in (`--workdir` may move it off the image's); the image's when absent. */
  cwd?: string;
  /** True when this process could write the path (or replace it through its folder). */
  writable(path: string): boolean;
  ownerUid(path: string): number | undefined;
  readLink(path: string): string | undefined;
  /** The file's sha256 in hex, or undefined when it cannot be read. */
  sha256(path: string): string | undefined;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

interface Kinds {
  isDirectory(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFile(): boolean;
}

/** `mode` is known only from a stat (a Dirent has none): then a regular file may be "setid" or "exec". */
function kindOf(stats: Kinds, mode?: number): DirEntry["kind"] {
  if (stats.isDirectory()) return "dir";
  if (stats.isSocket()) return "socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "device";
  if (!stats.isFile() || mode === undefined) return "other";
  if ((mode & 0o6000) !== 0) return "setid";
  return (mode & 0o111) !== 0 ? "exec" : "other";
}

function direntKind(dir: string, d: Kinds & { name: string }, modes: boolean): DirEntry["kind"] {
  if (!modes || !d.isFile()) return kindOf(d);
  const stats = attempt(() => lstatSync(`${dir}/${d.name}`));
  return stats === undefined ? "other" : kindOf(stats, stats.mode);
}

/**
 * node:net is required only when there is a socket to probe: most starts have none. A require, not
 * import(): in the CommonJS bundle import() would start Node's ESM loader first.
 */
function probe(path: string): Promise<SocketAnswer> {
  const { connect } = createRequire(import.meta.url)("node:net") as typeof import("node:net");
  return new Promise((resolve) => {
    let answer = "";
    let listening = false;
    const socket = connect(path);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const engine = engineFromAnswer(answer);
      resolve(engine === undefined ? { listening } : { listening, engine });
    };
    const timer = setTimeout(done, PROBE_TIMEOUT_MS);
    socket.setEncoding("latin1");
    socket.on("connect", () => {
      listening = true;
      socket.write(PING_REQUEST);
    });
    socket.on("data", (chunk: string) => {
      answer += chunk;
      if (answer.includes("\r\n\r\n") || answer.length > 8192) done();
    });
    socket.on("error", done);
    socket.on("close", done);
  });
}

/**
 * The real process and its files. `root` prefixes every path read (the benchmark points it at an
 * unpacked image with a container's /proc texts); inside the image it is empty.
 */
export const realEnvironment = (root = ""): Environment => ({
  env: process.env,
  uid: process.getuid?.() ?? -1,
  cwd: process.cwd(),
  readText: (path) => attempt(() => readFileSync(root + path, "utf8")),
  exists: (path) => existsSync(root + path),
  writable: (path) => [path, dirname(path)].some((target) => canWrite(root + target)),
  ownerUid: (path) => attempt(() => statSync(root + path).uid),
  readLink: (path) => attempt(() => readlinkSync(root + path)),
  sha256: (path) => attempt(() => createHash("sha256").update(readFileSync(root + path)).digest("hex")),
  kindOf: (path) => attempt(() => {
    const stats = lstatSync(root + path);
    return kindOf(stats, stats.mode);
  }),
  listDir: (path, modes = false) => attempt(() => readdirSync(root + path, { withFileTypes: true }).map((d) => ({ name: d.name, kind: direntKind(root + path, d, modes) }))),
  probeSocket: (path) => probe(root + path),
});

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function kernelRefusals(e: Environment): Refusal[] {
  const found: Refusal[] = [];
  const status = e.readText("/proc/self/status");
  // Device nodes only: Kubernetes mounts a plain file at /dev/termination-log.
  const devices = e.listDir("/dev")?.filter((d) => d.kind === "device").map((d) => d.name);
  const privileged = privilegedSignals(e.readText("/proc/self/mountinfo"), devices);
  const noSeccomp = seccompOff(status);
  if (privileged.length > 0) {
    const signals = noSeccomp ? ["seccomp is off", ...privileged] : privileged;
    found.push({ code: "E_PRIVILEGED", reason: `a privileged container (${signals.join("; ")}); the container would not be a wall` });
  }
  if (noSeccomp) found.push({ code: "E_SECCOMP", reason: "no seccomp filter (seccomp=unconfined): every system call reaches the host's kernel" });
  const caps = heldCapabilities(status);
  if (caps !== undefined) {
    found.push({ code: "E_CAPABILITIES", reason: `the agent holds capabilities (${caps.join(", ")}); start it with --cap-drop ALL and no --cap-add` });
  }
  const hostPid = hostPidNamespace(e.readLink("/proc/self/ns/pid"), e.readLink("/proc/self/ns/mnt"), e.readLink("/proc/1/ns/mnt"));
  if (hostPid !== undefined) found.push({ code: "E_HOST_PID", reason: `a PID namespace not its own (--pid host, or --pid container:NAME, which shares another container's processes): ${hostPid}` });
  const namespaces = hostNamespaces(e.readLink);
  if (namespaces.length > 0) found.push({ code: "E_HOST_NAMESPACE", reason: `${namespaces.join("; ")}: the agent would share it with the host's processes` });
  const mounts = hostMounts(e.readText("/proc/self/mountinfo"), e.listDir);
  if (mounts.length > 0) found.push({ code: "E_HOST_MOUNT", reason: `${mounts.join("; ")}: the agent would read (and write, as its uid) the host through it` });
  if (rootGroup(status)) found.push({ code: "E_ROOT", reason: "running with the root group (gid 0, --user N:0 or --group-add 0); the agent runs as the unprivileged agent user and group" });
  return found;
}

function policyRefusals(spec: ImageSpec, e: Environment, digests: PolicyDigests | undefined): Refusal[] {
  const found: Refusal[] = [];
  if (digests === undefined) {
    found.push({ code: "E_POLICY_MISSING", reason: "this entrypoint carries no policy digests: it is not the one `perimeter bake` wrote" });
  } else {
    const changed = tamperedFiles(digests, e.sha256);
    if (changed.length > 0) {
      found.push({ code: "E_POLICY_TAMPERED", reason: `policy file ${changed.join(", ")} differs from what perimeter bake wrote (a file mounted over it?)` });
    }
    const mounts = parseMountinfo(e.readText("/proc/self/mountinfo")).filter((m) => !PSEUDO_FS.has(m.fsType)).map((m) => m.point);
    const added = mountsIntoPolicy(digests, mounts);
    if (added.length > 0) {
      found.push({ code: "E_POLICY_TAMPERED", reason: `${added.join(", ")} is mounted into a policy folder; the tools read every file there` });
    }
  }
  const toolVariables = Object.values(spec.tools).flatMap((t) => t.policyEnv ?? []);
  const variables = policyVariables(e.env, toolVariables, e);
  if (variables.length > 0) found.push({ code: "E_POLICY_ENV", reason: `the environment undoes the baked policy: ${variables.join("; ")}` });
  const files = [...new Set([...spec.policyFiles, ...Object.keys(digests ?? {})])].sort();
  for (const file of files) {
    if (!e.exists(file)) {
      found.push({ code: "E_POLICY_MISSING", reason: `policy file ${file} is missing` });
    } else if (e.writable(file) || e.ownerUid(file) !== 0) {
      found.push({ code: "E_POLICY_WRITABLE", reason: `policy file ${file} is not root-owned and read-only for the agent` });
    }
  }
  return found;
}

/** The image user's home and HOME, if another: a HOME moved elsewhere hides nothing in the real one. */
export const homesOf = (spec: ImageSpec, env: NodeJS.ProcessEnv): string[] => [...new Set([spec.user.home, ...(env.HOME?.startsWith("/") ? [env.HOME] : [])])];

/** Every refusal that applies, most specific first (REFUSAL_CODES). */
export async function refusals(spec: ImageSpec, e: Environment, digests: PolicyDigests | undefined): Promise<Refusal[]> {
  const found: Refusal[] = [];
  if (e.env.AGENT_SANDBOX !== "1") {
    found.push({ code: "E_SANDBOX_FLAG", reason: `AGENT_SANDBOX must be exactly "1" (it is ${JSON.stringify(e.env.AGENT_SANDBOX ?? null)}); this entrypoint only runs inside the agent image` });
  }
  if (e.uid === 0) found.push({ code: "E_ROOT", reason: "running as root (uid 0); the agent runs as the unprivileged agent user" });
  found.push(...kernelRefusals(e), ...policyRefusals(spec, e, digests));
  const homes = homesOf(spec, e.env);
  const loginFiles = Object.values(spec.tools).flatMap((t) => t.loginFiles ?? []);
  const inHomes = homes.flatMap((home) => credentialFiles(home, e.readText, loginFiles).map((f) => (home === spec.user.home ? f : f.replace("~/", `${home}/`))));
  const credentials = [...realCredentials(e.env), ...inHomes, ...secretFiles(e.listDir, e.readText)];
  if (credentials.length > 0) {
    found.push({ code: "E_CREDENTIAL", reason: `a real credential is within the agent's reach, in its environment or a credential file (${credentials.join(", ")}); give the agent a placeholder and the gateway the key` });
  }
  const tokens = serviceAccountTokens(e.exists, e.readText("/proc/self/mountinfo"));
  if (tokens.length > 0) {
    found.push({ code: "E_SERVICE_ACCOUNT_TOKEN", reason: `a Kubernetes service-account token is mounted (${tokens.join(", ")}): a credential to the cluster's API; set automountServiceAccountToken: false` });
  }
  // Anything but an explicit "direct" (a profile without [network]) is checked: fail closed. Only
  // the baked spec says who holds the wall; nothing in the environment is asked.
  if (spec.network !== "direct") {
    const wall = spec.egressWall === "orchestrator" ? "orchestrator" : "network";
    const ways = directNetworkSignals({ route: e.readText("/proc/net/route"), ipv6Route: e.readText("/proc/net/ipv6_route"), dev: e.readText("/proc/net/dev") }, wall);
    if (ways.length > 0) {
      const fix = wall === "orchestrator" ? "run the pod without hostNetwork, its egress held by a NetworkPolicy to the gateway" : "start the agent on an --internal network whose only way out is the gateway";
      found.push({ code: "E_NETWORK_DIRECT", reason: `the container can reach the network directly (${ways.join("; ")}); profile ${spec.profile} routes through the gateway: ${fix}` });
    }
    if (wall === "orchestrator") {
      const outside = notAPod(e.env);
      if (outside !== undefined) found.push({ code: "E_NETWORK_DIRECT", reason: outside });
      const proxy = proxyProblem(e.env);
      if (proxy !== undefined) found.push({ code: "E_PROXY_UNSET", reason: proxy });
    }
  }
  // Set-ID files only count while no_new_privs is off: with it, the kernel ignores the bits.
  const status = e.readText("/proc/self/status");
  const scan = scanMounts(e, !noNewPrivileges(status));
  const shown = (paths: string[]) => paths.slice(0, 3).join(", ") + (paths.length > 3 ? `, ${paths.length - 3} more` : "");
  const fix = "start with --security-opt no-new-privileges (and --cap-drop ALL), or mount it nosuid";
  if (scan.setid.length > 0) {
    found.push({ code: "E_SETUID", reason: `a set-user-ID or set-group-ID file is mounted where the kernel honours it (${shown(scan.setid)}) and no_new_privs is off: the agent could run it as its owner (root); ${fix}` });
  } else if (scan.exec.length > 0 && boundingCapabilities(status) !== undefined) {
    // File capabilities live in an extended attribute Node cannot read: any executable here may carry one.
    found.push({ code: "E_SETUID", reason: `an executable is mounted where the kernel honours file capabilities (${shown(scan.exec)}), no_new_privs is off and the bounding set holds ${boundingCapabilities(status)!.join(", ")}: one with a file capability (setcap) would give them to the agent; ${fix}` });
  }
  const sockets = await socketFindings(e.env, e, scan.sockets);
  if (sockets.engine !== undefined) found.push({ code: "E_CONTAINER_SOCKET", reason: sockets.engine });
  if (spec.network !== "direct" && sockets.listening.length > 0) {
    found.push({ code: "E_NETWORK_DIRECT", reason: `a mounted unix socket accepts connections (${sockets.listening.slice(0, 3).join(", ")}): a way out past the gateway (a relay, a proxy, an ssh agent); profile ${spec.profile} routes through the gateway, so mount no sockets` });
  }
  return found.sort((a, b) => REFUSAL_CODES.indexOf(a.code) - REFUSAL_CODES.indexOf(b.code));
}
