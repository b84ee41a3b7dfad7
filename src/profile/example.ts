// Tripwire examples are command lines; they are split into argv the way a POSIX shell would, so the
// pattern matcher can check them. Only the profile loader needs this (and shell-quote).
import { parse as parseShell } from "shell-quote";

/** Splits an example command line into argv the way a POSIX shell would; errors on shell operators. */
export function exampleArgv(command: string): string[] | string {
  const parts = parseShell(command, (name) => `$${name}`);
  const argv: string[] = [];
  for (const part of parts) {
    if (typeof part === "string") argv.push(part);
    else if ("op" in part && part.op === "glob") argv.push(part.pattern);
    else return `"${command}" is not one simple command (examples may not use shell operators)`;
  }
  if (argv.length === 0) return "the example command is empty";
  return argv;
}
