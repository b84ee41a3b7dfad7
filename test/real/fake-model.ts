// A fake model API for driving the REAL agent CLIs offline (each tool's driver points its client here).
// One server speaks all three wire protocols, streamed:
//   - Anthropic Messages:  POST /v1/messages (SSE, or JSON when the request has no `stream: true`),
//                          POST /v1/messages/count_tokens
//   - Gemini:              POST .../models/MODEL:streamGenerateContent?alt=sse, :generateContent,
//                          :countTokens, :embedContent, GET .../models
//   - OpenAI Responses:    POST /v1/responses (SSE), GET /v1/models
//
// Script: on the FIRST model turn of a conversation (no tool result anywhere in the request) it
// answers with exactly one shell tool call running `opts.command`; once a tool result is in the
// request it answers plain text "done" and ends the turn. With `opts.commands`, the turn that sees N
// tool results runs commands[N] instead, until the list is done. "First turn" is decided from the request
// content, never from a counter, because the CLIs make side requests (titles, token counts,
// routing classifiers, next-speaker checks...). Side requests that offer no shell tool get text.
//
// Listens on 127.0.0.1, port 0 (never on another interface).

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeModelRequest {
  method: string;
  /** Path including the query string, e.g. "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse". */
  path: string;
  /** The request's headers (the gateway tests check which key arrived). */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** What the fake answered: "tool_call" (the scripted command), "text", or "other" (metadata, errors). */
  answered: "tool_call" | "text" | "other";
}

export interface FakeModel {
  port: number;
  /** http://127.0.0.1:PORT (no trailing slash, no /v1). */
  url: string;
  /** Every request received, in order. */
  requests: FakeModelRequest[];
  /** Text of every tool result the CLIs sent back (e.g. the command output or a "denied" message), in order of arrival, de-duplicated. */
  toolResults: string[];
  /** How many times the scripted tool call was offered. */
  toolCallsOffered: number;
  /** Turns whose file tool call went out as a shell command, because the CLI offered no such file tool. */
  shellInsteadOfFileTool: Set<number>;
  /** With `commands`: the tool result of commands[i] at index i (not de-duplicated), as the CLI sent it back. */
  turnResults: string[];
  close(): Promise<void>;
}

export interface FakeModelOptions {
  /** The shell command the model asks to run on its first turn. */
  command?: string;
  /**
   * A script instead: turn N (N tool results already in the conversation) runs commands[N], one
   * command per turn, so one agent process can try many commands; "done" after the last.
   */
  commands?: readonly ScriptStep[];
  /** Text of the final answer (default "done"). */
  finalText?: string;
  /** Log every request/answer to stderr (also enabled by env FAKE_MODEL_DEBUG=1). */
  debug?: boolean;
  /** Called as each request arrives, before its body is read (the benchmark times agents' start by it). */
  onRequest?: () => void;
  /** With `commands`: called with N each time the model offers commands[N] (shims tag what runs with it). */
  onTurn?: (turn: number) => void;
}

/**
 * A turn that calls one of the tool's own file tools instead of the shell (Claude Read/Grep/Glob,
 * Gemini read_file/read_many_files/grep_search/glob). `path` is absolute; `pattern` is the search or
 * glob pattern. A tool that does not offer that file tool gets a shell `cat`/`grep -r` instead.
 */
export interface FileToolCall {
  file: "read" | "readMany" | "grep" | "glob";
  path: string;
  pattern?: string;
}

/** One scripted turn: a shell command line, or a file tool call. */
export type ScriptStep = string | FileToolCall;

/** The shell spelling of a file tool call, for a tool that lacks the file tool. */
export function shellOf(step: ScriptStep): string {
  if (typeof step === "string") return step;
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  switch (step.file) {
    case "read":
    case "readMany":
      return `cat ${q(step.path)}`;
    case "grep":
      return `grep -rn ${q(step.pattern ?? ".")} ${q(step.path)}`;
    case "glob":
      return `ls -d ${q(step.path)}/${step.pattern ?? "*"}`;
  }
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Flattens whatever a tool result carries (string, content-block arrays, {output}, ...) into text. */
function textOf(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.map(textOf).filter((s) => s !== "").join("\n");
  if (isObj(v)) {
    if (typeof v.text === "string") return v.text;
    for (const k of ["output", "content", "response", "error", "llmContent", "result"]) {
      if (k in v) {
        const t = textOf(v[k]);
        if (t !== "") return t;
      }
    }
    return JSON.stringify(v);
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages

function anthropicToolResults(body: Json): string[] {
  const out: string[] = [];
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const m of messages) {
    if (!isObj(m) || !Array.isArray(m.content)) continue;
    for (const block of m.content) {
      if (isObj(block) && block.type === "tool_result") out.push(textOf(block.content));
    }
  }
  return out;
}

function anthropicShellTool(body: Json): string | undefined {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  for (const t of tools) if (isObj(t) && t.name === "Bash") return "Bash";
  return undefined;
}

function anthropicOffers(body: Json, name: string): boolean {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  return tools.some((t) => isObj(t) && t.name === name);
}

/** Claude Code's file tools and their inputs. */
function anthropicFileCall(step: FileToolCall): { name: string; input: Json } {
  switch (step.file) {
    case "read":
    case "readMany":
      return { name: "Read", input: { file_path: step.path } };
    case "grep":
      return { name: "Grep", input: { pattern: step.pattern ?? ".", path: step.path, output_mode: "content" } };
    case "glob":
      return { name: "Glob", input: { pattern: step.pattern ?? "*", path: step.path } };
  }
}

function anthropicContent(kind: "tool_call" | "text", step: ScriptStep, finalText: string, turn = 0, body: Json = {}, fellBack?: Set<number>): Json[] {
  if (kind === "tool_call") {
    if (typeof step !== "string") {
      const call = anthropicFileCall(step);
      if (anthropicOffers(body, call.name)) return [{ type: "tool_use", id: `toolu_fake_${turn}`, name: call.name, input: call.input }];
      fellBack?.add(turn);
    }
    return [{ type: "tool_use", id: `toolu_fake_${turn}`, name: "Bash", input: { command: shellOf(step), description: "Run the command" } }];
  }
  return [{ type: "text", text: finalText }];
}

function anthropicSse(res: ServerResponse, model: string, content: Json[]): void {
  const stopReason = content[0]?.type === "tool_use" ? "tool_use" : "end_turn";
  const events: Array<[string, Json]> = [];
  events.push([
    "message_start",
    {
      type: "message_start",
      message: {
        id: "msg_fake_" + Date.now(),
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    },
  ]);
  content.forEach((block, index) => {
    if (block.type === "tool_use") {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { ...block, input: {} } }]);
      events.push([
        "content_block_delta",
        { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } },
      ]);
    } else {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }]);
      events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } }]);
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push([
    "message_delta",
    { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 5 } },
  ]);
  events.push(["message_stop", { type: "message_stop" }]);
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

// ---------------------------------------------------------------------------------------------
// Gemini

function geminiToolResults(body: Json): string[] {
  const out: string[] = [];
  const contents = Array.isArray(body.contents) ? body.contents : [];
  for (const c of contents) {
    if (!isObj(c) || !Array.isArray(c.parts)) continue;
    for (const p of c.parts) {
      if (isObj(p) && isObj(p.functionResponse)) out.push(textOf(p.functionResponse.response));
    }
  }
  return out;
}

function geminiOffers(body: Json, name: string): boolean {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  return tools.some((t) => isObj(t) && Array.isArray(t.functionDeclarations) && t.functionDeclarations.some((f) => isObj(f) && f.name === name));
}

/** Gemini CLI's file tools and their arguments. */
function geminiFileCall(step: FileToolCall): { name: string; args: Json } {
  switch (step.file) {
    case "read":
      return { name: "read_file", args: { file_path: step.path } };
    case "readMany":
      return { name: "read_many_files", args: { include: [step.path] } };
    case "grep":
      return { name: "grep_search", args: { pattern: step.pattern ?? ".", dir_path: step.path } };
    case "glob":
      return { name: "glob", args: { pattern: step.pattern ?? "*", dir_path: step.path } };
  }
}

function geminiCall(step: ScriptStep, body: Json, turn: number, fellBack: Set<number>): Json {
  if (typeof step !== "string") {
    const call = geminiFileCall(step);
    if (geminiOffers(body, call.name)) return { functionCall: { name: call.name, args: call.args } };
    fellBack.add(turn);
  }
  return { functionCall: { name: "run_shell_command", args: { command: shellOf(step), description: "Run the command" } } };
}

function geminiShellTool(body: Json): string | undefined {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  for (const t of tools) {
    if (!isObj(t) || !Array.isArray(t.functionDeclarations)) continue;
    for (const f of t.functionDeclarations) if (isObj(f) && f.name === "run_shell_command") return "run_shell_command";
  }
  return undefined;
}

/** Builds a minimal value satisfying a JSON schema (for side calls that ask for JSON output). */
function sampleFromSchema(schema: unknown, key = ""): unknown {
  if (!isObj(schema)) return {};
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    // Prefer answers that end things quietly: next_speaker "user", cheapest model choice.
    const e = schema.enum as unknown[];
    if (e.includes("user")) return "user";
    return e[0];
  }
  const type = String(schema.type ?? "").toLowerCase();
  if (type === "object" || isObj(schema.properties)) {
    const out: Json = {};
    const props = isObj(schema.properties) ? schema.properties : {};
    for (const [k, v] of Object.entries(props)) out[k] = sampleFromSchema(v, k);
    return out;
  }
  if (type === "array") return [];
  if (type === "boolean") return false;
  if (type === "number" || type === "integer") return typeof schema.minimum === "number" ? schema.minimum : 1;
  return key === "reasoning" ? "fake model" : "";
}

function geminiJsonText(body: Json): string | undefined {
  const gc = isObj(body.generationConfig) ? body.generationConfig : {};
  if (gc.responseMimeType !== "application/json") return undefined;
  const schema = gc.responseJsonSchema ?? gc.responseSchema;
  return JSON.stringify(sampleFromSchema(schema));
}

function geminiChunk(parts: Json[], finish: boolean, model: string): Json {
  const cand: Json = { content: { role: "model", parts }, index: 0 };
  if (finish) cand.finishReason = "STOP";
  return {
    candidates: [cand],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: model,
    responseId: "fake-" + Date.now(),
  };
}

// ---------------------------------------------------------------------------------------------
// OpenAI Responses

function responsesToolResults(body: Json): string[] {
  const out: string[] = [];
  const input = Array.isArray(body.input) ? body.input : [];
  for (const item of input) {
    if (!isObj(item) || typeof item.type !== "string") continue;
    if (item.type.endsWith("_call_output")) out.push(textOf(item.output));
  }
  return out;
}

interface ResponsesShell {
  name: string;
  kind: "function" | "local_shell" | "custom";
  arguments: string;
}

/** Finds the shell tool the request offers and encodes `command` in its argument shape. */
function responsesShellTool(body: Json, command: string): ResponsesShell | undefined {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const fns = tools.filter(isObj);
  const byName = (n: string) => fns.find((t) => t.name === n);
  // Preference: a tool whose name says shell/exec, with a recognisable command parameter.
  const candidates = [
    byName("shell_command"),
    byName("shell"),
    byName("exec_command"),
    byName("container.exec"),
    ...fns.filter((t) => typeof t.name === "string" && /shell|exec/.test(t.name)),
  ].filter((t): t is Json => t !== undefined);
  for (const t of candidates) {
    const name = String(t.name);
    if (t.type === "function") {
      const params = isObj(t.parameters) ? t.parameters : {};
      const props = isObj(params.properties) ? params.properties : {};
      for (const key of ["command", "cmd"]) {
        const p = props[key];
        if (!isObj(p)) continue;
        const value = p.type === "array" ? ["bash", "-lc", command] : command;
        return { name, kind: "function", arguments: JSON.stringify({ [key]: value }) };
      }
    } else if (t.type === "custom" && name !== "exec") {
      return { name, kind: "custom", arguments: command };
    }
  }
  if (fns.some((t) => t.type === "local_shell")) return { name: "local_shell", kind: "local_shell", arguments: "" };
  // Codex "code mode" (the default for its newest models): no top-level shell tool; a freeform
  // `exec` tool (JavaScript) is offered inside an `additional_tools` input item, and shell commands
  // are nested tools reachable as `tools.exec_command({cmd})` (or `tools.shell_command({command})`).
  const exec = findCodeModeExec(body);
  if (exec) {
    const desc = typeof exec.description === "string" ? exec.description : "";
    const call = /tools\.exec_command\b|`exec_command`/.test(desc)
      ? `tools.exec_command({ cmd: ${JSON.stringify(command)} })`
      : `tools.shell_command({ command: ${JSON.stringify(command)} })`;
    const js = `const r = await ${call};\ntext(typeof r === "string" ? r : (r.output ?? JSON.stringify(r)));\n`;
    return { name: String(exec.name), kind: "custom", arguments: js };
  }
  return undefined;
}

/** The code-mode `exec` tool, top level or inside a namespace of an `additional_tools` input item. */
function findCodeModeExec(body: Json): Json | undefined {
  const lists: unknown[][] = [];
  if (Array.isArray(body.tools)) lists.push(body.tools);
  for (const item of Array.isArray(body.input) ? body.input : []) {
    if (isObj(item) && item.type === "additional_tools" && Array.isArray(item.tools)) lists.push(item.tools);
  }
  const visit = (tools: unknown[]): Json | undefined => {
    for (const t of tools) {
      if (!isObj(t)) continue;
      if (t.type === "custom" && t.name === "exec") return t;
      if (t.type === "namespace" && Array.isArray(t.tools)) {
        const found = visit(t.tools);
        if (found) return found;
      }
    }
    return undefined;
  };
  for (const l of lists) {
    const found = visit(l);
    if (found) return found;
  }
  return undefined;
}

function responsesSse(res: ServerResponse, model: string, item: Json): void {
  const id = "resp_fake_" + Date.now();
  const base = { id, object: "response", created_at: Math.floor(Date.now() / 1000), model, status: "in_progress", output: [] };
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 15,
  };
  const events: Json[] = [
    { type: "response.created", response: base },
    { type: "response.in_progress", response: base },
    { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress" } },
  ];
  if (item.type === "message") {
    const text = textOf(item.content);
    events.push({ type: "response.output_text.delta", item_id: item.id, output_index: 0, content_index: 0, delta: text });
  }
  events.push({ type: "response.output_item.done", output_index: 0, item: { ...item, status: "completed" } });
  events.push({ type: "response.completed", response: { ...base, status: "completed", output: [item], usage } });
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const e of events) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  res.end();
}

function responsesItem(kind: "tool_call" | "text", shell: ResponsesShell | undefined, command: string, finalText: string, turn = 0): Json {
  const id = (prefix: string) => `${prefix}_fake_${turn}`;
  if (kind === "tool_call" && shell) {
    if (shell.kind === "local_shell") {
      return {
        type: "local_shell_call",
        id: id("lsh"),
        call_id: id("call"),
        status: "completed",
        action: { type: "exec", command: ["bash", "-lc", command] },
      };
    }
    if (shell.kind === "custom") {
      return { type: "custom_tool_call", id: id("ctc"), call_id: id("call"), name: shell.name, input: shell.arguments };
    }
    return { type: "function_call", id: id("fc"), call_id: id("call"), name: shell.name, arguments: shell.arguments };
  }
  return {
    type: "message",
    id: id("msg"),
    role: "assistant",
    content: [{ type: "output_text", text: finalText, annotations: [] }],
  };
}

// ---------------------------------------------------------------------------------------------

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

export async function startFakeModel(opts: FakeModelOptions): Promise<FakeModel> {
  const finalText = opts.finalText ?? "done";
  const script = opts.commands ?? (opts.command === undefined ? [] : [opts.command]);
  if (script.length === 0) throw new Error("startFakeModel needs `command` or `commands`");
  /** The command for a request that already carries `done` tool results, or undefined when the script is over. */
  const nextCommand = (done: number): ScriptStep | undefined => {
    const command = opts.commands ? script[done] : done === 0 ? script[0] : undefined;
    if (command !== undefined) opts.onTurn?.(done);
    return command;
  };
  const debug = opts.debug ?? process.env.FAKE_MODEL_DEBUG === "1";
  const requests: FakeModelRequest[] = [];
  const toolResults: string[] = [];
  const log = (...a: unknown[]) => {
    if (debug) process.stderr.write(`[fake-model] ${a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" ")}\n`);
  };
  const turnResults: string[] = [];
  const noteResults = (results: string[]) => {
    for (const r of results) if (!toolResults.includes(r)) toolResults.push(r);
    // Each request repeats the whole conversation; the longest one so far has every result in turn order.
    if (results.length > turnResults.length) turnResults.splice(0, turnResults.length, ...results);
  };
  let toolCallsOffered = 0;
  const shellInsteadOfFileTool = new Set<number>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    opts.onRequest?.();
    const raw = await readBody(req);
    let body: unknown = undefined;
    if (raw !== "") {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const url = req.url ?? "/";
    const path = url.split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    const record: FakeModelRequest = { method, path: url, headers: req.headers, body, answered: "other" };
    requests.push(record);
    const b: Json = isObj(body) ? body : {};
    const model = typeof b.model === "string" ? b.model : "fake-model";
    log(method, url, debug && process.env.FAKE_MODEL_DEBUG_BODY === "1" ? raw : "");

    // ---- Anthropic
    if (method === "POST" && /\/v1\/messages\/count_tokens$/.test(path)) {
      return sendJson(res, 200, { input_tokens: 10 });
    }
    if (method === "POST" && /\/v1\/messages$/.test(path)) {
      const results = anthropicToolResults(b);
      noteResults(results);
      const command = nextCommand(results.length);
      const kind = command !== undefined && anthropicShellTool(b) ? "tool_call" : "text";
      record.answered = kind;
      if (kind === "tool_call") toolCallsOffered++;
      const content = anthropicContent(kind, command ?? "", finalText, results.length, b, shellInsteadOfFileTool);
      log(" ->", kind);
      if (b.stream === true) return anthropicSse(res, model, content);
      return sendJson(res, 200, {
        id: "msg_fake_" + Date.now(),
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: kind === "tool_call" ? "tool_use" : "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5 },
      });
    }

    // ---- Gemini
    const gem = /\/models\/([^/:]+):([A-Za-z]+)$/.exec(path);
    if (gem) {
      const gModel = gem[1] ?? "model";
      const action = gem[2];
      if (action === "countTokens") return sendJson(res, 200, { totalTokens: 10 });
      if (action === "embedContent") return sendJson(res, 200, { embedding: { values: [0, 0, 0] } });
      if (action === "batchEmbedContents") {
        const n = Array.isArray(b.requests) ? b.requests.length : 1;
        return sendJson(res, 200, { embeddings: Array.from({ length: n }, () => ({ values: [0, 0, 0] })) });
      }
      if (action === "streamGenerateContent" || action === "generateContent") {
        const results = geminiToolResults(b);
        noteResults(results);
        const jsonText = geminiJsonText(b);
        let parts: Json[];
        if (jsonText !== undefined) {
          record.answered = "other";
          parts = [{ text: jsonText }];
        } else if (nextCommand(results.length) !== undefined && geminiShellTool(b)) {
          record.answered = "tool_call";
          toolCallsOffered++;
          parts = [geminiCall(nextCommand(results.length)!, b, results.length, shellInsteadOfFileTool)];
        } else {
          record.answered = "text";
          parts = [{ text: finalText }];
        }
        log(" ->", record.answered, jsonText ?? "");
        const chunk = geminiChunk(parts, true, gModel);
        if (action === "generateContent") return sendJson(res, 200, chunk);
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
        return res.end();
      }
      return sendJson(res, 404, { error: { code: 404, message: `fake model: unsupported ${action}`, status: "NOT_FOUND" } });
    }
    if (method === "GET" && /\/models\/?$/.test(path) && /v1beta|v1alpha/.test(path)) {
      return sendJson(res, 200, { models: [] });
    }

    // ---- OpenAI Responses
    if (method === "POST" && /\/responses$/.test(path)) {
      const results = responsesToolResults(b);
      noteResults(results);
      const command = nextCommand(results.length);
      const shell = command === undefined ? undefined : responsesShellTool(b, shellOf(command));
      if (command !== undefined && typeof command !== "string") shellInsteadOfFileTool.add(results.length);
      const kind = command !== undefined && shell ? "tool_call" : "text";
      record.answered = kind;
      if (kind === "tool_call") toolCallsOffered++;
      const item = responsesItem(kind, shell, command === undefined ? "" : shellOf(command), finalText, results.length);
      log(" ->", kind, shell ?? "");
      return responsesSse(res, model, item);
    }
    if (method === "GET" && /\/v1\/models\/?$/.test(path)) {
      return sendJson(res, 200, { object: "list", data: [], models: [] });
    }

    // Connectivity probes (Claude sends HEAD /api/hello at start-up): answer OK.
    if (method === "HEAD") {
      res.writeHead(200);
      return res.end();
    }

    log(" -> 404");
    return sendJson(res, 404, { error: { message: `fake model: no handler for ${method} ${url}`, type: "not_found" } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log("handler error", String(err));
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err) } });
      else res.end();
    });
  });
  // Keep-alive sockets from the CLIs must not hold close() open.
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const fake: FakeModel = {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    toolResults,
    turnResults,
    shellInsteadOfFileTool,
    get toolCallsOffered() {
      return toolCallsOffered;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}
