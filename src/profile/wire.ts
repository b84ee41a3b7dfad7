// A tripwire's wire forms: what the command means as an HTTP request, so the gateway can refuse it
// even when a script the agent wrote sends it. Parsed and checked when the tripwires load.
//   "DELETE api.github.com/repos/*/*"        one method (or "*"), a host, a path glob
//   "GRAPHQL api.github.com deleteRepository" a GraphQL mutation field posted to the host
import type { HostPattern } from "./host.js";
import { parseHostPattern } from "./host.js";

export type WireRule =
  | { kind: "http"; text: string; method: string; host: HostPattern; path: string }
  | { kind: "graphql"; text: string; host: HostPattern; field: string };

const METHOD = /^(\*|[A-Z]+)$/;
const PATH_GLOB = /^\/[A-Za-z0-9._~!$&'()+,;=:@%*\/-]*$/;

/** The parsed rule, or a message saying what is wrong with it. */
export function parseWireRule(text: string): WireRule | string {
  const words = text.trim().split(/\s+/);
  if (words[0] === "GRAPHQL") {
    if (words.length !== 3) return `"${text}": write "GRAPHQL host mutationName"`;
    const host = parseHostPattern(words[1]!);
    if (typeof host === "string") return `"${text}": ${host}`;
    if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(words[2]!)) return `"${text}": "${words[2]}" is not a GraphQL field name`;
    return { kind: "graphql", text, host, field: words[2]! };
  }
  if (words.length !== 2 || !METHOD.test(words[0]!)) return `"${text}": write "METHOD host/path" (METHOD upper case or "*") or "GRAPHQL host mutationName"`;
  const slash = words[1]!.indexOf("/");
  if (slash <= 0) return `"${text}": the host needs a path after it, e.g. api.github.com/repos/*/*`;
  const host = parseHostPattern(words[1]!.slice(0, slash));
  if (typeof host === "string") return `"${text}": ${host}`;
  const path = words[1]!.slice(slash);
  if (!PATH_GLOB.test(path)) return `"${text}": "${path}" is not a path glob`;
  return { kind: "http", text, method: words[0]!, host, path };
}
