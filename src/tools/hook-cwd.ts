// The working folder a hook input names: all three protocols send it as a top-level `cwd`, so each
// tool's hook reader adds it to its request the same way.
import type { GuardRequest } from "./types.js";

/** `request` with the input's `cwd` (the secrets check resolves relative paths there), if it has one. */
export function withHookCwd(input: unknown, request: GuardRequest): GuardRequest {
  const cwd = (input as { cwd?: unknown } | null)?.cwd;
  return typeof cwd === "string" && cwd !== "" ? { ...request, cwd } : request;
}
