// Issue 14: the entrypoint enforces the run's wall clock too (the launcher is the backstop).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseRecords, stderrLines } from "../../src/entrypoint/record.js";
import type { ImageSpec } from "../../src/image/spec.js";
import { EXIT_WALL_CLOCK, runTool, WALL_CLOCK_ENV } from "../../src/entrypoint/run.js";

function spec(argv: string[]): ImageSpec {
  return {
    profile: "autonomous",
    output: "text",
    user: { name: "agent", uid: 1000, gid: 1000, home: "/home/agent", shell: "/bin/bash" },
    workdir: "/work",
    env: {},
    entrypoint: [],
    policyFiles: [],
    network: "direct",
    tools: { claude: { argv, package: "x", version: "1" } } as ImageSpec["tools"],
  };
}

/** The entrypoint's record lines go to its stderr: captured here. */
let stderr = "";
const endLine = (_s: ImageSpec) => parseRecords(stderr).filter((r) => r.event === "end").at(-1) as { stopReason: string; exitCode: number };

beforeEach(() => {
  stderr = "";
  // The entrypoint writes its lines to fd 2 through stderrLines (record.ts), not process.stderr.
  vi.spyOn(stderrLines, "write").mockImplementation((text: string) => {
    stderr += text;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env[WALL_CLOCK_ENV];
});

describe("entrypoint wall clock", () => {
  it("stops a tool that runs past it, exits 124 and records why", async () => {
    process.env[WALL_CLOCK_ENV] = "0.5";
    const s = spec(["sleep"]);
    const t0 = Date.now();
    expect(await runTool(s, { tool: "claude", prompt: "30" })).toBe(EXIT_WALL_CLOCK);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(endLine(s)).toMatchObject({ exitCode: EXIT_WALL_CLOCK, stopReason: "wall-clock: 0.5 s" });
  });

  it("kills a tool that ignores SIGTERM", async () => {
    process.env[WALL_CLOCK_ENV] = "0.3";
    const s = spec(["sh", "-c", "trap '' TERM; sleep $0"]);
    expect(await runTool(s, { tool: "claude", prompt: "30" })).toBe(EXIT_WALL_CLOCK);
  }, 15_000);

  it("control: the same tool within the clock, and with no clock set, exits as it does", async () => {
    process.env[WALL_CLOCK_ENV] = "5";
    expect(await runTool(spec(["sleep"]), { tool: "claude", prompt: "0.1" })).toBe(0);
    delete process.env[WALL_CLOCK_ENV];
    const s = spec(["sh", "-c", "exit $0"]);
    expect(await runTool(s, { tool: "claude", prompt: "3" })).toBe(3);
    expect(endLine(s)).toMatchObject({ exitCode: 3, stopReason: "exited" });
  });
});
