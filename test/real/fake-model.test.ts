// Proves the real-agent test infrastructure with HAND-WRITTEN settings (not perimeter's renderer):
// for each pinned CLI, in a fresh HOME, in bypass mode,
//   (a) with no deny rule, the fake model's `touch <tmp>/marker` runs;
//   (b) with a deny rule for `touch` in the tool's strongest form, it does not, and the CLI reports
//       the denial.
// Each run takes about 0.4 s to 2 s, depending on the tool.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { AGENT_TOOLS, DRIVERS, runMarkerCommand, type AgentTool } from "./agents.js";
import { startFakeModel } from "./fake-model.js";

const root = mkdtempSync(join(tmpdir(), "perimeter-real-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function freshDir(label: string): string {
  const d = join(root, `${label}-${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
}

function write(home: string, rel: string, text: string): void {
  const p = join(home, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}

/** The strongest hand-written "deny touch" of each tool (its driver's handWrittenDeny). */
const denyTouch = (tool: AgentTool) => (home: string) => {
  for (const [file, text] of Object.entries(DRIVERS[tool].handWrittenDeny("touch"))) write(home, file, text);
};

const RUN_TIMEOUT = 45_000;
const TEST_TIMEOUT = 90_000;

describe.concurrent.each(AGENT_TOOLS)("%s against the fake model", (tool) => {
  it("runs the model's command in bypass mode when nothing denies it", { timeout: TEST_TIMEOUT }, async ({ expect }) => {
    const home = freshDir(`${tool}-home`);
    const marker = join(freshDir(`${tool}-out`), "marker");
    const run = await runMarkerCommand(tool, { home, mode: "bypass", command: `touch ${marker}`, timeoutMs: RUN_TIMEOUT });
    const why = `${run.command}\nexit ${run.exitCode}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}\ntool results: ${JSON.stringify(run.toolResults)}`;
    expect(run.timedOut, why).toBe(false);
    expect(run.exitCode, why).toBe(0);
    expect(run.toolCallsOffered, why).toBe(1);
    expect(run.toolResults.length, why).toBeGreaterThan(0);
    expect(existsSync(marker), why).toBe(true);
    expect(run.denied, why).toBe(false);
  });

  it("does not run it when a hand-written deny rule for touch exists, even in bypass mode", { timeout: TEST_TIMEOUT }, async ({ expect }) => {
    const home = freshDir(`${tool}-home`);
    denyTouch(tool)(home);
    const marker = join(freshDir(`${tool}-out`), "marker");
    const run = await runMarkerCommand(tool, { home, mode: "bypass", command: `touch ${marker}`, timeoutMs: RUN_TIMEOUT });
    const why = `${run.command}\nexit ${run.exitCode}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}\ntool results: ${JSON.stringify(run.toolResults)}`;
    expect(run.timedOut, why).toBe(false);
    expect(run.exitCode, why).toBe(0);
    expect(run.toolCallsOffered, why).toBe(1); // the command was really attempted
    expect(existsSync(marker), why).toBe(false);
    expect(run.denied, why).toBe(true);
  });
});

describe("fake model protocol details", () => {
  it("answers text, not a tool call, once a tool result is in the request", async ({ expect }) => {
    const m = await startFakeModel({ command: "true" });
    try {
      const post = async (path: string, body: unknown) => {
        const r = await fetch(m.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        return r.text();
      };
      // Anthropic: first turn -> tool_use; with a tool_result -> text.
      const tools = [{ name: "Bash", input_schema: { type: "object" } }];
      expect(await post("/v1/messages", { stream: true, tools, messages: [{ role: "user", content: "go" }] })).toContain('"tool_use"');
      const later = await post("/v1/messages", {
        stream: true,
        tools,
        messages: [
          { role: "user", content: "go" },
          { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "true" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "denied!" }] },
        ],
      });
      expect(later).toContain('"text_delta"');
      expect(later).not.toContain('"tool_use"');
      // A side request without the shell tool (title, summary...) never gets the tool call.
      expect(await post("/v1/messages", { messages: [{ role: "user", content: "title?" }] })).not.toContain("tool_use");
      // Gemini JSON side call (e.g. the routing classifier) gets schema-shaped JSON.
      const classifier = JSON.parse(
        await post("/v1beta/models/flash:generateContent", {
          contents: [{ role: "user", parts: [{ text: "go" }] }],
          generationConfig: {
            responseMimeType: "application/json",
            responseJsonSchema: { type: "OBJECT", properties: { complexity_score: { type: "INTEGER" }, reasoning: { type: "STRING" } } },
          },
        }),
      ) as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> };
      expect(JSON.parse(classifier.candidates[0]!.content.parts[0]!.text)).toEqual({ complexity_score: 1, reasoning: "fake model" });
      // OpenAI Responses: a top-level function tool with a string `cmd`.
      const resp = await post("/v1/responses", {
        input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "go" }] }],
        tools: [{ type: "function", name: "exec_command", parameters: { type: "object", properties: { cmd: { type: "string" } } } }],
      });
      expect(resp).toContain('"function_call"');
      expect(resp).toContain('\\"cmd\\":\\"true\\"');
      expect(m.toolResults).toEqual(["denied!"]);
      expect(m.toolCallsOffered).toBe(2);
    } finally {
      await m.close();
    }
  });
});
