// The perimeter command line. The only place that prints or exits; commands return a CommandResult
// or throw a PerimeterError. Each bundle's entry starts it with its own program (bin.ts: every
// command; hook-bin.ts: the guard hook alone).
import { CommanderError } from "commander";
import { ExitCode, PerimeterError } from "../errors.js";
import { writeAll, type Write } from "./output.js";
import type { BuildProgram, RunCommand } from "./program.js";

/** Runs the CLI on `argv`; its output goes to `write` (the tests capture it there). */
export async function runMain(argv: readonly string[], build: BuildProgram, write: Write = writeAll): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const run: RunCommand = async (load) => {
    const result = await load();
    if (result.stdout) write(1, result.stdout);
    if (result.stderr) write(2, `${result.stderr}\n`);
    exitCode = result.exitCode;
  };
  try {
    await build(run, write, argv).parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      const quiet = error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help";
      return quiet ? ExitCode.ok : ExitCode.invalidInput;
    }
    if (error instanceof PerimeterError) {
      write(2, `perimeter: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  return exitCode;
}

/** A bundle's process entry: runs the CLI on the process's arguments and sets its exit code. */
export function start(build: BuildProgram): void {
  runMain(process.argv.slice(2), build).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      writeAll(2, `perimeter: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
