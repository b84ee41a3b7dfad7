// `perimeter finish`: the last container of a cluster run's agent Job (src/run/finish.ts). Its facts
// come in one variable the emitted Job sets; it prints one JSON line and exits with the stop's code.
import { UsageError } from "../../errors.js";
import type { CommandResult } from "../result.js";

export async function finish(env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  // From the run bundle (dist/run.cjs), with the scanner: no other command loads it.
  const { finishRun, FINISH_ENV } = await import("../../run/execute.js");
  const text = env[FINISH_ENV];
  if (text === undefined || text.trim() === "") throw new UsageError(`${FINISH_ENV} is not set: perimeter finish runs in the pod \`perimeter run --emit k8s\` writes`);
  let spec: Parameters<typeof finishRun>[0];
  try {
    spec = JSON.parse(text) as typeof spec;
  } catch (error) {
    throw new UsageError(`${FINISH_ENV} is not JSON: ${(error as Error).message}`);
  }
  const record = await finishRun(spec, undefined, env);
  return { exitCode: record.stop.exitCode, stdout: `${JSON.stringify(record)}\n` };
}
