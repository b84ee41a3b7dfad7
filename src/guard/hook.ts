// The guard hook: one decision per tool call, in every tool's own protocol. It never answers
// "allow" (an approving hook would skip the tool's prompts): it denies, or has no opinion and the
// tool's own rules decide. Any failure denies.
import { isAbsolute, join } from "node:path";
import type { AgentTool, GuardRequest, HookAnswer } from "../tools/types.js";
import { analyse, explain, type GuardPolicy } from "./analyse.js";
import { protectedPath, protectedReason, realTarget } from "./protected.js";
import { secretsVerdict } from "./secret-hook.js";
import type { Secrets } from "../profile/secret-classes.js";

/** No opinion: the tool's own rules and prompts decide. */
export const NO_OPINION: HookAnswer = { stdout: "", stderr: "", exitCode: 0 };

/** What the hook decides: refuse, ask the user (where the tool can; else refuse), or no opinion. */
type Decision = { answer: "deny" | "ask"; reason: string } | undefined;

function decide(request: GuardRequest, policy: GuardPolicy & { secrets?: Secrets }): Decision {
  const deny = (reason: string | undefined): Decision => (reason === undefined ? undefined : { answer: "deny", reason });
  let own: Decision;
  switch (request.kind) {
    case "other":
      return undefined;
    case "read":
      break;
    case "write": {
      // A relative path is the tool's working folder's (`settings.json` from inside the folder).
      // A link on this machine may lead elsewhere: where the write really lands counts too.
      const patterns = policy.protectedPaths ?? [];
      const cwd = request.cwd ?? process.cwd();
      const lands = (p: string) => [p, ...(isAbsolute(p) ? [] : [join(cwd, p)]), realTarget(p, cwd)];
      const hit = request.paths.find((p) => lands(p).some((c) => c !== undefined && protectedPath(c, patterns)));
      own = deny(hit === undefined ? undefined : protectedReason(hit));
      break;
    }
    case "command": {
      const verdict = analyse(request.command, policy, { cwd: request.cwd });
      own = deny(verdict.decision === "deny" ? explain(verdict) : undefined);
      break;
    }
  }
  if (own !== undefined || policy.secrets === undefined) return own;
  // Secrets (issue 15): a read of a secret is refused; where the check cannot tell, the user is asked.
  const secret = secretsVerdict(request, policy.secrets);
  return secret.decision === "none" ? undefined : { answer: secret.decision, reason: `perimeter guard: ${secret.reason}` };
}

/** One hook call: the tool's input on stdin in, the tool's answer out. Never throws. */
export async function runHook(tool: AgentTool, stdin: () => string, policy: () => Promise<GuardPolicy & { secrets?: Secrets }>): Promise<HookAnswer> {
  try {
    const request = tool.hook.read(JSON.parse(stdin()) as unknown);
    if (request.kind === "other") return NO_OPINION;
    const decision = decide(request, await policy());
    if (decision === undefined) return NO_OPINION;
    return decision.answer === "ask" && tool.hook.ask ? tool.hook.ask(decision.reason) : tool.hook.deny(decision.reason);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return tool.hook.deny(`perimeter guard failed (${message}), so it refuses the call`);
  }
}
