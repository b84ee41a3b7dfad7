// Issue 14 (b): exactly one stop reason per run, the cause winning, each with its own exit code;
// and the stage output the scan and the manifest read, with the real secretlint over it.
import { describe, expect, it } from "vitest";
import { parseStageOutput } from "../../src/run/diff.js";
import { isStale } from "../../src/run/cleanup.js";
import { entrypointRecords, refusalOf, usageFromLog, parseGatewayLog } from "../../src/run/records.js";
import { scanAddedLines } from "../../src/run/secret-scan.js";
import { STOP_EXIT_CODES, STOP_MEANINGS, stopReason, type Observations } from "../../src/run/stop.js";

const clean: Observations = {
  interrupted: false, agentRan: true, refused: false, wallClock: false, budgetRefused: false,
  engineFailedDuringAgent: false, toolExitCode: 0, secretFound: false, publishFailed: false,
};

describe("stop reasons", () => {
  it("every reason has its own exit code and a meaning", () => {
    const codes = Object.values(STOP_EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(STOP_MEANINGS).sort()).toEqual(Object.keys(STOP_EXIT_CODES).sort());
    expect(STOP_EXIT_CODES.STOP_DONE).toBe(0);
    // None collides with the CLI's other codes (1 drift, 2 usage, 3 refused).
    for (const c of codes.filter((c) => c !== 0)) expect([1, 2, 3]).not.toContain(c);
  });

  it.each<[string, Partial<Observations>, keyof typeof STOP_EXIT_CODES]>([
    ["a clean run", {}, "STOP_DONE"],
    ["the tool failed", { toolExitCode: 1 }, "STOP_TOOL_FAILED"],
    ["the tool failed because the budget ran out: the budget is the cause", { toolExitCode: 1, budgetRefused: true }, "STOP_BUDGET"],
    ["the clock stopped a tool that had no model left: the budget is the cause", { wallClock: true, budgetRefused: true, toolExitCode: 143 }, "STOP_BUDGET"],
    ["the clock stopped the tool", { wallClock: true, toolExitCode: 124 }, "STOP_WALL_CLOCK"],
    ["a secret in the diff", { secretFound: true }, "STOP_SECRET_FOUND"],
    ["a secret in the diff of a failed tool: it failed first", { secretFound: true, toolExitCode: 2 }, "STOP_TOOL_FAILED"],
    ["the entrypoint refused", { refused: true, toolExitCode: 64 }, "STOP_REFUSED"],
    ["no engine, no agent", { agentRan: false, setupFailure: "engine", toolExitCode: undefined }, "STOP_ENGINE_ERROR"],
    ["the clone failed", { agentRan: false, setupFailure: "clone", toolExitCode: undefined }, "STOP_CLONE_FAILED"],
    ["the push was refused", { publishFailed: true }, "STOP_PUSH_FAILED"],
    ["Ctrl-C wins over everything it caused", { interrupted: true, wallClock: true, toolExitCode: 130, budgetRefused: true }, "STOP_INTERRUPTED"],
    ["the engine failed while running the agent", { engineFailedDuringAgent: true, toolExitCode: 125 }, "STOP_ENGINE_ERROR"],
  ])("%s", (_what, change, expected) => {
    expect(stopReason({ ...clean, ...change })).toBe(expected);
  });
});

const STAGE = [
  "PERIMETER_TREE 0123456789abcdef0123456789abcdef01234567",
  "PERIMETER_VERSION 2.1.330 (Claude Code)",
  'PERIMETER_POLICY {"/etc/perimeter/image.json":"abc"}',
  "PERIMETER_NUMSTAT",
  "3\t1\tsrc/add.js",
  "-\t-\tlogo.png",
  '2\t0\t"odd\\tname.txt"',
  "PERIMETER_DIFF",
  "diff --git a/src/add.js b/src/add.js",
  "--- a/src/add.js",
  "+++ b/src/add.js",
  "@@ -2 +2,3 @@",
  "-  return a - b;",
  "+  return a + b;",
  "+}",
  '+const aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ";',
  "diff --git a/logo.png b/logo.png",
  "Binary files a/logo.png and b/logo.png differ",
  'diff --git "a/odd\\tname.txt" "b/odd\\tname.txt"',
  "--- /dev/null",
  '+++ "b/odd\\tname.txt"',
  "@@ -0,0 +1,2 @@",
  "+hello",
  "+world",
  "",
].join("\n");

describe("the stage step's output", () => {
  it("gives the tree, the version, the diff summary and the added lines with their numbers", () => {
    const s = parseStageOutput(STAGE);
    expect(s.tree).toBe("0123456789abcdef0123456789abcdef01234567");
    expect(s.version).toBe("2.1.330 (Claude Code)");
    expect(s.policy).toEqual({ "/etc/perimeter/image.json": "abc" });
    expect(s.summary).toEqual({
      files: [
        { path: "src/add.js", added: 3, deleted: 1 },
        { path: "logo.png", added: null, deleted: null },
        { path: "odd\tname.txt", added: 2, deleted: 0 },
      ],
      filesChanged: 3,
      linesAdded: 5,
      linesDeleted: 1,
    });
    expect(s.added.get("src/add.js")).toEqual({ lines: ["  return a + b;", "}", 'const aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ";'], lineNumbers: [2, 3, 4] });
    expect(s.added.get("odd\tname.txt")?.lines).toEqual(["hello", "world"]);
  });

  it("secretlint finds the planted key in the added lines, at its line, masked; a clean diff has no finding", async () => {
    const findings = await scanAddedLines(parseStageOutput(STAGE));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ file: "src/add.js", line: 4, rule: "@secretlint/secretlint-rule-aws" });
    expect(JSON.stringify(findings)).not.toContain("wJalrXUtnFEMI");
    // Control: the same diff without the planted line.
    const clean = parseStageOutput(STAGE.replace(/^\+const aws_secret.*\n/m, ""));
    expect(await scanAddedLines(clean)).toEqual([]);
  });

  it("a removed secret is not a finding: only what the agent adds can leave", async () => {
    const removed = parseStageOutput(STAGE.replace('+const aws_secret_access_key', '-const aws_secret_access_key'));
    expect(await scanAddedLines(removed)).toEqual([]);
  });
});

describe("what the containers report", () => {
  it("entrypoint records and refusals from the agent's stderr", () => {
    const stderr = [
      'perimeter-record {"v":1,"event":"start","tool":"claude","policyDigests":{"a":"b"}}',
      "some tool output",
      "perimeter-record {not json",
      "perimeter-entrypoint: refused (E_CONTAINER_SOCKET): a container engine socket is reachable (/run/podman/podman.sock)",
    ].join("\n");
    expect(entrypointRecords(stderr)).toEqual([{ v: 1, event: "start", tool: "claude", policyDigests: { a: "b" } }]);
    expect(refusalOf(stderr)).toEqual({ code: "E_CONTAINER_SOCKET", reason: "a container engine socket is reachable (/run/podman/podman.sock)" });
    expect(refusalOf("perimeter-entrypoint: warning")).toBeUndefined();
  });

  it("usage and a budget refusal from the gateway's log", () => {
    const log = parseGatewayLog([
      '{"event":"start"}',
      '{"event":"request","host":"api.anthropic.com","decision":"allow","usage":{"input":100,"output":20,"cachedInput":0,"usd":0.001}}',
      '{"event":"budget-stop","totals":{"calls":1,"input":100,"output":20,"cachedInput":0,"usd":0.001,"percent":120,"warned":true,"stopped":true}}',
      '{"event":"request","host":"api.anthropic.com","decision":"deny","rule":"limits.stop_percent","status":403}',
    ].join("\n"));
    expect(usageFromLog(log)).toEqual({ modelCalls: 1, inputTokens: 100, outputTokens: 20, cachedInputTokens: 0, usd: 0.001, percent: 120, warned: true, refused: true });
    expect(usageFromLog(log.slice(0, 2)).refused).toBe(false);
  });
});

describe("stale runs", () => {
  it("are those whose launcher died on this host, or whose time is long past; a live launcher's are kept", () => {
    const now = Date.now() / 1000;
    expect(isStale(`thishost:${process.pid}`, now + 3600, now, "thishost")).toBe(false);
    expect(isStale("thishost:999999999", now + 3600, now, "thishost")).toBe(true);
    expect(isStale("otherhost:999999999", now + 3600, now, "thishost")).toBe(false);
    expect(isStale(`thishost:${process.pid}`, now - 1, now, "thishost")).toBe(true);
  });
});
