// The lines the entrypoint writes to its own stderr, in one place: the container engine keeps that
// stream (podman/docker logs, a log collector), so the launcher on the host parses them from there.
// ADVISORY: the agent (uid 1000) inherits the same stderr and can print lines that look like these.
// The authoritative record is the host's: the gateway's log and the run manifest.
//
//   perimeter-record {"v":1,"time":"2026-12-01T10:00:00.000Z","event":"start","tool":"codex",...}
//   perimeter-entrypoint: refused (E_CAPABILITIES): the agent holds capabilities (SYS_ADMIN); ...
//
// A record line is RECORD_PREFIX then one JSON object (RunRecord) on one line; a refusal is the only
// stderr line of a start that exits EXIT_REFUSED (64).

import { writeSync } from "node:fs";

export const RECORD_PREFIX = "perimeter-record ";
export const RECORD_VERSION = 1;

interface RecordBase {
  v: typeof RECORD_VERSION;
  /** ISO 8601, from the container's clock. */
  time: string;
  tool: string;
  profile: string;
  /** The pinned client version the image carries. */
  version: string;
}

export type RunRecord =
  | (RecordBase & { event: "start"; command: string[] })
  | (RecordBase & { event: "end"; exitCode: number; stopReason: string; durationMs: number });

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What the entrypoint says about one event; `v` and `time` are added when it is written. */
export type RecordFields = DistributiveOmit<RunRecord, "v" | "time">;

export function formatRecord(fields: RecordFields, now = new Date()): string {
  return `${RECORD_PREFIX}${JSON.stringify({ v: RECORD_VERSION, time: now.toISOString(), ...fields })}\n`;
}

/** The object on each record line of a captured stderr, of any version (other lines, the tool's own output, are skipped). */
export function recordObjects(stderr: string): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  for (const line of stderr.split("\n")) {
    if (!line.startsWith(RECORD_PREFIX)) continue;
    try {
      const value = JSON.parse(line.slice(RECORD_PREFIX.length)) as unknown;
      if (typeof value === "object" && value !== null && !Array.isArray(value)) objects.push(value as Record<string, unknown>);
    } catch {
      // a line that only starts like a record: not one
    }
  }
  return objects;
}

/** Every record of this version in a captured stderr. */
export function parseRecords(stderr: string): RunRecord[] {
  return recordObjects(stderr).filter((value) => value.v === RECORD_VERSION) as unknown as RunRecord[];
}

export const EXIT_REFUSED = 64;
export const REFUSAL_PREFIX = "perimeter-entrypoint: refused";

export function formatRefusal(code: string, reason: string): string {
  return `${REFUSAL_PREFIX} (${code}): ${reason.replace(/\s*\n\s*/g, " ")}\n`;
}

/** The code and reason of a refusal line, or undefined for any other line. */
export function parseRefusal(line: string): { code: string; reason: string } | undefined {
  const match = /^perimeter-entrypoint: refused \((E_[A-Z_]+)\): (.*)$/.exec(line.trimEnd());
  return match === null ? undefined : { code: match[1]!, reason: match[2]! };
}

/**
 * Where the entrypoint's lines go: file descriptor 2 written directly. Touching process.stderr would
 * set up a stream (for a pipe, a net.Socket and all of its modules), tens of milliseconds at every
 * start for two short lines. A line under PIPE_BUF (4096 bytes) reaches a pipe whole.
 */
export const stderrLines = {
  write(text: string): void {
    try {
      writeSync(2, text);
    } catch {
      process.stderr.write(text); // a non-blocking descriptor that is full (EAGAIN): let the stream queue it
    }
  },
};
