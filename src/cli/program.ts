// The program both CLI bundles start from (src/cli/main.ts runs it): its name, version and output,
// and the options several commands share. The commands are added by commands.ts (dist/cli.cjs)
// or, for the guard hook's own bundle, by hook-command.ts alone (dist/hook.cjs).
import { Command, Option } from "commander";
import type { Write } from "./output.js";
import type { CommandResult } from "./result.js";

/** Runs one command: its result is printed by main.ts. */
export type RunCommand = (load: () => Promise<CommandResult>) => Promise<void>;

/** Makes the program with its commands; `argv` is what it will parse (a program may set up only the command it names). */
export type BuildProgram = (run: RunCommand, write: Write, argv: readonly string[]) => Command;

export const profileOption = (fallback: string) => new Option("--profile <name>", `profile to use (default: ${fallback})`);
export const profilesDirOption = () => new Option("--profiles-dir <dir>", "folder of your own profiles, searched before the built-in ones");

export function newProgram(write: Write): Command {
  return new Command("perimeter")
    .description("One agent permission profile, rendered for Claude Code, Codex CLI and Gemini CLI.")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeOut: (s) => write(1, s), writeErr: (s) => write(2, s) });
}
