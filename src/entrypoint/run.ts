// Starts the chosen agent with its profile's launch command, forwards signals, and writes a start
// and an end line to its own stderr (record.ts: the format, and why it is only advisory).
import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { ImageSpec } from "../image/spec.js";
import type { ToolId } from "../tools/types.js";
import { formatRecord, stderrLines, type RecordFields } from "./record.js";

export interface RunRequest {
  tool: ToolId;
  prompt: string;
}

/** A prompt the launch command would read as options is never passed (the refusals' exit code). */
const EXIT_PROMPT_AS_OPTIONS = 64;
/** Exit code when the wall clock stopped the tool, as timeout(1) has it. */
export const EXIT_WALL_CLOCK = 124;
/** `perimeter run` sets the run's wall clock here; the launcher enforces it too, a little later. */
export const WALL_CLOCK_ENV = "PERIMETER_WALL_CLOCK_SECONDS";
/** After SIGTERM, the tool gets this long to exit before SIGKILL. */
const KILL_GRACE_MS = 5000;

/** The wall clock in ms, or undefined when none (or no valid one) is set. */
export function wallClockMs(env: NodeJS.ProcessEnv): number | undefined {
  const seconds = Number(env[WALL_CLOCK_ENV]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * The prompt as the tool's last argument, never readable as an option: the value of the launch's
 * promptOption (`--prompt=TEXT`, one argument), or after the `--` the launch ends with. A launch with
 * neither (a spec from before this rule) gets a prompt only when it cannot look like an option.
 */
export function promptArguments(launch: { argv: readonly string[]; promptOption?: string }, prompt: string): string[] | undefined {
  if (launch.promptOption !== undefined) return [`${launch.promptOption}=${prompt}`];
  if (launch.argv.at(-1) === "--" || !prompt.startsWith("-")) return [prompt];
  return undefined;
}

function record(fields: RecordFields): void {
  stderrLines.write(formatRecord(fields));
}

/** Resolves with the exit code to return: the tool's own, or 128+N when a signal ended it. */
export function runTool(spec: ImageSpec, request: RunRequest): Promise<number> {
  const launch = spec.tools[request.tool];
  const [command, ...args] = launch.argv;
  // parseRequest refused such a prompt already; this keeps runTool safe on its own.
  const promptArgs = promptArguments(launch, request.prompt);
  if (promptArgs === undefined) return Promise.resolve(EXIT_PROMPT_AS_OPTIONS);
  const base = { tool: request.tool, profile: spec.profile, version: launch.version };
  // The prompt is the user's text and may hold anything; the record keeps only its size.
  record({ event: "start", ...base, command: [...launch.argv, `<prompt: ${request.prompt.length} characters>`] });
  const started = Date.now();

  return new Promise((resolve) => {
    // The prompt arrives as an argument; stdin is not passed on, or a CLI would wait on it or read
    // whatever is piped into the container as more prompt.
    const child = spawn(command!, [...args, ...promptArgs], { stdio: ["ignore", "inherit", "inherit"] });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (["SIGINT", "SIGTERM"] as const).map((s) => [s, forward(s)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    let outOfTime = false;
    const limit = wallClockMs(process.env);
    const clock =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            outOfTime = true;
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS).unref();
          }, limit);
    const finish = (exitCode: number, stopReason: string) => {
      if (clock !== undefined) clearTimeout(clock);
      if (outOfTime) [exitCode, stopReason] = [EXIT_WALL_CLOCK, `wall-clock: ${limit! / 1000} s`];
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
