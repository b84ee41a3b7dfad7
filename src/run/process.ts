// Runs one engine command as a child process: output captured (and, for the agent, also written to
// files as it comes), killable, never through a shell.
import { spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";

export interface ProcessResult {
  exitCode: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The command could not be started at all (ENOENT: no engine binary). */
  spawnError?: string;
}

export interface RunningProcess {
  result: Promise<ProcessResult>;
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  stdoutFile?: string;
  stderrFile?: string;
  /** Kill the process after this long. */
  timeoutMs?: number;
  /** Called with each piece of standard output as it arrives. */
  onStdout?: (text: string) => void;
}

/** Most output kept in memory per stream; files get all of it. */
const MAX_CAPTURE = 32 << 20;

export function startProcess(argv: readonly string[], options: SpawnOptions): RunningProcess {
  const [command, ...args] = argv;
  const child = spawn(command!, args, { env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  const files: WriteStream[] = [];
  const capture = (stream: NodeJS.ReadableStream, file: string | undefined) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const out = file === undefined ? undefined : createWriteStream(file, { mode: 0o600 });
    if (out !== undefined) files.push(out);
    stream.on("data", (chunk: Buffer) => {
      out?.write(chunk);
      if (size < MAX_CAPTURE) chunks.push(chunk);
      size += chunk.length;
    });
    return () => Buffer.concat(chunks).toString("utf8");
  };
  const stdout = capture(child.stdout!, options.stdoutFile);
  if (options.onStdout !== undefined) child.stdout!.on("data", (chunk: Buffer) => options.onStdout!(chunk.toString("utf8")));
  const stderr = capture(child.stderr!, options.stderrFile);
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const result = new Promise<ProcessResult>((resolve) => {
    let spawnError: string | undefined;
    child.on("error", (error) => {
      spawnError = error.message;
    });
    child.on("close", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      Promise.all(files.map((f) => new Promise((r) => f.end(r)))).then(() =>
        resolve({ exitCode: code ?? (spawnError !== undefined ? 127 : 128), signal, stdout: stdout(), stderr: stderr(), ...(spawnError !== undefined ? { spawnError } : {}) }),
      );
    });
  });
  return { result, kill: (signal = "SIGTERM") => void child.kill(signal) };
}
