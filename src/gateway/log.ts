// The gateway's own record: one JSON line per request, allowed or refused. It never holds a header
// value or a query value, so no credential can reach it.
import { closeSync, openSync, writeSync } from "node:fs";
import type { Usage } from "./usage.js";

export type Decision = "allow" | "deny" | "tunnel" | "error";

export interface LogLine {
  time?: string;
  event?: "request" | "budget-warn" | "budget-stop" | "start" | "stop";
  host?: string;
  port?: number;
  method?: string;
  path?: string;
  decision?: Decision;
  rule?: string;
  status?: number;
  bytesIn?: number;
  bytesOut?: number;
  ms?: number;
  usage?: Usage & { usd: number };
  detail?: string;
  [key: string]: unknown;
}

/** The path as logged: query values dropped (they can carry keys), names kept. */
export function loggedPath(target: string): string {
  const q = target.indexOf("?");
  if (q < 0) return target;
  const names = target
    .slice(q + 1)
    .split("&")
    .filter((p) => p !== "")
    .map((p) => `${p.split("=", 1)[0]}=`);
  return `${target.slice(0, q)}?${names.join("&")}`;
}

export interface GatewayLog {
  write(line: LogLine): void;
  close(): Promise<void>;
}

/** Written synchronously: a line is on disk before the reply goes out, and survives a killed gateway. */
export function openLog(file: string | undefined): GatewayLog {
  let fd = file === undefined ? undefined : openSync(file, "a", 0o600);
  return {
    write(line) {
      if (fd !== undefined) writeSync(fd, `${JSON.stringify({ time: new Date().toISOString(), event: "request", ...line })}\n`);
    },
    async close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
