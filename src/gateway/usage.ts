// Model usage read from the responses of the model APIs (Anthropic Messages, OpenAI Responses and
// Chat Completions, Gemini generateContent), streamed (SSE) or not, and the run's budget.
import { compileGlob } from "./glob.js";
import type { Limits, Price } from "../profile/types.js";

/** "other": a POST to a model API host on a path not listed here (legacy completions, batches, embeddings, ...). */
export type ModelApi = "anthropic-messages" | "openai-responses" | "openai-chat" | "google-generate-content" | "other";

/**
 * The model API hosts: on these every POST but the free ones is a model call for the budget (past
 * the stop it is refused), so a path this module does not know cannot spend past it.
 */
const MODEL_API_HOSTS = new Set(["api.anthropic.com", "api.openai.com", "generativelanguage.googleapis.com"]);
/** A model API host: always read by the gateway, with a credential or not (a key the agent found is metered too). */
export const isModelApiHost = (host: string) => MODEL_API_HOSTS.has(host);

/** POSTs on a model API host that cost nothing: token counts. */
const FREE = /(\/count_tokens|:counttokens)$/;

/** Which model API a request is, from its normalized path (and host); undefined: not a model call. */
export function modelApiOf(method: string, path: string, host = ""): ModelApi | undefined {
  if (method !== "POST") return undefined;
  if (/\/v1\/messages$/.test(path)) return "anthropic-messages";
  if (/\/responses$/.test(path)) return "openai-responses";
  if (/\/chat\/completions$/.test(path)) return "openai-chat";
  // "models/" without a slash before it: tunedModels/NAME:generateContent is the same call.
  if (/models\/[^/]+:(stream)?generatecontent$/.test(path)) return "google-generate-content";
  if (MODEL_API_HOSTS.has(host) && !FREE.test(path)) return "other";
  return undefined;
}

/** Bytes per token when a reply reports no usage: low, so a guess errs toward counting more. */
const BYTES_PER_TOKEN = 4;

/**
 * A reply that ended without its final usage (the client hung up before the last event, or the
 * API reports none, as Chat Completions streams without include_usage): counted from its bytes,
 * else an agent could read the answer and hang up, and spend without limit.
 */
export function estimatedUsage(usage: Usage, requestBytes: number, replyBytes: number): Usage {
  return {
    ...usage,
    input: Math.max(usage.input, Math.ceil(requestBytes / BYTES_PER_TOKEN)),
    output: Math.max(usage.output, Math.ceil(replyBytes / BYTES_PER_TOKEN)),
    estimated: true,
  };
}

export interface Usage {
  model?: string;
  /** Input tokens, cached ones included. */
  input: number;
  cachedInput: number;
  output: number;
  /** Counted from the bytes: the reply reported no final usage (estimatedUsage). */
  estimated?: true;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** Usage shapes of the APIs; streamed counts are cumulative, so the largest value seen wins. True: the event had usage. */
function readUsage(event: Json, into: Usage): boolean {
  const message = obj(event.message);
  const response = obj(event.response);
  const model = event.model ?? message?.model ?? response?.model ?? event.modelVersion;
  if (typeof model === "string" && model !== "") into.model = model;
  const max = (key: "input" | "cachedInput" | "output", value: number) => {
    if (value > into[key]) into[key] = value;
  };
  let found = false;
  for (const u of [obj(event.usage), obj(message?.usage), obj(response?.usage)]) {
    if (u === undefined) continue;
    found = true;
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
  return found || google !== undefined;
}

/** Most a non-streamed model response is read for usage; beyond it the response passes uncounted. */
const MAX_JSON = 16 << 20;

/** Fed the (decoded) response body, chunk by chunk; `result()` at the end. */
export class UsageReader {
  private readonly usage: Usage = { input: 0, cachedInput: 0, output: 0 };
  private pending = "";
  private size = 0;
  private final = false;
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
      // Anthropic's message_start has usage too, but only the input's: the final count comes later.
      if (event && readUsage(event, this.usage) && event.type !== "message_start") this.final = true;
    }
  }

  /** The decoded bytes fed so far. */
  get bytes(): number {
    return this.size;
  }

  /** Whether the reply reported its final usage (read after result()). */
  get reported(): boolean {
    return this.final;
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
