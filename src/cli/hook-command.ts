// `perimeter hook <tool>`, as both bundles define it: dist/cli.cjs among every other command, and the
// guard hook's own dist/hook.cjs alone (the launcher starts that one for `perimeter hook`, so a tool
// call pays only for what one decision needs).
import type { Command } from "commander";
import { newProgram, profileOption, profilesDirOption, type BuildProgram, type RunCommand } from "./program.js";

export function addHookCommand(program: Command, run: RunCommand): Command {
  program
    .command("hook")
    .description("the guard hook a tool runs before each tool call: reads its hook input on stdin, denies or has no opinion")
    .argument("<tool>", "the tool whose hook protocol to speak (a tool id, as --tools takes)")
    .addOption(profileOption("interactive"))
    .addOption(profilesDirOption())
    .action((tool: string, flags) => run(async () => (await import("./commands/hook.js")).hook(tool, flags)));
  return program;
}

/** The hook bundle's program: the hook command alone. */
export const buildHookProgram: BuildProgram = (run, write) => addHookCommand(newProgram(write), run);
