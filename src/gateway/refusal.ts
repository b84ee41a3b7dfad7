// What a refused request gets back: one JSON body that every client shows. GitHub's clients print
// `message`; the model SDKs print `error.message` (Anthropic, OpenAI and Gemini all read that key).
// Status 403, except a model call over budget: 400, the one status none of the three CLIs retries
// (seen with Codex 0.169: it sent 402, 403, 404 and 422 six times each, 400 once).
import type { ServerResponse } from "node:http";

export interface Refusal {
  /** e.g. "network.allow", "tripwire:gh-repo-delete", "git.push", "limits.stop_percent". */
  rule: string;
  message: string;
  /** 403 unless said (400 for a model call over budget). */
  status?: 400 | 403;
}

export function refusalBody(refusal: Refusal): string {
  const message = `perimeter gateway refused this request (rule ${refusal.rule}): ${refusal.message}`;
  const status = refusal.status ?? 403;
  return JSON.stringify({
    type: "error",
    message,
    error: status === 400 ? { type: "invalid_request_error", code: 400, status: "FAILED_PRECONDITION", message } : { type: "permission_error", code: 403, status: "PERMISSION_DENIED", message },
    perimeter: { rule: refusal.rule },
  });
}

export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const body = refusalBody(refusal);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(refusal.status ?? 403, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-perimeter-rule": refusal.rule });
  res.end(body);
}

/** The raw reply to a refused CONNECT (no HTTP server object exists for the tunnel yet). */
export function rawRefusal(refusal: Refusal): string {
  const body = refusalBody(refusal);
  return `HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-perimeter-rule: ${refusal.rule}\r\nconnection: close\r\n\r\n${body}`;
}
