// Two runs with one --run-id: the second must not start, or its cleanup would remove the first's
// containers, network, volumes and staged credentials, all named after the id (src/run/lock.ts).
import { execa } from "execa";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runRequestFrom } from "../../src/cli/commands/run.js";
import { sweepStaleStaging } from "../../src/run/cleanup.js";
import { executeRun } from "../../src/run/execute.js";
import { lockPath, takeRunLock } from "../../src/run/lock.js";
import { planRun } from "../../src/run/plan.js";
import { stagingDir } from "../../src/run/staging.js";
import { TOOL_IDS } from "../../src/tools/index.js";
import { tempDir } from "./helpers.js";

const me = `${hostname()}:${process.pid}`;

describe("one launcher per run id", () => {
  it("a second take of a live run's id is refused; after the release it is free again", () => {
    const dir = tempDir();
    const release = takeRunLock("run-1", me, dir);
    expect(() => takeRunLock("run-1", `${hostname()}:1`, dir)).toThrow(/run run-1 is already running \(launcher .*:\d+.*pick another --run-id/);
    // Control: another id is free, and the same id once released.
    takeRunLock("run-2", me, dir)();
    release();
    expect(existsSync(lockPath("run-1", dir))).toBe(false);
    takeRunLock("run-1", me, dir)();
  });

  it("a lock whose launcher is gone (killed mid-run) is taken over", async () => {
    const dir = tempDir();
    const gone = execa("true");
    await gone;
    writeFileSync(lockPath("run-3", dir), `${hostname()}:${gone.pid}`);
    const release = takeRunLock("run-3", me, dir);
    release();
    expect(existsSync(lockPath("run-3", dir))).toBe(false);
  });

  it("--cleanup's sweep removes a killed launcher's staged files (credential copies) and lock; a live run's stay", async () => {
    const dir = tempDir();
    const gone = execa("true");
    await gone;
    for (const [runId, holder] of [["dead-run", `${hostname()}:${gone.pid}`], ["live-run", me]] as const) {
      mkdirSync(join(stagingDir(runId, dir), "credentials"), { recursive: true });
      writeFileSync(join(stagingDir(runId, dir), "credentials", "0-key"), "sk-ant-...");
      writeFileSync(lockPath(runId, dir), holder);
    }
    expect(sweepStaleStaging(dir)).toEqual(["staged files of run dead-run"]);
    expect(existsSync(stagingDir("dead-run", dir))).toBe(false);
    expect(existsSync(lockPath("dead-run", dir))).toBe(false);
    expect(existsSync(join(stagingDir("live-run", dir), "credentials", "0-key"))).toBe(true);
    expect(existsSync(lockPath("live-run", dir))).toBe(true);
  });

  it("executeRun refuses before it writes or runs anything when a live run holds the id", async () => {
    const out = tempDir();
    const runId = `lock-test-${process.pid}`;
    const flags = { tool: TOOL_IDS[0], repo: "https://github.com/octo/app", engine: "podman", runId, out };
    const request = await runRequestFrom("fix it", flags, { PATH: "/usr/bin:/bin", HOME: tempDir() });
    const release = takeRunLock(runId, `${hostname()}:1`);
    try {
      await expect(executeRun(request, planRun(request), { env: { PATH: "/nonexistent" } })).rejects.toThrow(/already running/);
      expect(existsSync(join(out, "manifest.json"))).toBe(false);
    } finally {
      release();
    }
    // Control: with the id free the same run starts (and fails at once: no engine on this PATH).
    const manifest = await executeRun(request, planRun(request), { env: { PATH: "/nonexistent" } });
    expect(existsSync(join(out, "manifest.json"))).toBe(true);
    expect(manifest.stop?.reason).toBeDefined();
    expect(existsSync(lockPath(runId))).toBe(false);
  });
});
