// The guard hook: one decision per tool call, in every tool's own protocol. It never answers
// "allow" (an approving hook would skip the tool's prompts): it denies, or has no opinion and the
// tool's own rules decide. Any failure denies.
import type { AgentTool, GuardRequest, HookAnswer } from "../tools/types.js";
import { analyse, explain, type GuardPolicy } from "./analyse.js";
import { protectedPath, protectedReason } from "./protected.js";

/** No opinion: the tool's own rules and prompts decide. */
export const NO_OPINION: HookAnswer = { stdout: "", stderr: "", exitCode: 0 };

function decide(request: GuardRequest, policy: GuardPolicy): string | undefined {
  switch (request.kind) {
    case "other":
      return undefined;
    case "write": {
      const hit = request.paths.find((p) => protectedPath(p, policy.protectedPaths ?? []));
      return hit === undefined ? undefined : protectedReason(hit);
    }
    case "command": {
      const verdict = analyse(request.command, policy);
      return verdict.decision === "deny" ? explain(verdict) : undefined;
    }
  }
}

/** One hook call: the tool's input on stdin in, the tool's answer out. Never throws. */
export async function runHook(tool: AgentTool, stdin: () => string, policy: () => Promise<GuardPolicy>): Promise<HookAnswer> {
  try {
    const request = tool.hook.read(JSON.parse(stdin()) as unknown);
    if (request.kind === "other") return NO_OPINION;
    const reason = decide(request, await policy());
    return reason === undefined ? NO_OPINION : tool.hook.deny(reason);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return tool.hook.deny(`perimeter guard failed (${message}), so it refuses the call`);
  }
}
