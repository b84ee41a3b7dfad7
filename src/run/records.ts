// What the run reads back from the containers: the entrypoint's record lines on the agent's stderr
// (advisory: the agent shares that stream and can print look-alikes) and the gateway's request log
// (authoritative: the agent has no way into the gateway's container).
import { EXIT_REFUSED, parseRefusal, recordObjects } from "../entrypoint/record.js";

export { EXIT_REFUSED };

export type EntrypointRecord = Record<string, unknown> & { event?: string };

/** Every object on a record line: the format is the entrypoint's own (src/entrypoint/record.ts). */
export function entrypointRecords(stderr: string): EntrypointRecord[] {
  return recordObjects(stderr) as EntrypointRecord[];
}

/** The first refusal line in a captured stderr, read by the entrypoint's own parser. */
export function refusalOf(stderr: string): { code: string; reason: string } | undefined {
  for (const line of stderr.split("\n")) {
    const refusal = parseRefusal(line);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

export type GatewayLogLine = Record<string, unknown> & {
  event?: string;
  decision?: string;
  rule?: string;
  host?: string;
  usage?: { input?: number; output?: number; cachedInput?: number; usd?: number };
  totals?: Totals;
};

interface Totals {
  calls?: number;
  input?: number;
  cachedInput?: number;
  output?: number;
  usd?: number;
  percent?: number;
  warned?: boolean;
  stopped?: boolean;
}

export function parseGatewayLog(text: string): GatewayLogLine[] {
  const lines: GatewayLogLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === "object" && value !== null) lines.push(value as GatewayLogLine);
    } catch {
      lines.push({ event: "unreadable", detail: line.slice(0, 200) });
    }
  }
  return lines;
}

export interface UsageSummary {
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  usd: number;
  /** Percent of the budget used, as the gateway counts it. */
  percent?: number;
  warned: boolean;
  /** The gateway refused at least one model call over budget. */
  refused: boolean;
}

const isBudgetRefusal = (l: GatewayLogLine) => l.decision === "deny" && typeof l.rule === "string" && /^limits\./.test(l.rule);

/** Usage and budget from the log: the gateway's own running totals where it wrote them, else the per-request usage added up. */
export function usageFromLog(lines: readonly GatewayLogLine[]): UsageSummary {
  const summed = { calls: 0, input: 0, output: 0, cachedInput: 0, usd: 0 };
  let totals: Totals | undefined;
  for (const l of lines) {
    if (l.usage !== undefined) {
      summed.calls++;
      summed.input += l.usage.input ?? 0;
      summed.output += l.usage.output ?? 0;
      summed.cachedInput += l.usage.cachedInput ?? 0;
      summed.usd += l.usage.usd ?? 0;
    }
    if (l.totals !== undefined) totals = l.totals;
  }
  const t = totals ?? summed;
  return {
    modelCalls: t.calls ?? summed.calls,
    inputTokens: t.input ?? 0,
    outputTokens: t.output ?? 0,
    cachedInputTokens: t.cachedInput ?? 0,
    usd: Math.round((t.usd ?? 0) * 1e6) / 1e6,
    ...(totals?.percent !== undefined ? { percent: totals.percent } : {}),
    warned: lines.some((l) => l.event === "budget-warn") || totals?.warned === true,
    refused: lines.some(isBudgetRefusal),
  };
}

export function requestCounts(lines: readonly GatewayLogLine[]): { requests: number; allowed: number; refused: number } {
  const requests = lines.filter((l) => (l.event ?? "request") === "request");
  return {
    requests: requests.length,
    allowed: requests.filter((l) => l.decision === "allow" || l.decision === "tunnel").length,
    refused: requests.filter((l) => l.decision === "deny").length,
  };
}
