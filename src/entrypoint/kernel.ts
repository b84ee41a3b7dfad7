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

export interface Mount {
  point: string;
  /** The folder of its file system that is mounted there ("/" for the whole file system). */
  root: string;
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
    mounts.push({ point: unescapeMountPath(fields[4]!), root: unescapeMountPath(fields[3]!), options: fields[5]!.split(","), fsType: after.split(" ")[0] ?? "" });
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
  // A cgroup hierarchy the container may write (`--systemd=always` gives the host's name=systemd
  // one): root in it could set a release agent or move processes out of the container's limits.
  const cgroups = mounts.filter((m) => (m.fsType === "cgroup" || m.fsType === "cgroup2") && m.options.includes("rw")).map((m) => m.point);
  if (cgroups.length > 0) signals.push(`a cgroup hierarchy is mounted writable (${cgroups.slice(0, 3).join(", ")}${cgroups.length > 3 ? ", ..." : ""})`);
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

/** Where a container's own kernel views live (devtmpfs: nowhere); one anywhere else is the host's. */
const KERNEL_VIEW_HOMES: Record<string, { home: string; hosts: string }> = {
  proc: { home: "/proc", hosts: "/proc" },
  sysfs: { home: "/sys", hosts: "/sys" },
  devtmpfs: { home: "", hosts: "/dev" },
};

function under(path: string, root: string): boolean {
  return root !== "" && (path === root || path.startsWith(`${root}/`));
}

/**
 * Mounts that hand the agent the host itself: a proc, sysfs or devtmpfs mounted outside the
 * container's own /proc and /sys (`-v /proc:/hostproc` shows the host's processes, their
 * environments and, through /proc/PID/root, the file system of every host process of the agent's
 * uid; devtmpfs is only ever the host's /dev); and a tree that is an operating system's root (`-v
 * /:/host`, another container's root): folders etc, usr and proc side by side.
 */
export function hostMounts(mountinfo: string | undefined, listDir: (path: string) => readonly { name: string; kind: string }[] | undefined): string[] {
  const found: string[] = [];
  for (const m of parseMountinfo(mountinfo)) {
    const view = KERNEL_VIEW_HOMES[m.fsType];
    if (view !== undefined && !under(m.point, view.home)) found.push(`the host's ${view.hosts} (${m.fsType}) is mounted at ${m.point}`);
  }
  for (const m of parseMountinfo(mountinfo)) {
    if (m.point === "/" || KERNEL_VIEW_HOMES[m.fsType] !== undefined || m.fsType === "tmpfs" || m.fsType.startsWith("cgroup")) continue;
    const dirs = new Set((listDir(m.point) ?? []).filter((d) => d.kind === "dir").map((d) => d.name));
    if (["etc", "usr", "proc"].every((d) => dirs.has(d))) found.push(`an operating system's root file system is mounted at ${m.point} (it holds etc, usr and proc)`);
  }
  return found;
}

/** The kernel's fixed inodes of its initial namespaces (include/linux/proc_ns.h). */
const INITIAL_NAMESPACES = { ipc: "ipc:[4026531839]", uts: "uts:[4026531838]" } as const;

/**
 * The host's IPC namespace (`--ipc host`: the host's shared memory and message queues, readable and
 * writable by the agent's uid) or UTS namespace (`--uts host`), by the kernel's fixed inodes. The
 * cgroup, user and time namespaces are the host's in a default rootful podman start on cgroup v1,
 * so they are no signal (README "Refusal codes", limits).
 */
export function hostNamespaces(readLink: (path: string) => string | undefined): string[] {
  const found: string[] = [];
  for (const [ns, initial] of Object.entries(INITIAL_NAMESPACES)) {
    if (readLink(`/proc/self/ns/${ns}`) === initial) found.push(`the host's ${ns.toUpperCase()} namespace (--${ns} host, ${initial})`);
  }
  return found;
}

/** `NoNewPrivs: 1` (`--security-opt no-new-privileges`): exec can no longer raise privileges. */
export function noNewPrivileges(status: string | undefined): boolean {
  return statusField(status ?? "", "NoNewPrivs") === "1";
}

/** Gid 0 among the real, effective, saved or file-system gid or the supplementary groups. */
export function rootGroup(status: string | undefined): boolean {
  const gids = /^Gid:\s*(.*)$/m.exec(status ?? "")?.[1]?.trim().split(/\s+/) ?? [];
  const groups = /^Groups:\s*(.*)$/m.exec(status ?? "")?.[1]?.trim().split(/\s+/) ?? [];
  return [...gids, ...groups].includes("0");
}

/** The bounding set's names (what exec of a file with capabilities could grant), or undefined when empty. */
export function boundingCapabilities(status: string | undefined): string[] | undefined {
  const hex = statusField(status ?? "", "CapBnd");
  if (hex === undefined || !/^[0-9a-f]+$/.test(hex)) return ["(unknown: no CapBnd line)"];
  const names = capabilityNames(BigInt(`0x${hex}`));
  return names.length > 0 ? names : undefined;
}
