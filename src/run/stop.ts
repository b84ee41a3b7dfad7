// How a run ends: exactly one stop reason, each with its own exit code (README "perimeter run").
// Several things can go wrong at once; the cause wins (a tool that fails because the gateway refused
// a model call over budget stopped for the budget, not because it failed).

export const STOP_EXIT_CODES = {
  STOP_DONE: 0,
  STOP_TOOL_FAILED: 10,
  STOP_WALL_CLOCK: 11,
  STOP_BUDGET: 12,
  STOP_SECRET_FOUND: 13,
  STOP_REFUSED: 14,
  STOP_ENGINE_ERROR: 15,
  STOP_CLONE_FAILED: 16,
  STOP_PUSH_FAILED: 17,
  STOP_INTERRUPTED: 130,
} as const;

export type StopReason = keyof typeof STOP_EXIT_CODES;

export const STOP_MEANINGS: Record<StopReason, string> = {
  STOP_DONE: "the tool finished; its changes, if any, were pushed and a pull request opened",
  STOP_TOOL_FAILED: "the tool exited with an error of its own",
  STOP_WALL_CLOCK: "the run took longer than [limits].wall_clock_seconds; the agent was stopped",
  STOP_BUDGET: "the gateway refused a model call past the budget's stop threshold",
  STOP_SECRET_FOUND: "the secret scan found a secret in the diff; nothing was pushed",
  STOP_REFUSED: "the image's entrypoint refused to start the agent (not a sandbox it accepts)",
  STOP_ENGINE_ERROR: "the container engine failed (image missing, network or container not created)",
  STOP_CLONE_FAILED: "the repository could not be cloned through the gateway",
  STOP_PUSH_FAILED: "the push or the pull request was refused (by the gateway or the server)",
  STOP_INTERRUPTED: "perimeter run was interrupted (SIGINT or SIGTERM); everything it started was removed",
};

/** What was observed during a run, in no particular order. */
export interface Observations {
  interrupted: boolean;
  /** A setup step failed before the agent ran. */
  setupFailure?: "engine" | "clone";
  agentRan: boolean;
  /** The entrypoint refused to start the tool. */
  refused: boolean;
  /** The launcher's or the entrypoint's clock stopped the agent. */
  wallClock: boolean;
  /** The gateway refused a model call over budget. */
  budgetRefused: boolean;
  /** The engine itself failed while running the agent (exit 125). */
  engineFailedDuringAgent: boolean;
  toolExitCode?: number;
  secretFound: boolean;
  publishFailed: boolean;
}

/** The one stop reason of a run: the first cause in this order. */
export function stopReason(o: Observations): StopReason {
  if (o.interrupted) return "STOP_INTERRUPTED";
  if (o.setupFailure === "engine") return "STOP_ENGINE_ERROR";
  if (o.setupFailure === "clone") return "STOP_CLONE_FAILED";
  if (o.refused) return "STOP_REFUSED";
  // Budget before the clock: a tool left without a model may hang until the clock stops it.
  if (o.budgetRefused) return "STOP_BUDGET";
  if (o.wallClock) return "STOP_WALL_CLOCK";
  if (o.engineFailedDuringAgent) return "STOP_ENGINE_ERROR";
  if (!o.agentRan) return "STOP_ENGINE_ERROR";
  if (o.toolExitCode !== 0) return "STOP_TOOL_FAILED";
  if (o.secretFound) return "STOP_SECRET_FOUND";
  if (o.publishFailed) return "STOP_PUSH_FAILED";
  return "STOP_DONE";
}
