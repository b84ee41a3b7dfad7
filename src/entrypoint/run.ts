// Starts the chosen agent with its profile's launch command, forwards signals, and writes a start
// and an end line to its own stderr (record.ts: the format, and why it is only advisory).
import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { ImageSpec } from "../image/spec.js";
import type { ToolId } from "../tools/types.js";
import { formatRecord, type RecordFields } from "./record.js";

export interface RunRequest {
  tool: ToolId;
  prompt: string;
}

function record(fields: RecordFields): void {
  process.stderr.write(formatRecord(fields));
}

/** Resolves with the exit code to return: the tool's own, or 128+N when a signal ended it. */
export function runTool(spec: ImageSpec, request: RunRequest): Promise<number> {
  const launch = spec.tools[request.tool];
  const [command, ...args] = launch.argv;
  const base = { tool: request.tool, profile: spec.profile, version: launch.version };
  // The prompt is the user's text and may hold anything; the record keeps only its size.
  record({ event: "start", ...base, command: [...launch.argv, `<prompt: ${request.prompt.length} characters>`] });
  const started = Date.now();

  return new Promise((resolve) => {
    // The prompt arrives as an argument; stdin is not passed on, or a CLI would wait on it or read
    // whatever is piped into the container as more prompt.
    const child = spawn(command!, [...args, request.prompt], { stdio: ["ignore", "inherit", "inherit"] });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (["SIGINT", "SIGTERM"] as const).map((s) => [s, forward(s)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const finish = (exitCode: number, stopReason: string) => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      record({ event: "end", ...base, exitCode, stopReason, durationMs: Date.now() - started });
      resolve(exitCode);
    };
    child.on("error", (error) => finish(127, `could not start ${command}: ${error.message}`));
    child.on("exit", (code, signal) => {
      if (signal !== null) finish(128 + (constants.signals[signal] ?? 0), `signal ${signal}`);
      else finish(code ?? 1, "exited");
    });
  });
}
