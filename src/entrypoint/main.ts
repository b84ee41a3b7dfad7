// The agent image's entrypoint (bundled to dist/entrypoint.cjs, run behind tini as PID 1):
//   entrypoint [TOOL] [PROMPT...]   or AGENT_TOOL / AGENT_PROMPT.
// It refuses to start, exit 64 with one line on stderr, unless it is really inside the sandbox.
import { IMAGE_SPEC_PATH, type ImageSpec } from "../image/spec.js";
import type { ToolId } from "../tools/types.js";
import { homesOf, realEnvironment, refusals, type Environment } from "./checks.js";
import { bakedDigests, type PolicyDigests } from "./digests.js";
import { EXIT_REFUSED, formatRefusal, stderrLines } from "./record.js";
import { promptArguments, runTool, type RunRequest } from "./run.js";
import { guardSwitchedOff } from "./guard-off.js";
import { START_WAIT_MS, START_WHEN_ENV, startGate } from "./start-gate.js";

/** The start gate's file never appeared (the launcher stops a run whose clone failed before that). */
export const EXIT_START_TIMEOUT = 75;

export { EXIT_REFUSED, realEnvironment };

function refuse(code: string, reason: string): number {
  stderrLines.write(formatRefusal(code, reason));
  return EXIT_REFUSED;
}

export function parseRequest(spec: ImageSpec, args: readonly string[], env: NodeJS.ProcessEnv): RunRequest | string {
  const tools = Object.keys(spec.tools);
  let rest = [...args];
  let tool = env.AGENT_TOOL;
  if (tool === undefined && rest[0] !== undefined && tools.includes(rest[0])) tool = rest.shift();
  if (tool === undefined) return `no tool chosen: set AGENT_TOOL or pass one of ${tools.join(", ")} as the first argument`;
  if (!tools.includes(tool)) return `unknown tool "${tool}"; this image has ${tools.join(", ")}`;
  const prompt = env.AGENT_PROMPT ?? rest.join(" ");
  if (prompt.trim() === "") return "no prompt: set AGENT_PROMPT or pass it after the tool";
  if (promptArguments(spec.tools[tool as ToolId], prompt) === undefined) {
    return `the prompt starts with "-" and ${tool}'s launch command has no "--" before it: the tool would read the prompt as its options`;
  }
  return { tool: tool as ToolId, prompt };
}

export async function main(
  args: readonly string[],
  environment: Environment = realEnvironment(),
  specPath = IMAGE_SPEC_PATH,
  digests: PolicyDigests | undefined = bakedDigests(),
): Promise<number> {
  const specText = environment.readText(specPath);
  if (specText === undefined) return refuse("E_POLICY_MISSING", `the image spec ${specPath} is missing`);
  const spec = JSON.parse(specText) as ImageSpec;
  const found = await refusals(spec, environment, digests);
  if (found.length > 0) {
    const others = [...new Set(found.slice(1).map((r) => r.code))].filter((c) => c !== found[0]!.code);
    const more = others.length > 0 ? ` (also: ${others.join(", ")})` : "";
    return refuse(found[0]!.code, found[0]!.reason + more);
  }
  const request = parseRequest(spec, args, environment.env);
  if (typeof request === "string") return refuse("E_USAGE", request);
  // Every check ran before the wait: a refused start is known at once, not after the clone.
  if (!(await startGate(environment.env, environment.exists))) {
    process.stderr.write(`perimeter-entrypoint: ${environment.env[START_WHEN_ENV]} did not appear within ${START_WAIT_MS / 1000} s; the tool was not started\n`);
    return EXIT_START_TIMEOUT;
  }
  // After the gate: the clone (and whatever settings it brings) is in place now.
  const off = guardSwitchedOff(spec.tools[request.tool].guardOff ?? [], environment.readText, [spec.workdir, environment.cwd ?? spec.workdir], homesOf(spec, environment.env), environment.env);
  if (off !== undefined) return refuse("E_GUARD_OFF", off);
  return runTool(spec, request);
}

if (process.argv[1]?.endsWith("entrypoint.cjs")) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`perimeter-entrypoint: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(70);
    },
  );
}
