// `perimeter hook <tool>`: the guard hook a tool runs before each tool call. It reads the tool's hook
// input on stdin and answers in the tool's own protocol: deny, or no opinion. Every failure, an
// unknown tool included, refuses the call (the rendered hook command adds `|| exit N` for the
// failures that happen before this code runs).
import { readFileSync } from "node:fs";
import { runHook } from "../../guard/hook.js";
import { TOOLS } from "../../tools/index.js";
import { guardPartFrom, type ProfileFlags } from "../options.js";
import type { CommandResult } from "../result.js";

/** The blocking exit code when the tool is not even known; every supported tool blocks with it. */
const UNKNOWN_TOOL_EXIT = 2;

export async function hook(toolId: string, flags: ProfileFlags): Promise<CommandResult> {
  const tool = TOOLS.find((t) => t.id === toolId);
  if (tool === undefined) return { exitCode: UNKNOWN_TOOL_EXIT, stdout: "", stderr: `perimeter hook: unknown tool "${toolId}", so it refuses the call` };
  const answer = await runHook(
    tool,
    () => readFileSync(0, "utf8"),
    async () => ({
      ...(({ tripwires, secrets }) => ({ tripwires, secrets }))(await guardPartFrom(flags, "interactive")),
      // Every tool's own files: an agent in one tool may not rewrite another's either.
      protectedPaths: TOOLS.flatMap((t) => t.hook.protectedPaths),
    }),
  );
  return { exitCode: answer.exitCode, stdout: answer.stdout, stderr: answer.stderr.replace(/\n$/, "") || undefined };
}
