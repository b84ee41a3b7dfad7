// Issue 4, "Proven in a real container": the agent image built from `perimeter bake` (base rootfs +
// baked layer + a root-owned test-fixture layer, configured from the baked image spec) refuses to
// start outside the sandbox, runs the three REAL agents through its entrypoint with the autonomous
// launch command, holds every tripwire the tool can express (and the same commands run in a control
// image baked without tripwires), prints JSON under `ci`, keeps its policy files out of the agent's
// reach, and keeps a run record. Observations feed the README coverage table's image column.
//
// Agents run on an --internal network (the autonomous image refuses a direct route, E_NETWORK_DIRECT)
// and talk to the fake model (test/real/fake-model.ts) through a relay container on it
// (agent-image.ts startRelayedModel).
// Each image is built once per run; agent containers run a few at a time (see `pool`).
import { createHash } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUARD_DENIAL, GUARDED_PROGRAMS, SCRIPT_ENV, TOOL_REFUSAL, reachedProgram } from "../real/guard-probes.js";
import type { ImageSpec } from "../../src/image/spec.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS } from "../../src/tools/index.js";
import type { ToolId } from "../../src/tools/types.js";
import { parseRecords, RECORD_PREFIX } from "../../src/entrypoint/record.js";
import { expectedObservation, recordObservations, type Observed } from "../report/coverage.js";
import { DRIVERS, denialKind } from "../real/agents.js";
import {
  bakeControlLayer,
  bakeWithCli,
  buildAgentImage,
  ensureDist,
  limiter,
  makeAgentHome,
  removeAgentNetwork,
  removeScratch,
  runScriptInImage,
  runThroughEntrypoint,
  scratchDir,
  shimNames,
  startRelayedModel,
  type AgentImage,
  type ImageScriptRun,
} from "./agent-image.js";
import { ensureBaseRootfs, ensurePodman, runContainer } from "./podman.js";

const profile = loadProfile("autonomous");
/** Every must-block example of every tripwire, then every must-leave-alone example. */
const mustBlock = profile.tripwires.flatMap((tripwire) => tripwire.blocks.map((example) => ({ tripwire, example })));
const leaveAlone = profile.tripwires.flatMap((tripwire) => tripwire.allows.map((example) => ({ tripwire, example })));
const commands = [...mustBlock.map((e) => e.example.command), ...leaveAlone.map((e) => e.example.command)];
// Only the guarded programs: the shells and wrappers the examples go through must stay real.
const SHIMS = [...GUARDED_PROGRAMS].sort();
/** The tool the single-tool tests start (any registered tool would do). */
const FIRST = TOOLS[0]!.id;
/** A tool whose client fails before any model call under its driver's failingEnv. */
const FAILING = TOOLS.find((t) => DRIVERS[t.id].failingEnv)!.id;
/** A harmless command for the single-command runs (a must-leave-alone example; its shim only logs). */
const PROBE = "gh repo view octo/app";

const REFUSED = /^perimeter-entrypoint: refused \((E_[A-Z_]+)\): .+$/;

let real: AgentImage; // autonomous, from `perimeter bake --profile autonomous`
let control: AgentImage; // autonomous minus its tripwires, through bakeLayer
let ci: AgentImage; // `perimeter bake --profile ci`
let realLayer: string;
/** At most three agent containers at once on two cores. */
const pool = limiter(3);
/** Started in beforeAll, awaited by the tests, so the matrix runs while the quick tests do. */
const matrix = new Map<string, Promise<ImageScriptRun>>();
const matrixRun = (kind: "real" | "control", tool: ToolId) => matrix.get(`${kind}/${tool}`)!;

const sec = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** The single stderr line of a refusal, and its code. */
function refusal(r: { exitCode: number; stdout: string; stderr: string }): { exitCode: number; lines: number; code?: string } {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  return { exitCode: r.exitCode, lines: lines.length, code: REFUSED.exec(lines[0] ?? "")?.[1] };
}

beforeAll(async () => {
  const timings: string[] = [];
  let t0 = performance.now();
  await Promise.all([ensurePodman().then(() => ensureBaseRootfs()), ensureDist()]);
  timings.push(`podman + base + dist ${sec(t0)}`);

  t0 = performance.now();
  const dir = scratchDir("layers");
  realLayer = join(dir, "autonomous.tar");
  const ciLayer = join(dir, "ci.tar");
  const controlLayer = join(dir, "control.tar");
  await Promise.all([bakeWithCli("autonomous", realLayer), bakeWithCli("ci", ciLayer), bakeControlLayer(controlLayer)]);
  timings.push(`bake x3 ${sec(t0)}`);

  t0 = performance.now();
  // PERIMETER_PODMAN_PREFIX (podman.ts) names the images too, for people sharing a machine.
  const prefix = process.env.PERIMETER_PODMAN_PREFIX ?? "perimeter";
  real = await buildAgentImage(`${prefix}-agent-autonomous`, realLayer, SHIMS);
  control = await buildAgentImage(`${prefix}-agent-control`, controlLayer, SHIMS);
  ci = await buildAgentImage(`${prefix}-agent-ci`, ciLayer, SHIMS);
  timings.push(`images x3 ${sec(t0)}`);
  console.log(`[image.test] ${timings.join(", ")}`);

  for (const kind of ["real", "control"] as const) {
    for (const tool of TOOLS) {
      const p = pool(async () => {
        const t = performance.now();
        const r = await runScriptInImage(kind === "real" ? real : control, tool.id, commands, SCRIPT_ENV);
        console.log(`[image.test] ${kind} matrix, ${tool.id}: ${commands.length} commands in ${sec(t)}`);
        return r;
      });
      p.catch(() => undefined); // awaited (and reported) by the tests
      matrix.set(`${kind}/${tool.id}`, p);
    }
  }
}, 600_000);

afterAll(async () => {
  await Promise.allSettled(matrix.values());
  await removeAgentNetwork();
  removeScratch();
});

it("uses the image spec baked into the layer: user, env, entrypoint, workdir", async () => {
  const r = await runContainer(real.ref, {
    entrypoint: [],
    args: ["sh", "-c", 'id -u; id -g; echo "$AGENT_SANDBOX $HOME $PATH"; pwd'],
  });
  expect(r.stderr).toBe("");
  const [uid, gid, env, cwd] = r.stdout.split("\n");
  expect([uid, gid]).toEqual([String(real.spec.user.uid), String(real.spec.user.gid)]);
  expect(env).toBe(`1 ${real.spec.user.home} ${real.spec.env.PATH}`);
  expect(cwd).toBe(real.spec.workdir);
  expect(real.spec.profile).toBe("autonomous");
  // The ENTRYPOINT (tini -- node /opt/perimeter/entrypoint.cjs) answers: past every check, no tool named.
  const usage = await runContainer(real.ref, { env: { AGENT_TOOL: "nope" }, args: ["x"] });
  expect(refusal(usage), usage.stderr).toEqual({ exitCode: 64, lines: 1, code: "E_USAGE" });
});

describe("1. the entrypoint refuses to start outside the sandbox (exit 64, one stderr line)", () => {
  it("as root (--user 0): E_ROOT", async () => {
    const r = await runContainer(real.ref, { user: "0", args: [FIRST, "hi"] });
    expect(refusal(r), r.stderr).toEqual({ exitCode: 64, lines: 1, code: "E_ROOT" });
    expect(r.stdout).toBe("");
  });

  it.each([
    ["unset", undefined],
    ['"0"', "0"],
    ['"true"', "true"],
  ])("AGENT_SANDBOX %s: E_SANDBOX_FLAG", async (_label, value) => {
    const r = await runContainer(real.ref, {
      ...(value === undefined ? { unsetEnv: ["AGENT_SANDBOX"] } : { env: { AGENT_SANDBOX: value } }),
      args: [FIRST, "hi"],
    });
    expect(refusal(r), r.stderr).toEqual({ exitCode: 64, lines: 1, code: "E_SANDBOX_FLAG" });
    expect(r.stderr).toContain(value === undefined ? "(it is null)" : `(it is "${value}")`);
  });

  it("a container engine socket mounted at /var/run/docker.sock: E_CONTAINER_SOCKET", async () => {
    const sock = join(scratchDir("sock"), "docker.sock");
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const r = await runContainer(real.ref, { volumes: [`${sock}:/var/run/docker.sock`], args: [FIRST, "hi"] });
      expect(refusal(r), r.stderr).toEqual({ exitCode: 64, lines: 1, code: "E_CONTAINER_SOCKET" });
      expect(r.stderr).toContain("docker.sock");
    } finally {
      server.close();
    }
  });

  it("DOCKER_HOST naming an engine over the network: E_CONTAINER_SOCKET", async () => {
    const r = await runContainer(real.ref, { env: { DOCKER_HOST: "tcp://10.0.0.1:2375" }, args: [FIRST, "hi"] });
    expect(refusal(r), r.stderr).toEqual({ exitCode: 64, lines: 1, code: "E_CONTAINER_SOCKET" });
    expect(r.stderr).toContain("DOCKER_HOST=tcp://10.0.0.1:2375");
  });

  it("control: as uid 1000 with AGENT_SANDBOX=1 the same image gets past the checks and runs the tool", async () => {
    const model = await startRelayedModel(real, { commands: [PROBE] });
    try {
      const home = makeAgentHome(real.spec, model);
      const r = await pool(() => runThroughEntrypoint(real, FIRST, { home, model }));
      expect(r.stderr).not.toMatch(/refused/);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe("done");
      expect(home.ran()).toContain(PROBE);
    } finally {
      await model.close();
    }
    // It waits for a slot in the pool behind the tripwire matrix, which takes minutes on a loaded machine.
  }, 600_000);
});

describe("2. the real clients start through the entrypoint and accept the baked files", () => {
  it.each(TOOLS.map((t) => [t.id] as const))("%s runs the launch command against the fake model", async (tool) => {
    const model = await startRelayedModel(real, { commands: [PROBE] });
    try {
      const home = makeAgentHome(real.spec, model);
      const r = await pool(() => runThroughEntrypoint(real, tool, { home, model }));
      expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
      expect(r.stdout.trim()).toBe("done");
      expect(model.turnResults[0]).toContain("shim: gh ran");
      expect(home.ran()).toContain(PROBE);
      // What the run printed shows the baked files were read as meant (the driver knows the signs).
      expect(DRIVERS[tool].launchProblems?.(r) ?? [], r.stderr.slice(-3000)).toEqual([]);
    } finally {
      await model.close();
    }
  });

  it.each(TOOLS.map((t) => [t.id] as const))("%s's own offline check accepts the baked files, and reports a broken one mounted over them", async (tool) => {
    const check = DRIVERS[tool].imageCheck;
    const run = (volumes: string[] = []) => runContainer(real.ref, { entrypoint: [], env: check.env, volumes, args: [tool, ...check.args] });
    const ok = await run();
    expect(check.problems(ok), `${ok.stdout}\n${ok.stderr}`.slice(-3000)).toBeUndefined();

    // The check can fail: the same command with a broken file mounted over (or beside) the baked ones.
    const dir = scratchDir(`broken-${tool}`);
    chmodSync(dir, 0o755);
    const file = join(dir, check.broken.path.split("/").at(-1)!);
    writeFileSync(file, check.broken.content);
    chmodSync(file, 0o644);
    const bad = await run([`${file}:${check.broken.path}:ro`]);
    expect(check.problems(bad), `${bad.stdout}\n${bad.stderr}`.slice(-3000)).toBeDefined();
  });
});

describe.each(TOOLS.map((t) => [t.title, t] as const))("3. %s: the tripwire matrix in the image (autonomous, bypass launch)", (_title, tool) => {
  it("tried every command (the fake model's script ran to the end)", async () => {
    const { run, results } = await matrixRun("real", tool.id);
    expect(run.exitCode, run.stderr.slice(-3000)).toBe(0);
    expect(results).toHaveLength(commands.length);
    const controlRun = await matrixRun("control", tool.id);
    expect(controlRun.run.exitCode, controlRun.run.stderr.slice(-3000)).toBe(0);
    expect(controlRun.results).toHaveLength(commands.length);
  });

  it("observes every must-block example exactly as expectedObservation(..., \"image\") says: the guard hook runs in bypass mode", async () => {
    const m = await matrixRun("real", tool.id);
    const observed = mustBlock.map(({ tripwire, example }, i) => {
      const result = m.results[i] ?? "";
      const kind = GUARD_DENIAL.test(result) ? "rule" : denialKind(tool.id, result);
      const seen: Observed = reachedProgram(m.ranAt(i), tripwire) ? "runs" : kind === "rule" ? "blocked" : kind === "approval" ? "asks" : "runs";
      return { tripwire: tripwire.id, example: example.command, observed: seen, result };
    });
    recordObservations("image", tool.id, observed.map(({ result: _r, ...row }) => row));
    for (const [i, { tripwire, example }] of mustBlock.entries()) {
      // Blocked: what the tripwire stops never reached a shim, and the tool reported the refusal.
      expect(observed[i]!.observed, `${example.command}: ${observed[i]!.result}`).toBe(expectedObservation(tool, tripwire, example, "image"));
    }
  });

  it("runs every must-leave-alone example without any prompt or denial", async () => {
    const m = await matrixRun("real", tool.id);
    leaveAlone.forEach(({ example }, j) => {
      const i = mustBlock.length + j;
      const result = m.results[i] ?? "";
      expect(GUARD_DENIAL.test(result), `${example.command}: ${result}`).toBe(false);
      expect(denialKind(tool.id, result), `${example.command}: ${result}`).toBeUndefined();
    });
  });

  it("control: in an image baked without tripwires and with a hook of no opinion, every must-block example reaches its program", async () => {
    const c = await matrixRun("control", tool.id);
    mustBlock.forEach(({ tripwire, example }, i) => {
      const result = c.results[i] ?? "";
      expect(GUARD_DENIAL.test(result), `${example.command}: ${result}`).toBe(false);
      // An absolute path runs the image's own program, not a shim; a tool may refuse a form itself
      // (Gemini refuses every command substitution), and says so.
      if (!example.command.startsWith("/") && !TOOL_REFUSAL.test(result)) {
        expect(reachedProgram(c.ranAt(i), tripwire), `${example.command}: ${result}`).toBe(true);
      }
    });
  });
});

describe("4. ci: each tool prints JSON when started through the entrypoint", () => {
  it("bakes launch commands that differ from autonomous ones (the JSON flags)", () => {
    expect(ci.spec.profile).toBe("ci");
    expect(ci.spec.output).toBe("json");
    for (const tool of TOOLS) expect(ci.spec.tools[tool.id].argv, tool.id).not.toEqual(real.spec.tools[tool.id].argv);
  });

  it.each(TOOLS.map((t) => [t.id] as const))("%s", async (tool) => {
    const model = await startRelayedModel(ci, { commands: [PROBE] });
    try {
      const home = makeAgentHome(ci.spec, model);
      const r = await pool(() => runThroughEntrypoint(ci, tool, { home, model }));
      expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
      expect(home.ran()).toContain(PROBE);
      expect(DRIVERS[tool].jsonReportsSuccess(r.stdout), r.stdout.slice(-3000)).toBe(true);
      // Control: the same check does not take a plain-text run for JSON.
      expect(DRIVERS[tool].jsonReportsSuccess("done\n")).toBe(false);
    } finally {
      await model.close();
    }
  });
});

describe("5. the agent user cannot modify or delete any policy file", () => {
  it("append, rm, mv and chmod fail for each file in spec.policyFiles, and every sha256 is unchanged", async () => {
    const files = real.spec.policyFiles;
    const expected = await Promise.all(
      files.map(async (f) => {
        const body = (await execa("tar", ["-xOf", realLayer, f.slice(1)], { encoding: "buffer", stripFinalNewline: false })).stdout;
        return createHash("sha256").update(body).digest("hex");
      }),
    );
    const script = [
      'for f in "$@"; do',
      `  sh -c 'echo x >> "$1"' _ "$f" 2>/dev/null && echo "append-OK $f" || echo "append-denied $f"`,
      '  rm -f "$f" 2>/dev/null && echo "rm-OK $f" || echo "rm-denied $f"',
      '  mv "$f" "$f.x" 2>/dev/null && echo "mv-OK $f" || echo "mv-denied $f"',
      '  chmod 666 "$f" 2>/dev/null && echo "chmod-OK $f" || echo "chmod-denied $f"',
      "done",
      'sha256sum "$@"',
    ].join("\n");
    const r = await runContainer(real.ref, { user: String(real.spec.user.uid), entrypoint: [], args: ["sh", "-c", script, "sh", ...files] });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    const attempts = files.flatMap((f) => ["append", "rm", "mv", "chmod"].map((op) => `${op}-denied ${f}`));
    expect(lines.slice(0, attempts.length)).toEqual(attempts);
    expect(lines.slice(attempts.length)).toEqual(files.map((f, i) => `${expected[i]}  ${f}`));
  });
});

describe("6. the run record", () => {
  it("is a start and an end line on the entrypoint's stderr per run, with the exit code, without the prompt", async () => {
    const spec: ImageSpec = real.spec;
    const prompt = "please do the secret thing 7f3a9c";
    const model = await startRelayedModel(real, { commands: [PROBE] });
    const runs: { stderr: string; exitCode: number }[] = [];
    try {
      const home = makeAgentHome(spec, model);
      const ok = await pool(() => runThroughEntrypoint(real, FAILING, { home, model, prompt }));
      expect(ok.exitCode, ok.stderr).toBe(0);
      // A second run whose tool fails (its driver's failingEnv: no credentials) has its own two lines.
      const failed = await pool(() => runThroughEntrypoint(real, FAILING, { home, model, prompt, env: DRIVERS[FAILING].failingEnv }));
      expect(failed.exitCode).not.toBe(0);
      runs.push(ok, failed);
    } finally {
      await model.close();
    }
    const base = { v: 1, tool: FAILING, profile: "autonomous", version: spec.tools[FAILING].version };
    const start = { time: expect.any(String), event: "start", ...base, command: [...spec.tools[FAILING].argv, `<prompt: ${prompt.length} characters>`] };
    for (const run of runs) {
      expect(run.stderr).not.toContain(prompt);
      expect(run.stderr.split("\n").filter((l) => l.startsWith(RECORD_PREFIX))).toHaveLength(2);
      expect(parseRecords(run.stderr)).toEqual([
        start,
        { time: expect.any(String), event: "end", ...base, exitCode: run.exitCode, stopReason: "exited", durationMs: expect.any(Number) },
      ]);
    }
    // No agent-owned record file any more.
    const listing = await runContainer(real.ref, { entrypoint: [], args: ["sh", "-c", "ls -d /var/log/perimeter 2>&1 || true"] });
    expect(listing.stdout).toContain("No such file");
  });
});
