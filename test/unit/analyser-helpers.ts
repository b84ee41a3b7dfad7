// Shared by the analyser tests: the built-in tripwires, and a check that runs a command line through
// the analyser twice: with every tripwire (the expectation) and without the one it names (the control:
// nothing else stops it, so the denial came from that tripwire).
import { expect } from "vitest";
import { analyse, explain, type GuardPolicy } from "../../src/guard/analyse.js";
import { loadTripwires } from "../../src/profile/load.js";

export const policy: GuardPolicy = { tripwires: loadTripwires() };
const none: GuardPolicy = { tripwires: [] };

/** `tripwire`: the id that must stop it; "guard" when the analyser refuses what it cannot read. */
export function expectDenied(command: string, tripwire: string): void {
  const verdict = analyse(command, policy);
  expect(verdict.decision, `${command} should be denied`).toBe("deny");
  if (verdict.decision !== "deny") return;
  if (tripwire === "guard") expect(verdict.tripwire, explain(verdict)).toBeUndefined();
  else expect(verdict.tripwire?.id, explain(verdict)).toBe(tripwire);
  // Control: without that tripwire (for "guard": without any), the analyser has no opinion.
  const without: GuardPolicy = tripwire === "guard" ? none : { tripwires: policy.tripwires.filter((t) => t.id !== tripwire) };
  const control = analyse(command, without);
  const other = control.decision === "deny" ? control.tripwire?.id : undefined;
  // Another tripwire may stop the same line too; nothing may stop it without any.
  if (control.decision === "deny") expect(other, `${command}: control still denied: ${explain(control)}`).toBeDefined();
  expect(analyse(command, none).decision, `${command} is denied with no tripwires at all`).toBe("none");
}

export function expectNoOpinion(command: string): void {
  const verdict = analyse(command, policy);
  expect(verdict.decision === "deny" ? explain(verdict) : "none", command).toBe("none");
}
