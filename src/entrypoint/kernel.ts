// What the kernel says about the process: its capabilities, its seccomp filter, the mounts and
// devices a privileged container exposes, and whose PID namespace it lives in. Pure functions of the
// text of /proc files, so each signal is tested on the exact text a container gave (SOURCES in tests).

/** Capability numbers to names (linux/capability.h); a number past the end prints as cap_N. */
const CAPABILITY_NAMES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
];

function statusField(status: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(status)?.[1];
}

function capabilityNames(mask: bigint): string[] {
  const names: string[] = [];
  for (let bit = 0; mask >> BigInt(bit) !== 0n; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(CAPABILITY_NAMES[bit] ?? `cap_${bit}`);
  }
  return names;
}

/**
 * Capabilities the process holds or can take up: effective, permitted or ambient. Podman makes a
 * `--cap-add` effective even for uid 1000 (through the ambient set), so the bounding set alone says
 * nothing about what the agent can do. An unreadable status counts as holding them: fail closed.
 */
export function heldCapabilities(status: string | undefined): string[] | undefined {
  if (status === undefined) return ["(unknown: /proc/self/status is unreadable)"];
  const held = new Set<string>();
  for (const set of ["CapEff", "CapPrm", "CapAmb"]) {
    const hex = statusField(status, set);
    if (hex === undefined || !/^[0-9a-f]+$/.test(hex)) return [`(unknown: no ${set} line)`];
    for (const name of capabilityNames(BigInt(`0x${hex}`))) held.add(name);
  }
  return held.size > 0 ? [...held] : undefined;
}

/** Seccomp mode 0 is no filter at all (`seccomp=unconfined`, `--privileged`). */
export function seccompOff(status: string | undefined): boolean {
  return statusField(status ?? "", "Seccomp") === "0";
}

interface Mount {
  point: string;
  options: string[];
  fsType: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
export function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseMountinfo(mountinfo: string | undefined): Mount[] {
  const mounts: Mount[] = [];
  for (const line of (mountinfo ?? "").split("\n")) {
    const [before, after] = line.split(" - ");
    const fields = before?.split(" ") ?? [];
    if (fields.length < 6 || after === undefined) continue;
    mounts.push({ point: unescapeMountPath(fields[4]!), options: fields[5]!.split(","), fsType: after.split(" ")[0] ?? "" });
  }
  return mounts;
}

/** The mount a path lives on: the last-mounted one whose point is the longest prefix of the path. */
function mountOf(mounts: readonly Mount[], path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const inside = path === m.point || path.startsWith(m.point === "/" ? "/" : `${m.point}/`);
    if (inside && (best === undefined || m.point.length >= best.point.length)) best = m;
  }
  return best;
}

/** Device nodes every container gets (the OCI runtime spec's defaults) and the folders beside them. */
const DEFAULT_DEVICES = new Set([
  "console", "core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
  "stdout", "tty", "urandom", "zero",
]);

/**
 * Every sign of a privileged container this process can read: the kernel's interfaces mounted
 * writable (/sys, /proc/sys) and host devices in /dev. Each one alone lets a root process reach the
 * host, and the agent need not be root for long when the container is this open.
 */
export function privilegedSignals(mountinfo: string | undefined, devEntries: readonly string[] | undefined): string[] {
  const signals: string[] = [];
  const mounts = parseMountinfo(mountinfo);
  for (const path of ["/sys", "/proc/sys"]) {
    const m = mountOf(mounts, path);
    if (m !== undefined && m.options.includes("rw")) signals.push(`${path} is mounted writable`);
  }
  const hostDevices = (devEntries ?? []).filter((name) => !DEFAULT_DEVICES.has(name)).sort();
  if (hostDevices.length > 0) {
    const shown = hostDevices.slice(0, 5).map((d) => `/dev/${d}`).join(", ");
    signals.push(`host devices are present (${shown}${hostDevices.length > 5 ? `, ${hostDevices.length - 5} more` : ""})`);
  }
  return signals;
}

/** The initial PID namespace's inode is fixed by the kernel (PROC_PID_INIT_INO, include/linux/proc_ns.h). */
const INIT_PID_NAMESPACE = "pid:[4026531836]";

/**
 * Why the process is not in a PID namespace of its own container, or undefined. In its own namespace
 * PID 1 is the container's init (tini), in the same mount namespace and readable by the same user; in
 * the host's (`--pid host`), PID 1 is the host's init: the initial namespace by inode, or a process
 * whose namespaces this user may not read or that lives in another mount namespace.
 */
export function hostPidNamespace(ownPid: string | undefined, ownMnt: string | undefined, initMnt: string | undefined): string | undefined {
  if (ownPid === INIT_PID_NAMESPACE) return `the process is in the initial PID namespace (${ownPid})`;
  if (initMnt === undefined) return "PID 1 is a process of another user (its namespaces are unreadable): not this container's init";
  if (ownMnt !== undefined && initMnt !== ownMnt) return `PID 1 lives in another mount namespace (${initMnt}, this process ${ownMnt})`;
  return undefined;
}

/** RTF_REJECT: an unreachable route (the kernel's own ::/0 on lo), which leads nowhere. */
const RTF_REJECT = 0x0200;

/**
 * The container's own ways out: a default route, IPv4 (/proc/net/route) or IPv6 (/proc/net/ipv6_route).
 * On --network none or an --internal network there is none; on a bridge or the host's network there is.
 */
export function defaultRoutes(route4: string | undefined, route6: string | undefined): string[] {
  const found: string[] = [];
  for (const line of (route4 ?? "").split("\n").slice(1)) {
    const [iface, destination, , flags, , , , mask] = line.trim().split(/\s+/);
    if (iface === undefined || iface === "lo" || destination !== "00000000" || mask !== "00000000") continue;
    if ((Number.parseInt(flags ?? "0", 16) & RTF_REJECT) === 0) found.push(`an IPv4 default route via ${iface}`);
  }
  for (const line of (route6 ?? "").split("\n")) {
    const fields = line.trim().split(/\s+/);
    const [destination, prefix] = fields;
    const flags = Number.parseInt(fields[8] ?? "0", 16);
    const iface = fields[9];
    if (iface === undefined || iface === "lo" || prefix !== "00" || !/^0{32}$/.test(destination ?? "")) continue;
    if ((flags & RTF_REJECT) === 0) found.push(`an IPv6 default route via ${iface}`);
  }
  return [...new Set(found)];
}
