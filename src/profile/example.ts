// Tripwire examples are command lines; they are split into argv the way a POSIX shell would, so the
// pattern matcher can check them. Only the profile loader needs this (and shell-quote).
import { parse as parseShell } from "shell-quote";

/**
 * Splits an example command line into argv the way a POSIX shell would, for the tools' native
 * rules; undefined for a line that is more than one simple command (the guard reads those).
 */
export function exampleArgv(command: string): string[] | undefined {
  const parts = parseShell(command, (name) => `$${name}`);
  const argv: string[] = [];
  for (const part of parts) {
    if (typeof part === "string") argv.push(part);
    else if ("op" in part && part.op === "glob") argv.push(part.pattern);
    else return undefined;
  }
  return argv.length === 0 ? undefined : argv;
}
