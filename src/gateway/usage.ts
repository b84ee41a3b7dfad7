// Model usage read from the responses of the model APIs (Anthropic Messages, OpenAI Responses and
// Chat Completions, Gemini generateContent), streamed (SSE) or not, and the run's budget.
import { compileGlob } from "./glob.js";
import type { Limits, Price } from "../profile/types.js";

export type ModelApi = "anthropic-messages" | "openai-responses" | "openai-chat" | "google-generate-content";

/** Which model API a request is, from its normalized path; undefined: not a model call. */
export function modelApiOf(method: string, path: string): ModelApi | undefined {
  if (method !== "POST") return undefined;
  if (/\/v1\/messages$/.test(path)) return "anthropic-messages";
  if (/\/responses$/.test(path)) return "openai-responses";
  if (/\/chat\/completions$/.test(path)) return "openai-chat";
  if (/\/models\/[^/]+:(stream)?generatecontent$/.test(path)) return "google-generate-content";
  return undefined;
}

export interface Usage {
  model?: string;
  /** Input tokens, cached ones included. */
  input: number;
  cachedInput: number;
  output: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** Usage shapes of the APIs; streamed counts are cumulative, so the largest value seen wins. */
function readUsage(event: Json, into: Usage): void {
  const message = obj(event.message);
  const response = obj(event.response);
  const model = event.model ?? message?.model ?? response?.model ?? event.modelVersion;
  if (typeof model === "string" && model !== "") into.model = model;
  const max = (key: "input" | "cachedInput" | "output", value: number) => {
    if (value > into[key]) into[key] = value;
  };
  for (const u of [obj(event.usage), obj(message?.usage), obj(response?.usage)]) {
    if (u === undefined) continue;
    // Anthropic: input_tokens excludes the cache; OpenAI Responses: input_tokens includes it.
    const anthropicCache = num(u.cache_creation_input_tokens) + num(u.cache_read_input_tokens);
    const openaiCached = num(obj(u.input_tokens_details)?.cached_tokens) + num(obj(u.prompt_tokens_details)?.cached_tokens);
    max("input", num(u.input_tokens) + anthropicCache + num(u.prompt_tokens));
    max("cachedInput", num(u.cache_read_input_tokens) + openaiCached);
    max("output", num(u.output_tokens) + num(u.completion_tokens));
  }
  const google = obj(event.usageMetadata);
  if (google !== undefined) {
    max("input", num(google.promptTokenCount));
    max("cachedInput", num(google.cachedContentTokenCount));
    max("output", num(google.candidatesTokenCount) + num(google.thoughtsTokenCount));
  }
}

/** Most a non-streamed model response is read for usage; beyond it the response passes uncounted. */
const MAX_JSON = 16 << 20;

/** Fed the (decoded) response body, chunk by chunk; `result()` at the end. */
export class UsageReader {
  private readonly usage: Usage = { input: 0, cachedInput: 0, output: 0 };
  private pending = "";
  private size = 0;
  constructor(
    private readonly streamed: boolean,
    model?: string,
  ) {
    if (model !== undefined) this.usage.model = model;
  }

  feed(chunk: Buffer): void {
    this.size += chunk.length;
    if (!this.streamed) {
      if (this.size <= MAX_JSON) this.pending += chunk.toString("utf8");
      return;
    }
    this.pending += chunk.toString("utf8");
    const lines = this.pending.split("\n");
    this.pending = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    const data = /^data:\s?(.*)$/.exec(line.replace(/\r$/, ""))?.[1];
    if (data === undefined || data === "[DONE]") return;
    this.json(data);
  }

  private json(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const event = obj(item);
      if (event) readUsage(event, this.usage);
    }
  }

  result(): Usage {
    if (this.streamed) this.line(this.pending);
    else if (this.size <= MAX_JSON) this.json(this.pending);
    this.pending = "";
    return { ...this.usage };
  }
}

export interface Totals {
  calls: number;
  input: number;
  cachedInput: number;
  output: number;
  usd: number;
  /** Share of the tighter budget used, in percent (0 without a budget). */
  percent: number;
  warned: boolean;
  stopped: boolean;
  /** Model calls refused because the budget was spent (a run that had one stopped for the budget). */
  refused: number;
}

export class Budget {
  readonly totals: Totals = { calls: 0, input: 0, cachedInput: 0, output: 0, usd: 0, percent: 0, warned: false, stopped: false, refused: 0 };
  private readonly prices: { match: (model: string) => boolean; price: Price }[];
  private readonly dearest: Price;

  constructor(private readonly limits: Limits) {
    this.prices = limits.prices.map((p) => ({ match: compileGlob(p.model, true), price: p.price }));
    const all = limits.prices.map((p) => p.price);
    this.dearest = {
      input: Math.max(0, ...all.map((p) => p.input)),
      output: Math.max(0, ...all.map((p) => p.output)),
      cachedInput: Math.max(0, ...all.map((p) => p.cachedInput)),
    };
  }

  /** The price of a model; one no entry matches is priced at the dearest prices listed. */
  priceOf(model: string | undefined): { price: Price; listed: boolean } {
    const hit = model === undefined ? undefined : this.prices.find((p) => p.match(model));
    return hit ? { price: hit.price, listed: true } : { price: this.dearest, listed: false };
  }

  /** Why a model call must be refused now, or undefined. */
  refusal(): string | undefined {
    if (this.totals.percent < this.limits.stopPercent) return undefined;
    return `the run's model budget is spent (${this.describe()}; stop at ${this.limits.stopPercent} %)`;
  }

  describe(): string {
    const parts: string[] = [];
    if (this.limits.tokens !== undefined) parts.push(`${this.totals.input + this.totals.output} of ${this.limits.tokens} tokens`);
    if (this.limits.usd !== undefined) parts.push(`$${this.totals.usd.toFixed(4)} of $${this.limits.usd}`);
    return parts.join(", ") || "no budget set";
  }

  /** Adds one response's usage; says whether this crossed the warn or the stop threshold. */
  add(usage: Usage): { usd: number; crossed: ("warn" | "stop")[] } {
    const { price } = this.priceOf(usage.model);
    const cached = Math.min(usage.cachedInput, usage.input);
    const usd = ((usage.input - cached) * price.input + cached * price.cachedInput + usage.output * price.output) / 1e6;
    const t = this.totals;
    t.calls += 1;
    t.input += usage.input;
    t.cachedInput += usage.cachedInput;
    t.output += usage.output;
    t.usd += usd;
    const shares = [
      this.limits.tokens === undefined ? 0 : ((t.input + t.output) / this.limits.tokens) * 100,
      this.limits.usd === undefined ? 0 : (t.usd / this.limits.usd) * 100,
    ];
    t.percent = Math.max(...shares);
    const crossed: ("warn" | "stop")[] = [];
    if (!t.warned && t.percent >= this.limits.warnPercent) {
      t.warned = true;
      crossed.push("warn");
    }
    if (!t.stopped && t.percent >= this.limits.stopPercent) {
      t.stopped = true;
      crossed.push("stop");
    }
    return { usd, crossed };
  }
}
