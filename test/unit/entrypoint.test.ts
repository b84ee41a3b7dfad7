import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { realEnvironment, refusals, type Environment, type RefusalCode } from "../../src/entrypoint/checks.js";
import { EXIT_REFUSED, main, parseRequest } from "../../src/entrypoint/main.js";
import { parseRecords, parseRefusal, RECORD_PREFIX, stderrLines } from "../../src/entrypoint/record.js";
import { promptArguments, runTool } from "../../src/entrypoint/run.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS } from "../../src/tools/index.js";
import { startGate } from "../../src/entrypoint/start-gate.js";
import { engineFromAnswer, SCAN_LIMITS, type DirEntry } from "../../src/entrypoint/sockets.js";
import type { ImageSpec } from "../../src/image/spec.js";
import { NET_VIEWS, type NetView } from "../bench/container-proc.js";
import { tempDir } from "./helpers.js";

const SPEC_PATH = "/etc/perimeter/image.json";
const POLICY = ["/etc/claude-code/managed-settings.json", "/etc/codex/config.toml", SPEC_PATH];
const DIGESTS = Object.fromEntries(POLICY.map((p) => [p, `sha-of-${p}`]));

// /proc texts as rootful podman 4.3 gave them to uid 1000 (runc, this machine, 2026-12-01).
const NORMAL_STATUS = "Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n";
const CAP_ADD_SYS_ADMIN = NORMAL_STATUS.replace(/^(CapInh|CapPrm|CapEff|CapAmb):\t0+$/gm, "$1:\t0000000000200000");
const PRIVILEGED_STATUS = NORMAL_STATUS.replace("00000000a80425fb", "000001fffeffffff").replace("Seccomp:\t2", "Seccomp:\t0");
const UNCONFINED_STATUS = NORMAL_STATUS.replace("Seccomp:\t2", "Seccomp:\t0");
const MOUNTINFO = [
  "73 48 0:44 / / rw,relatime - overlay overlay rw",
  "74 73 0:45 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
  "75 73 0:46 / /dev rw,nosuid,noexec - tmpfs tmpfs rw,size=65536k,mode=755",
  "78 73 0:49 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro",
  "52 74 0:45 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw",
  "84 73 254:0 /run/x/hostname /etc/hostname ro,nosuid,nodev,noexec,relatime - ext4 /dev/vda rw",
].join("\n");
const PRIVILEGED_MOUNTINFO = MOUNTINFO.replace(" /sys ro,", " /sys rw,").split("\n").filter((l) => !l.includes(" /proc/sys ")).join("\n");
const DEV = ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"];
const OWN_NS = { "/proc/self/ns/pid": "pid:[4026532182]", "/proc/self/ns/mnt": "mnt:[4026532178]", "/proc/1/ns/mnt": "mnt:[4026532178]" };

function spec(overrides: Partial<ImageSpec> = {}): ImageSpec {
  return {
    profile: "autonomous",
    output: "text",
    user: { name: "agent", uid: 1000, gid: 1000, home: "/home/agent", shell: "/bin/bash" },
    workdir: "/work",
    env: { AGENT_SANDBOX: "1" },
    entrypoint: ["tini", "--", "node", "/opt/perimeter/entrypoint.cjs"],
    policyFiles: POLICY,
    network: "gateway",
    tools: {
      claude: { argv: ["node", "-e", "process.exit(0)"], package: "@anthropic-ai/claude-code", version: "1" },
      codex: { argv: ["node", "-e", "process.exit(0)"], package: "@openai/codex", version: "1" },
      gemini: { argv: ["node", "-e", "process.exit(0)"], package: "@google/gemini-cli", version: "1" },
    },
    ...overrides,
  };
}

const netFiles = (view: NetView) => ({ "/proc/net/route": view.route, "/proc/net/ipv6_route": view.ipv6Route, "/proc/net/dev": view.dev });

interface FakeOptions {
  env?: NodeJS.ProcessEnv;
  uid?: number;
  files?: Record<string, string>;
  existing?: string[];
  writable?: string[];
  owners?: Record<string, number>;
  links?: Record<string, string | undefined>;
  dev?: string[];
  /** Folder path to its entries; a path listed as a socket entry is a socket. */
  dirs?: Record<string, DirEntry[]>;
  engines?: Record<string, string>;
  /** Sockets that accept a connection but are no engine. */
  listening?: string[];
  sha?: Record<string, string>;
}

/** A sandbox that passes every check, changed by `o`. */
function fakeEnvironment(o: FakeOptions = {}): Environment {
  const files: Record<string, string> = {
    "/proc/self/status": NORMAL_STATUS,
    "/proc/self/mountinfo": MOUNTINFO,
    ...netFiles(NET_VIEWS.internal),
    ...o.files,
  };
  const existing = new Set([...POLICY, ...(o.existing ?? [])]);
  const links: Record<string, string | undefined> = { ...OWN_NS, ...o.links };
  const dirs: Record<string, DirEntry[]> = {
    "/dev": [...(o.dev ?? DEV).map((name): DirEntry => ({ name, kind: ["fd", "mqueue", "pts", "shm"].includes(name) ? "dir" : "device" })), { name: "termination-log", kind: "other" }],
    ...o.dirs,
  };
  const socketPaths = new Set(Object.entries(dirs).flatMap(([dir, entries]) => entries.filter((e) => e.kind === "socket").map((e) => `${dir}/${e.name}`)));
  return {
    env: o.env ?? { AGENT_SANDBOX: "1" },
    uid: o.uid ?? 1000,
    readText: (path) => files[path],
    exists: (path) => existing.has(path) || path in files || socketPaths.has(path),
    writable: (path) => (o.writable ?? []).includes(path),
    ownerUid: (path) => (existing.has(path) ? (o.owners?.[path] ?? 0) : undefined),
    readLink: (path) => links[path],
    sha256: (path) => (existing.has(path) ? (o.sha?.[path] ?? DIGESTS[path]) : undefined),
    kindOf: (path) => (path in dirs ? "dir" : socketPaths.has(path) ? "socket" : existing.has(path) || path in files ? "other" : undefined),
    // A Dirent has no mode: set-ID files show only when modes are asked for, as in the real one.
    listDir: (path, modes) => dirs[path]?.map((d) => ((d.kind === "setid" || d.kind === "exec") && modes !== true ? { ...d, kind: "other" } : d)),
    probeSocket: async (path) => {
      const engine = o.engines?.[path];
      if (engine !== undefined) return { listening: true, engine };
      return { listening: (o.listening ?? []).includes(path) };
    },
  };
}

const codes = async (e: Environment): Promise<RefusalCode[]> => (await refusals(spec(), e, DIGESTS)).map((r) => r.code);
const only = async (e: Environment) => {
  const found = await refusals(spec(), e, DIGESTS);
  return { codes: found.map((r) => r.code), reason: found[0]?.reason ?? "" };
};

describe("refusals", () => {
  it("a clean sandbox yields none", async () => {
    expect(await refusals(spec(), fakeEnvironment(), DIGESTS)).toEqual([]);
  });

  it.each([
    ["unset", {}],
    ['"0"', { AGENT_SANDBOX: "0" }],
    ['"true"', { AGENT_SANDBOX: "true" }],
    ['" 1"', { AGENT_SANDBOX: " 1" }],
  ])("E_SANDBOX_FLAG alone when AGENT_SANDBOX is %s", async (_label, env) => {
    expect(await codes(fakeEnvironment({ env }))).toEqual(["E_SANDBOX_FLAG"]);
  });

  it("E_ROOT alone for uid 0", async () => {
    expect(await codes(fakeEnvironment({ uid: 0 }))).toEqual(["E_ROOT"]);
  });

  it("E_CONTAINER_SOCKET alone when /var/run/docker.sock exists", async () => {
    const found = await only(fakeEnvironment({ existing: ["/var/run/docker.sock"] }));
    expect(found.codes).toEqual(["E_CONTAINER_SOCKET"]);
    expect(found.reason).toContain("/var/run/docker.sock");
  });

  it("E_CONTAINER_SOCKET alone when DOCKER_HOST names a unix socket that exists", async () => {
    const environment = fakeEnvironment({ env: { AGENT_SANDBOX: "1", DOCKER_HOST: "unix:///tmp/engine.sock" }, existing: ["/tmp/engine.sock"] });
    const found = await only(environment);
    expect(found.codes).toEqual(["E_CONTAINER_SOCKET"]);
    expect(found.reason).toContain("/tmp/engine.sock");
    // the same variable pointing at nothing is not a socket (control)
    expect(await codes(fakeEnvironment({ env: { AGENT_SANDBOX: "1", DOCKER_HOST: "unix:///tmp/engine.sock" } }))).toEqual([]);
  });

  it("E_CONTAINER_SOCKET alone when DOCKER_HOST or CONTAINER_HOST names an engine over the network", async () => {
    for (const [name, value] of [["DOCKER_HOST", "tcp://10.0.0.1:2375"], ["CONTAINER_HOST", "ssh://core@host/run/podman/podman.sock"]] as const) {
      const found = await only(fakeEnvironment({ env: { AGENT_SANDBOX: "1", [name]: value } }));
      expect(found.codes).toEqual(["E_CONTAINER_SOCKET"]);
      expect(found.reason).toContain(`${name}=${value}`);
    }
    // Control: the variables empty, as some launchers leave them, name no engine.
    expect(await codes(fakeEnvironment({ env: { AGENT_SANDBOX: "1", DOCKER_HOST: "", CONTAINER_HOST: "" } }))).toEqual([]);
  });

  it("E_CONTAINER_SOCKET for an engine answering on a socket mounted anywhere, or inside a mounted folder", async () => {
    const mountinfo = `${MOUNTINFO}\n90 73 0:5 /podman.sock /srv/any\\040name.sock rw - tmpfs tmpfs rw\n91 73 254:0 /data /work rw - ext4 /dev/vda rw`;
    const dirs: Record<string, DirEntry[]> = {
      "/work": [{ name: "src", kind: "dir" }, { name: "ssh-agent.sock", kind: "socket" }],
      "/work/src": [{ name: "deep", kind: "dir" }],
      "/work/src/deep": [{ name: "engine.sock", kind: "socket" }],
    };
    // a socket as the mount point itself (the name unescaped from mountinfo)
    const direct = fakeEnvironment({ files: { "/proc/self/mountinfo": mountinfo }, dirs: { ...dirs, "/srv": [{ name: "any name.sock", kind: "socket" }] }, engines: { "/srv/any name.sock": "Libpod/4.3.1 (linux)" } });
    const a = await only(direct);
    expect(a.codes).toEqual(["E_CONTAINER_SOCKET"]);
    expect(a.reason).toContain("/srv/any name.sock, answered as Libpod/4.3.1 (linux)");
    expect(a.reason).not.toContain("ssh-agent.sock");
    // a socket deep inside a mounted workspace
    const nested = await only(fakeEnvironment({ files: { "/proc/self/mountinfo": mountinfo }, dirs, engines: { "/work/src/deep/engine.sock": "Docker/27.0" } }));
    expect(nested.reason).toContain("/work/src/deep/engine.sock, answered as Docker/27.0");
    // Control: the same sockets, none answering as an engine (an ssh agent, a dead socket), pass.
    expect(await codes(fakeEnvironment({ files: { "/proc/self/mountinfo": mountinfo }, dirs }))).toEqual([]);
  });

  it("E_CONTAINER_SOCKET for an engine socket mounted under /dev: the scan goes by file system, not by place", async () => {
    const mountinfo = `${MOUNTINFO}\n96 75 0:5 /podman.sock /dev/engine.sock rw - tmpfs tmpfs rw`;
    const dirs = { "/dev": [...DEV.map((name): DirEntry => ({ name, kind: "device" })), { name: "engine.sock", kind: "socket" as const }] };
    const found = await only(fakeEnvironment({ files: { "/proc/self/mountinfo": mountinfo }, dirs, engines: { "/dev/engine.sock": "Libpod/4.3.1" } }));
    expect(found.codes).toEqual(["E_CONTAINER_SOCKET"]);
    expect(found.reason).toContain("/dev/engine.sock, answered as Libpod/4.3.1");
  });

  it("the scan of mounted trees is bounded: past the entry budget a deeper socket is not looked for", async () => {
    const mountinfo = `${MOUNTINFO}\n91 73 254:0 /data /work rw - ext4 /dev/vda rw`;
    const many: DirEntry[] = Array.from({ length: SCAN_LIMITS.maxEntries + 10 }, (_, i) => ({ name: `d${i}`, kind: "dir" }));
    const listed: string[] = [];
    const environment = fakeEnvironment({ files: { "/proc/self/mountinfo": mountinfo }, dirs: { "/work": many, "/work/d0": [{ name: "engine.sock", kind: "socket" }] }, engines: { "/work/d0/engine.sock": "Docker/27.0" } });
    const counting: Environment = { ...environment, listDir: (p) => (listed.push(p), environment.listDir(p)) };
    // Depth first: /work/d0 is listed (and its engine found); the thousands of siblings are not all walked.
    expect(await codes(counting)).toEqual(["E_CONTAINER_SOCKET"]);
    expect(listed.filter((p) => p.startsWith("/work/")).length).toBeLessThanOrEqual(SCAN_LIMITS.maxEntries);
    // With the budget spent before the socket's folder, it is not found: the bound is real.
    const late = fakeEnvironment({ files: { "/proc/self/mountinfo": mountinfo }, dirs: { "/work": [...many, { name: "z", kind: "dir" }], "/work/z": [{ name: "engine.sock", kind: "socket" }] }, engines: { "/work/z/engine.sock": "Docker/27.0" } });
    expect(await codes(late)).toEqual([]);
  });

  it("an engine's answer to /_ping is told from another HTTP server's", () => {
    expect(engineFromAnswer("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nLibpod-Api-Version: 4.3.1\r\nServer: Libpod/4.3.1 (linux)\r\n\r\nOK")).toBe("Libpod/4.3.1 (linux)");
    expect(engineFromAnswer("HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nDocker-Experimental: false\r\nServer: Docker/27.0.3 (linux)\r\n\r\nOK")).toBe("Docker/27.0.3 (linux)");
    expect(engineFromAnswer("HTTP/1.1 404 Not Found\r\nServer: nginx\r\n\r\n")).toBeUndefined();
    expect(engineFromAnswer("SSH-2.0-OpenSSH_9.2\r\n")).toBeUndefined();
  });

  it("E_POLICY_WRITABLE alone when a policy file is writable", async () => {
    const found = await only(fakeEnvironment({ writable: ["/etc/codex/config.toml"] }));
    expect(found.codes).toEqual(["E_POLICY_WRITABLE"]);
    expect(found.reason).toContain("/etc/codex/config.toml");
  });

  it("E_POLICY_WRITABLE alone when a policy file is not root-owned", async () => {
    expect(await codes(fakeEnvironment({ owners: { "/etc/claude-code/managed-settings.json": 1000 } }))).toEqual(["E_POLICY_WRITABLE"]);
  });

  it("E_POLICY_MISSING alone when a policy file is missing", async () => {
    const environment = fakeEnvironment();
    const missing: Environment = { ...environment, exists: (p) => p !== "/etc/codex/config.toml" && environment.exists(p), sha256: (p) => (p === "/etc/codex/config.toml" ? undefined : environment.sha256(p)) };
    expect(await codes(missing)).toEqual(["E_POLICY_MISSING"]);
  });

  it("E_POLICY_TAMPERED alone when a root-owned read-only file differs from what bake wrote", async () => {
    const found = await only(fakeEnvironment({ sha: { "/etc/codex/config.toml": "other" } }));
    expect(found.codes).toEqual(["E_POLICY_TAMPERED"]);
    expect(found.reason).toContain("/etc/codex/config.toml");
  });

  it("E_POLICY_TAMPERED for a mount that adds a file to a policy folder; a mount elsewhere passes", async () => {
    const at = (point: string) => `${MOUNTINFO}\n95 73 254:0 /x ${point} ro,relatime - ext4 /dev/vda rw`;
    for (const point of ["/etc/codex/rules/allow.rules", "/etc/claude-code/managed-settings.d", "/etc/perimeter/extra.json"]) {
      const found = await only(fakeEnvironment({ files: { "/proc/self/mountinfo": at(point) } }));
      expect(found.codes, point).toEqual(["E_POLICY_TAMPERED"]);
      expect(found.reason).toContain(`${point} is mounted into a policy folder`);
    }
    // Controls: a mount exactly on a digested file is judged by its digest (same bytes pass), and /etc itself holds no policy file.
    expect(await codes(fakeEnvironment({ files: { "/proc/self/mountinfo": at("/etc/codex/config.toml") } }))).toEqual([]);
    expect(await codes(fakeEnvironment({ files: { "/proc/self/mountinfo": at("/etc/resolv.conf") } }))).toEqual([]);
  });

  it("a digested file the spec does not list (a guard hook) is checked too", async () => {
    const digests = { ...DIGESTS, "/opt/perimeter/hook.cjs": "h" };
    const environment = fakeEnvironment({ existing: ["/opt/perimeter/hook.cjs"], sha: { "/opt/perimeter/hook.cjs": "changed" } });
    expect((await refusals(spec(), environment, digests)).map((r) => r.code)).toEqual(["E_POLICY_TAMPERED"]);
    expect(await refusals(spec(), fakeEnvironment({ existing: ["/opt/perimeter/hook.cjs"], sha: { "/opt/perimeter/hook.cjs": "h" } }), digests)).toEqual([]);
  });

  it("E_POLICY_MISSING when the entrypoint carries no digests (not baked)", async () => {
    expect((await refusals(spec(), fakeEnvironment(), undefined)).map((r) => r.code)).toEqual(["E_POLICY_MISSING"]);
  });

  it("E_CAPABILITIES alone for a capability in the effective, permitted or ambient set, naming it", async () => {
    const found = await only(fakeEnvironment({ files: { "/proc/self/status": CAP_ADD_SYS_ADMIN } }));
    expect(found.codes).toEqual(["E_CAPABILITIES"]);
    expect(found.reason).toContain("SYS_ADMIN");
    for (const set of ["CapEff", "CapPrm", "CapAmb"]) {
      const status = NORMAL_STATUS.replace(new RegExp(`^${set}:\\t0+$`, "m"), `${set}:\t00000000000000c2`);
      const r = await only(fakeEnvironment({ files: { "/proc/self/status": status } }));
      expect(r.codes, set).toEqual(["E_CAPABILITIES"]);
      expect(r.reason).toContain("DAC_OVERRIDE, SETGID, SETUID");
    }
    // an unreadable status fails closed
    const environment = fakeEnvironment();
    expect(await codes({ ...environment, readText: (p) => (p === "/proc/self/status" ? undefined : environment.readText(p)) })).toEqual(["E_CAPABILITIES"]);
  });

  it("E_SECCOMP alone for seccomp unconfined", async () => {
    expect(await codes(fakeEnvironment({ files: { "/proc/self/status": UNCONFINED_STATUS } }))).toEqual(["E_SECCOMP"]);
  });

  it("E_PRIVILEGED first for --privileged's signals, each one alone enough", async () => {
    const privileged = await only(fakeEnvironment({ files: { "/proc/self/status": PRIVILEGED_STATUS, "/proc/self/mountinfo": PRIVILEGED_MOUNTINFO }, dev: [...DEV, "kmsg", "vda", "kvm"] }));
    expect(privileged.codes).toEqual(["E_PRIVILEGED", "E_SECCOMP"]);
    expect(privileged.reason).toMatch(/seccomp is off; \/sys is mounted writable; \/proc\/sys is mounted writable; host devices are present \(\/dev\/kmsg, \/dev\/kvm, \/dev\/vda\)/);
    expect(await codes(fakeEnvironment({ dev: [...DEV, "vda"] }))).toEqual(["E_PRIVILEGED"]);
    expect(await codes(fakeEnvironment({ files: { "/proc/self/mountinfo": MOUNTINFO.replace(" /sys ro,", " /sys rw,") } }))).toEqual(["E_PRIVILEGED"]);
    expect(await codes(fakeEnvironment({ files: { "/proc/self/mountinfo": MOUNTINFO.replace(" /proc/sys ro,", " /proc/sys rw,") } }))).toEqual(["E_PRIVILEGED"]);
  });

  it("E_CREDENTIAL alone for a real key in the environment, naming the variable and never the value", async () => {
    const keys = {
      ANTHROPIC_API_KEY: `sk-ant-api03-${"a".repeat(40)}`,
      GH_TOKEN: `ghp_${"b".repeat(36)}`,
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    };
    const found = await only(fakeEnvironment({ env: { AGENT_SANDBOX: "1", ...keys } }));
    expect(found.codes).toEqual(["E_CREDENTIAL"]);
    expect(found.reason).toContain("ANTHROPIC_API_KEY (Anthropic API key), AWS_ACCESS_KEY_ID (AWS access key id), GH_TOKEN (GitHub token)");
    for (const value of Object.values(keys)) expect(found.reason).not.toContain(value);
    // Control: placeholders and the test suites' fake keys are no credential.
    const fakes = { ANTHROPIC_API_KEY: "perimeter-placeholder-anthropic", GEMINI_API_KEY: "fake-key", OPENAI_API_KEY: "sk-short" };
    expect(await codes(fakeEnvironment({ env: { AGENT_SANDBOX: "1", ...fakes } }))).toEqual([]);
  });

  it("E_NETWORK_DIRECT alone for a default route (bridge) or host networking; an --internal network and none pass", async () => {
    const bridge = await only(fakeEnvironment({ files: netFiles(NET_VIEWS.bridge) }));
    expect(bridge.codes).toEqual(["E_NETWORK_DIRECT"]);
    expect(bridge.reason).toContain("an IPv4 default route via eth0");
    expect(bridge.reason).toContain("profile autonomous routes through the gateway");
    const host = await only(fakeEnvironment({ files: netFiles(NET_VIEWS.host) }));
    expect(host.codes).toEqual(["E_NETWORK_DIRECT"]);
    expect(host.reason).toContain("an IPv6 default route via eth0");
    expect(host.reason).toContain("the host's interfaces are visible (podman5, veth5, veth6): host networking");
    // Controls: the same checks over an --internal network's tables and over --network none.
    expect(await codes(fakeEnvironment({ files: netFiles(NET_VIEWS.internal) }))).toEqual([]);
    expect(await codes(fakeEnvironment({ files: netFiles(NET_VIEWS.none) }))).toEqual([]);
  });

  it("E_NETWORK_DIRECT for each way out on its own: IPv6 only, a gateway route, the host's interfaces, an unreadable table", async () => {
    const internal = NET_VIEWS.internal;
    const v6Default = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0";
    const cases: [string, Partial<NetView> | undefined, string][] = [
      ["IPv6 default", { ipv6Route: `${internal.ipv6Route}${v6Default}\n` }, "an IPv6 default route via eth0"],
      ["IPv4 gateway route", { route: `${internal.route}eth0\t0000000A\t0100590A\t0003\t0\t0\t0\t000000FF\t0\t0\t0\n` }, "an IPv4 route through gateway 10.89.0.1 on eth0"],
      ["host interfaces, no default route", { dev: NET_VIEWS.host.dev }, "the host's interfaces are visible"],
      ["no routing table", undefined, "/proc/net/route cannot be read"],
    ];
    for (const [label, change, expected] of cases) {
      const environment = fakeEnvironment({ files: netFiles({ ...internal, ...change }) });
      const readText = change === undefined ? (p: string) => (p === "/proc/net/route" ? undefined : environment.readText(p)) : environment.readText;
      const found = await only({ ...environment, readText });
      expect(found.codes, label).toEqual(["E_NETWORK_DIRECT"]);
      expect(found.reason, label).toContain(expected);
    }
    // Controls: a default route that is the kernel's unreachable one, or one that is not up, is no way out; no IPv6 table is none.
    const down = `${internal.route}eth0\t00000000\t0100590A\t0002\t0\t0\t0\t00000000\t0\t0\t0\n`;
    expect(await codes(fakeEnvironment({ files: netFiles({ ...internal, route: down }) }))).toEqual([]);
    const environment = fakeEnvironment();
    expect(await codes({ ...environment, readText: (p) => (p === "/proc/net/ipv6_route" ? undefined : environment.readText(p)) })).toEqual([]);
  });

  it("a profile without [network] (no gateway) is not checked for direct network", async () => {
    const environment = fakeEnvironment({ files: netFiles(NET_VIEWS.host) });
    expect(await refusals(spec({ network: "direct" }), environment, DIGESTS)).toEqual([]);
    // An image spec that says nothing is checked (fail closed).
    const unsaid = { ...spec() } as Partial<ImageSpec>;
    delete unsaid.network;
    expect((await refusals(unsaid as ImageSpec, environment, DIGESTS)).map((r) => r.code)).toEqual(["E_NETWORK_DIRECT"]);
  });

  it("no variable lets a start past E_NETWORK_DIRECT: whoever starts the container cannot say the network is fine", async () => {
    for (const env of [{ AGENT_DIRECT_NETWORK: "allow" }, { PERIMETER_NETWORK: "direct" }, { NO_PROXY: "*" }]) {
      expect(await codes(fakeEnvironment({ env: { AGENT_SANDBOX: "1", ...env }, files: netFiles(NET_VIEWS.bridge) })), JSON.stringify(env)).toEqual(["E_NETWORK_DIRECT"]);
    }
  });

  it("E_SERVICE_ACCOUNT_TOKEN for a mounted Kubernetes token, at its default path or any mount that says so, in every image", async () => {
    const token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    const found = await only(fakeEnvironment({ existing: [token] }));
    expect(found.codes).toEqual(["E_SERVICE_ACCOUNT_TOKEN"]);
    expect(found.reason).toContain(token);
    expect(found.reason).toContain("automountServiceAccountToken: false");
    expect(await codes(fakeEnvironment({ existing: ["/run/secrets/kubernetes.io/serviceaccount/token"] }))).toEqual(["E_SERVICE_ACCOUNT_TOKEN"]);
    // A projected token mounted somewhere else still shows in the mount table.
    const projected = `${MOUNTINFO}\n90 73 0:60 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw`;
    expect(await codes(fakeEnvironment({ files: { "/proc/self/mountinfo": projected } }))).toEqual(["E_SERVICE_ACCOUNT_TOKEN"]);
    const elsewhere = `${MOUNTINFO}\n90 73 0:60 / /opt/serviceaccount ro,relatime - tmpfs tmpfs rw`;
    expect(await codes(fakeEnvironment({ files: { "/proc/self/mountinfo": elsewhere } }))).toEqual(["E_SERVICE_ACCOUNT_TOKEN"]);
    // Control: a pod without the token (automountServiceAccountToken: false) and an unrelated secret mount pass.
    const other = `${MOUNTINFO}\n90 73 0:60 / /etc/app-config ro,relatime - tmpfs tmpfs rw`;
    expect(await codes(fakeEnvironment({ files: { "/proc/self/mountinfo": other } }))).toEqual([]);
  });

  it("E_HOST_PID alone in the host's PID namespace, by inode or by a PID 1 that is not this container's", async () => {
    expect(await codes(fakeEnvironment({ links: { "/proc/self/ns/pid": "pid:[4026531836]" } }))).toEqual(["E_HOST_PID"]);
    expect(await codes(fakeEnvironment({ links: { "/proc/1/ns/mnt": undefined } }))).toEqual(["E_HOST_PID"]);
    expect(await codes(fakeEnvironment({ links: { "/proc/1/ns/mnt": "mnt:[4026531840]" } }))).toEqual(["E_HOST_PID"]);
  });

  it("several problems are all reported, most specific first", async () => {
    const environment = fakeEnvironment({ env: {}, uid: 0, existing: ["/run/docker.sock"], files: { "/proc/self/status": PRIVILEGED_STATUS, "/proc/self/mountinfo": PRIVILEGED_MOUNTINFO } });
    expect(await codes(environment)).toEqual(["E_PRIVILEGED", "E_ROOT", "E_SECCOMP", "E_CONTAINER_SOCKET", "E_SANDBOX_FLAG"]);
  });

  it("the real environment probes a real socket: an engine-like answer is found, a silent socket is not", async () => {
    const dir = tempDir("pw-sock-");
    const listen = (path: string, answer?: string) =>
      new Promise<ReturnType<typeof createServer>>((resolve) => {
        const server = createServer((c) => (answer === undefined ? c.on("data", () => undefined) : c.end(answer)));
        server.listen(path, () => resolve(server));
      });
    const engine = await listen(join(dir, "e.sock"), "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nServer: Libpod/4.3.1 (linux)\r\n\r\nOK");
    const silent = await listen(join(dir, "s.sock"));
    try {
      const real = realEnvironment();
      expect(real.kindOf(join(dir, "e.sock"))).toBe("socket");
      expect(await real.probeSocket(join(dir, "e.sock"))).toEqual({ listening: true, engine: "Libpod/4.3.1 (linux)" });
      expect(await real.probeSocket(join(dir, "s.sock"))).toEqual({ listening: true });
      expect(await real.probeSocket(join(dir, "none.sock"))).toEqual({ listening: false });
    } finally {
      engine.close();
      silent.close();
    }
  });
});

// Starts that were no wall but got past every check (an attacker's pass over the walls, /proc texts
// as podman 4.3 gave them on this machine); each with the plain start as its control.
describe("refusals the attacker's pass added", () => {
  const withMounts = (...lines: string[]) => ({ "/proc/self/mountinfo": [MOUNTINFO, ...lines].join("\n") });

  it("E_HOST_MOUNT for the host's /proc, /sys or /dev mounted anywhere but the container's own places", async () => {
    const cases: [string, string, string][] = [
      ["-v /proc:/hostproc", "90 73 0:21 / /hostproc rw,nosuid,nodev,noexec,relatime - proc proc rw", "the host's /proc (proc) is mounted at /hostproc"],
      ["-v /sys:/hostsys:ro", "90 73 0:20 / /hostsys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw", "the host's /sys (sysfs) is mounted at /hostsys"],
      ["-v /dev:/hostdev", "90 73 0:5 / /hostdev rw,nosuid,relatime - devtmpfs udev rw,size=4096k", "the host's /dev (devtmpfs) is mounted at /hostdev"],
    ];
    for (const [label, line, reason] of cases) {
      const found = await only(fakeEnvironment({ files: withMounts(line) }));
      expect(found.codes, label).toEqual(["E_HOST_MOUNT"]);
      expect(found.reason, label).toContain(reason);
    }
    // Control: the container's own /proc and /sys with their sub-mounts (MOUNTINFO) pass.
    expect(await codes(fakeEnvironment())).toEqual([]);
  });

  it("E_HOST_MOUNT for an operating system's root mounted at any path (-v /:/mnt/odd:ro)", async () => {
    const line = "90 73 254:0 / /mnt/odd ro,relatime - ext4 /dev/vda rw";
    const root: DirEntry[] = ["bin", "etc", "home", "proc", "run", "usr", "var"].map((name) => ({ name, kind: "dir" }));
    const found = await only(fakeEnvironment({ files: withMounts(line), dirs: { "/mnt/odd": root } }));
    expect(found.codes).toEqual(["E_HOST_MOUNT"]);
    expect(found.reason).toContain("an operating system's root file system is mounted at /mnt/odd");
    // Control: a workspace with an etc folder (but no usr and proc beside it) is no system's root.
    const workspace: DirEntry[] = ["etc", "src", "docs"].map((name) => ({ name, kind: "dir" }));
    expect(await codes(fakeEnvironment({ files: withMounts(line.replace("/mnt/odd", "/work")), dirs: { "/work": workspace } }))).toEqual([]);
  });

  it("E_PRIVILEGED for a cgroup hierarchy mounted writable (--systemd=always), not for the read-only ones", async () => {
    const ro = "88 87 0:29 /libpod_parent/libpod-4d8a /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu";
    const rw = "100 99 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd";
    const found = await only(fakeEnvironment({ files: withMounts(ro, rw) }));
    expect(found.codes).toEqual(["E_PRIVILEGED"]);
    expect(found.reason).toContain("a cgroup hierarchy is mounted writable (/sys/fs/cgroup/systemd)");
    expect(await codes(fakeEnvironment({ files: withMounts(ro) }))).toEqual([]);
  });

  it("E_HOST_NAMESPACE for the host's IPC or UTS namespace, by the kernel's fixed inodes", async () => {
    const ipc = await only(fakeEnvironment({ links: { "/proc/self/ns/ipc": "ipc:[4026531839]" } }));
    expect(ipc.codes).toEqual(["E_HOST_NAMESPACE"]);
    expect(ipc.reason).toContain("the host's IPC namespace (--ipc host");
    expect(await codes(fakeEnvironment({ links: { "/proc/self/ns/uts": "uts:[4026531838]" } }))).toEqual(["E_HOST_NAMESPACE"]);
    // Control: a container's own IPC and UTS namespaces (podman's default), with the host's cgroup,
    // user and time namespaces, as a default rootful start on cgroup v1 has them.
    const own = { "/proc/self/ns/ipc": "ipc:[4026532179]", "/proc/self/ns/uts": "uts:[4026532178]", "/proc/self/ns/cgroup": "cgroup:[4026531835]", "/proc/self/ns/user": "user:[4026531837]" };
    expect(await codes(fakeEnvironment({ links: own }))).toEqual([]);
  });

  it("E_ROOT for the root group: --user 1000:0 or --group-add 0", async () => {
    const primary = `${NORMAL_STATUS}Uid:\t1000\t1000\t1000\t1000\nGid:\t0\t0\t0\t0\nGroups:\t\n`;
    const supplementary = `${NORMAL_STATUS}Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t0 1000\n`;
    for (const status of [primary, supplementary]) {
      const found = await only(fakeEnvironment({ files: { "/proc/self/status": status } }));
      expect(found.codes).toEqual(["E_ROOT"]);
      expect(found.reason).toContain("root group");
    }
    // Control: uid and gid 1000 with group 1000 only, as the image's USER gives.
    expect(await codes(fakeEnvironment({ files: { "/proc/self/status": `${NORMAL_STATUS}Gid:\t1000\t1000\t1000\t1000\nGroups:\t1000 \n` } }))).toEqual([]);
  });

  it("E_SETUID for a set-ID file in a mount without nosuid while no_new_privs is off; nosuid or no-new-privileges pass", async () => {
    const line = "90 73 254:0 /tmp/tools /x rw,relatime - ext4 /dev/vda rw";
    const dirs = { "/x": [{ name: "id", kind: "setid" as const }, { name: "ls", kind: "other" as const }] };
    const found = await only(fakeEnvironment({ files: withMounts(line), dirs }));
    expect(found.codes).toEqual(["E_SETUID"]);
    expect(found.reason).toContain("/x/id");
    // Controls: the same file with no_new_privs on, or on a nosuid mount.
    const nnp = NORMAL_STATUS.replace("NoNewPrivs:\t0", "NoNewPrivs:\t1");
    expect(await codes(fakeEnvironment({ files: { ...withMounts(line), "/proc/self/status": nnp }, dirs }))).toEqual([]);
    expect(await codes(fakeEnvironment({ files: withMounts(line.replace("rw,relatime", "rw,nosuid,relatime")), dirs }))).toEqual([]);
  });

  it("E_SETUID for any executable in such a mount while the bounding set holds capabilities: a file capability is invisible", async () => {
    const line = "90 73 254:0 /tmp/tools /x rw,relatime - ext4 /dev/vda rw";
    const dirs = { "/x": [{ name: "cat", kind: "exec" as const }, { name: "notes.txt", kind: "other" as const }] };
    const found = await only(fakeEnvironment({ files: withMounts(line), dirs }));
    expect(found.codes).toEqual(["E_SETUID"]);
    expect(found.reason).toContain("an executable is mounted where the kernel honours file capabilities (/x/cat)");
    expect(found.reason).toContain("DAC_OVERRIDE");
    // Controls: --cap-drop ALL (an empty bounding set), no-new-privileges, a nosuid mount, no executable.
    const dropped = NORMAL_STATUS.replace("CapBnd:\t00000000a80425fb", "CapBnd:\t0000000000000000");
    expect(await codes(fakeEnvironment({ files: { ...withMounts(line), "/proc/self/status": dropped }, dirs }))).toEqual([]);
    const nnp = NORMAL_STATUS.replace("NoNewPrivs:\t0", "NoNewPrivs:\t1");
    expect(await codes(fakeEnvironment({ files: { ...withMounts(line), "/proc/self/status": nnp }, dirs }))).toEqual([]);
    expect(await codes(fakeEnvironment({ files: withMounts(line.replace("rw,relatime", "rw,nosuid,relatime")), dirs }))).toEqual([]);
    expect(await codes(fakeEnvironment({ files: withMounts(line), dirs: { "/x": [{ name: "notes.txt", kind: "other" }] } }))).toEqual([]);
  });

  it("the real environment tells a set-ID file only when asked for modes", () => {
    const dir = tempDir("pw-setid-");
    writeFileSync(join(dir, "tool"), "#!/bin/sh\n", { mode: 0o755 });
    chmodSync(join(dir, "tool"), 0o4755);
    writeFileSync(join(dir, "plain"), "", { mode: 0o755 });
    writeFileSync(join(dir, "data"), "", { mode: 0o644 });
    const real = realEnvironment();
    const kinds = (modes: boolean) => Object.fromEntries((real.listDir(dir, modes) ?? []).map((d) => [d.name, d.kind]));
    expect(kinds(true)).toEqual({ tool: "setid", plain: "exec", data: "other" });
    expect(kinds(false)).toEqual({ tool: "other", plain: "other", data: "other" });
    expect(real.kindOf(join(dir, "tool"))).toBe("setid");
  });

  it("E_NETWORK_DIRECT for a mounted socket that accepts connections (a relay out, an ssh agent) under a gateway profile", async () => {
    const line = "91 73 254:0 /data /work rw - ext4 /dev/vda rw";
    const dirs = { "/work": [{ name: "relay.sock", kind: "socket" as const }] };
    const found = await only(fakeEnvironment({ files: withMounts(line), dirs, listening: ["/work/relay.sock"] }));
    expect(found.codes).toEqual(["E_NETWORK_DIRECT"]);
    expect(found.reason).toContain("a mounted unix socket accepts connections (/work/relay.sock)");
    // Controls: the same socket with no listener, and a profile without a gateway.
    expect(await codes(fakeEnvironment({ files: withMounts(line), dirs }))).toEqual([]);
    expect(await refusals(spec({ network: "direct" }), fakeEnvironment({ files: withMounts(line), dirs, listening: ["/work/relay.sock"] }), DIGESTS)).toEqual([]);
  });

  it("E_CONTAINER_SOCKET for containerd, CRI-O and BuildKit sockets, which speak gRPC and never answer the ping", async () => {
    expect(await codes(fakeEnvironment({ existing: ["/run/containerd/containerd.sock"] }))).toEqual(["E_CONTAINER_SOCKET"]);
    const line = "91 73 254:0 /run /srv/hostrun rw - ext4 /dev/vda rw";
    const dirs = { "/srv/hostrun": [{ name: "crio", kind: "dir" as const }], "/srv/hostrun/crio": [{ name: "crio.sock", kind: "socket" as const }] };
    const found = await only(fakeEnvironment({ files: withMounts(line), dirs }));
    expect(found.codes).toEqual(["E_CONTAINER_SOCKET"]);
    expect(found.reason).toContain("/srv/hostrun/crio/crio.sock");
    // Control: a socket of another name that does not answer.
    const other = { ...dirs, "/srv/hostrun/crio": [{ name: "metrics.sock", kind: "socket" as const }] };
    expect(await codes(fakeEnvironment({ files: withMounts(line), dirs: other }))).toEqual([]);
  });

  it("E_CREDENTIAL for a key inside a longer value, under any name, and an AWS secret by its variable", async () => {
    const cases: Record<string, string> = {
      REPO_URL: `https://x-access-token:ghp_${"c".repeat(36)}@github.com/octo/app.git`,
      EXTRA_HEADERS: `Authorization: Bearer sk-ant-api03-${"d".repeat(40)}`,
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    for (const [name, value] of Object.entries(cases)) {
      const found = await only(fakeEnvironment({ env: { AGENT_SANDBOX: "1", [name]: value } }));
      expect(found.codes, name).toEqual(["E_CREDENTIAL"]);
      expect(found.reason, name).toContain(name);
      expect(found.reason, name).not.toContain(value);
    }
    // Controls: longer words that hold a prefix, the launcher's placeholders, a short secret-named value.
    const fine = { NOTE: "ask-anthropic-about-it-later-please-ok", URL: "https://x:perimeter-placeholder@github.com", AWS_SECRET_ACCESS_KEY: "perimeter-placeholder" };
    expect(await codes(fakeEnvironment({ env: { AGENT_SANDBOX: "1", ...fine } }))).toEqual([]);
  });

  it("E_CREDENTIAL for a real secret in a tool's credential file in the home, naming the file only", async () => {
    const home = "/home/agent";
    const files: Record<string, string> = {
      ".config/gh/hosts.yml": `github.com:\n    oauth_token: gho_${"e".repeat(36)}\n    user: octo\n`,
      ".npmrc": `//registry.npmjs.org/:_authToken=npm_${"f".repeat(36)}\n`,
      ".aws/credentials": "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
      ".git-credentials": "https://octo:hunter2-long-password@example.test\n",
      ".docker/config.json": '{"auths":{"registry.example.test":{"auth":"b2N0bzpodW50ZXIyLWxvbmc="}}}',
      ".ssh/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
      ".kube/config": "users:\n- name: admin\n  user:\n    token: hunter2-cluster-token\n",
    };
    for (const [file, text] of Object.entries(files)) {
      const found = await only(fakeEnvironment({ files: { [`${home}/${file}`]: text } }));
      expect(found.codes, file).toEqual(["E_CREDENTIAL"]);
      expect(found.reason, file).toContain(`~/${file}`);
      expect(found.reason, file).not.toContain("hunter2");
    }
    // HOME pointed elsewhere hides nothing in the image user's home; a HOME of its own is read too.
    const moved = await only(fakeEnvironment({ env: { AGENT_SANDBOX: "1", HOME: "/tmp/elsewhere" }, files: { [`${home}/.npmrc`]: files[".npmrc"]!, "/tmp/elsewhere/.netrc": "machine x login y password hunter2-long\n" } }));
    expect(moved.codes).toEqual(["E_CREDENTIAL"]);
    expect(moved.reason).toContain("~/.npmrc");
    expect(moved.reason).toContain("/tmp/elsewhere/.netrc");
    // Controls: the same files with placeholders or no secret (what a test home or the launcher writes).
    const fine: Record<string, string> = {
      [`${home}/.npmrc`]: "registry=http://registry.test/\n//registry.test/:_authToken=perimeter-placeholder\n",
      [`${home}/.config/gh/hosts.yml`]: "github.com:\n    user: octo\n",
      [`${home}/.docker/config.json`]: '{"auths":{}}',
    };
    expect(await codes(fakeEnvironment({ files: fine }))).toEqual([]);
  });

  it("E_POLICY_ENV for a variable that moves a tool's baked system settings, or loads code into the guard hook's node", async () => {
    const withGemini = spec({ tools: { ...spec().tools, gemini: { ...spec().tools.gemini, policyEnv: ["GEMINI_CLI_SYSTEM_SETTINGS_PATH"] } } });
    const cases: [string, NodeJS.ProcessEnv, string][] = [
      ["gemini's system settings", { GEMINI_CLI_SYSTEM_SETTINGS_PATH: "/work/settings.json" }, "GEMINI_CLI_SYSTEM_SETTINGS_PATH moves a tool's baked system settings"],
      ["NODE_OPTIONS --require", { NODE_OPTIONS: "--max-old-space-size=4096 --require /work/x.js" }, "NODE_OPTIONS loads code into every node process"],
      ["NODE_OPTIONS --import=", { NODE_OPTIONS: "--import=/work/x.mjs" }, "NODE_OPTIONS loads code"],
      ["LD_PRELOAD", { LD_PRELOAD: "/work/x.so" }, "LD_PRELOAD runs code in every process"],
      ["BASH_ENV", { BASH_ENV: "/work/x.sh" }, "BASH_ENV runs code"],
      ["PATH into the agent's home", { PATH: "/home/agent/bin:/usr/bin:/bin" }, 'PATH has entries the agent can write or that are relative ("/home/agent/bin")'],
      ["PATH with the current folder", { PATH: "/usr/bin::/bin" }, 'relative ("")'],
      ["PATH with a relative entry", { PATH: "node_modules/.bin:/usr/bin" }, '"node_modules/.bin"'],
    ];
    for (const [label, env, reason] of cases) {
      const environment = fakeEnvironment({ env: { AGENT_SANDBOX: "1", ...env }, existing: ["/home/agent", "/usr/bin", "/bin"], writable: ["/home/agent"] });
      const found = await refusals(withGemini, environment, DIGESTS);
      expect(found.map((r) => r.code), label).toEqual(["E_POLICY_ENV"]);
      expect(found[0]!.reason, label).toContain(reason);
    }
    // Controls: the image's own PATH (root-owned folders, one missing under a root-owned parent), a
    // NODE_OPTIONS that loads nothing, the tool's variable empty.
    const fine = { PATH: "/usr/local/bin:/usr/bin:/bin", NODE_OPTIONS: "--max-old-space-size=4096", GEMINI_CLI_SYSTEM_SETTINGS_PATH: "" };
    const environment = fakeEnvironment({ env: { AGENT_SANDBOX: "1", ...fine }, existing: ["/usr", "/usr/bin", "/bin", "/home/agent"], writable: ["/home/agent"] });
    expect(await refusals(withGemini, environment, DIGESTS)).toEqual([]);
  });

  it("E_CREDENTIAL for a token in a tool's own login file, which the tool module names (loginFiles)", async () => {
    const tools = spec().tools;
    const named = spec({ tools: { ...tools, codex: { ...tools.codex, loginFiles: [".codex/auth.json"] } } });
    const file = { "/home/agent/.codex/auth.json": '{"tokens":{"access_token":"eyJhbGciOiJSUzI1NiJ9.hunter2.sig"}}' };
    const found = await refusals(named, fakeEnvironment({ files: file }), DIGESTS);
    expect(found.map((r) => r.code)).toEqual(["E_CREDENTIAL"]);
    expect(found[0]!.reason).toContain("~/.codex/auth.json (a stored secret)");
    expect(found[0]!.reason).not.toContain("hunter2");
    // Controls: a login file with no token, and the same file where no tool says it is a login file.
    expect(await refusals(named, fakeEnvironment({ files: { "/home/agent/.codex/auth.json": '{"tokens":null}' } }), DIGESTS)).toEqual([]);
    expect(await refusals(spec(), fakeEnvironment({ files: file }), DIGESTS)).toEqual([]);
    // Every tool module names its login files.
    for (const tool of TOOLS) expect(tool.launch(loadProfile("autonomous")).loginFiles?.length, tool.id).toBeGreaterThan(0);
  });

  it("E_CREDENTIAL for a real key in a secret file (--secret puts it in /run/secrets)", async () => {
    const dirs = { "/run/secrets": [{ name: "anthropic", kind: "other" as const }, { name: "kubernetes.io", kind: "dir" as const }] };
    const found = await only(fakeEnvironment({ dirs, files: { "/run/secrets/anthropic": `sk-ant-api03-${"g".repeat(40)}\n` } }));
    expect(found.codes).toEqual(["E_CREDENTIAL"]);
    expect(found.reason).toContain("/run/secrets/anthropic (Anthropic API key)");
    // Control: a secret file that holds a placeholder.
    expect(await codes(fakeEnvironment({ dirs, files: { "/run/secrets/anthropic": "perimeter-placeholder\n" } }))).toEqual([]);
  });
});

describe("the Kubernetes variant (a spec baked with egressWall orchestrator)", () => {
  const cluster = spec({ egressWall: "orchestrator" });
  // What the emitted Job gives the agent container: a pod's default route, the proxy, the API's address.
  const POD_ENV = { AGENT_SANDBOX: "1", HTTPS_PROXY: "http://perimeter-run-gateway:3128", KUBERNETES_SERVICE_HOST: "10.96.0.1" };
  const pod = (o: FakeOptions = {}) => fakeEnvironment({ files: netFiles(NET_VIEWS.bridge), ...o, env: { ...POD_ENV, ...o.env } });
  const clusterCodes = async (e: Environment, s: ImageSpec = cluster) => (await refusals(s, e, DIGESTS)).map((r) => r.code);

  it("starts in a pod with a default route, HTTPS_PROXY set and no token; control: the standard image refuses that pod", async () => {
    expect(await clusterCodes(pod())).toEqual([]);
    expect(await clusterCodes(pod(), spec())).toEqual(["E_NETWORK_DIRECT"]);
  });

  it("no variable switches the standard image into the cluster form: a default route is still E_NETWORK_DIRECT", async () => {
    for (const env of [{ PERIMETER_EGRESS_WALL: "orchestrator" }, { AGENT_EGRESS_WALL: "orchestrator" }, { EGRESS_WALL: "orchestrator" }, { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, {}]) {
      expect(await clusterCodes(pod({ env }), spec()), JSON.stringify(env)).toEqual(["E_NETWORK_DIRECT"]);
    }
  });

  it("a spec changed to say orchestrator (a file mounted over image.json) is E_POLICY_TAMPERED", async () => {
    const flipped = { [SPEC_PATH]: "sha-of-a-spec-that-says-orchestrator" };
    const found = await clusterCodes(pod({ sha: flipped }));
    expect(found).toEqual(["E_POLICY_TAMPERED"]);
    // The entrypoint reads the spec it was given; the digest it carries is of the one bake wrote.
    const stderr = vi.spyOn(stderrLines, "write").mockImplementation(() => true);
    try {
      const environment = pod({ sha: flipped, files: { ...netFiles(NET_VIEWS.bridge), [SPEC_PATH]: JSON.stringify(cluster) } });
      expect(await main(["claude", "hi"], environment, SPEC_PATH, DIGESTS)).toBe(EXIT_REFUSED);
      expect(parseRefusal(String(stderr.mock.calls[0]![0]))?.code).toBe("E_POLICY_TAMPERED");
    } finally {
      stderr.mockRestore();
    }
  });

  it("refuses outside a pod: the same variant under `docker run` on a bridge (no KUBERNETES_SERVICE_HOST)", async () => {
    const found = await refusals(cluster, pod({ env: { KUBERNETES_SERVICE_HOST: undefined } }), DIGESTS);
    expect(found.map((r) => r.code)).toEqual(["E_NETWORK_DIRECT"]);
    expect(found[0]!.reason).toContain("this is no pod");
  });

  it("E_PROXY_UNSET without HTTPS_PROXY, or with one that names no proxy", async () => {
    for (const value of [undefined, "", "   ", "gateway:3128", "file:///etc/passwd", "socks5://"]) {
      expect(await clusterCodes(pod({ env: { HTTPS_PROXY: value } })), String(value)).toEqual(["E_PROXY_UNSET"]);
    }
    expect(await clusterCodes(pod({ env: { HTTPS_PROXY: undefined, https_proxy: "http://gw:3128" } }))).toEqual([]);
  });

  it("E_SERVICE_ACCOUNT_TOKEN for the token a pod mounts unless automountServiceAccountToken is false", async () => {
    expect(await clusterCodes(pod({ existing: ["/var/run/secrets/kubernetes.io/serviceaccount/token"] }))).toEqual(["E_SERVICE_ACCOUNT_TOKEN"]);
  });

  it("host networking is still E_NETWORK_DIRECT: no NetworkPolicy holds a hostNetwork pod", async () => {
    const found = await refusals(cluster, pod({ files: netFiles(NET_VIEWS.host) }), DIGESTS);
    expect(found.map((r) => r.code)).toEqual(["E_NETWORK_DIRECT"]);
    expect(found[0]!.reason).toContain("host networking");
  });

  it("everything else is refused as in the standard image: root, capabilities, seccomp, sockets, real keys, the sandbox flag", async () => {
    const cases: [FakeOptions, RefusalCode][] = [
      [{ uid: 0 }, "E_ROOT"],
      [{ files: { ...netFiles(NET_VIEWS.bridge), "/proc/self/status": CAP_ADD_SYS_ADMIN } }, "E_CAPABILITIES"],
      [{ files: { ...netFiles(NET_VIEWS.bridge), "/proc/self/status": UNCONFINED_STATUS } }, "E_SECCOMP"],
      [{ existing: ["/var/run/docker.sock"] }, "E_CONTAINER_SOCKET"],
      [{ env: { OPENAI_API_KEY: "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD" } }, "E_CREDENTIAL"],
      [{ env: { AGENT_SANDBOX: "0" } }, "E_SANDBOX_FLAG"],
      [{ writable: ["/etc/codex/config.toml"] }, "E_POLICY_WRITABLE"],
    ];
    for (const [o, code] of cases) expect(await clusterCodes(pod(o)), code).toEqual([code]);
  });
});

describe("parseRequest", () => {
  const s = spec();

  it("takes the tool and prompt from the arguments", () => {
    expect(parseRequest(s, ["codex", "fix", "the", "tests"], {})).toEqual({ tool: "codex", prompt: "fix the tests" });
  });

  it("takes them from AGENT_TOOL and AGENT_PROMPT", () => {
    expect(parseRequest(s, [], { AGENT_TOOL: "gemini", AGENT_PROMPT: "hello" })).toEqual({ tool: "gemini", prompt: "hello" });
  });

  it("AGENT_TOOL with the prompt in the arguments", () => {
    expect(parseRequest(s, ["do", "it"], { AGENT_TOOL: "claude" })).toEqual({ tool: "claude", prompt: "do it" });
  });

  it("AGENT_PROMPT wins over prompt arguments", () => {
    expect(parseRequest(s, ["claude", "from", "args"], { AGENT_PROMPT: "from env" })).toEqual({ tool: "claude", prompt: "from env" });
  });

  it("errors: no tool, unknown tool, empty prompt", () => {
    expect(parseRequest(s, [], {})).toMatch(/no tool chosen/);
    expect(parseRequest(s, ["hello"], {})).toMatch(/no tool chosen/);
    expect(parseRequest(s, ["x"], { AGENT_TOOL: "vim" })).toMatch(/unknown tool "vim"/);
    expect(parseRequest(s, ["claude"], {})).toMatch(/no prompt/);
    expect(parseRequest(s, ["claude", "  "], {})).toMatch(/no prompt/);
  });
});

describe("main", () => {
  afterEach(() => vi.restoreAllMocks());

  function captureStderr(): () => string {
    let text = "";
    vi.spyOn(stderrLines, "write").mockImplementation((chunk: string) => {
      text += chunk;
    });
    return () => text;
  }

  const withSpec = (s: ImageSpec, o: FakeOptions = {}) => fakeEnvironment({ ...o, files: { ...o.files, [SPEC_PATH]: JSON.stringify(s) } });

  it("returns 64 and prints exactly one stderr line when refused, naming the first code and the others", async () => {
    const stderr = captureStderr();
    const code = await main(["claude", "hi"], withSpec(spec(), { env: {}, uid: 0 }), SPEC_PATH, DIGESTS);
    expect(code).toBe(EXIT_REFUSED);
    expect(code).toBe(64);
    const lines = stderr().split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(parseRefusal(lines[0]!)?.code).toBe("E_ROOT");
    expect(lines[0]).toContain("(also: E_SANDBOX_FLAG)");
    expect(stderr().endsWith("\n")).toBe(true);
  });

  it("returns 64 with E_POLICY_MISSING when the image spec is missing", async () => {
    const stderr = captureStderr();
    const code = await main(["claude", "hi"], fakeEnvironment(), SPEC_PATH, DIGESTS);
    expect(code).toBe(64);
    expect(stderr()).toMatch(/^perimeter-entrypoint: refused \(E_POLICY_MISSING\)/);
  });

  it("returns 64 with one line for a bad request in a clean sandbox", async () => {
    const stderr = captureStderr();
    const code = await main([], withSpec(spec()), SPEC_PATH, DIGESTS);
    expect(code).toBe(64);
    expect(stderr().trim().split("\n")).toHaveLength(1);
    expect(stderr()).toContain("E_USAGE");
  });

  it("runs the tool in a clean sandbox and returns its exit code", async () => {
    captureStderr();
    const s = spec({ tools: { ...spec().tools, codex: { argv: ["node", "-e", "process.exit(5)"], package: "@openai/codex", version: "1" } } });
    const code = await main(["codex", "go"], withSpec(s), SPEC_PATH, DIGESTS);
    expect(code).toBe(5);
  });

  it("with PERIMETER_START_WHEN the tool starts only once that file appears; the checks run first", async () => {
    captureStderr();
    const s = spec({ tools: { ...spec().tools, codex: { argv: ["node", "-e", "process.exit(5)"], package: "@openai/codex", version: "1" } } });
    let appeared = false;
    const base = withSpec(s, { env: { AGENT_SANDBOX: "1", PERIMETER_START_WHEN: "/work/.git/perimeter-cloned" } });
    const environment = { ...base, exists: (p: string) => (p === "/work/.git/perimeter-cloned" ? appeared : base.exists(p)) };
    const t0 = Date.now();
    setTimeout(() => (appeared = true), 300);
    expect(await main(["codex", "go"], environment, SPEC_PATH, DIGESTS)).toBe(5);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    // A refused start does not wait for the file: the refusal is known at once.
    const refused = { ...withSpec(s, { uid: 0, env: { AGENT_SANDBOX: "1", PERIMETER_START_WHEN: "/never" } }) };
    expect(await main(["codex", "go"], refused, SPEC_PATH, DIGESTS)).toBe(EXIT_REFUSED);
  });

  describe("E_GUARD_OFF: a settings file the agent or its repository wrote switches the guard hook off", () => {
    // The switches as the tool modules name them in their launch (baked into the spec):
    // Gemini unions hooksConfig.disabled over every layer; Codex's user or trusted project config
    // outranks the system layer's hook with [features] hooks = false.
    const autonomous = loadProfile("autonomous");
    const tool = (id: "gemini" | "codex") => ({ argv: ["node", "-e", "process.exit(5)"], package: id, version: "1", guardOff: TOOLS.find((t) => t.id === id)!.launch(autonomous).guardOff });
    const s = () => spec({ tools: { ...spec().tools, gemini: tool("gemini"), codex: tool("codex") } });
    const start = (id: string, files: Record<string, string>, env: Record<string, string> = {}) =>
      main([id, "go"], withSpec(s(), { files, env: { AGENT_SANDBOX: "1", ...env } }), SPEC_PATH, DIGESTS);
    const off = JSON.stringify({ hooksConfig: { disabled: ["perimeter-guard"] } });
    const codexOff = "[features]\nhooks = false\n";

    it.each([
      ["gemini", "the workspace's settings", { "/work/.gemini/settings.json": off }, {}],
      ["gemini", "the home's settings", { "/home/agent/.gemini/settings.json": off }, {}],
      ["gemini", "a HOME moved elsewhere", { "/tmp/h/.gemini/settings.json": off }, { HOME: "/tmp/h" }],
      ["gemini", "GEMINI_CLI_HOME's settings", { "/tmp/g/.gemini/settings.json": off }, { GEMINI_CLI_HOME: "/tmp/g" }],
      ["gemini", "settings with comments, as Gemini reads them", { "/work/.gemini/settings.json": `{ // mine\n "hooksConfig": { /* x */ "disabled": ["a", "perimeter-guard"] } }` }, {}],
      ["gemini", "a file it cannot read as settings (fail closed)", { "/work/.gemini/settings.json": "{ hooksConfig: " }, {}],
      ["codex", "the workspace's .codex/config.toml", { "/work/.codex/config.toml": codexOff }, {}],
      ["codex", "the home's config", { "/home/agent/.codex/config.toml": codexOff }, {}],
      ["codex", "CODEX_HOME's config", { "/tmp/cx/config.toml": codexOff }, { CODEX_HOME: "/tmp/cx" }],
      ["codex", "a config it cannot read as TOML (fail closed)", { "/work/.codex/config.toml": "[features\nhooks = " }, {}],
    ])("%s, %s: refused", async (id, _c, files, env) => {
      const stderr = captureStderr();
      expect(await start(id, files, env)).toBe(EXIT_REFUSED);
      expect(parseRefusal(stderr().trim())?.code).toBe("E_GUARD_OFF");
    });

    it.each([
      ["gemini", "no settings", {}],
      ["gemini", "another hook disabled", { "/work/.gemini/settings.json": JSON.stringify({ hooksConfig: { disabled: ["other"] } }) }],
      ["gemini", "the name in a string elsewhere (a comment-like URL kept)", { "/work/.gemini/settings.json": JSON.stringify({ general: { note: "see http://x//perimeter-guard" } }) }],
      ["gemini", "Codex's switch is not Gemini's", { "/work/.codex/config.toml": codexOff }],
      ["codex", "hooks on", { "/work/.codex/config.toml": "[features]\nhooks = true\n" }],
      ["codex", "CODEX_HOME unset: its file is not read", { "/tmp/cx/config.toml": codexOff }],
      ["gemini", "GEMINI_CLI_HOME unset: its file is not read", { "/tmp/g/.gemini/settings.json": off }],
    ])("control, %s, %s: the tool starts", async (id, _c, files) => {
      captureStderr();
      expect(await start(id, files)).toBe(5);
    });
  });

  it("the start gate gives up after its wait (the launcher stops a failed clone's agent before that)", async () => {
    expect(await startGate({ PERIMETER_START_WHEN: "/never" }, () => false, 50, 5)).toBe(false);
    expect(await startGate({}, () => false, 50, 5)).toBe(true);
  });

  it("the source entrypoint carries no digests and refuses (only a baked copy has them)", async () => {
    const stderr = captureStderr();
    expect(await main(["codex", "go"], withSpec(spec()), SPEC_PATH)).toBe(64);
    expect(stderr()).toContain("E_POLICY_MISSING");
  });
});

describe("runTool", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Runs the tool with stderr captured; returns the exit code and the record lines. */
  async function recorded(s: ImageSpec, request: Parameters<typeof runTool>[1]) {
    let text = "";
    vi.spyOn(stderrLines, "write").mockImplementation((chunk: string) => {
      text += chunk;
    });
    const code = await runTool(s, request);
    vi.restoreAllMocks();
    return { code, text, records: parseRecords(text) };
  }

  it("returns the tool's exit code (7) and writes a start and an end record line to stderr, without the prompt text", async () => {
    const s = spec({ tools: { ...spec().tools, claude: { argv: ["node", "-e", "process.exit(7)"], package: "@anthropic-ai/claude-code", version: "2.1.330" } } });
    const prompt = "SECRET-PROMPT-do-not-log the repo token is hunter2";
    const { code, text, records } = await recorded(s, { tool: "claude", prompt });
    expect(code).toBe(7);
    expect(text).not.toContain("SECRET-PROMPT");
    expect(text).not.toContain("hunter2");
    expect(text.split("\n").filter((l) => l !== "").every((l) => l.startsWith(RECORD_PREFIX))).toBe(true);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ v: 1, event: "start", tool: "claude", profile: "autonomous", version: "2.1.330" });
    expect(records[0]).toMatchObject({ command: ["node", "-e", "process.exit(7)", `<prompt: ${prompt.length} characters>`] });
    expect(records[1]).toMatchObject({ event: "end", tool: "claude", exitCode: 7, stopReason: "exited" });
    expect(typeof (records[1] as { durationMs: number }).durationMs).toBe("number");
  });

  it("writes no file: the record is the entrypoint's stderr (advisory; README)", async () => {
    const s = spec();
    const { records } = await recorded(s, { tool: "codex", prompt: "one" });
    expect(records.map((l) => `${l.event}:${l.tool}`)).toEqual(["start:codex", "end:codex"]);
    expect(JSON.stringify(s)).not.toContain("runRecord");
  });

  it("parseRecords skips other lines and broken ones", () => {
    const text = `noise\n${RECORD_PREFIX}{"v":1,"event":"start"}\n${RECORD_PREFIX}{broken\n${RECORD_PREFIX}{"v":9}\n`;
    expect(parseRecords(text)).toEqual([{ v: 1, event: "start" }]);
  });

  it("passes the prompt to the tool as its last argument", async () => {
    const dir = tempDir("perimeter-run-");
    const out = join(dir, "argv.json");
    const script = `require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(1)))`;
    const s = spec({ tools: { ...spec().tools, gemini: { argv: ["node", "-e", script, "first-arg"], package: "g", version: "1" } } });
    expect((await recorded(s, { tool: "gemini", prompt: "a prompt with spaces" })).code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(["first-arg", "a prompt with spaces"]);
  });

  it("a prompt that starts with - is never an option: after the launch's --, or as the value of its promptOption in one argument", async () => {
    const dir = tempDir("perimeter-run-");
    const out = join(dir, "argv.json");
    // A script file, so node itself reads no option after it.
    writeFileSync(join(dir, "argv.cjs"), `require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)))`);
    const prompt = "--settings=/work/evil.json";
    const tools = spec().tools;
    const ended = spec({ tools: { ...tools, claude: { argv: ["node", join(dir, "argv.cjs"), "-p", "--"], package: "c", version: "1" } } });
    expect((await recorded(ended, { tool: "claude", prompt })).code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(["-p", "--", prompt]);
    const valued = spec({ tools: { ...tools, gemini: { argv: ["node", join(dir, "argv.cjs"), "--approval-mode", "yolo"], promptOption: "--prompt", package: "g", version: "1" } } });
    expect((await recorded(valued, { tool: "gemini", prompt })).code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(["--approval-mode", "yolo", `--prompt=${prompt}`]);
    // A launch with neither (a spec from before) refuses such a prompt before anything starts; an
    // ordinary prompt still runs (control).
    const bare = spec({ tools: { ...tools, codex: { argv: ["node", join(dir, "argv.cjs"), "exec"], package: "x", version: "1" } } });
    expect(parseRequest(bare, ["codex", prompt], {})).toMatch(/starts with "-".*read the prompt as its options/);
    expect(parseRequest(bare, ["codex", "fix the bug"], {})).toEqual({ tool: "codex", prompt: "fix the bug" });
    expect((await recorded(bare, { tool: "codex", prompt })).code).toBe(64);
  });

  it("every tool's launch, in every image profile, keeps the prompt from being options", () => {
    for (const name of ["autonomous", "ci"]) {
      const profile = loadProfile(name);
      for (const tool of TOOLS) {
        const launch = tool.launch(profile);
        expect(promptArguments(launch, "--dangerous"), `${tool.id} in ${name}`).toBeDefined();
      }
    }
  });

  it("returns 127 when the tool cannot be started", async () => {
    const s = spec({ tools: { ...spec().tools, codex: { argv: ["/nonexistent/perimeter-tool"], package: "x", version: "1" } } });
    const { code, records } = await recorded(s, { tool: "codex", prompt: "p" });
    expect(code).toBe(127);
    expect(records[1]).toMatchObject({ event: "end", exitCode: 127 });
  });

  it("forwards SIGTERM to the tool and returns 143, then removes its signal handlers", async () => {
    const s = spec({ tools: { ...spec().tools, claude: { argv: ["node", "-e", "setTimeout(()=>{},10000)"], package: "c", version: "1" } } });
    const before = { term: process.listeners("SIGTERM"), int: process.listeners("SIGINT") };
    const started = Date.now();
    let text = "";
    vi.spyOn(stderrLines, "write").mockImplementation((chunk: string) => {
      text += chunk;
    });
    const running = runTool(s, { tool: "claude", prompt: "wait" });
    const added = process.listeners("SIGTERM").filter((l) => !before.term.includes(l));
    expect(added).toHaveLength(1);
    expect(process.listeners("SIGINT").filter((l) => !before.int.includes(l))).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // What the process does when it receives SIGTERM: call the handler runTool installed.
    (added[0] as (signal: NodeJS.Signals) => void)("SIGTERM");
    const code = await running;
    expect(code).toBe(143);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(parseRecords(text)[1]).toMatchObject({ event: "end", exitCode: 143, stopReason: "signal SIGTERM" });
    expect(process.listeners("SIGTERM")).toEqual(before.term);
    expect(process.listeners("SIGINT")).toEqual(before.int);
  }, 15_000);
});
