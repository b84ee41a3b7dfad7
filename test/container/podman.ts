// Test infrastructure: build and run a local OCI "agent image" with podman, without any registry.
//
// How it works (see test/container/podman.test.ts for the proof):
// - ensurePodman() installs podman + runc from Debian if missing and writes a containers.conf that
//   works on these hosts (hybrid cgroups v1: cgroupfs manager, runc instead of crun, no default ulimits)
//   and a storage.conf pinning the native overlay driver in a storage root of our own
//   (/var/lib/perimeter-podman; vfs would copy the ~1 GB image per container). ${WORK_DIR}/podman is a
//   shell wrapper with the same settings, for looking around by hand.
// - buildBaseRootfs() writes a rootfs tar straight from the host's own Debian files: the files of a short
//   list of installed packages (dpkg -L), the host's node binary, every shared library those ELF files
//   need (ldd), generated /etc/passwd etc., and the pinned agent CLIs from image/clients/node_modules.
//   No network, no debootstrap, no staging copy of the big binaries: GNU tar reads them in place and
//   strips setuid/setgid bits (--mode) and forces root ownership while archiving.
// - buildTestImage() writes an OCI image layout by hand (base tar + the caller's layer tars as separate
//   layers, config with USER/ENV/ENTRYPOINT/WORKDIR) and `podman pull oci:DIR`s it. The base layer is
//   cached on disk by a content key and, once in podman's storage, is reused by digest, so assembling an
//   image costs only the caller's small layers. Layer files keep the owner/mode from their own tar.
// - runContainer() runs a throwaway container (--rm) and returns its exit code and output.
import { execa } from "execa";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------------------------------------------
// Paths and constants

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(THIS_FILE), "../..");
/** The pinned agent CLIs (installed from image/clients/package-lock.json). */
export const CLIENTS_NODE_MODULES = path.join(REPO_ROOT, "image/clients/node_modules");
/**
 * PERIMETER_PODMAN_DIR moves every place this module keeps state (work dir, podman storage, run root)
 * under one directory: a cold machine can be simulated, or suites run apart from the shared caches.
 */
const STATE_DIR = process.env.PERIMETER_PODMAN_DIR ? path.resolve(process.env.PERIMETER_PODMAN_DIR) : undefined;
/** Everything this module keeps on disk: config files, the cached base rootfs, locks, scratch dirs. */
export const WORK_DIR = STATE_DIR ? path.join(STATE_DIR, "work") : path.join(os.tmpdir(), "perimeter-podman");
export const CONTAINERS_CONF_PATH = path.join(WORK_DIR, "containers.conf");
export const STORAGE_CONF_PATH = path.join(WORK_DIR, "storage.conf");
/** Where image layouts are staged for `podman pull oci:`: a lowercase path, since podman names the image after it. */
const OCI_STAGING_DIR = /[A-Z]/.test(WORK_DIR) ? "/var/tmp/perimeter-podman-oci" : WORK_DIR;

export const AGENT_UID = 1000;
export const AGENT_GID = 1000;
export const AGENT_HOME = "/home/agent";
export const AGENT_CLIENTS_DIR = "/opt/agent-clients";
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Debian packages whose installed files go into the base image (installed on the host if missing). */
export const BASE_PACKAGES = [
  "base-files",
  "libc6",
  "libc-bin",
  "libgcc-s1",
  "libstdc++6",
  "bash",
  "dash",
  "coreutils",
  "debianutils",
  "findutils",
  "grep",
  "sed",
  "mawk",
  "diffutils",
  "tar",
  "gzip",
  "xz-utils",
  "bzip2",
  "hostname",
  "procps",
  "less",
  "ncurses-base",
  "git",
  "curl",
  "ca-certificates",
  "tini",
  // GitHub's CLI, for the gateway proof's `gh api` cases (Debian's, one Go binary of about 40 MB).
  "gh",
] as const;

/** npm as the host's Node ships it (the nodejs package puts it here); the image gets the same tree. */
const NPM_DIR = "/usr/lib/node_modules/npm";
/** Parts of that tree nothing runs: its HTML and man pages. */
const NPM_EXCLUDES = ["docs", "man"];

/** Package files not worth shipping in a test image. */
const EXCLUDED_PREFIXES = [
  "/usr/share/doc/",
  "/usr/share/man/",
  "/usr/share/info/",
  "/usr/share/locale/",
  "/usr/share/lintian/",
  "/usr/share/bug/",
  "/usr/share/doc-base/",
  "/usr/share/bash-completion/",
  "/usr/share/gitweb/",
  "/usr/include/",
];

/** Build-time-only inputs in image/clients/node_modules (C++ headers for node-gyp); nothing loads them. */
const CLIENTS_EXCLUDES = ["node_modules/nan", "node_modules/node-addon-api", "node_modules/.package-lock.json"];

/**
 * /usr/local/bin entries, one per tool of image/clients/package.json ("perimeter.tools": id -> npm
 * package): the package's own `bin` target, absolute so it works from anywhere.
 */
export function clientBins(nodeModules = CLIENTS_NODE_MODULES): Record<string, string> {
  const read = (file: string) => JSON.parse(readFileSync(file, "utf8"));
  const tools = read(path.join(REPO_ROOT, "image/clients/package.json")).perimeter.tools as Record<string, string>;
  return Object.fromEntries(
    Object.entries(tools).map(([id, pkg]) => {
      const bin = read(path.join(nodeModules, pkg, "package.json")).bin as string | Record<string, string>;
      const target = typeof bin === "string" ? bin : bin[id];
      if (!target) throw new Error(`${pkg} has no bin named ${id}`);
      return [id, `${AGENT_CLIENTS_DIR}/node_modules/${pkg}/${path.posix.normalize(target)}`];
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function writeFileIfChanged(file: string, content: string): Promise<void> {
  const old = await fs.readFile(file, "utf8").catch(() => undefined);
  if (old === content) return;
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, file);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Cross-process mutex (vitest runs test files in parallel workers): a lock directory holding the owner pid. */
async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  await fs.mkdir(WORK_DIR, { recursive: true });
  const dir = path.join(WORK_DIR, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(await fs.readFile(path.join(dir, "pid"), "utf8").catch(() => ""));
      const st = await fs.stat(dir).catch(() => undefined);
      // Owner gone (or never wrote its pid within 10 s): the lock is stale.
      if ((pid && !isAlive(pid)) || (!pid && st && Date.now() - st.mtimeMs > 10_000)) {
        await fs.rm(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${dir} (held by pid ${pid})`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function run(cmd: string, args: string[], opts: { env?: Record<string, string>; reject?: boolean } = {}) {
  const r = await execa(cmd, args, {
    env: opts.env,
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
    maxBuffer: 256 << 20,
  });
  if ((opts.reject ?? true) && r.exitCode !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.exitCode}:\n${r.stderr}\n${r.stdout}`.slice(0, 8000));
  }
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function hasCommand(cmd: string): Promise<boolean> {
  return (await run("sh", ["-c", `command -v ${cmd}`], { reject: false })).exitCode === 0;
}

async function installedPackages(pkgs: readonly string[]): Promise<Map<string, string>> {
  const r = await run("dpkg-query", ["-W", "-f=${Package} ${Status} ${Version}\\n", ...pkgs], { reject: false });
  const out = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    const m = /^(\S+) install ok installed (\S+)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** apt-get install, quietly; runs `apt-get update` first only if the plain install fails. */
export async function aptInstall(pkgs: string[]): Promise<void> {
  if (pkgs.length === 0) return;
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const args = ["install", "-y", "-qq", "--no-install-recommends", ...pkgs];
  const first = await run("apt-get", args, { env, reject: false });
  if (first.exitCode === 0) return;
  await run("apt-get", ["update", "-qq"], { env });
  await run("apt-get", args, { env });
}

// ---------------------------------------------------------------------------------------------------
// podman

/** podman's own state for this project, apart from the host default (/var/lib/containers). */
export const STORAGE_ROOT = STATE_DIR ? path.join(STATE_DIR, "storage") : "/var/lib/perimeter-podman/storage";
const RUN_ROOT = STATE_DIR ? path.join(STATE_DIR, "run") : "/run/perimeter-podman";

const CONTAINERS_CONF = `# Written by test/container/podman.ts: cgroupfs and runc (crun fails on these hosts' hybrid cgroups).
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
tmp_dir = "${RUN_ROOT}/libpod"
`;

// Native overlayfs works here (ext4 with d_type, as root); vfs would copy the whole ~1 GB image for
// every container. A storage root of our own: libpod's database records the graph driver the first
// podman call used, and the exit command conmon runs (`podman container cleanup`, which never sees
// CONTAINERS_CONF) gets `--storage-driver overlay` from us; if a bare `podman` call had initialised
// the shared root with driver "" first, every cleanup fails with "database configuration mismatch" and
// each `podman run` then hangs 20 s (conmon timeout) before returning.
const STORAGE_CONF = `# Written by test/container/podman.ts.
[storage]
driver = "overlay"
graphroot = "${STORAGE_ROOT}"
runroot = "${RUN_ROOT}/storage"
`;

/** For a person at a shell: the same podman the tests use (images, ps, logs, run -it ...). */
const PODMAN_WRAPPER = `#!/bin/sh
# Written by test/container/podman.ts: podman with the tests' config and storage.
export CONTAINERS_CONF="${CONTAINERS_CONF_PATH}" CONTAINERS_STORAGE_CONF="${STORAGE_CONF_PATH}"
exec podman --runtime runc "$@"
`;
export const PODMAN_WRAPPER_PATH = path.join(WORK_DIR, "podman");

let podmanReady: Promise<void> | undefined;

/** Installs podman + runc if missing (idempotent) and writes the containers.conf / storage.conf it needs. */
export function ensurePodman(): Promise<void> {
  podmanReady ??= (async () => {
    await fs.mkdir(WORK_DIR, { recursive: true });
    if (!(await hasCommand("podman")) || !(await hasCommand("runc"))) {
      await withLock("apt", async () => {
        if (!(await hasCommand("podman")) || !(await hasCommand("runc"))) await aptInstall(["podman", "runc"]);
      });
    }
    await writeFileIfChanged(CONTAINERS_CONF_PATH, CONTAINERS_CONF);
    await writeFileIfChanged(STORAGE_CONF_PATH, STORAGE_CONF);
    await writeFileIfChanged(PODMAN_WRAPPER_PATH, PODMAN_WRAPPER);
    await fs.chmod(PODMAN_WRAPPER_PATH, 0o755);
  })().catch((e) => {
    podmanReady = undefined;
    throw e;
  });
  return podmanReady;
}

export interface PodmanOptions {
  /** Kill the podman client after this long (execa timeout). */
  timeoutMs?: number;
  /** Throw on a non-zero exit (default true). */
  reject?: boolean;
  /** Extra environment for the podman process. */
  env?: Record<string, string>;
}

export interface PodmanResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The one way this project calls podman: its config files, `--runtime runc`, captured output. */
export async function podman(args: string[], opts: PodmanOptions = {}): Promise<PodmanResult> {
  await ensurePodman();
  const r = await execa("podman", ["--runtime", "runc", ...args], {
    env: { ...opts.env, CONTAINERS_CONF: CONTAINERS_CONF_PATH, CONTAINERS_STORAGE_CONF: STORAGE_CONF_PATH },
    reject: false,
    stdin: "ignore",
    timeout: opts.timeoutMs,
    forceKillAfterDelay: 500,
    maxBuffer: 256 << 20,
  });
  const res: PodmanResult = {
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    timedOut: Boolean(r.timedOut),
  };
  if ((opts.reject ?? true) && res.exitCode !== 0) {
    throw new Error(
      `podman ${args.join(" ")} ${res.timedOut ? "timed out" : `exited ${res.exitCode}`}:\n${res.stderr}\n${res.stdout}`.slice(
        0,
        8000,
      ),
    );
  }
  return res;
}

// ---------------------------------------------------------------------------------------------------
// Base rootfs

/** "/bin/bash" -> "/usr/bin/bash" on a merged-/usr host: resolve the directory, keep the last component. */
async function canonical(p: string): Promise<string | undefined> {
  if (p === "/") return "/";
  const dir = await fs.realpath(path.dirname(p)).catch(() => undefined);
  if (dir === undefined) return undefined;
  return path.join(dir, path.basename(p));
}

class HostFileSet {
  /** canonical absolute path -> lstat kind */
  readonly paths = new Map<string, "dir" | "file" | "link">();

  /** Adds a path (and, for a symlink, the chain it points through). Returns false if it doesn't exist. */
  async add(p: string, depth = 0): Promise<boolean> {
    const c = await canonical(p);
    if (c === undefined || c === "/") return c === "/";
    if (this.paths.has(c)) return true;
    const st = await fs.lstat(c).catch(() => undefined);
    if (!st) return false;
    if (st.isSymbolicLink()) {
      this.paths.set(c, "link");
      if (depth < 16) await this.add(path.resolve(path.dirname(c), await fs.readlink(c)), depth + 1);
    } else if (st.isDirectory()) this.paths.set(c, "dir");
    else if (st.isFile()) this.paths.set(c, "file");
    else return false;
    return true;
  }

  async addTree(dir: string): Promise<void> {
    if (!(await this.add(dir))) return;
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await this.addTree(p);
      else await this.add(p);
    }
  }

  /** Every parent directory of every entry, so the tar carries their real modes. */
  addAncestors(): void {
    for (const p of [...this.paths.keys()]) {
      for (let d = path.dirname(p); d !== "/"; d = path.dirname(d)) {
        if (this.paths.has(d)) break;
        this.paths.set(d, "dir");
      }
    }
  }

  files(): string[] {
    return [...this.paths].filter(([, k]) => k === "file").map(([p]) => p);
  }
}

async function isElf(file: string): Promise<boolean> {
  const fh = await fs.open(file, "r").catch(() => undefined);
  if (!fh) return false;
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return bytesRead === 4 && buf.readUInt32BE(0) === 0x7f454c46;
  } finally {
    await fh.close();
  }
}

/** Shared libraries (and the ELF interpreter) that `ldd` resolves for these files, found ones only. */
async function lddLibraries(files: string[]): Promise<Set<string>> {
  const libs = new Set<string>();
  for (let i = 0; i < files.length; i += 64) {
    const r = await run("ldd", files.slice(i, i + 64), { reject: false });
    for (const line of r.stdout.split("\n")) {
      const m = /=>\s+(\/\S+)\s+\(0x/.exec(line) ?? /^\s+(\/\S+)\s+\(0x/.exec(line);
      if (m) libs.add(m[1]!);
    }
  }
  return libs;
}

async function walkFiles(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walkFiles(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Host files for the base system: package files, node, libraries, alternatives links, CA bundle. */
async function collectHostFiles(): Promise<string[]> {
  const set = new HostFileSet();
  const listed = (await run("dpkg", ["-L", ...BASE_PACKAGES])).stdout
    .split("\n")
    .filter((l) => l.startsWith("/") && !EXCLUDED_PREFIXES.some((x) => l.startsWith(x)));
  for (const p of listed) await set.add(p);

  const nodeBin = await fs.realpath(process.execPath);
  await set.add(nodeBin);
  if (nodeBin !== "/usr/bin/node") throw new Error(`expected the host node at /usr/bin/node, found ${nodeBin}`);
  if (!existsSync(path.join(NPM_DIR, "bin", "npm-cli.js"))) throw new Error(`expected npm beside the host node at ${NPM_DIR} (Node's nodejs package installs it there)`);
  await set.add(NPM_DIR);
  for (const e of await fs.readdir(NPM_DIR, { withFileTypes: true })) {
    if (NPM_EXCLUDES.includes(e.name)) continue;
    if (e.isDirectory()) await set.addTree(path.join(NPM_DIR, e.name));
    else await set.add(path.join(NPM_DIR, e.name));
  }
  await set.addTree("/etc/ssl/certs"); // generated by update-ca-certificates, not in dpkg -L
  await set.add("/etc/ca-certificates.conf");

  // Debian alternatives (awk -> mawk, which, pager, ...): keep links whose final target we ship.
  for (const dir of ["/usr/bin", "/usr/sbin"]) {
    for (const name of await fs.readdir(dir)) {
      const p = path.join(dir, name);
      const st = await fs.lstat(p);
      if (!st.isSymbolicLink() || set.paths.has(p)) continue;
      const target = await fs.realpath(p).catch(() => undefined);
      if (target && set.paths.get(target) === "file") await set.add(p);
    }
  }

  // Shared libraries of every ELF we ship, host ones and the clients' (claude.exe, *.node addons).
  const elves: string[] = [];
  const seen = new Set<string>();
  for (const f of [...set.files(), ...(await walkFiles(CLIENTS_NODE_MODULES))]) {
    const st = await fs.stat(f);
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (await isElf(f)) elves.push(f);
  }
  for (const lib of await lddLibraries(elves)) {
    // Libraries the clients bring along themselves (found through their RPATH) ship with the clients.
    if (!(await fs.realpath(lib)).startsWith(CLIENTS_NODE_MODULES + "/")) await set.add(lib);
  }

  set.addAncestors();
  return [...set.paths.keys()].map((p) => p.slice(1)).sort();
}

const PASSWD = `root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
agent:x:${AGENT_UID}:${AGENT_GID}:agent:${AGENT_HOME}:/bin/bash
`;
const GROUP = `root:x:0:
nogroup:x:65534:
agent:x:${AGENT_GID}:
`;
const SHADOW = `root:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
agent:*:19000:0:99999:7:::
`;
const NSSWITCH = `passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      files
services:       files
`;

/** Small generated tree: accounts, mount points, home and work dirs, /usr/local/bin links. */
async function writeStaging(dir: string): Promise<string[]> {
  const mk = async (p: string, mode: number, uid = 0, gid = 0) => {
    const abs = path.join(dir, p);
    await fs.mkdir(abs, { recursive: true });
    await fs.chmod(abs, mode);
    await fs.chown(abs, uid, gid);
  };
  const file = async (p: string, content: string, mode = 0o644) => {
    const abs = path.join(dir, p);
    await fs.writeFile(abs, content);
    await fs.chmod(abs, mode);
  };
  for (const d of ["dev", "proc", "sys", "run", "etc", "home", "opt", "usr/local/bin", "var", "mnt"]) {
    await mk(d, 0o755);
  }
  await mk("root", 0o700);
  await mk("tmp", 0o1777);
  await mk("var/tmp", 0o1777);
  await mk(AGENT_HOME.slice(1), 0o755, AGENT_UID, AGENT_GID);
  await mk("work", 0o755, AGENT_UID, AGENT_GID);
  await mk(AGENT_CLIENTS_DIR.slice(1), 0o755);
  await file("etc/passwd", PASSWD);
  await file("etc/group", GROUP);
  await file("etc/shadow", SHADOW, 0o600);
  await file("etc/nsswitch.conf", NSSWITCH);
  await file("etc/hostname", "agent\n");
  await file("etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  await file("etc/resolv.conf", "");
  for (const [name, target] of Object.entries(clientBins())) await fs.symlink(target, path.join(dir, "usr/local/bin", name));
  return (await fs.readdir(dir)).sort();
}

/**
 * Writes a rootfs tar for the agent image: a minimal Debian userland taken from this host (no network),
 * node, git, tini, CA certificates, user `agent` (1000:1000), and the pinned CLIs under /opt/agent-clients
 * with a /usr/local/bin link per tool. No setuid/setgid bits, no sudo.
 */
export async function buildBaseRootfs(outTar: string): Promise<void> {
  await ensureBasePackages();
  if (!existsSync(CLIENTS_NODE_MODULES)) {
    throw new Error(`${CLIENTS_NODE_MODULES} is missing: run \`npm ci\` in image/clients first`);
  }

  const scratch = await fs.mkdtemp(path.join(WORK_DIR, "rootfs-"));
  try {
    const staging = path.join(scratch, "staging");
    await fs.mkdir(staging);
    const stagingEntries = await writeStaging(staging);
    // containers/storage rejects a layer that names a path twice: generated entries replace host ones.
    const generated = new Set((await fs.readdir(staging, { recursive: true })).map(String));
    const list = path.join(scratch, "host-files.txt");
    const hostFiles = (await collectHostFiles()).filter((p) => !generated.has(p));
    await fs.writeFile(list, hostFiles.join("\n") + "\n");

    const tmpTar = `${outTar}.${process.pid}.tmp`;
    const common = ["--numeric-owner", "--mode=u-s,g-s"];
    // 1. Host files, exactly the listed ones, owned by root.
    await run("tar", [
      "--create", `--file=${tmpTar}`, ...common, "--owner=0", "--group=0", "--no-recursion",
      "-C", "/", "--verbatim-files-from", `--files-from=${list}`,
    ]);
    // 2. Generated tree, with its real owners (agent's home and /work are 1000:1000).
    await run("tar", ["--append", `--file=${tmpTar}`, ...common, "-C", staging, ...stagingEntries]);
    // 3. The CLIs, renamed into /opt/agent-clients, root-owned and not writable by anyone else.
    await run("tar", [
      "--append", `--file=${tmpTar}`, ...common, "--mode=go-w", "--owner=0", "--group=0",
      ...CLIENTS_EXCLUDES.map((x) => `--exclude=${x}`),
      `--transform=s,^node_modules,${AGENT_CLIENTS_DIR.slice(1)}/node_modules,`,
      "-C", path.dirname(CLIENTS_NODE_MODULES), "node_modules",
    ]);
    await fs.rename(tmpTar, outTar);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Installs the base packages that are missing. It runs before the cache key is computed: the key names
 * the package versions, and a key taken before the install would differ from every later one, so two
 * test files on a cold machine would each build (and clean away) the other's base tar.
 */
export async function ensureBasePackages(): Promise<void> {
  const absentNow = async () => {
    const installed = await installedPackages(BASE_PACKAGES);
    return BASE_PACKAGES.filter((p) => !installed.has(p));
  };
  if ((await absentNow()).length === 0) return;
  await withLock("apt", async () => {
    const absent = await absentNow();
    if (absent.length) await aptInstall(absent);
  });
}

/** Content key of the base rootfs: recipe (this file), package versions, node, and the CLI tree. */
async function baseKey(): Promise<string> {
  const parts: string[] = [await fs.readFile(THIS_FILE, "utf8"), await fs.readFile(path.join(REPO_ROOT, "image/clients/package.json"), "utf8")];
  const pk = await installedPackages(BASE_PACKAGES);
  parts.push(JSON.stringify([...pk]));
  const node = await fs.stat("/usr/bin/node");
  parts.push(`node ${process.version} ${node.size} ${node.mtimeMs}`);
  parts.push(`npm ${await fs.readFile(path.join(NPM_DIR, "package.json"), "utf8").catch(() => "absent")}`);
  for (const f of (await walkFiles(CLIENTS_NODE_MODULES)).sort()) {
    const st = await fs.stat(f);
    parts.push(`${path.relative(CLIENTS_NODE_MODULES, f)} ${st.size} ${st.mtimeMs} ${st.mode}`);
  }
  return sha256(parts.join("\n")).slice(0, 16);
}

export interface CachedLayer {
  file: string;
  digest: string; // sha256 of the uncompressed tar = diff_id = blob digest
  size: number;
}

let baseLayer: Promise<CachedLayer> | undefined;

/** The base rootfs tar, built once per key and kept in WORK_DIR (older keys are removed). */
export function ensureBaseRootfs(): Promise<CachedLayer> {
  baseLayer ??= (async () => {
    await ensurePodman();
    await ensureBasePackages();
    const key = await baseKey();
    const file = path.join(WORK_DIR, `base-${key}.tar`);
    const digestFile = `${file}.sha256`;
    return withLock("base", async () => {
      // The digest file is written last, by rename: it exists only beside a complete tar.
      if (!existsSync(digestFile) || !existsSync(file)) {
        const t0 = Date.now();
        await buildBaseRootfs(file);
        const tmpDigest = `${digestFile}.${process.pid}.tmp`;
        await fs.writeFile(tmpDigest, await sha256File(file));
        await fs.rename(tmpDigest, digestFile);
        for (const old of await fs.readdir(WORK_DIR)) {
          if (/^base-[0-9a-f]{16}\.tar(\.sha256)?$/.test(old) && !old.startsWith(`base-${key}.`)) {
            await fs.rm(path.join(WORK_DIR, old), { force: true });
          }
        }
        if (process.env.PERIMETER_PODMAN_VERBOSE) console.error(`[podman] base rootfs ${key} built in ${Date.now() - t0} ms`);
      }
      return { file, digest: (await fs.readFile(digestFile, "utf8")).trim(), size: (await fs.stat(file)).size };
    });
  })().catch((e) => {
    baseLayer = undefined;
    throw e;
  });
  return baseLayer;
}

// ---------------------------------------------------------------------------------------------------
// Image assembly

export interface ImageConfig {
  /** USER: "agent", "1000", "1000:1000"; default root. */
  user?: string;
  /** ENV, on top of PATH=DEFAULT_PATH. */
  env?: Record<string, string>;
  /** ENTRYPOINT (exec form); without one, CMD is ["/bin/bash"]. */
  entrypoint?: string[];
  /** WORKDIR; default "/". */
  workdir?: string;
}

export interface BuildTestImageOptions {
  /** Image name, e.g. "perimeter-agent-test"; the image is tagged localhost/NAME:latest. */
  name: string;
  /** Extra layer tar files (uncompressed), applied in order on top of the base rootfs. */
  layers: string[];
  config?: ImageConfig;
}

async function linkOrCopy(src: string, dst: string): Promise<void> {
  try {
    await fs.link(src, dst);
  } catch {
    await fs.copyFile(src, dst);
  }
}

let ociSeq = 0;

/** Builds (or reuses) localhost/NAME:latest = base rootfs + the given layers; returns the image ref. */
export async function buildTestImage(opts: BuildTestImageOptions): Promise<string> {
  try {
    return await assembleTestImage(opts);
  } catch (error) {
    // A worker whose inputs changed mid-run (another base key) may have replaced the base tar this
    // process cached: forget it and build once more from a fresh key.
    // The same goes for a base that another worker rebuilt between our hash and podman's read.
    const stale = (error as NodeJS.ErrnoException).code === "ENOENT" || /Digest did not match/.test(String(error));
    if (!stale) throw error;
    baseLayer = undefined;
    return assembleTestImage(opts);
  }
}

async function assembleTestImage(opts: BuildTestImageOptions): Promise<string> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(opts.name)) throw new Error(`bad image name ${JSON.stringify(opts.name)}`);
  const base = await ensureBaseRootfs();
  const layers: CachedLayer[] = [base];
  // Each caller's layer is hashed and pulled from a private copy, so a file that changes after it was
  // hashed (a rebuilt bake, a worker writing the same path) cannot reach podman under a stale digest.
  await fs.mkdir(OCI_STAGING_DIR, { recursive: true });
  const snapshots = await fs.mkdtemp(path.join(OCI_STAGING_DIR, "layers-"));
  try {
    for (const [i, file] of opts.layers.entries()) {
      const copy = path.join(snapshots, String(i), path.basename(file));
      await fs.mkdir(path.dirname(copy));
      await fs.copyFile(file, copy);
      layers.push({ file: copy, digest: await sha256File(copy), size: (await fs.stat(copy)).size });
    }
    return await assembleFromLayers(opts, layers);
  } finally {
    await fs.rm(snapshots, { recursive: true, force: true });
  }
}

async function assembleFromLayers(opts: BuildTestImageOptions, layers: CachedLayer[]): Promise<string> {

  const cfg = opts.config ?? {};
  const env = { PATH: DEFAULT_PATH, ...cfg.env };
  const imageConfig: Record<string, unknown> = {
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    WorkingDir: cfg.workdir ?? "/",
    ...(cfg.user ? { User: cfg.user } : {}),
    ...(cfg.entrypoint ? { Entrypoint: cfg.entrypoint } : { Cmd: ["/bin/bash"] }),
  };
  const config = Buffer.from(
    JSON.stringify({
      created: "1970-01-01T00:00:00Z",
      architecture: "amd64",
      os: "linux",
      config: imageConfig,
      rootfs: { type: "layers", diff_ids: layers.map((l) => `sha256:${l.digest}`) },
      history: layers.map((l, i) => ({
        created: "1970-01-01T00:00:00Z",
        created_by: i === 0 ? "perimeter base rootfs" : `layer ${path.basename(l.file)}`,
      })),
    }),
  );
  const configDigest = sha256(config);
  const ref = `localhost/${opts.name}:latest`;

  // Same config digest = same image ID: already in storage, only (re)tag it.
  const exists = await podman(["image", "exists", configDigest], { reject: false });
  if (exists.exitCode !== 0) {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${configDigest}`, size: config.length },
        layers: layers.map((l) => ({
          mediaType: "application/vnd.oci.image.layer.v1.tar",
          digest: `sha256:${l.digest}`,
          size: l.size,
        })),
      }),
    );
    const manifestDigest = sha256(manifest);
    // podman names a pulled oci: directory after its path, which must be lowercase (a `mktemp -d`
    // TMPDIR is not); the name is dropped below.
    const dir = path.join(OCI_STAGING_DIR, `oci-${process.pid}-${configDigest.slice(0, 12)}-${(++ociSeq).toString(36)}`);
    await fs.mkdir(dir, { recursive: true });
    try {
      const blobs = path.join(dir, "blobs/sha256");
      await fs.mkdir(blobs, { recursive: true });
      await fs.writeFile(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
      await fs.writeFile(
        path.join(dir, "index.json"),
        JSON.stringify({
          schemaVersion: 2,
          manifests: [
            {
              mediaType: "application/vnd.oci.image.manifest.v1+json",
              digest: `sha256:${manifestDigest}`,
              size: manifest.length,
              annotations: { "org.opencontainers.image.ref.name": "latest" },
            },
          ],
        }),
      );
      await fs.writeFile(path.join(blobs, configDigest), config);
      await fs.writeFile(path.join(blobs, manifestDigest), manifest);
      for (const [i, l] of layers.entries()) {
        const blob = path.join(blobs, l.digest);
        if (existsSync(blob)) continue;
        // Another worker may replace the base of an older key (and remove its tar) while holding the
        // base lock: take our own link to it under that lock.
        if (i === 0) await withLock("base", () => linkOrCopy(l.file, blob));
        else await linkOrCopy(l.file, blob);
      }
      // A layer already in storage (the base, after the first image) is reused by digest, not re-read.
      // One pull at a time, so parallel test files don't both commit the 1 GB base layer.
      await withLock("pull", async () => {
        await podman(["pull", "--quiet", `oci:${dir}:latest`], { timeoutMs: 10 * 60_000 });
        await podman(["tag", configDigest, ref]);
        await podman(["untag", configDigest, `localhost${dir}:latest`], { reject: false });
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    // Earlier builds of this name (and bases of older keys) are now untagged: drop them. Images that a
    // container still uses are kept by podman.
    await podman(["image", "prune", "--force"], { reject: false });
  } else {
    await podman(["tag", configDigest, ref]);
  }
  return ref;
}

export interface LayerEntry {
  /** Absolute path inside the image, e.g. "/etc/probe/policy.json". */
  path: string;
  /** File content; omit for a directory. */
  content?: string | Buffer;
  /** Permission bits, e.g. 0o444; default 0o644 for files, 0o755 for directories. */
  mode?: number;
  uid?: number;
  gid?: number;
}

function ustarHeader(name: string, e: { mode: number; uid: number; gid: number; size: number; dir: boolean }): Buffer {
  const h = Buffer.alloc(512);
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", 154);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (cut <= 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`path too long for ustar: ${prefix}/${name}`);
  }
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, "0") + "\0";
  h.write(name, 0, 100);
  h.write(octal(e.mode & 0o7777, 8), 100);
  h.write(octal(e.uid, 8), 108);
  h.write(octal(e.gid, 8), 116);
  h.write(octal(e.size, 12), 124);
  h.write(octal(0, 12), 136); // mtime: reproducible layers
  h.write("        ", 148); // checksum placeholder
  h.write(e.dir ? "5" : "0", 156);
  h.write("ustar\0" + "00", 257);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + " ", 148);
  return h;
}

/**
 * Writes an uncompressed layer tar (POSIX ustar, node only, no root needed) holding exactly these
 * entries, in order; parents are not added implicitly: list a directory to set its owner and mode.
 */
export async function writeLayerTar(outTar: string, entries: LayerEntry[]): Promise<void> {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const rel = path.posix.normalize(e.path).replace(/^\/+/, "").replace(/\/+$/, "");
    if (!rel || rel === "." || rel.startsWith("..")) throw new Error(`bad layer path ${e.path}`);
    const dir = e.content === undefined;
    const body = dir ? Buffer.alloc(0) : Buffer.from(e.content!);
    parts.push(
      ustarHeader(dir ? `${rel}/` : rel, { mode: e.mode ?? (dir ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0, size: body.length, dir }),
      body,
      Buffer.alloc((512 - (body.length % 512)) % 512),
    );
  }
  parts.push(Buffer.alloc(1024));
  await fs.writeFile(outTar, Buffer.concat(parts));
}

// ---------------------------------------------------------------------------------------------------
// Running

export interface RunContainerOptions {
  /** --user, e.g. "1000", "agent", "0". Default: the image's USER. */
  user?: string;
  env?: Record<string, string>;
  /** Variables of the image's ENV to remove (podman --unsetenv), e.g. to start without AGENT_SANDBOX. */
  unsetEnv?: string[];
  /** Command (appended after the image; replaces CMD, is passed to ENTRYPOINT). */
  args?: string[];
  /** Replaces the image's ENTRYPOINT; [] clears it. */
  entrypoint?: string[];
  /**
   * Default "none": no network at all. "host" shares the host's network namespace (127.0.0.1 included).
   * Any other value names a network the test created (podman network create).
   */
  network?: string;
  /** -v specs, e.g. "/host/dir:/work:rw". */
  volumes?: string[];
  /** Default 120 s; on expiry the container is removed and an error is thrown. */
  timeoutMs?: number;
  /** More `podman run` flags, before the image (e.g. ["--cap-add", "SYS_ADMIN"]). */
  extraArgs?: string[];
}

let runSeq = 0;
/** PERIMETER_PODMAN_PREFIX names this run's containers, so people sharing a machine can tell theirs apart. */
const CONTAINER_PREFIX = process.env.PERIMETER_PODMAN_PREFIX ?? "perimeter-test";

export async function runContainer(
  image: string,
  opts: RunContainerOptions = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const name = `${CONTAINER_PREFIX}-${process.pid}-${++runSeq}-${Date.now().toString(36)}`;
  const args = ["run", "--rm", "--name", name, "--pull=never", "--network", opts.network ?? "none"];
  if (opts.user !== undefined) args.push("--user", opts.user);
  for (const [k, v] of Object.entries(opts.env ?? {})) args.push("--env", `${k}=${v}`);
  for (const k of opts.unsetEnv ?? []) args.push("--unsetenv", k);
  for (const v of opts.volumes ?? []) args.push("--volume", v);
  if (opts.entrypoint !== undefined) args.push(`--entrypoint=${JSON.stringify(opts.entrypoint)}`);
  args.push(...(opts.extraArgs ?? []));
  args.push(image, ...(opts.args ?? []));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const r = await podman(args, { reject: false, timeoutMs });
  if (r.timedOut) {
    await podman(["rm", "--force", "--time", "0", name], { reject: false });
    throw new Error(`container ${name} (${image}) timed out after ${timeoutMs} ms\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
