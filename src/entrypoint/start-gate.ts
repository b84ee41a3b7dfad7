// `perimeter run` starts the agent's container beside the gateway and the clone, so the container's
// start and the entrypoint's checks are off the critical path; the tool itself starts only once the
// clone is there. The gate only delays: it opens nothing, so whoever sets the variable gains nothing.

/** A file whose appearance lets the tool start (the clone's marker). */
export const START_WHEN_ENV = "PERIMETER_START_WHEN";
/** As long as the launcher gives its helper steps: a clone that never ends is the launcher's to stop. */
export const START_WAIT_MS = 10 * 60_000;

/** True once the file named by START_WHEN_ENV exists (at once when none is named); false after the wait. */
export async function startGate(env: NodeJS.ProcessEnv, exists: (path: string) => boolean, timeoutMs = START_WAIT_MS, pollMs = 10): Promise<boolean> {
  const file = env[START_WHEN_ENV];
  if (file === undefined || file === "") return true;
  const until = Date.now() + timeoutMs;
  while (!exists(file)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return true;
}
