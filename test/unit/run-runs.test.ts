// Issue 14: `perimeter runs` lists the manifests under the runs folder and shows one; a run whose
// launcher never wrote its end shows as unfinished.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultRunsDir } from "../../src/run/manifest.js";
import { runCli, tempDir } from "./helpers.js";

function manifest(runId: string, startedAt: string, state: "running" | "finished") {
  return {
    manifestVersion: 1, runId, state, startedAt, endedAt: state === "finished" ? startedAt : null, durationMs: state === "finished" ? 1200 : null,
    tool: { id: "claude", version: "2.1.332" }, profile: { name: "autonomous", files: [], sha256: "a".repeat(64) },
    image: { ref: "perimeter-agent:0.1.0-autonomous", id: "b".repeat(64) }, repo: { url: "https://github.com/octo/app.git", slug: "octo/app" },
    stop: state === "finished" ? { reason: "STOP_DONE", exitCode: 0, detail: "" } : null,
    usage: { modelCalls: 2, inputTokens: 20, outputTokens: 10, usd: 0.001 }, gateway: { requests: 9, allowed: 9, refused: 0, log: [] },
    diff: { files: [], filesChanged: 1, linesAdded: 1, linesDeleted: 1 }, refsPushed: [{ ref: "refs/heads/agent/claude/x", commit: "c".repeat(40) }],
    pullRequest: state === "finished" ? { url: "https://github.com/octo/app/pull/7", number: 7 } : null,
  };
}

describe("perimeter runs", () => {
  const dir = tempDir();
  for (const [id, at, state] of [["run-b", "2026-12-01T10:00:00.000Z", "finished"], ["run-a", "2026-12-01T09:00:00.000Z", "running"]] as const) {
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, "manifest.json"), JSON.stringify(manifest(id, at, state)));
  }
  mkdirSync(join(dir, "not-a-run"));

  it("lists every run, oldest first, an unfinished one as such", async () => {
    const r = await runCli(["runs", "--dir", dir]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^run-a +claude +autonomous +UNFINISHED/);
    expect(lines[1]).toMatch(/^run-b +claude +autonomous +STOP_DONE +https:\/\/github.com\/octo\/app\/pull\/7/);
    const json = JSON.parse((await runCli(["runs", "--dir", dir, "--json"])).stdout) as { runId: string; state: string; stop: string | null }[];
    expect(json.map((j) => [j.runId, j.state, j.stop])).toEqual([["run-a", "running", null], ["run-b", "finished", "STOP_DONE"]]);
  });

  it("shows one run, as text or as its whole manifest", async () => {
    const text = await runCli(["runs", "run-b", "--dir", dir]);
    expect(text.stdout).toMatch(/stop: STOP_DONE \(exit 0\)/);
    expect(text.stdout).toMatch(/pull request: https:\/\/github.com\/octo\/app\/pull\/7/);
    const json = await runCli(["runs", "run-b", "--dir", dir, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(manifest("run-b", "2026-12-01T10:00:00.000Z", "finished"));
    const missing = await runCli(["runs", "nope", "--dir", dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no run nope/);
  });

  it("the default folder is $XDG_STATE_HOME/perimeter/runs, else ~/.local/state/perimeter/runs", () => {
    expect(defaultRunsDir({ XDG_STATE_HOME: "/x/state", HOME: "/h" })).toBe("/x/state/perimeter/runs");
    expect(defaultRunsDir({ HOME: "/h" })).toBe("/h/.local/state/perimeter/runs");
  });
});
