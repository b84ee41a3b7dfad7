// Issue 14, proven with podman: `perimeter run` of the real image and the real CLIs, behind the real
// gateway, against a fake internet in its own container on its own --internal network. Per tool a run
// that opens a pull request; runs stopped by the wall clock, the budget, a planted secret, SIGINT and
// a hostile --engine-arg. Every manifest is checked field by field, and no run leaves anything behind.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../../src/profile/load.js";
import type { Manifest } from "../../src/run/manifest.js";
import { PLACEHOLDER, sha256 } from "../../src/run/plan.js";
import { STOP_EXIT_CODES } from "../../src/run/stop.js";
import { TOOL_IDS } from "../../src/tools/index.js";
import { limiter, removeScratch, scratchDir } from "../container/agent-image.js";
import { ensureBaseRootfs, ensurePodman, podman } from "../container/podman.js";
import { IMAGE_NAME, PREFIX, REAL_SECRETS, buildRunImage, leftovers, outDir, perimeterRun, runArgs, startRun, startUpstreams, type RunResult, type Upstreams } from "./world.js";

const FIX = "echo 'export const add = (a, b) => a + b;' > src/add.js";
const PROMPT = "fix the bug in src/add.js";
/** A command that outlives any clock here (the agents refuse or background a bare long `sleep`). */
const HANG = "node -e 'setTimeout(() => {}, 120000)'";
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let image: string;
const upstreams: Upstreams[] = [];
const pool = limiter(2);

beforeAll(async () => {
  await ensurePodman();
  await ensureBaseRootfs();
  image = await buildRunImage();
}, 900_000);

afterAll(async () => {
  await Promise.all(upstreams.map((u) => u.remove()));
  removeScratch();
});

async function world(id: string, commands: string[]): Promise<Upstreams> {
  const up = await startUpstreams(id, image, commands);
  upstreams.push(up);
  return up;
}

/** The fields every finished run's manifest has, whatever stopped it. */
function expectCommonFields(m: Manifest, tool: string, stop: keyof typeof STOP_EXIT_CODES) {
  const autonomous = loadProfile("autonomous");
  expect(m.manifestVersion).toBe(1);
  expect(m.state).toBe("finished");
  expect(m.runId).toMatch(/^[a-z0-9-]+$/);
  expect(m.tool.id).toBe(tool);
  expect(m.profile.name).toMatch(/^(autonomous|tiny-budget)$/);
  expect(m.profile.sha256).toMatch(/^[0-9a-f]{64}$/);
  if (stop !== "STOP_REFUSED" && stop !== "STOP_INTERRUPTED") {
    expect(m.policy.digests!["/etc/perimeter/image.json"]).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.values(m.policy.digests!).every((d) => typeof d === "string" && /^[0-9a-f]{64}$/.test(d))).toBe(true);
  }
  expect(m.image).toEqual({ ref: `localhost/${IMAGE_NAME}:latest`, id: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(m.engine).toBe("podman");
  expect(m.repo).toEqual({ url: "https://github.com/octo/app.git", slug: "octo/app" });
  expect(m.branch).toBe(`agent/${tool}/${m.runId}`);
  expect(m.prompt).toEqual({ sha256: sha256(PROMPT), characters: PROMPT.length });
  expect(m.startedAt).toMatch(ISO);
  expect(m.endedAt).toMatch(ISO);
  expect(Date.parse(m.endedAt!)).toBeGreaterThanOrEqual(Date.parse(m.startedAt));
  expect(m.durationMs).toBeGreaterThan(0);
  expect(m.stop).toEqual({ reason: stop, exitCode: STOP_EXIT_CODES[stop], detail: expect.any(String) });
  expect(m.limits).toMatchObject({ memory: autonomous.runLimits.memory, cpus: autonomous.runLimits.cpus, pids: autonomous.runLimits.pids });
  expect(m.budget.stopPercent).toBe(autonomous.limits.stopPercent);
  expect(m.gateway.log[0]).toMatchObject({ event: "start" });
  expect(m.gateway.requests).toBe(m.gateway.allowed + m.gateway.refused + m.gateway.log.filter((l) => l.event === "request" && l.decision === "error").length);
  expect(m.objects.agent).toBe(`${PREFIX}${m.runId}-agent`);
  expect(m.labels["io.perimeter.run"]).toBe(m.runId);
  expect(m.leftovers).toEqual([]);
  expect(JSON.stringify(m)).not.toContain(PROMPT);
  for (const secret of Object.values(REAL_SECRETS)) expect(JSON.stringify(m)).not.toContain(secret);
  expect(existsSync(m.files.gatewayLog)).toBe(true);
}

describe.each(TOOL_IDS)("perimeter run --tool %s", (tool) => {
  let up: Upstreams;
  let run: RunResult;
  beforeAll(async () => {
    up = await world(`done-${tool}`, [FIX]);
    run = await pool(() => perimeterRun(runArgs(up, tool, outDir(`done-${tool}`)), PROMPT));
  }, 600_000);

  it("ends STOP_DONE, exit 0, and prints the manifest it wrote", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(run.manifest);
    // --json is quiet: no progress lines.
    expect(run.stderr).not.toMatch(/perimeter run \S+ \[/);
    expectCommonFields(run.manifest, tool, "STOP_DONE");
  });

  it("opened a pull request on the fake GitHub for the one commit it pushed to agent/<tool>/<run-id>", async () => {
    const m = run.manifest;
    const ref = `refs/heads/${m.branch}`;
    expect(m.refsPushed).toEqual([{ ref, commit: expect.stringMatching(/^[0-9a-f]{40}$/) }]);
    expect(m.pullRequest).toEqual({ url: "https://github.com/octo/app/pull/1", number: 1 });
    const pulls = (await up.seen()).filter((s) => s.pull !== undefined);
    expect(pulls).toEqual([expect.objectContaining({ pull: { head: m.branch, base: "main", title: `perimeter: ${tool} run ${m.runId}`, pushed: m.refsPushed[0]!.commit } })]);
    // One commit, on top of main, carrying the run id; the agent's own commits never leave.
    expect((await up.git(["rev-parse", ref])).trim()).toBe(m.refsPushed[0]!.commit);
    expect((await up.git(["rev-list", "--count", `main..${ref}`])).trim()).toBe("1");
    expect(await up.git(["log", "-1", "--format=%B", ref])).toContain(`Run: ${m.runId}`);
    expect((await up.git(["show", `${ref}:src/add.js`])).trim()).toBe("export const add = (a, b) => a + b;");
  });

  it("records the tool's version, the diff, a clean scan, usage and the gateway's requests", async () => {
    const m = run.manifest;
    expect(m.tool.version).toMatch(/\d+\.\d+\.\d+/);
    expect(m.agent).toEqual({ exitCode: 0, wallClock: false, refusal: null });
    // The entrypoint's record lines, from the agent's stderr (advisory), start and end.
    expect(m.entrypoint.records.map((r) => [r.event, r.tool])).toEqual([["start", tool], ["end", tool]]);
    expect(m.entrypoint.records[1]).toMatchObject({ exitCode: 0, stopReason: "exited" });
    expect(m.diff).toEqual({ files: [{ path: "src/add.js", added: 1, deleted: 1 }], filesChanged: 1, linesAdded: 1, linesDeleted: 1 });
    expect(m.secretScan).toEqual({ scanner: expect.stringContaining("secretlint"), findings: [] });
    expect(m.usage!.modelCalls).toBeGreaterThan(0);
    expect(m.usage!.inputTokens + m.usage!.outputTokens).toBeGreaterThan(0);
    expect(m.usage!.refused).toBe(false);
    const model = m.gateway.log.filter((l) => l.decision === "allow" && typeof l.rule === "string" && l.rule.startsWith("credentials.") && l.host !== "github.com");
    expect(model.length).toBeGreaterThan(0);
    expect(m.gateway.log.some((l) => l.host === "github.com" && String(l.path).endsWith("git-receive-pack") && l.decision === "allow")).toBe(true);
    expect(readFileSync(m.files.gatewayLog, "utf8").trim().split("\n").length).toBe(m.gateway.log.length);
    // The log was read after the gateway stopped: its own closing totals are the last line and the usage.
    expect(m.gateway.log.at(-1)).toMatchObject({ event: "stop", totals: { calls: m.usage!.modelCalls, input: m.usage!.inputTokens, output: m.usage!.outputTokens } });
    expect(m.usage!.modelCalls).toBe(m.gateway.log.filter((l) => l.usage !== undefined).length);
  });

  it("the fake model got the real key, from the gateway; never the agent's placeholder", async () => {
    const key = { claude: "ANTHROPIC_API_KEY", codex: "OPENAI_API_KEY", gemini: "GEMINI_API_KEY" }[tool];
    const seen = await up.seen();
    const modelHost = { claude: "api.anthropic.com", codex: "api.openai.com", gemini: "generativelanguage.googleapis.com" }[tool];
    const calls = seen.filter((s) => s.host === modelHost);
    expect(calls.length).toBeGreaterThan(0);
    const real = REAL_SECRETS[key as keyof typeof REAL_SECRETS];
    expect(calls.every((c) => [c.xApiKey, c.authorization, c.xGoogApiKey].some((v) => typeof v === "string" && v.includes(real)))).toBe(true);
    expect(JSON.stringify(seen)).not.toContain(PLACEHOLDER);
  });
});

describe("runs that stop early", () => {
  it("the wall clock: the agent is stopped, STOP_WALL_CLOCK, nothing pushed", async () => {
    const up = await world("clock", [HANG]);
    const t0 = Date.now();
    const r = await perimeterRun(runArgs(up, "claude", outDir("clock"), ["--wall-clock", "4"]), PROMPT);
    expect(r.code, r.stderr).toBe(STOP_EXIT_CODES.STOP_WALL_CLOCK);
    expectCommonFields(r.manifest, "claude", "STOP_WALL_CLOCK");
    expect(r.manifest.limits.wallClockSeconds).toBe(4);
    // The entrypoint's own clock fired (exit 124) well before the launcher's backstop.
    expect(r.manifest.agent).toEqual({ exitCode: 124, wallClock: true, refusal: null });
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(r.manifest.refsPushed).toEqual([]);
    expect(r.manifest.pullRequest).toBeNull();
    expect(await up.git(["branch", "--list", "agent/*"])).toBe("");
  }, 300_000);

  it("the budget: the gateway refuses the next model call, STOP_BUDGET, nothing pushed", async () => {
    const up = await world("budget", [FIX, "echo more >> README.md"]);
    const dir = scratchDir(`${PREFIX}profiles`);
    writeFileSync(join(dir, "tiny-budget.toml"), 'description = "a budget one reply exhausts"\nextends = "autonomous"\n\n[limits]\ntokens = 5\n');
    const r = await perimeterRun(runArgs(up, "claude", outDir("budget"), ["--profile", "tiny-budget", "--profiles-dir", dir, "--image", `localhost/${IMAGE_NAME}:latest`]), PROMPT);
    expect(r.code, r.stderr).toBe(STOP_EXIT_CODES.STOP_BUDGET);
    expectCommonFields(r.manifest, "claude", "STOP_BUDGET");
    expect(r.manifest.profile.name).toBe("tiny-budget");
    expect(r.manifest.budget.tokens).toBe(5);
    expect(r.manifest.usage).toMatchObject({ refused: true });
    expect(r.manifest.gateway.log.some((l) => l.decision === "deny" && String(l.rule).startsWith("limits."))).toBe(true);
    expect(r.manifest.refsPushed).toEqual([]);
    expect(await up.git(["branch", "--list", "agent/*"])).toBe("");
  }, 300_000);

  it("a planted secret: the scan finds it, STOP_SECRET_FOUND, nothing pushed, the secret not in the record", async () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ";
    const up = await world("secret", [FIX, `printf 'aws_secret_access_key = "${secret}"\\n' > deploy.env`]);
    const r = await perimeterRun(runArgs(up, "claude", outDir("secret")), PROMPT);
    expect(r.code, r.stderr).toBe(STOP_EXIT_CODES.STOP_SECRET_FOUND);
    expectCommonFields(r.manifest, "claude", "STOP_SECRET_FOUND");
    expect(r.manifest.agent.exitCode).toBe(0);
    expect(r.manifest.secretScan!.findings).toEqual([{ file: "deploy.env", line: 1, rule: "@secretlint/secretlint-rule-aws", message: expect.stringContaining("****") }]);
    expect(JSON.stringify(r.manifest)).not.toContain(secret);
    expect(r.manifest.refsPushed).toEqual([]);
    expect(r.manifest.pullRequest).toBeNull();
    expect(await up.git(["branch", "--list", "agent/*"])).toBe("");
    expect((await up.seen()).some((s) => String(s.path).endsWith("git-receive-pack"))).toBe(false);
  }, 300_000);

  it("a hostile --engine-arg mounting an engine socket: the entrypoint refuses, STOP_REFUSED", async () => {
    const up = await world("refused", [FIX]);
    const socketStandIn = join(scratchDir(`${PREFIX}sock`), "docker.sock");
    writeFileSync(socketStandIn, "");
    const r = await perimeterRun(runArgs(up, "claude", outDir("refused"), [`--engine-arg=--volume=${socketStandIn}:/var/run/docker.sock:ro`]), PROMPT);
    expect(r.code, r.stderr).toBe(STOP_EXIT_CODES.STOP_REFUSED);
    expectCommonFields(r.manifest, "claude", "STOP_REFUSED");
    expect(r.manifest.agent).toMatchObject({ exitCode: 64, refusal: { code: "E_CONTAINER_SOCKET" } });
    expect(r.manifest.usage!.modelCalls).toBe(0);
    expect(r.manifest.refsPushed).toEqual([]);
  }, 300_000);

  it("SIGINT to perimeter run: STOP_INTERRUPTED, exit 130, no container, network or volume left", async () => {
    const up = await world("sigint", [HANG]);
    const out = outDir("sigint");
    // Without --json: progress for a person on stderr.
    const child = startRun(runArgs(up, "claude", out).filter((a) => a !== "--json"), PROMPT);
    // Wait until the agent is at work (its container runs, which it does from the clone on, and the
    // model has had its first request), then interrupt the launcher as Ctrl-C would.
    let runId = "";
    for (let i = 0; i < 600 && runId === ""; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const ps = await podman(["ps", "--filter", "label=io.perimeter.role=agent", "--filter", `label=io.perimeter.prefix=${PREFIX}`, "--format", '{{index .Labels "io.perimeter.run"}}'], { reject: false });
      const manifest = existsSync(join(out, "manifest.json")) ? (JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest) : undefined;
      const atWork = manifest !== undefined && ps.stdout.split("\n").includes(manifest.runId) && (await up.seen()).some((q) => q.host === "api.anthropic.com");
      if (atWork) runId = manifest!.runId;
    }
    expect(runId).not.toBe("");
    expect((await leftovers(runId)).length).toBeGreaterThan(0);
    // The running agent holds placeholders only (its environment as the engine keeps it).
    const env = JSON.parse((await podman(["inspect", "--format", "{{json .Config.Env}}", `${PREFIX}${runId}-agent`])).stdout) as string[];
    for (const name of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GH_TOKEN"]) expect(env).toContain(`${name}=${PLACEHOLDER}`);
    for (const secret of Object.values(REAL_SECRETS)) expect(JSON.stringify(env)).not.toContain(secret);
    const gatewayEnv = (await podman(["inspect", "--format", "{{json .Config.Env}}", `${PREFIX}${runId}-gateway`])).stdout;
    expect(gatewayEnv).toContain(REAL_SECRETS.ANTHROPIC_API_KEY);
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    const progress = String(r.stderr);
    for (const phase of ["prepare", "gateway and clone", "agent: claude", "SIGINT", "cleanup", "STOP_INTERRUPTED"]) {
      expect(progress).toMatch(new RegExp(`^perimeter run ${runId} \\[\\d+\\.\\ds\\] .*${phase}`, "m"));
    }
    expect(String(r.stdout)).toMatch(/^STOP_INTERRUPTED: /);
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
    expectCommonFields(m, "claude", "STOP_INTERRUPTED");
    expect(await leftovers(runId)).toEqual([]);
  }, 300_000);

  it("perimeter run --cleanup removes what a killed launcher left, and never a live run's objects", async () => {
    const { hostname } = await import("node:os");
    const label = (run: string, launcher: string) => ["--label", `io.perimeter.run=${run}`, "--label", `io.perimeter.prefix=${PREFIX}`, "--label", `io.perimeter.launcher=${launcher}`, "--label", `io.perimeter.expires=${Math.ceil(Date.now() / 1000) + 3600}`];
    // A launcher pid that cannot be alive, and this test's own (alive) one.
    await podman(["network", "create", "--internal", ...label(`${PREFIX}stale-run`, `${hostname()}:999999999`), `${PREFIX}stale-run-net`]);
    await podman(["volume", "create", ...label(`${PREFIX}stale-run`, `${hostname()}:999999999`), `${PREFIX}stale-run-work`]);
    await podman(["network", "create", "--internal", ...label(`${PREFIX}live-run`, `${hostname()}:${process.pid}`), `${PREFIX}live-run-net`]);
    try {
      const r = await startRun(["run", "--cleanup", "--engine", "podman", "--name-prefix", PREFIX, "--json"], "");
      expect(r.exitCode, String(r.stderr)).toBe(0);
      // Stale host-side staging of other runs on this machine may be swept too (cleanup.ts); not this test's.
      expect((JSON.parse(String(r.stdout)).removed as string[]).filter((x) => !x.startsWith("staged files"))).toEqual([`network ${PREFIX}stale-run-net (run ${PREFIX}stale-run)`, `volume ${PREFIX}stale-run-work (run ${PREFIX}stale-run)`]);
      expect(await leftovers(`${PREFIX}stale-run`)).toEqual([]);
      expect(await leftovers(`${PREFIX}live-run`)).toEqual([`${PREFIX}live-run-net`]);
    } finally {
      await podman(["network", "rm", "--force", `${PREFIX}live-run-net`, `${PREFIX}stale-run-net`], { reject: false });
      await podman(["volume", "rm", "--force", `${PREFIX}stale-run-work`], { reject: false });
    }
  }, 120_000);
});
