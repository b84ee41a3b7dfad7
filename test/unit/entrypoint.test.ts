import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { refusals, type Environment, type RefusalCode } from "../../src/entrypoint/checks.js";
import { EXIT_REFUSED, main, parseRequest } from "../../src/entrypoint/main.js";
import { runTool } from "../../src/entrypoint/run.js";
import type { ImageSpec } from "../../src/image/spec.js";
import { tempDir } from "./helpers.js";

const SPEC_PATH = "/etc/perimeter/image.json";
const POLICY = ["/etc/claude-code/managed-settings.json", "/etc/codex/config.toml", SPEC_PATH];
const NORMAL_CAPS = "Name:\tnode\nCapInh:\t0000000000000000\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n";
const FULL_CAPS = "Name:\tnode\nCapBnd:\t000001ffffffffff\n";

function spec(overrides: Partial<ImageSpec> = {}): ImageSpec {
  return {
    profile: "autonomous",
    output: "text",
    user: { name: "agent", uid: 1000, gid: 1000, home: "/home/agent", shell: "/bin/bash" },
    workdir: "/work",
    env: { AGENT_SANDBOX: "1" },
    entrypoint: ["tini", "--", "node", "/opt/perimeter/entrypoint.cjs"],
    runRecord: join(tempDir("perimeter-run-"), "runs.jsonl"),
    policyFiles: POLICY,
    tools: {
      claude: { argv: ["node", "-e", "process.exit(0)"], package: "@anthropic-ai/claude-code", version: "1" },
      codex: { argv: ["node", "-e", "process.exit(0)"], package: "@openai/codex", version: "1" },
      gemini: { argv: ["node", "-e", "process.exit(0)"], package: "@google/gemini-cli", version: "1" },
    },
    ...overrides,
  };
}

interface FakeOptions {
  env?: NodeJS.ProcessEnv;
  uid?: number;
  files?: Record<string, string>;
  existing?: string[];
  writable?: string[];
  owners?: Record<string, number>;
}

/** A sandbox that passes every check, changed by `o`. */
function fakeEnvironment(o: FakeOptions = {}): Environment {
  const files: Record<string, string> = {
    "/proc/self/status": NORMAL_CAPS,
    "/proc/sys/kernel/cap_last_cap": "40\n",
    "/proc/self/mountinfo": "22 1 0:21 / / rw,relatime - overlay overlay rw\n",
    ...o.files,
  };
  const existing = new Set([...POLICY, ...(o.existing ?? [])]);
  return {
    env: o.env ?? { AGENT_SANDBOX: "1" },
    uid: o.uid ?? 1000,
    readText: (path) => files[path],
    exists: (path) => existing.has(path) || path in files,
    writable: (path) => (o.writable ?? []).includes(path),
    ownerUid: (path) => (existing.has(path) ? (o.owners?.[path] ?? 0) : undefined),
  };
}

const codes = (e: Environment): RefusalCode[] => refusals(spec(), e).map((r) => r.code);

describe("refusals", () => {
  it("a clean sandbox yields none", () => {
    expect(refusals(spec(), fakeEnvironment())).toEqual([]);
  });

  it.each([
    ["unset", {}],
    ['"0"', { AGENT_SANDBOX: "0" }],
    ['"true"', { AGENT_SANDBOX: "true" }],
    ['" 1"', { AGENT_SANDBOX: " 1" }],
  ])("E_SANDBOX_FLAG alone when AGENT_SANDBOX is %s", (_label, env) => {
    expect(codes(fakeEnvironment({ env }))).toEqual(["E_SANDBOX_FLAG"]);
  });

  it("E_ROOT alone for uid 0", () => {
    expect(codes(fakeEnvironment({ uid: 0 }))).toEqual(["E_ROOT"]);
  });

  it("E_CONTAINER_SOCKET alone when /var/run/docker.sock exists", () => {
    const found = refusals(spec(), fakeEnvironment({ existing: ["/var/run/docker.sock"] }));
    expect(found.map((r) => r.code)).toEqual(["E_CONTAINER_SOCKET"]);
    expect(found[0]!.reason).toContain("/var/run/docker.sock");
  });

  it("E_CONTAINER_SOCKET alone when DOCKER_HOST names a unix socket that exists", () => {
    const environment = fakeEnvironment({ env: { AGENT_SANDBOX: "1", DOCKER_HOST: "unix:///tmp/engine.sock" }, existing: ["/tmp/engine.sock"] });
    const found = refusals(spec(), environment);
    expect(found.map((r) => r.code)).toEqual(["E_CONTAINER_SOCKET"]);
    expect(found[0]!.reason).toContain("/tmp/engine.sock");
    // the same variable pointing at nothing is not a socket (control)
    expect(codes(fakeEnvironment({ env: { AGENT_SANDBOX: "1", DOCKER_HOST: "unix:///tmp/engine.sock" } }))).toEqual([]);
  });

  it("E_CONTAINER_SOCKET alone when DOCKER_HOST or CONTAINER_HOST names an engine over the network", () => {
    for (const [name, value] of [["DOCKER_HOST", "tcp://10.0.0.1:2375"], ["CONTAINER_HOST", "ssh://core@host/run/podman/podman.sock"]] as const) {
      const found = refusals(spec(), fakeEnvironment({ env: { AGENT_SANDBOX: "1", [name]: value } }));
      expect(found.map((r) => r.code)).toEqual(["E_CONTAINER_SOCKET"]);
      expect(found[0]!.reason).toContain(`${name}=${value}`);
    }
    // Control: the variables empty, as some launchers leave them, name no engine.
    expect(codes(fakeEnvironment({ env: { AGENT_SANDBOX: "1", DOCKER_HOST: "", CONTAINER_HOST: "" } }))).toEqual([]);
  });

  it("E_CONTAINER_SOCKET alone when a socket is bind-mounted (mountinfo)", () => {
    const mountinfo = "22 1 0:21 / / rw - overlay overlay rw\n40 22 0:5 /docker.sock /run/user/docker.sock rw - tmpfs tmpfs rw\n";
    expect(codes(fakeEnvironment({ files: { "/proc/self/mountinfo": mountinfo } }))).toEqual(["E_CONTAINER_SOCKET"]);
  });

  it("E_POLICY_WRITABLE alone when a policy file is writable", () => {
    const found = refusals(spec(), fakeEnvironment({ writable: ["/etc/codex/config.toml"] }));
    expect(found.map((r) => r.code)).toEqual(["E_POLICY_WRITABLE"]);
    expect(found[0]!.reason).toContain("/etc/codex/config.toml");
  });

  it("E_POLICY_WRITABLE alone when a policy file is not root-owned", () => {
    expect(codes(fakeEnvironment({ owners: { "/etc/claude-code/managed-settings.json": 1000 } }))).toEqual(["E_POLICY_WRITABLE"]);
  });

  it("E_POLICY_MISSING alone when a policy file is missing", () => {
    const environment = fakeEnvironment();
    const missing: Environment = { ...environment, exists: (p) => p !== "/etc/codex/config.toml" && environment.exists(p) };
    expect(codes(missing)).toEqual(["E_POLICY_MISSING"]);
  });

  it("E_PRIVILEGED alone for the full bounding set with cap_last_cap 40; a normal container's CapBnd passes", () => {
    expect(codes(fakeEnvironment({ files: { "/proc/self/status": FULL_CAPS } }))).toEqual(["E_PRIVILEGED"]);
    expect(codes(fakeEnvironment({ files: { "/proc/self/status": NORMAL_CAPS } }))).toEqual([]);
    // one capability short of full is not privileged
    expect(codes(fakeEnvironment({ files: { "/proc/self/status": "CapBnd:\t000001fffffffffe\n" } }))).toEqual([]);
    // a newer kernel (more capabilities) with the old full set is not "full"
    expect(codes(fakeEnvironment({ files: { "/proc/self/status": FULL_CAPS, "/proc/sys/kernel/cap_last_cap": "41\n" } }))).toEqual([]);
  });

  it("several problems are all reported, each with its own code", () => {
    const environment = fakeEnvironment({ env: {}, uid: 0, existing: ["/run/docker.sock"], files: { "/proc/self/status": FULL_CAPS } });
    expect(codes(environment).sort()).toEqual(["E_CONTAINER_SOCKET", "E_PRIVILEGED", "E_ROOT", "E_SANDBOX_FLAG"]);
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
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
      text += String(chunk);
      return true;
    });
    return () => text;
  }

  const withSpec = (s: ImageSpec, o: FakeOptions = {}) => fakeEnvironment({ ...o, files: { ...o.files, [SPEC_PATH]: JSON.stringify(s) } });

  it("returns 64 and prints exactly one stderr line when refused, naming the first code and the others", async () => {
    const stderr = captureStderr();
    const code = await main(["claude", "hi"], withSpec(spec(), { env: {}, uid: 0 }), SPEC_PATH);
    expect(code).toBe(EXIT_REFUSED);
    expect(code).toBe(64);
    const lines = stderr().split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^perimeter-entrypoint: refused \(E_SANDBOX_FLAG\): /);
    expect(lines[0]).toContain("(also: E_ROOT)");
    expect(stderr().endsWith("\n")).toBe(true);
  });

  it("returns 64 with E_POLICY_MISSING when the image spec is missing", async () => {
    const stderr = captureStderr();
    const code = await main(["claude", "hi"], fakeEnvironment(), SPEC_PATH);
    expect(code).toBe(64);
    expect(stderr()).toMatch(/^perimeter-entrypoint: refused \(E_POLICY_MISSING\)/);
  });

  it("returns 64 with one line for a bad request in a clean sandbox", async () => {
    const stderr = captureStderr();
    const code = await main([], withSpec(spec()), SPEC_PATH);
    expect(code).toBe(64);
    expect(stderr().trim().split("\n")).toHaveLength(1);
    expect(stderr()).toContain("E_USAGE");
  });

  it("runs the tool in a clean sandbox and returns its exit code", async () => {
    const s = spec({ tools: { ...spec().tools, codex: { argv: ["node", "-e", "process.exit(5)"], package: "@openai/codex", version: "1" } } });
    const code = await main(["codex", "go"], withSpec(s), SPEC_PATH);
    expect(code).toBe(5);
  });
});

describe("runTool", () => {
  afterEach(() => vi.restoreAllMocks());

  const recordLines = (s: ImageSpec) =>
    readFileSync(s.runRecord, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it("returns the tool's exit code (7) and appends a start and an end line without the prompt text", async () => {
    const s = spec({ tools: { ...spec().tools, claude: { argv: ["node", "-e", "process.exit(7)"], package: "@anthropic-ai/claude-code", version: "2.1.330" } } });
    const prompt = "SECRET-PROMPT-do-not-log the repo token is hunter2";
    const code = await runTool(s, { tool: "claude", prompt });
    expect(code).toBe(7);
    const raw = readFileSync(s.runRecord, "utf8");
    expect(raw).not.toContain("SECRET-PROMPT");
    expect(raw).not.toContain("hunter2");
    const lines = recordLines(s);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ event: "start", tool: "claude", profile: "autonomous", version: "2.1.330" });
    expect(lines[0]!.command).toEqual(["node", "-e", "process.exit(7)", `<prompt: ${prompt.length} characters>`]);
    expect(lines[1]).toMatchObject({ event: "end", tool: "claude", exitCode: 7, stopReason: "exited" });
    expect(typeof lines[1]!.durationMs).toBe("number");
  });

  it("appends to an existing run record, never rewriting earlier lines", async () => {
    const s = spec();
    await runTool(s, { tool: "codex", prompt: "one" });
    await runTool(s, { tool: "gemini", prompt: "two" });
    const lines = recordLines(s);
    expect(lines.map((l) => `${l.event}:${l.tool}`)).toEqual(["start:codex", "end:codex", "start:gemini", "end:gemini"]);
  });

  it("passes the prompt to the tool as its last argument", async () => {
    const dir = tempDir("perimeter-run-");
    const out = join(dir, "argv.json");
    const script = `require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(1)))`;
    const s = spec({ tools: { ...spec().tools, gemini: { argv: ["node", "-e", script, "first-arg"], package: "g", version: "1" } } });
    expect(await runTool(s, { tool: "gemini", prompt: "a prompt with spaces" })).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(["first-arg", "a prompt with spaces"]);
  });

  it("returns 127 when the tool cannot be started", async () => {
    const s = spec({ tools: { ...spec().tools, codex: { argv: ["/nonexistent/perimeter-tool"], package: "x", version: "1" } } });
    expect(await runTool(s, { tool: "codex", prompt: "p" })).toBe(127);
    expect(recordLines(s)[1]).toMatchObject({ event: "end", exitCode: 127 });
  });

  it("forwards SIGTERM to the tool and returns 143, then removes its signal handlers", async () => {
    const s = spec({ tools: { ...spec().tools, claude: { argv: ["node", "-e", "setTimeout(()=>{},10000)"], package: "c", version: "1" } } });
    const before = { term: process.listeners("SIGTERM"), int: process.listeners("SIGINT") };
    const started = Date.now();
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
    expect(recordLines(s)[1]).toMatchObject({ event: "end", exitCode: 143, stopReason: "signal SIGTERM" });
    expect(process.listeners("SIGTERM")).toEqual(before.term);
    expect(process.listeners("SIGINT")).toEqual(before.int);
  }, 15_000);
});
