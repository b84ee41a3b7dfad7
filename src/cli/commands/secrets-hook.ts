// `perimeter secrets-hook TOOL`: the guard's secrets check as TOOL's pre-tool hook. Reads the hook
// input on stdin and answers in the tool's own format; any failure (unknown tool, a profile that does
// not load, bad input) refuses the call, because a broken guard must not open the way.
import { readFileSync } from "node:fs";
import { runSecretsHook } from "../../guard/secret-hook.js";
import { TOOLS } from "../../tools/index.js";
import { profileFrom, type ProfileFlags } from "../options.js";
import type { CommandResult } from "../result.js";

export async function secretsHook(toolId: string, flags: ProfileFlags, stdin: () => string = () => readFileSync(0, "utf8")): Promise<CommandResult> {
  const tool = TOOLS.find((t) => t.id === toolId);
  if (tool?.secretsHook === undefined) {
    return { exitCode: 2, stdout: "", stderr: `perimeter guard: no secrets hook for tool "${toolId}", so the call is refused\n` };
  }
  const io = tool.secretsHook;
  let secrets;
  try {
    secrets = (await profileFrom(flags, "interactive")).secrets;
  } catch (error) {
    return io.failure(`the profile does not load (${error instanceof Error ? error.message : String(error)}), so the call is refused`);
  }
  let input: string;
  try {
    input = stdin();
  } catch (error) {
    return io.failure(`cannot read the hook input (${String(error)})`);
  }
  return runSecretsHook(tool, io, input, () => secrets);
}
