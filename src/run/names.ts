// Every engine object a run creates is named after the run and carries the same labels, so the run
// can remove exactly its own, and `perimeter run --cleanup` can find what a killed launcher left.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** `20261201t093000z-3f9a1c`: sortable, lower case, fits branch names, engine names and DNS labels. */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "z").toLowerCase();
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,62}$/;

export const LABEL = {
  /** Every object of every run has it; its value is the run id. */
  run: "io.perimeter.run",
  role: "io.perimeter.role",
  /** `host:pid` of the launcher; its objects are stale once that process is gone. */
  launcher: "io.perimeter.launcher",
  /** Seconds since the epoch after which the run's objects are stale whatever the launcher does. */
  expires: "io.perimeter.expires",
  /** The name prefix, so one engine can serve several users (or test suites) apart. */
  prefix: "io.perimeter.prefix",
} as const;

export type Role = "network" | "gateway" | "clone" | "agent" | "stage" | "publish" | "volume";

export interface RunNames {
  network: string;
  gateway: string;
  clone: string;
  agent: string;
  stage: string;
  publish: string;
  volumes: { work: string; base: string; ca: string; log: string };
}

export function runNames(prefix: string, runId: string): RunNames {
  const n = (what: string) => `${prefix}${runId}-${what}`;
  return {
    network: n("net"),
    gateway: n("gateway"),
    clone: n("clone"),
    agent: n("agent"),
    stage: n("stage"),
    publish: n("publish"),
    volumes: { work: n("work"), base: n("base"), ca: n("ca"), log: n("gwlog") },
  };
}

export function launcherId(pid: number = process.pid): string {
  return `${hostname()}:${pid}`;
}

export function runLabels(prefix: string, runId: string, launcher: string, expiresAt: number): Record<string, string> {
  return { [LABEL.run]: runId, [LABEL.prefix]: prefix, [LABEL.launcher]: launcher, [LABEL.expires]: String(expiresAt) };
}
