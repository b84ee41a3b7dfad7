// Issue 12, "the walls hold": each way to start the agent image that leaves it no wall is refused by
// its entrypoint (exit 64, one stderr line, its own code), and each has a control: the same start
// without the one bad flag gets past every check (the entrypoint then answers E_USAGE for the unknown
// tool named on purpose, which it only does after the checks). The plain and the hardened starts are
// not refused. The image is the one `perimeter bake --profile autonomous` makes (no fake model needed).
import { execa, type ResultPromise } from "execa";
import { chmodSync, chownSync, copyFileSync, linkSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRefusal } from "../../src/entrypoint/record.js";
import { TOOL_IDS } from "../../src/tools/index.js";
import {
  AGENT_NETWORK,
  bakeWithCli,
  buildAgentImage,
  clientEnv,
  ensureAgentNetwork,
  ensureDist,
  limiter,
  makeAgentHome,
  removeAgentNetwork,
  removeScratch,
  runThroughEntrypoint,
  scratchDir,
  startRelayedModel,
  type AgentImage,
} from "./agent-image.js";
import { CONTAINERS_CONF_PATH, STORAGE_CONF_PATH, aptInstall, ensureBaseRootfs, ensurePodman, podman, runContainer, type RunContainerOptions } from "./podman.js";

/** PERIMETER_PODMAN_PREFIX (podman.ts) names the image too, for people sharing a machine. */
const IMAGE_NAME = `${process.env.PERIMETER_PODMAN_PREFIX ?? "perimeter"}-walls-autonomous`;
/** A plain bridge this suite creates (not --internal): a default route through its gateway, like podman's default network. */
const BRIDGE_NETWORK = `${process.env.PERIMETER_PODMAN_PREFIX ?? "perimeter"}-walls-bridge-${process.pid}`;
const HARDENED = ["--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only", "--tmpfs", "/tmp", "--pids-limit", "256"];

/** A harmless command the fake model asks the agent to run; its stand-in only logs it. */
const PROBE = "gh repo view octo/app";

let image: AgentImage;
let layer: string;
/** Two containers at a time on two cores. */
const pool = limiter(2);

/** Starts the image's entrypoint with an unknown tool: past the checks it answers E_USAGE. */
async function start(opts: RunContainerOptions = {}): Promise<{ exitCode: number; lines: string[]; code?: string }> {
  const r = await pool(() => runContainer(image.ref, { env: { AGENT_TOOL: "none-such" }, args: ["hi"], ...opts }));
  // tini's own warning when it is not PID 1 (--pid host) is tini's, not the entrypoint's; podman itself
  // sometimes says it found no syslog while it sets a network up.
  const lines = r.stderr.split("\n").filter((l) => l !== "" && !/^\[WARN {2}tini|^Zombie processes will not|TINI_SUBREAPER|^failed to connect to syslog/.test(l));
  return { exitCode: r.exitCode, lines, code: parseRefusal(lines[0] ?? "")?.code };
}

/** The refusal, and the same start without `bad` getting past the checks. */
async function refusedWithControl(bad: RunContainerOptions, control: RunContainerOptions = {}) {
  const [refused, passed] = await Promise.all([start(bad), start(control)]);
  expect(passed, passed.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_USAGE" });
  expect(refused.exitCode, refused.lines.join("\n")).toBe(64);
  expect(refused.lines, refused.lines.join("\n")).toHaveLength(1);
  return refused;
}

/** A unix socket file nothing listens on. */
async function deadSocket(path: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(`${path}.live`, resolve));
  linkSync(`${path}.live`, path);
  await new Promise((resolve) => server.close(resolve));
}

beforeAll(async () => {
  await Promise.all([ensurePodman().then(() => Promise.all([ensureBaseRootfs(), ensureAgentNetwork(), podman(["network", "create", BRIDGE_NETWORK])])), ensureDist()]);
  layer = join(scratchDir("walls-layer"), "autonomous.tar");
  await bakeWithCli("autonomous", layer);
  image = await buildAgentImage(IMAGE_NAME, layer, [PROBE.split(" ")[0]!]);
}, 900_000);

afterAll(async () => {
  await podman(["untag", `localhost/${IMAGE_NAME}:latest`], { reject: false });
  await podman(["network", "rm", "--force", BRIDGE_NETWORK], { reject: false });
  await removeAgentNetwork();
  removeScratch();
});

describe("no false refusals", () => {
  it("the plain start, the hardened start and a start on an --internal network get past every check", async () => {
    const runs = await Promise.all([start(), start({ extraArgs: HARDENED }), start({ network: AGENT_NETWORK }), start({ extraArgs: [...HARDENED, "--user", "1000:1000"] })]);
    for (const r of runs) expect(r, r.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_USAGE" });
  });
});

describe("a hardened start runs a real agent to the end", () => {
  it("claude through the entrypoint with --cap-drop ALL, no-new-privileges, a read-only root, a tmpfs /tmp and a pids limit", async () => {
    const model = await startRelayedModel(image, { commands: [PROBE] });
    try {
      const home = makeAgentHome(image.spec, model);
      const r = await pool(() => runThroughEntrypoint(image, "claude", { home, model, extraArgs: HARDENED }));
      expect(r.stderr).not.toMatch(/refused/);
      expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
      expect(home.ran()).toContain(PROBE);
    } finally {
      await model.close();
    }
  });
});

// The prompt is the user's text (often from an issue): `--settings=...` or `-c key=value` as a prompt
// must not reconfigure the agent. Each real CLI gets `--version` as its prompt and sends it to the
// model as text; the control is the launch the image had before (the prompt as a bare argument, or
// after gemini's -p), which the CLI reads as its own --version.
describe("a prompt that starts with - is text for the model, never the tool's options", () => {
  it.each(TOOL_IDS.map((id) => [id] as const))("%s", async (tool) => {
    const model = await startRelayedModel(image, { commands: [PROBE] });
    try {
      const home = makeAgentHome(image.spec, model);
      const launch = image.spec.tools[tool];
      const before = launch.promptOption !== undefined ? [...launch.argv, launch.promptOption] : launch.argv.slice(0, -1);
      expect(launch.promptOption !== undefined || launch.argv.at(-1) === "--", "the launch keeps the prompt from being options").toBe(true);
      const [r, control] = await Promise.all([
        pool(() => runThroughEntrypoint(image, tool, { home, model, prompt: "--version" })),
        // Its own home: what one CLI writes there must not meet the other start's checks.
        pool(() => runContainer(image.ref, { network: AGENT_NETWORK, entrypoint: before, args: ["--version"], volumes: [makeAgentHome(image.spec, model).volume], env: clientEnv(tool, model) })),
      ]);
      expect(control.stdout, control.stderr.slice(-1000)).toContain(launch.version);
      expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
      expect(r.stdout, r.stderr.slice(-2000)).not.toContain(launch.version);
      expect(JSON.stringify(model.requests.map((q) => q.body))).toContain("--version");
    } finally {
      await model.close();
    }
  });
});

describe("the entrypoint refuses, each with a control", () => {
  it("--privileged: E_PRIVILEGED (the most specific; seccomp is off too)", async () => {
    const r = await refusedWithControl({ extraArgs: ["--privileged"] });
    expect(r.code).toBe("E_PRIVILEGED");
    expect(r.lines[0]).toContain("/sys is mounted writable");
    expect(r.lines[0]).toContain("E_SECCOMP");
  });

  it("a host device (--device /dev/kmsg): E_PRIVILEGED", async () => {
    const r = await refusedWithControl({ extraArgs: ["--device", "/dev/kmsg"] });
    expect(r.code).toBe("E_PRIVILEGED");
    expect(r.lines[0]).toContain("/dev/kmsg");
  });

  it.each([["SYS_ADMIN"], ["DAC_OVERRIDE"], ["FOWNER"], ["SETUID+SETGID"]])("--cap-add %s: E_CAPABILITIES", async (label) => {
    const caps = label.split("+");
    const r = await refusedWithControl({ extraArgs: caps.flatMap((c) => ["--cap-add", c]) });
    expect(r.code).toBe("E_CAPABILITIES");
    for (const c of caps) expect(r.lines[0]).toContain(c);
  });

  it("--security-opt seccomp=unconfined: E_SECCOMP", async () => {
    const r = await refusedWithControl({ extraArgs: ["--security-opt", "seccomp=unconfined"] });
    expect(r.code).toBe("E_SECCOMP");
  });

  it("--pid host: E_HOST_PID", async () => {
    const r = await refusedWithControl({ extraArgs: ["--pid", "host"] });
    expect(r.code).toBe("E_HOST_PID");
  });

  it.each([["a plain bridge", () => BRIDGE_NETWORK, "an IPv4 default route"], ["--network host", () => "host", "default route"]])(
    "%s (the container can reach the network past the gateway): E_NETWORK_DIRECT",
    async (_label, network, reason) => {
      // Control: the same start on an --internal network (the gateway's side of the wall).
      const r = await refusedWithControl({ network: network() }, { network: AGENT_NETWORK });
      expect(r.code).toBe("E_NETWORK_DIRECT");
      expect(r.lines[0]).toContain(reason);
    },
  );

  it("a real API key in the environment: E_CREDENTIAL, naming the variable only", async () => {
    const key = `sk-ant-api03-${"x".repeat(48)}`;
    const r = await refusedWithControl(
      { env: { AGENT_TOOL: "none-such", ANTHROPIC_API_KEY: key } },
      { env: { AGENT_TOOL: "none-such", ANTHROPIC_API_KEY: "perimeter-placeholder-anthropic" } },
    );
    expect(r.code).toBe("E_CREDENTIAL");
    expect(r.lines[0]).toContain("ANTHROPIC_API_KEY (Anthropic API key)");
    expect(r.lines[0]).not.toContain(key);
  });

  it("a root-owned read-only file with other content mounted over a policy file: E_POLICY_TAMPERED", async () => {
    const dir = scratchDir("walls-policy");
    chmodSync(dir, 0o755);
    const baked = (await execa("tar", ["-xOf", layer, "etc/codex/config.toml"])).stdout + "\n";
    writeFileSync(join(dir, "same.toml"), baked, { mode: 0o444 });
    writeFileSync(join(dir, "changed.toml"), `${baked}\n# one more line\n`, { mode: 0o444 });
    // Control: the same bytes mounted there pass; the digest, not the mount, is what is checked.
    expect(readFileSync(join(dir, "same.toml"), "utf8")).toBe(baked);
    const r = await refusedWithControl(
      { volumes: [`${join(dir, "changed.toml")}:/etc/codex/config.toml:ro`] },
      { volumes: [`${join(dir, "same.toml")}:/etc/codex/config.toml:ro`] },
    );
    expect(r.code).toBe("E_POLICY_TAMPERED");
    expect(r.lines[0]).toContain("/etc/codex/config.toml");
  });

  it("an extra admin policy mounted into /etc/gemini-cli/policies (it would outrank the tripwires): E_POLICY_TAMPERED", async () => {
    const dir = scratchDir("walls-extra");
    chmodSync(dir, 0o755);
    const allowAll = '[[rule]]\ntoolName = "run_shell_command"\ndecision = "allow"\npriority = 999\n';
    writeFileSync(join(dir, "zz.toml"), allowAll, { mode: 0o444 });
    // Control: the same file mounted outside the policy folders.
    const r = await refusedWithControl(
      { volumes: [`${join(dir, "zz.toml")}:/etc/gemini-cli/policies/zz.toml:ro`] },
      { volumes: [`${join(dir, "zz.toml")}:/srv/zz.toml:ro`] },
    );
    expect(r.code).toBe("E_POLICY_TAMPERED");
    expect(r.lines[0]).toContain("/etc/gemini-cli/policies/zz.toml is mounted into a policy folder");
  });
});

describe("E_CONTAINER_SOCKET: a real engine API on a socket at any path, or inside a mounted folder", () => {
  let engine: ResultPromise | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = scratchDir("walls-engine");
    chmodSync(dir, 0o755);
    for (const sub of ["ws/project/deep", "plain/project/deep"]) mkdirSync(join(dir, sub), { recursive: true });
    // `podman system service` serves the Docker-compatible and the libpod API on a socket of our choice.
    const sock = join(dir, "ws", "project", "deep", "engine.sock");
    engine = execa("podman", ["--runtime", "runc", "system", "service", "--time=0", `unix://${sock}`], {
      env: { CONTAINERS_CONF: CONTAINERS_CONF_PATH, CONTAINERS_STORAGE_CONF: STORAGE_CONF_PATH },
      reject: false,
    });
    for (let i = 0; i < 100; i++) {
      try {
        readFileSync(sock);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // Whoever mounts an engine socket for the agent makes it usable by the agent's uid.
    chmodSync(sock, 0o666);
    // A socket that is no engine and no listener (a stale one), for the control: a listening one is a
    // way out past the gateway under this profile (E_NETWORK_DIRECT, below). A hard link keeps the
    // socket file when its listener closes (Node unlinks the path it listened on).
    await deadSocket(join(dir, "plain", "project", "deep", "agent.sock"));
    chownSync(join(dir, "plain"), 1000, 1000);
  }, 60_000);

  afterAll(async () => {
    if (engine?.pid !== undefined) process.kill(engine.pid, "SIGTERM");
    await engine;
  });

  it("mounted as a file at a path the entrypoint does not know", async () => {
    const r = await refusedWithControl(
      { volumes: [`${join(dir, "ws", "project", "deep", "engine.sock")}:/srv/tools/helper.sock`] },
      { volumes: [`${join(dir, "plain", "project", "deep", "agent.sock")}:/srv/tools/helper.sock`] },
    );
    expect(r.code).toBe("E_CONTAINER_SOCKET");
    expect(r.lines[0]).toMatch(/\/srv\/tools\/helper\.sock, answered as Libpod/);
  });

  it("mounted under /dev", async () => {
    const r = await refusedWithControl(
      { volumes: [`${join(dir, "ws", "project", "deep", "engine.sock")}:/dev/engine.sock`] },
      { volumes: [`${join(dir, "plain", "project", "deep", "agent.sock")}:/dev/engine.sock`] },
    );
    expect(r.code).toBe("E_CONTAINER_SOCKET");
    expect(r.lines[0]).toContain("/dev/engine.sock, answered as Libpod");
  });

  it("inside a mounted folder, deep in it", async () => {
    const r = await refusedWithControl({ volumes: [`${join(dir, "ws")}:/work`] }, { volumes: [`${join(dir, "plain")}:/work`] });
    expect(r.code).toBe("E_CONTAINER_SOCKET");
    expect(r.lines[0]).toContain("/work/project/deep/engine.sock, answered as Libpod");
  });
});

// Starts an attacker's pass got past every check before these refusals existed. Each proves the way
// around is real where that is cheap (the agent's uid, the entrypoint replaced by a shell) and has
// the one-flag control.
describe("the attacker's pass: starts that were no wall", () => {
  let dir: string;
  let upstream: Server;
  let relay: Server;
  let groupRelay: Server;
  /** A group the agent user is not in. */
  const SOCKET_GID = 4242;

  beforeAll(async () => {
    dir = scratchDir("walls-attack");
    chmodSync(dir, 0o755);
    // A set-user-ID root copy of id(1), as a folder from the host could hold one.
    mkdirSync(join(dir, "tools"));
    copyFileSync("/usr/bin/id", join(dir, "tools", "id"));
    chownSync(join(dir, "tools", "id"), 0, 0);
    chmodSync(join(dir, "tools", "id"), 0o4755);
    // A copy of cat with a file capability (no mode bit shows it): setcap, from libcap2-bin.
    if ((await execa("sh", ["-c", "command -v setcap"], { reject: false })).exitCode !== 0) await aptInstall(["libcap2-bin"]);
    mkdirSync(join(dir, "caps"));
    copyFileSync("/bin/cat", join(dir, "caps", "cat"));
    await execa("setcap", ["cap_dac_override+ep", join(dir, "caps", "cat")]);
    // A unix socket that relays to a loopback "upstream": a way out for a container with no network.
    upstream = createServer((c) => c.end("upstream reached\n"));
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const port = (upstream.address() as { port: number }).port;
    mkdirSync(join(dir, "live"));
    mkdirSync(join(dir, "dead"));
    relay = createServer((c) => c.pipe(createConnection(port, "127.0.0.1")).pipe(c));
    await new Promise<void>((resolve) => relay.listen(join(dir, "live", "out.sock"), resolve));
    chmodSync(join(dir, "live", "out.sock"), 0o666);
    await deadSocket(join(dir, "dead", "out.sock"));
    // The same relay for one group only (as a docker group's socket is), for --group-add.
    mkdirSync(join(dir, "group"));
    groupRelay = createServer((c) => c.pipe(createConnection(port, "127.0.0.1")).pipe(c));
    await new Promise<void>((resolve) => groupRelay.listen(join(dir, "group", "out.sock"), resolve));
    chownSync(join(dir, "group", "out.sock"), 0, SOCKET_GID);
    chmodSync(join(dir, "group", "out.sock"), 0o660);
  });

  afterAll(() => {
    groupRelay?.close();
    relay?.close();
    upstream?.close();
  });

  const shell = (script: string, opts: RunContainerOptions = {}) =>
    pool(() => runContainer(image.ref, { entrypoint: ["sh", "-c"], args: [script], ...opts }));

  it("a set-user-ID file in a mounted folder without no-new-privileges (the agent became root): E_SETUID", async () => {
    const volume = `${join(dir, "tools")}:/opt/tools`;
    const [attack, r] = await Promise.all([
      shell("/opt/tools/id -u", { volumes: [volume] }),
      refusedWithControl({ volumes: [volume] }, { volumes: [volume], extraArgs: ["--security-opt", "no-new-privileges"] }),
    ]);
    expect(attack.stdout.trim(), attack.stderr).toBe("0");
    expect(r.code).toBe("E_SETUID");
    expect(r.lines[0]).toContain("/opt/tools/id");
  });

  it("an executable with a file capability in a mounted folder (the agent read /etc/shadow): E_SETUID", async () => {
    const volume = `${join(dir, "caps")}:/opt/caps`;
    const [attack, r, dropped] = await Promise.all([
      shell("/opt/caps/cat /etc/shadow | head -c 5", { volumes: [volume] }),
      refusedWithControl({ volumes: [volume] }, { volumes: [volume], extraArgs: ["--security-opt", "no-new-privileges"] }),
      // --cap-drop ALL empties the bounding set: the capability has nothing to grant.
      start({ volumes: [volume], extraArgs: ["--cap-drop", "ALL"] }),
    ]);
    expect(attack.stdout, attack.stderr).toBe("root:");
    expect(r.code).toBe("E_SETUID");
    expect(r.lines[0]).toContain("an executable is mounted where the kernel honours file capabilities (/opt/caps/cat)");
    expect(dropped, dropped.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_USAGE" });
  });

  it("a mounted socket that relays out, with --network none (the agent reached the upstream): E_NETWORK_DIRECT", async () => {
    const reach = `node -e 'require("net").connect("/run/out/out.sock").on("data", (d) => process.stdout.write(d))'`;
    const [attack, r] = await Promise.all([
      shell(reach, { volumes: [`${join(dir, "live")}:/run/out`] }),
      refusedWithControl({ volumes: [`${join(dir, "live")}:/run/out`] }, { volumes: [`${join(dir, "dead")}:/run/out`] }),
    ]);
    expect(attack.stdout).toContain("upstream reached");
    expect(r.code).toBe("E_NETWORK_DIRECT");
    expect(r.lines[0]).toContain("a mounted unix socket accepts connections (/run/out/out.sock)");
  });

  it("a socket the agent reaches only through a supplementary group (--group-add): E_NETWORK_DIRECT; without the group it is no way out", async () => {
    const volume = `${join(dir, "group")}:/run/out`;
    const r = await refusedWithControl({ volumes: [volume], extraArgs: ["--group-add", String(SOCKET_GID)] }, { volumes: [volume] });
    expect(r.code).toBe("E_NETWORK_DIRECT");
    expect(r.lines[0]).toContain("/run/out/out.sock");
  });

  it("the host's /proc mounted elsewhere (the agent read the host's processes): E_HOST_MOUNT; the host's root: E_HOST_MOUNT among the reasons", async () => {
    const [attack, proc, root] = await Promise.all([
      shell("cat /hostproc/1/comm", { volumes: ["/proc:/hostproc:ro"] }),
      refusedWithControl({ volumes: ["/proc:/hostproc:ro"] }),
      refusedWithControl({ volumes: ["/:/mnt/host:ro"] }),
    ]);
    expect(attack.stdout.trim()).not.toBe("tini");
    expect(proc.code).toBe("E_HOST_MOUNT");
    expect(proc.lines[0]).toContain("the host's /proc (proc) is mounted at /hostproc");
    // The host's own mounts come along (its cgroups, writable: E_PRIVILEGED first on most hosts).
    expect(root.lines[0]).toMatch(/an operating system's root file system is mounted at \/mnt\/host|E_HOST_MOUNT/);
  });

  it("--systemd=always (a writable cgroup hierarchy): E_PRIVILEGED; --user 1000:0 and --group-add 0: E_ROOT", async () => {
    const [systemd, group, added] = await Promise.all([
      refusedWithControl({ extraArgs: ["--systemd=always"] }),
      start({ user: "1000:0" }),
      start({ extraArgs: ["--group-add", "0"] }),
    ]);
    expect(systemd.code).toBe("E_PRIVILEGED");
    expect(systemd.lines[0]).toContain("a cgroup hierarchy is mounted writable");
    // Control for both: the plain start (no false refusals, above) and --user 1000:1000 (hardened).
    for (const r of [group, added]) expect(r, r.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_ROOT" });
    expect(group.lines[0]).toContain("root group");
  });

  it("--pid container:NAME (another container's processes): E_HOST_PID", async () => {
    const other = `${IMAGE_NAME}-pidshare-${process.pid}`;
    await podman(["run", "-d", "--rm", "--name", other, "--network", "none", "--entrypoint", "sleep", image.ref, "120"]);
    try {
      const r = await refusedWithControl({ extraArgs: ["--pid", `container:${other}`] });
      expect(r.code).toBe("E_HOST_PID");
      expect(r.lines[0]).toContain("--pid container:NAME");
    } finally {
      await podman(["rm", "--force", "--time", "0", other], { reject: false });
    }
  });

  it("a PATH into the agent's home, NODE_OPTIONS --require or Gemini's system-settings variable (each undoes the guard hook): E_POLICY_ENV", async () => {
    const imagePath = image.spec.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
    const path = `/home/agent/bin:${imagePath}`;
    const [home, node, gemini, control] = await Promise.all([
      start({ env: { AGENT_TOOL: "none-such", PATH: path } }),
      // A module that loads (one that does not stops node itself, the entrypoint's included).
      start({ env: { AGENT_TOOL: "none-such", NODE_OPTIONS: "--require node:os" } }),
      start({ env: { AGENT_TOOL: "none-such", GEMINI_CLI_SYSTEM_SETTINGS_PATH: "/tmp/settings.json" } }),
      // Control: the image's PATH given explicitly, and a NODE_OPTIONS that loads nothing.
      start({ env: { AGENT_TOOL: "none-such", PATH: imagePath, NODE_OPTIONS: "--max-old-space-size=2048" } }),
    ]);
    for (const r of [home, node, gemini]) expect(r, r.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_POLICY_ENV" });
    expect(home.lines[0]).toContain('"/home/agent/bin"');
    expect(gemini.lines[0]).toContain("GEMINI_CLI_SYSTEM_SETTINGS_PATH");
    expect(control, control.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_USAGE" });
  });

  // A limit, not a wall (README): with --entrypoint no check runs. What the image holds on its own.
  it("with the entrypoint replaced, the image still gives uid 1000, read-only policy and no set-ID file", async () => {
    const policy = image.spec.policyFiles.join(" ");
    const r = await shell(`id -u; id -G; for f in ${policy}; do test -w "$f" && echo "writable $f"; done; find / -xdev -perm /6000 -type f 2>/dev/null; echo end`, { extraArgs: ["--security-opt", "no-new-privileges"] });
    expect(r.stdout.trim().split("\n"), r.stderr).toEqual(["1000", "1000", "end"]);
  });

  // The host's namespaces are told by the kernel's fixed inodes of the initial ones: a host that is
  // itself a container (its namespaces not the initial ones) cannot be told (README, limits).
  const hostIsInitial = (() => {
    try {
      return readlinkSync("/proc/self/ns/ipc") === "ipc:[4026531839]";
    } catch {
      return false;
    }
  })();
  it.skipIf(!hostIsInitial)("--ipc host and --uts host: E_HOST_NAMESPACE", async () => {
    const [ipc, uts] = await Promise.all([refusedWithControl({ extraArgs: ["--ipc", "host"] }), start({ extraArgs: ["--uts", "host"] })]);
    expect(ipc.code).toBe("E_HOST_NAMESPACE");
    expect(ipc.lines[0]).toContain("IPC namespace");
    expect(uts, uts.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_HOST_NAMESPACE" });
  });
});

// The Kubernetes variant (`perimeter bake --egress-wall orchestrator`): a pod always has a default
// route and its wall is a NetworkPolicy the entrypoint cannot see. A plain bridge stands in for the
// pod's network; the variables are the ones the emitted Job and the kubelet set.
describe("the Kubernetes variant, baked with --egress-wall orchestrator", () => {
  const POD_ENV = { AGENT_TOOL: "none-such", HTTPS_PROXY: "http://perimeter-run-gateway:3128", KUBERNETES_SERVICE_HOST: "10.96.0.1" };
  let variant: AgentImage;
  const startVariant = async (opts: RunContainerOptions = {}) => {
    const r = await pool(() => runContainer(variant.ref, { network: BRIDGE_NETWORK, args: ["hi"], ...opts, env: { ...POD_ENV, ...opts.env } }));
    const lines = r.stderr.split("\n").filter((l) => l !== "" && !/^\[WARN {2}tini|^Zombie processes will not|TINI_SUBREAPER|^failed to connect to syslog/.test(l));
    return { exitCode: r.exitCode, lines, code: parseRefusal(lines[0] ?? "")?.code };
  };

  beforeAll(async () => {
    const k8sLayer = join(scratchDir("walls-layer-k8s"), "autonomous-k8s.tar");
    await bakeWithCli("autonomous", k8sLayer, ["--egress-wall", "orchestrator"]);
    variant = await buildAgentImage(`${IMAGE_NAME}-k8s`, k8sLayer, []);
  }, 600_000);
  afterAll(async () => {
    await podman(["untag", `localhost/${IMAGE_NAME}-k8s:latest`], { reject: false });
  });

  it("a pod-like start on a network with a default route gets past every check; the standard image, given the same variables, refuses it", async () => {
    const [passed, standard] = await Promise.all([startVariant(), start({ network: BRIDGE_NETWORK, env: { ...POD_ENV, PERIMETER_EGRESS_WALL: "orchestrator" } })]);
    expect(passed, passed.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_USAGE" });
    expect(standard, standard.lines.join("\n")).toMatchObject({ exitCode: 64, code: "E_NETWORK_DIRECT" });
  });

  // Not here: --network host. The variant tells host networking only by the host's interfaces
  // (veth, cni, cali...; test/unit/entrypoint.test.ts), and this machine's namespace shows none; in a
  // cluster, Pod Security (baseline or restricted) on the namespace forbids hostNetwork (README).
  it("refuses what a cluster form must not have: a service-account token, no HTTPS_PROXY, no pod, root", async () => {
    const dir = scratchDir("walls-sa-token");
    writeFileSync(join(dir, "token"), "eyJhbGciOiJSUzI1NiJ9.fake.token\n");
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "token"), 0o644);
    const [token, noProxy, noPod, root] = await Promise.all([
      startVariant({ volumes: [`${dir}:/var/run/secrets/kubernetes.io/serviceaccount:ro`] }),
      startVariant({ env: { HTTPS_PROXY: "" } }),
      startVariant({ env: { KUBERNETES_SERVICE_HOST: "" } }),
      startVariant({ user: "0" }),
    ]);
    expect(token.code, token.lines.join("\n")).toBe("E_SERVICE_ACCOUNT_TOKEN");
    expect(noProxy.code, noProxy.lines.join("\n")).toBe("E_PROXY_UNSET");
    expect(noPod.code, noPod.lines.join("\n")).toBe("E_NETWORK_DIRECT");
    expect(noPod.lines[0]).toContain("this is no pod");
    expect(root.code, root.lines.join("\n")).toBe("E_ROOT");
  });
});
