// The benchmark's pure parts: statistics, the result lines, the README section, and the generated
// inputs (the 10x profile, rulesync's permissions file). No timing and no processes here, so
// test/bench/lib.test.ts can check them in the ordinary test run.
import { parse, stringify } from "smol-toml";

// ---------------------------------------------------------------------------------------------
// Statistics

/** The q-quantile (0..1) of `values`, interpolated linearly between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error("quantile of no values");
  if (q < 0 || q > 1) throw new Error(`quantile ${q} is outside 0..1`);
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** What each case line reports: the median, and the spread as the 10th..90th percentile. */
export interface Summary {
  runs: number;
  median: number;
  p10: number;
  p90: number;
}

export function summarize(values: readonly number[]): Summary {
  return { runs: values.length, median: median(values), p10: quantile(values, 0.1), p90: quantile(values, 0.9) };
}

// ---------------------------------------------------------------------------------------------
// Result lines

export interface CaseResult {
  id: number | string;
  name: string;
  /** Undefined when the case could not be measured on this machine; `skipped` says why. */
  subject?: Summary;
  baselineName: string;
  baseline?: Summary;
  /** Undefined for a comparison without a goal; `noGoal` says what it is shown for. */
  goal?: { op: "<=" | "<"; ratio: number };
  noGoal?: string;
  skipped?: string;
}

const ms = (value: number): string => value.toFixed(1);

export function ratioOf(result: CaseResult): number | undefined {
  if (result.subject === undefined || result.baseline === undefined) return undefined;
  return result.subject.median / result.baseline.median;
}

export function verdict(result: CaseResult): "PASS" | "MISS" | "INFO" | "SKIP" {
  const ratio = ratioOf(result);
  if (ratio === undefined) return "SKIP";
  if (result.goal === undefined) return "INFO";
  const met = result.goal.op === "<=" ? ratio <= result.goal.ratio : ratio < result.goal.ratio;
  return met ? "PASS" : "MISS";
}

/** `case N: <name>: median X ms (spread a–b ms) vs <baseline> median Y ms -> ratio R (goal ≤ G) PASS/MISS` */
export function formatLine(result: CaseResult): string {
  const head = `case ${result.id}: ${result.name}:`;
  const goal = result.goal === undefined ? `no goal: ${result.noGoal ?? "peer comparison"}` : `goal ${result.goal.op === "<=" ? "≤" : "<"} ${result.goal.ratio}`;
  const ratio = ratioOf(result);
  if (result.subject === undefined || result.baseline === undefined || ratio === undefined) {
    return `${head} not measured: ${result.skipped ?? "no data"} (${goal}) SKIP`;
  }
  const s = result.subject;
  return (
    `${head} median ${ms(s.median)} ms (spread ${ms(s.p10)}–${ms(s.p90)} ms) ` +
    `vs ${result.baselineName} median ${ms(result.baseline.median)} ms -> ratio ${ratio.toFixed(2)} (${goal}) ${verdict(result)}`
  );
}

// ---------------------------------------------------------------------------------------------
// README

export const README_START = "<!-- bench:start -->";
export const README_END = "<!-- bench:end -->";

/** Replaces everything between the bench markers (the markers stay); throws when they are missing. */
export function replaceBetweenMarkers(text: string, content: string, start = README_START, end = README_END): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end, from + start.length);
  if (from < 0 || to < 0) throw new Error(`the markers ${start} ... ${end} are not in the file`);
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `${text.slice(0, from + start.length)}\n${body}${text.slice(to)}`;
}

// ---------------------------------------------------------------------------------------------
// Inputs

interface ProfileToml {
  description?: string;
  extends?: string;
  posture?: Record<string, unknown>;
  commands?: { allow?: string[]; ask?: string[]; deny?: string[] };
}

/**
 * `pattern` and `factor - 1` unique variants of it, each with one more plain word at the end
 * ("git status" -> "git status", "git status x1" ... "git status x9"). Plain words keep them valid
 * patterns: no shell syntax, no `*`.
 */
export function variants(pattern: string, factor: number): string[] {
  return [pattern, ...Array.from({ length: factor - 1 }, (_, i) => `${pattern} x${i + 1}`)];
}

/** A standalone profile with `factor` times the allow and ask (and deny) entries of `profileToml`. */
export function multipliedProfile(profileToml: string, factor: number, description: string): string {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`factor must be a positive integer, not ${factor}`);
  const source = parse(profileToml) as ProfileToml;
  if (source.extends !== undefined) throw new Error("multipliedProfile takes a profile that extends nothing");
  const commands: Record<string, string[]> = {};
  for (const list of ["allow", "ask", "deny"] as const) {
    const entries = source.commands?.[list];
    if (entries !== undefined && entries.length > 0) commands[list] = entries.flatMap((p) => variants(p, factor));
  }
  const out = { description, posture: source.posture ?? {}, commands };
  return `#:schema ./profile.schema.json\n# Generated by test/bench/run.ts: ${factor}x the entries of a built-in profile.\n${stringify(out)}\n`;
}

type Action = "allow" | "ask" | "deny";

export interface RulesyncPermissions {
  permission: { bash: Record<string, Action> };
}

/**
 * rulesync's `.rulesync/permissions.jsonc` for the same workload as a perimeter profile: the profile's
 * allow and ask lists and every tripwire's commands as deny. A perimeter pattern matches an argv
 * prefix; rulesync's `bash` keys are globs, so each pattern becomes the two keys perimeter itself
 * writes for Claude Code: `P` (the bare command) and `P *` (with arguments).
 */
export function rulesyncPermissions(profileToml: string, tripwiresToml: string): RulesyncPermissions {
  const profile = parse(profileToml) as ProfileToml;
  const tripwires = parse(tripwiresToml) as { tripwire?: { commands: string[] }[] };
  const bash: Record<string, Action> = {};
  const add = (pattern: string, action: Action) => {
    const words = pattern.trim().split(/\s+/);
    while (words.length > 1 && words[words.length - 1] === "*") words.pop();
    const bare = words.join(" ");
    for (const key of [bare, `${bare} *`]) {
      const earlier = bash[key];
      if (earlier !== undefined && earlier !== action) throw new Error(`"${key}" is both ${earlier} and ${action}`);
      bash[key] = action;
    }
  };
  for (const p of profile.commands?.allow ?? []) add(p, "allow");
  for (const p of profile.commands?.ask ?? []) add(p, "ask");
  for (const p of profile.commands?.deny ?? []) add(p, "deny");
  for (const t of tripwires.tripwire ?? []) for (const p of t.commands) add(p, "deny");
  return { permission: { bash } };
}

export function countActions(permissions: RulesyncPermissions): Record<Action, number> {
  const counts: Record<Action, number> = { allow: 0, ask: 0, deny: 0 };
  for (const action of Object.values(permissions.permission.bash)) counts[action]++;
  return counts;
}
