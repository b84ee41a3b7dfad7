// What a refused request gets back: one JSON body that every client shows. GitHub's clients print
// `message`; the model SDKs print `error.message` (Anthropic, OpenAI and Gemini all read that key).
// Status 403: the CLIs retry 429 and 5xx, never 403, so a refusal is final and the message is seen.
import type { ServerResponse } from "node:http";

export interface Refusal {
  /** e.g. "network.allow", "tripwire:gh-repo-delete", "git.push", "limits.stop_percent". */
  rule: string;
  message: string;
}

export function refusalBody(refusal: Refusal): string {
  const message = `perimeter gateway refused this request (rule ${refusal.rule}): ${refusal.message}`;
  return JSON.stringify({
    type: "error",
    message,
    error: { type: "permission_error", code: 403, status: "PERMISSION_DENIED", message },
    perimeter: { rule: refusal.rule },
  });
}

export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const body = refusalBody(refusal);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(403, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-perimeter-rule": refusal.rule });
  res.end(body);
}

/** The raw reply to a refused CONNECT (no HTTP server object exists for the tunnel yet). */
export function rawRefusal(refusal: Refusal): string {
  const body = refusalBody(refusal);
  return `HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-perimeter-rule: ${refusal.rule}\r\nconnection: close\r\n\r\n${body}`;
}
