/** What a command produced; only main.ts turns it into output and an exit code. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr?: string;
}
