// Issue 14 (a): `perimeter run --print`, the plan every run executes. Flags of the agent container,
// labels on every object, the order of the steps, limits from the profile, credentials by name only.
import { join } from "node:path";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { runRequestFrom, printedPlan, type RunFlags } from "../../src/cli/commands/run.js";
import { loadProfile } from "../../src/profile/load.js";
import type { Credential } from "../../src/profile/types.js";
import { LABEL } from "../../src/run/names.js";
import { PLACEHOLDER, planRun, type EngineCommand, type RunPlan } from "../../src/run/plan.js";
import type { RunRequest } from "../../src/run/request.js";
import { runCli, tempDir, writeFiles } from "./helpers.js";

const PROMPT = "fix the failing test in src/add.js";
const ENV = { PATH: "/usr/bin:/bin", HOME: "/tmp/perimeter-unit-home" };
/** The run's host folder: under the temp folder, which CI may move with TMPDIR. */
const RUN_DIR = `${tmpdir()}/perimeter-run-testrun-0001`;
const flags = (more: RunFlags = {}): RunFlags => ({ tool: "claude", repo: "https://github.com/octo/app", engine: "podman", runId: "testrun-0001", ...more });
const request = (more: RunFlags = {}, prompt = PROMPT) => runRequestFrom(prompt, flags(more), ENV, new Date("2026-12-01T10:00:00Z"));

/** The value after each occurrence of `flag` in argv. */
function values(argv: readonly string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : a.startsWith(`${flag}=`) ? [a.slice(flag.length + 1)] : []));
}

const agentOf = (plan: RunPlan) => plan.steps.agent[0]!.argv;

/** The test profile folder: own limits, extends autonomous. */
function profilesDir(limits: string): string {
  const dir = tempDir();
  writeFiles(dir, { "small.toml": `description = "test"\nextends = "autonomous"\n\n[limits]\n${limits}\n` });
  return dir;
}

describe("perimeter run: the agent container", () => {
  it("gets every hardened flag: no capabilities, no privilege gain, read-only root, tmpfs /tmp and a home owned by uid 1000", async () => {
    const argv = agentOf(planRun(await request()));
    expect(values(argv, "--cap-drop")).toEqual(["ALL"]);
    expect(values(argv, "--security-opt")).toEqual(["no-new-privileges"]);
    expect(argv).toContain("--read-only");
    const tmpfs = values(argv, "--tmpfs");
    expect(tmpfs.some((t) => t.startsWith("/tmp:"))).toBe(true);
    // podman chowns it to the container's user (U); docker is told the owner.
    expect(tmpfs.find((t) => t.startsWith("/home/agent:"))).toMatch(/^\/home\/agent:rw,nosuid,nodev,size=1g,U$/);
    const docker = values(agentOf(planRun(await request({ engine: "docker" }))), "--tmpfs");
    expect(docker.find((t) => t.startsWith("/home/agent:"))).toMatch(/uid=1000,gid=1000,mode=0700/);
    expect(values(argv, "--user")).toEqual(["1000:1000"]);
    expect(argv).not.toContain("--privileged");
    expect(argv.join(" ")).not.toMatch(/--cap-add|seccomp=unconfined|apparmor=unconfined|--pid[= ]host|--ipc[= ]host|--userns[= ]host/);
  });

  it("sits on the run's internal network only, and that network is created --internal", async () => {
    const plan = planRun(await request());
    expect(values(agentOf(plan), "--network")).toEqual([plan.names.network]);
    const create = plan.steps.prepare.find((c) => c.argv.includes("network"))!;
    expect(create.argv).toContain("--internal");
    expect(create.argv.at(-1)).toBe(plan.names.network);
  });

  it("mounts no host path and no engine socket: only the run's work volume and, read-only, its CA volume", async () => {
    const plan = planRun(await request());
    const mounts = values(agentOf(plan), "--volume");
    expect(mounts).toEqual([`${plan.names.volumes.work}:/work`, `${plan.names.volumes.ca}:/perimeter/ca:ro`]);
    for (const m of mounts) expect(m.startsWith("/")).toBe(false);
    expect(agentOf(plan).join(" ")).not.toMatch(/\.sock|\/var\/run|\/run\/podman/);
    // The pristine clone the run commits from is never the agent's.
    expect(mounts.some((m) => m.startsWith(plan.names.volumes.base))).toBe(false);
  });

  it("takes memory, cpus, pids and the wall clock from the profile's [limits]", async () => {
    const dir = profilesDir('wall_clock_seconds = 30\nmemory = "512m"\ncpus = 1.5\npids = 100');
    const argv = agentOf(planRun(await request({ profile: "small", profilesDir: dir })));
    expect(values(argv, "--memory")).toEqual(["512m"]);
    expect(values(argv, "--memory-swap")).toEqual(["512m"]);
    expect(values(argv, "--cpus")).toEqual(["1.5"]);
    expect(values(argv, "--pids-limit")).toEqual(["100"]);
    expect(values(argv, "--env")).toContain("PERIMETER_WALL_CLOCK_SECONDS=30");
  });

  it("the built-in profiles' limits: autonomous, and ci overriding only the clock", async () => {
    const auto = agentOf(planRun(await request()));
    const ci = agentOf(planRun(await request({ profile: "ci" })));
    const autonomous = loadProfile("autonomous").runLimits;
    expect(values(auto, "--memory")).toEqual([autonomous.memory]);
    expect(values(auto, "--pids-limit")).toEqual([String(autonomous.pids)]);
    expect(values(ci, "--memory")).toEqual([autonomous.memory]);
    expect(values(ci, "--env")).toContain(`PERIMETER_WALL_CLOCK_SECONDS=${loadProfile("ci").runLimits.wallClockSeconds}`);
    expect(loadProfile("ci").runLimits.wallClockSeconds).not.toBe(autonomous.wallClockSeconds);
  });

  it("flags override the profile's limits", async () => {
    const argv = agentOf(planRun(await request({ wallClock: "5", memory: "256m", cpus: "0.5", pids: "64" })));
    expect(values(argv, "--memory")).toEqual(["256m"]);
    expect(values(argv, "--cpus")).toEqual(["0.5"]);
    expect(values(argv, "--pids-limit")).toEqual(["64"]);
    expect(values(argv, "--env")).toContain("PERIMETER_WALL_CLOCK_SECONDS=5");
  });

  it("gets the prompt by environment only: not in any argv, not in the planned manifest", async () => {
    const plan = planRun(await request());
    expect(JSON.stringify(printedPlan(plan))).not.toContain(PROMPT);
    expect(plan.steps.agent[0]!.passEnv).toEqual(["AGENT_PROMPT"]);
    expect(values(agentOf(plan), "--env")).toContain("AGENT_PROMPT");
    expect(plan.manifest.prompt.text).toBeUndefined();
    expect(plan.manifest.prompt.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(planRun(await request({ recordPrompt: true })).manifest.prompt.text).toBe(PROMPT);
  });

  it("starts the image's entrypoint with the tool, and hostile --engine-arg flags go in as given (the entrypoint refuses them)", async () => {
    const argv = agentOf(planRun(await request({ engineArg: ["--volume=/run/podman/podman.sock:/run/podman/podman.sock"] })));
    expect(argv.slice(-2)).toEqual(["perimeter-agent:0.1.0-autonomous", "claude"]);
    expect(argv.at(-3)).toBe("--volume=/run/podman/podman.sock:/run/podman/podman.sock");
    expect(argv).not.toContain("--entrypoint");
  });

  it("points every client at the gateway and the run's CA bundle", async () => {
    const plan = planRun(await request());
    const env = values(agentOf(plan), "--env");
    for (const v of ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"]) expect(env).toContain(`${v}=http://${plan.names.gateway}:3128`);
    for (const v of ["SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO"]) expect(env).toContain(`${v}=/perimeter/ca/ca-bundle.pem`);
  });
});

const credential = (name: string, source: Credential["source"], placeholderEnv: string[]): Credential => ({
  name, host: `${name}.example`, header: "authorization", scheme: "bearer", source, placeholderEnv, required: false, origin: { file: "t.toml", key: name },
});

describe("perimeter run: credentials", () => {
  const withCredentials = (r: RunRequest): RunRequest => ({
    ...r,
    profile: {
      ...r.profile,
      credentials: [
        credential("anthropic", { env: "ANTHROPIC_API_KEY" }, ["ANTHROPIC_API_KEY"]),
        credential("github", { env: "GH_TOKEN" }, ["GH_TOKEN"]),
        credential("openai", { file: "/etc/perimeter-test/openai.key" }, ["OPENAI_API_KEY"]),
      ],
    },
  });

  it("go to the gateway by variable name (values never in argv) and files read-only; the agent gets placeholders", async () => {
    const plan = planRun(withCredentials(await request()));
    const gateway = plan.steps.gateway[0]!;
    expect(values(gateway.argv, "--env")).toEqual(["ANTHROPIC_API_KEY", "GH_TOKEN"]);
    expect(gateway.passEnv).toEqual(["ANTHROPIC_API_KEY", "GH_TOKEN"]);
    // A copy the gateway's user can read, mounted where the profile says the file is.
    expect(values(gateway.argv, "--volume")).toContain(`${RUN_DIR}/credentials/0-openai.key:/etc/perimeter-test/openai.key:ro`);
    const agentEnv = values(agentOf(plan), "--env");
    for (const v of ["ANTHROPIC_API_KEY", "GH_TOKEN", "OPENAI_API_KEY"]) expect(agentEnv).toContain(`${v}=${PLACEHOLDER}`);
    // Nothing but the gateway takes a credential variable by name.
    for (const c of plan.commands.filter((c) => c.step !== "gateway")) {
      expect(c.passEnv ?? []).not.toContain("ANTHROPIC_API_KEY");
      expect(values(c.argv, "--env")).not.toContain("ANTHROPIC_API_KEY");
    }
  });

  it("the tool's own key variable gets a placeholder even when the profile names none", async () => {
    const env = values(agentOf(planRun(await request({ tool: "gemini" }))), "--env");
    expect(env).toContain(`GEMINI_API_KEY=${PLACEHOLDER}`);
    expect(env).toContain("GEMINI_CLI_TRUST_WORKSPACE=true");
  });
});

describe("perimeter run: every object labelled, the steps in order", () => {
  const creates = (plan: RunPlan) =>
    plan.commands.filter((c) => ["run", "create"].includes(c.argv[1]!) || (c.argv[2] === "create" && ["network", "volume"].includes(c.argv[1]!)));

  it("every container, network and volume the run creates carries the run's labels", async () => {
    const plan = planRun(await request());
    const made = creates(plan);
    expect(made.length).toBe(1 + 4 + 1 + 1 + 1 + 1 + 1); // network, 4 volumes, gateway, clone, agent (create), stage, publish
    for (const c of made) {
      const labels = values(c.argv, "--label");
      expect(labels, c.argv.join(" ")).toContain(`${LABEL.run}=testrun-0001`);
      expect(labels).toContain(`${LABEL.prefix}=perimeter-`);
      expect(labels.some((l) => l.startsWith(`${LABEL.launcher}=`))).toBe(true);
      expect(labels.some((l) => l.startsWith(`${LABEL.role}=`))).toBe(true);
    }
  });

  it("runs prepare, gateway with the clone beside it, agent, stage, publish, collect, then removes everything", async () => {
    const plan = planRun(await request());
    const steps = plan.commands.map((c) => c.step);
    const firstOf = (s: string) => steps.indexOf(s as EngineCommand["step"]);
    const order = ["prepare", "gateway", "clone", "agent", "stage", "publish", "collect", "cleanup", "verify"].map(firstOf);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(plan.steps.clone[0]!.concurrent).toBe(true);
    // The agent container is created beside them and started once the clone is there.
    expect(plan.steps.agent.map((c) => c.argv.slice(0, 2))).toEqual([["podman", "create"], ["podman", "start"]]);
    expect(plan.steps.agent[0]!.concurrent).toBe(true);
    expect(plan.steps.agent[1]!.argv).toEqual(["podman", "start", "--attach", plan.names.agent]);
    // Started at once too: its entrypoint waits for the marker the clone writes last.
    expect(plan.steps.agent[1]!.concurrent).toBe(true);
    expect(values(plan.steps.agent[0]!.argv, "--env")).toContain("PERIMETER_START_WHEN=/work/.git/perimeter-cloned");
    expect(plan.steps.clone[0]!.argv.at(-1)!.trim().split("\n").at(-1)).toBe(": > /work/.git/perimeter-cloned");
    const removed = plan.steps.cleanup.flatMap((c) => c.argv);
    for (const name of [plan.names.agent, plan.names.gateway, plan.names.clone, plan.names.stage, plan.names.publish, plan.names.network, ...Object.values(plan.names.volumes)]) {
      expect(removed).toContain(name);
    }
    // The log's last reading: the gateway stopped (SIGTERM, so it settles what is open and writes its
    // totals), then copied out of the stopped container into the out directory, before the removal.
    expect(plan.steps.collect.map((c) => c.argv.slice(1))).toEqual([
      ["exec", plan.names.gateway, "cat", "/perimeter/gateway-log/requests.jsonl"],
      ["stop", "--time", "5", plan.names.gateway],
      ["cp", `${plan.names.gateway}:/perimeter/gateway-log/requests.jsonl`, join(plan.manifest.outDir, "gateway-requests.jsonl")],
    ]);
    // Then it lists what still carries its label: the manifest's leftovers.
    expect(plan.steps.verify.map((c) => c.argv.slice(1, 3))).toEqual([["ps", "--all"], ["network", "ls"], ["volume", "ls"]]);
    for (const c of plan.steps.verify) expect(c.argv).toContain("label=io.perimeter.run=testrun-0001");
  });

  it("stage has no network; clone and publish reach only the gateway; the branch is agent/<tool>/<run-id>", async () => {
    const plan = planRun(await request({ tool: "codex" }));
    expect(values(plan.steps.stage[0]!.argv, "--network")).toEqual(["none"]);
    expect(values(plan.steps.clone[0]!.argv, "--network")).toEqual([plan.names.network]);
    expect(values(plan.steps.publish[0]!.argv, "--network")).toEqual([plan.names.network]);
    expect(plan.branch).toBe("agent/codex/testrun-0001");
    expect(values(plan.steps.publish[0]!.argv, "--env")).toContain("PERIMETER_BRANCH=agent/codex/testrun-0001");
    for (const step of ["clone", "stage", "publish"] as const) {
      const argv = plan.steps[step][0]!.argv;
      expect(values(argv, "--cap-drop")).toEqual(["ALL"]);
      expect(argv).toContain("--read-only");
    }
  });

  it("the gateway follows issue 13's contract and sits on the run network and the egress network", async () => {
    const plan = planRun(await request({ hosts: "/etc/hosts", upstreamCa: "/etc/hostname", egressNetwork: "pr-upstream" }));
    const argv = plan.steps.gateway[0]!.argv;
    expect(values(argv, "--network")).toEqual([plan.names.network, "pr-upstream"]);
    const tail = argv.slice(argv.indexOf("--", argv.indexOf("--entrypoint")));
    expect(tail).toEqual([
      "--", "node", "/opt/perimeter/package/dist/perimeter.cjs", "gateway", "--profile", "autonomous", "--listen", "0.0.0.0:3128", "--ca-dir", "/perimeter/ca",
      "--log", "/perimeter/gateway-log/requests.jsonl", "--git-repo", "github.com/octo/app",
      "--hosts", "/perimeter/gateway-inputs/hosts", "--upstream-ca", "/perimeter/gateway-inputs/upstream-ca.pem",
    ]);
    expect(values(argv, "--volume")).toEqual(expect.arrayContaining([`${RUN_DIR}/hosts:/perimeter/gateway-inputs/hosts:ro`]));
  });
});

describe("perimeter run --print, docker", () => {
  it("docker: the gateway is created, connected to the second network, started; volumes are chowned by a root step", async () => {
    const plan = planRun(await request({ engine: "docker" }));
    expect(plan.steps.gateway.map((c) => c.argv.slice(0, 3))).toEqual([
      ["docker", "create", "--network"],
      ["docker", "network", "connect"],
      ["docker", "start", plan.names.gateway],
    ]);
    const chown = plan.steps.prepare.at(-1)!.argv;
    expect(values(chown, "--cap-add")).toEqual(["CHOWN"]);
    expect(plan.commands.flatMap((c) => values(c.argv, "--volume")).some((v) => v.endsWith(":U"))).toBe(false);
    expect(plan.commands.every((c) => c.argv[0] === "docker")).toBe(true);
  });
});

describe("perimeter run: bad input is refused before anything runs", () => {
  it.each([
    [["--repo", "git@github.com:octo/app.git"], /--repo: .* is not a URL/],
    [["--repo", "http://github.com/octo/app"], /not https/],
    [["--repo", "https://user:token@github.com/octo/app"], /holds a credential/],
    [["--profile", "interactive"], /profile interactive prompts/],
    [["--tool", "vim"], /unknown tool "vim"/],
    [["--memory", "lots"], /--memory: "lots"/],
    [["--wall-clock", "-3"], /--wall-clock/],
    [["--engine", "lxc"], /unknown engine "lxc"/],
    // Flags that take the agent container out of the entrypoint's reach, whatever their spelling.
    [["--engine-arg", "--entrypoint=sh"], /--engine-arg: --entrypoint replaces the image's entrypoint/],
    [["--engine-arg", "--entrypoint"], /--engine-arg: --entrypoint replaces/],
    [["--engine-arg", "--rootfs"], /--engine-arg: --rootfs runs a host folder/],
    [["--engine-arg", "--label=io.perimeter.run=another-run"], /--engine-arg: --label sets one of the run's own labels/],
  ])("%j", async (extra, message) => {
    const base = ["run", "--tool", "claude", "--repo", "https://github.com/octo/app", "--engine", "podman", "--print"];
    const argv = [...base];
    for (let i = 0; i < extra.length; i += 2) {
      const at = argv.indexOf(extra[i]!);
      if (at >= 0) argv[at + 1] = extra[i + 1]!;
      else argv.push(extra[i]!, extra[i + 1]!);
    }
    const r = await runCli([...argv, PROMPT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("a profile without every limit names the missing keys", async () => {
    const dir = tempDir();
    const posture = '[posture]\nprompts = "never"\nedits = "auto"\noutput = "text"\n';
    writeFiles(dir, {
      "bare.toml": `description = "no limits"\n\n${posture}\n[network]\nallow = ["github.com"]\n`,
      "closed.toml": `description = "no network"\n\n${posture}\n[limits]\nwall_clock_seconds = 5\nmemory = "1g"\ncpus = 1\npids = 64\n`,
    });
    await expect(request({ profile: "bare", profilesDir: dir })).rejects.toThrow(/sets no \[limits\] wall_clock_seconds, memory, cpus, pids/);
    await expect(request({ profile: "closed", profilesDir: dir })).rejects.toThrow(/has no \[network\]/);
  });

  it("engine args the entrypoint refuses itself, and labels of the operator's own, are passed on (control)", async () => {
    const args = ["--privileged", "--label", "team=infra", "--label=owner=me", "--env=FOO=bar"];
    const plan = planRun(await request({ engineArg: args }));
    expect(agentOf(plan).join(" ")).toContain(args.join(" "));
  });

  it("no prompt is a usage error", async () => {
    const r = await runCli(["run", "--tool", "claude", "--repo", "https://github.com/octo/app", "--engine", "podman", "--print"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no prompt/);
  });
});

describe("perimeter run --print on the CLI", () => {
  it("prints the commands as argv arrays and the planned manifest, and runs nothing", async () => {
    const out = tempDir();
    const r = await runCli(["run", "--tool", "gemini", "--repo", "https://github.com/octo/app.git", "--engine", "podman", "--out", out, "--run-id", "printed-1", "--print", PROMPT]);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as { runId: string; commands: { step: string; argv: string[] }[]; manifest: Record<string, unknown> };
    expect(printed.runId).toBe("printed-1");
    expect(printed.commands.every((c) => Array.isArray(c.argv) && c.argv.every((a) => typeof a === "string"))).toBe(true);
    expect(printed.manifest).toMatchObject({ runId: "printed-1", tool: "gemini", branch: "agent/gemini/printed-1", repo: { url: "https://github.com/octo/app.git", slug: "octo/app" }, outDir: out });
    expect(r.stderr).toBe("");
  });
});
