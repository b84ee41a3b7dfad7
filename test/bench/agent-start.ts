// Case 4 of the benchmark (run.ts): how long each pinned agent CLI takes to start, through the
// image's entrypoint and directly. An agent has started when its first request reaches the model
// API, here the fake model of the real-agent suite (test/real/fake-model.ts): that is the moment a
// user of the image waits for, and it includes everything the entrypoint adds in front.
//
// Both ways run the same argv, environment, user (the image's, uid 1000) and home; the only
// difference is the entrypoint (with every sandbox check real) in front of the tool.
import { execa } from "execa";
import { chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AGENT_TOOLS, agentInvocation, type AgentTool } from "../real/agents.js";
import { startFakeModel, type FakeModel } from "../real/fake-model.js";

export const AGENT_PROMPT = "benchmark: start and finish";

export interface AgentStartSetup {
  /** [node, entry-driver, entrypoint] : what starts the image's entrypoint on this host. */
  entryCommand: string[];
  /** Writes an image spec whose tools run `argv` (tool id -> argv without the prompt); returns its path. */
  writeSpec: (name: string, tools: Record<string, string[]>) => string;
  /** The image's environment (AGENT_SANDBOX=1 and the rest). */
  imageEnv: Record<string, string>;
  user: { uid: number; gid: number };
  root: string;
}

export interface AgentStartCommand {
  key: string;
  /** Milliseconds from spawning the process to the agent's first request to the model. */
  time: () => Promise<number>;
}

/**
 * The invocation's arguments without the prompt, ready for the entrypoint to append one. A flag
 * right before the prompt (`-p`, which takes it as its value in gemini) moves to the end with it.
 */
export function argsForAppendedPrompt(args: readonly string[], prompt: string): string[] {
  const at = args.lastIndexOf(prompt);
  if (at < 0) throw new Error(`the prompt is not among the arguments: ${args.join(" ")}`);
  const before = args[at - 1];
  const moves = before !== undefined && before.startsWith("-");
  const rest = args.filter((_, i) => i !== at && !(moves && i === at - 1));
  return moves ? [...rest, before] : rest;
}

export async function agentStartCommands(setup: AgentStartSetup): Promise<{ commands: AgentStartCommand[]; close: () => Promise<void> }> {
  let arrived: ((at: number) => void) | undefined;
  const model: FakeModel = await startFakeModel({ command: "true", onRequest: () => arrived?.(performance.now()) });
  const home = join(setup.root, "agent-home");
  const cwd = join(setup.root, "agent-project");
  for (const dir of [home, cwd]) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, setup.user.uid, setup.user.gid);
  }
  const invocations = Object.fromEntries(AGENT_TOOLS.map((tool) => [tool, agentInvocation(tool, { home, model, mode: "bypass", prompt: AGENT_PROMPT })]));
  const toolArgv = (tool: AgentTool) => [invocations[tool]!.file, ...argsForAppendedPrompt(invocations[tool]!.args, AGENT_PROMPT)];
  const spec = setup.writeSpec("agents", Object.fromEntries(AGENT_TOOLS.map((tool) => [tool, toolArgv(tool)])));

  const timed = (tool: AgentTool, argv: string[]) => async (): Promise<number> => {
    const first = new Promise<number>((resolve) => (arrived = resolve));
    const started = performance.now();
    const run = execa(argv[0]!, argv.slice(1), {
      cwd,
      env: { ...setup.imageEnv, ...invocations[tool]!.env },
      extendEnv: false,
      uid: setup.user.uid,
      gid: setup.user.gid,
      stdin: "ignore",
      reject: false,
      timeout: 60_000,
    });
    const result = await Promise.race([first.then((at) => ({ at })), run.then((r) => ({ r }))]);
    arrived = undefined;
    const finished = await run;
    if (!("at" in result) || finished.exitCode !== 0) {
      throw new Error(`${tool}: ${argv.join(" ")} ${"at" in result ? `exited ${finished.exitCode}` : "never reached the model"}:\n${String(finished.stderr).slice(-2000)}`);
    }
    return result.at - started;
  };

  const commands = AGENT_TOOLS.flatMap((tool) => [
    { key: `${tool}-direct`, time: timed(tool, [...toolArgv(tool), AGENT_PROMPT]) },
    { key: `${tool}-entrypoint`, time: timed(tool, [...setup.entryCommand, spec, tool, AGENT_PROMPT]) },
  ]);
  return { commands, close: () => model.close() };
}
