// gh's own argv grammar: `-R/--repo` may stand anywhere (pflag), `gh api`'s method in any case and
// spelling (`-X delete`, `-XDELETE`, `-X=delete`, `--method=delete`; POST when fields are given),
// REST paths that reach repositories, secrets and variables, GraphQL mutations that delete, archive,
// transfer or edit a repository or touch secrets and variables, and aliases defined on the line.
import { githubApiHostFor } from "../../gateway/github-refs.js";
import { normalPath } from "../../profile/glob.js";
import { METHOD_OVERRIDE_HEADERS, overrideMethods } from "../../profile/wire-match.js";
import { isKnown, unknownArg, type Arg } from "../argv.js";
import { parseShell } from "../shell.js";
import type { Grammar, Reading, WireRequest } from "./types.js";

/** pflag shorthands and long flags of `gh api` that take a value. */
const API_VALUED_SHORT = "XfFHqtp";
const API_VALUED_LONG = new Set(["method", "raw-field", "field", "header", "input", "jq", "template", "hostname", "preview", "cache"]);

interface ApiCall {
  method: Arg | undefined;
  path: Arg | undefined;
  hostname: Arg | undefined;
  headers: Arg[];
  fields: { name: string; value: Arg; raw: boolean }[];
  input: boolean;
  rest: Arg[];
}

function readApi(args: readonly Arg[]): ApiCall | string {
  const call: ApiCall = { method: undefined, path: undefined, hostname: undefined, headers: [], fields: [], input: false, rest: [] };
  const option = (name: string, value: Arg) => {
    if (name === "X" || name === "method") call.method = value;
    else if (name === "hostname") call.hostname = value;
    else if (name === "H" || name === "header") call.headers.push(value);
    else if (name === "f" || name === "raw-field" || name === "F" || name === "field") {
      const text = isKnown(value) ? value : undefined;
      const eq = text?.indexOf("=") ?? -1;
      call.fields.push({
        name: text !== undefined && eq >= 0 ? text.slice(0, eq) : "",
        value: text !== undefined && eq >= 0 ? text.slice(eq + 1) : value,
        raw: name === "f" || name === "raw-field",
      });
    } else if (name === "input") call.input = true;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!isKnown(a) || !a.startsWith("-") || a === "-") {
      if (call.path === undefined) call.path = a;
      else call.rest.push(a);
      continue;
    }
    if (a === "--") {
      call.rest.push(...args.slice(i + 1));
      if (call.path === undefined) call.path = call.rest.shift();
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) option(name, a.slice(eq + 1));
      else if (API_VALUED_LONG.has(name)) option(name, args[++i] ?? "");
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const letter = a[j]!;
      if (API_VALUED_SHORT.includes(letter)) {
        let value: Arg = a.slice(j + 1);
        if (value === "") value = args[++i] ?? "";
        else if (value.startsWith("=")) value = value.slice(1);
        option(letter, value);
        break;
      }
    }
  }
  return call;
}

/** A GraphQL document's mutation fields, mapped to the gh command each is equivalent to. */
const MUTATIONS: [RegExp, string[]][] = [
  [/^deleteRepository$/, ["gh", "repo", "delete"]],
  [/^(un)?archiveRepository$/, ["gh", "repo", "archive"]],
  [/^(transferRepository|updateRepository|changeRepositoryVisibility|updateRepositoryVisibility)$/i, ["gh", "repo", "edit"]],
  [/secret/i, ["gh", "secret"]],
  [/variable/i, ["gh", "variable"]],
  // Moving a branch to any commit is what a force-push does (the wire refuses these too).
  [/^updateRefs?$/, ["git", "push", "--force"]],
  // Any other delete through GraphQL is the raw-API delete the REST tripwire stops.
  [/^delete/i, ["gh", "api", "--method", "DELETE", "graphql"]],
];

/**
 * The names that may be mutation fields: every name followed by `(` or `{` after the `mutation`
 * keyword (strings and comments stripped). More than the fields (an operation name, say), never fewer.
 */
function mutationNames(query: string): string[] {
  const text = query.replace(/"""[\s\S]*?"""|"(?:[^"\\]|\\.)*"/g, '""').replace(/#[^\n]*/g, "");
  const at = text.search(/\bmutation\b/);
  if (at < 0) return [];
  return [...text.slice(at).matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?=[({])/g)].map((m) => m[1]!);
}

function graphqlForms(names: readonly string[]): Arg[][] {
  const forms: Arg[][] = [];
  for (const name of names) for (const [pattern, form] of MUTATIONS) if (pattern.test(name)) forms.push(form);
  return forms;
}

/** The host `gh api` sends to: the endpoint's own when it is a URL, else the API of --hostname (github.com). */
function apiHost(call: ApiCall, endpoint: string): string {
  const url = /^https?:\/\/([^/?#]+)/i.exec(endpoint);
  if (url) return url[1]!.toLowerCase();
  // A host the guard cannot know is read as github.com's: the host the wire forms name.
  const host = call.hostname === undefined || !isKnown(call.hostname) ? "github.com" : call.hostname.toLowerCase();
  return githubApiHostFor(host) ?? host;
}

/** What the call is on the wire, for the tripwires' wire forms. */
function wireRequest(call: ApiCall, method: Arg, endpoint: string, mutations: readonly string[] | undefined): WireRequest {
  const host = apiHost(call, endpoint);
  if (mutations !== undefined) return { kind: "graphql", host, fields: mutations };
  let methods: string[] | "any" = isKnown(method) ? [method] : "any";
  for (const header of call.headers) {
    if (!isKnown(header)) methods = "any";
    else {
      // `-H 'Name: value'`: the override headers the gateway reads too (effectiveMethods).
      const colon = header.indexOf(":");
      const name = header.slice(0, Math.max(colon, 0)).trim().toLowerCase();
      if (colon > 0 && methods !== "any" && METHOD_OVERRIDE_HEADERS.includes(name)) methods.push(...overrideMethods(header.slice(colon + 1)));
    }
  }
  return { kind: "http", host, methods, path: normalPath(`/${endpoint.replace(/^https?:\/\/[^/?#]+/i, "")}`) };
}

/** REST paths, mapped to the gh command the call amounts to. */
function restForms(method: string, path: string): Arg[][] {
  const clean = path.replace(/^https?:\/\/[^/]+/, "").replace(/^\/+/, "").replace(/[?#].*$/, "");
  const forms: Arg[][] = [];
  if (/(^|\/)secrets(\/|$)/i.test(clean)) forms.push(["gh", "secret"]);
  if (/(^|\/)variables(\/|$)/i.test(clean)) forms.push(["gh", "variable"]);
  const repo = /^repos\/[^/]+\/[^/]+\/?$/i.test(clean);
  if (repo && method === "DELETE") forms.push(["gh", "repo", "delete"]);
  if (repo && (method === "PATCH" || method === "PUT" || method === "POST")) forms.push(["gh", "repo", "edit"]);
  if (/^repos\/[^/]+\/[^/]+\/transfer\/?$/i.test(clean) && method !== "GET") forms.push(["gh", "repo", "edit"]);
  // PATCH of a ref moves a branch anywhere, force included: what the git-force-push tripwire stops.
  if (/^repos\/[^/]+\/[^/]+\/git\/refs\/.+/i.test(clean) && method !== "GET" && method !== "DELETE") forms.push(["git", "push", "--force"]);
  return forms;
}

function readApiForms(args: readonly Arg[]): Reading {
  const call = readApi(args);
  if (typeof call === "string") return { forms: [], unreadable: call };
  const fieldsSent = call.fields.length > 0 || call.input;
  const method: Arg = call.method === undefined ? (fieldsSent ? "POST" : "GET") : isKnown(call.method) ? call.method.toUpperCase() : unknownArg(call.method.raw, false);
  const path = call.path ?? "";
  // The general form goes last, so the most specific tripwire is the one reported.
  const general: Arg[] = ["gh", "api", "--method", method, path, ...call.rest];
  const forms: Arg[][] = [];
  const anything = (why: string) => unknownArg(why, true);
  if (!isKnown(path)) {
    forms.push(["gh", anything(path.raw)], general);
    return { forms };
  }
  // gh takes a full URL as the endpoint too (`https://api.github.com/graphql`).
  const graphql = /^graphql\/?$/i.test(path.replace(/^https?:\/\/[^/]+/i, "").replace(/^\/+/, "").replace(/[?#].*$/s, ""));
  if (graphql) {
    const query = call.fields.find((f) => f.name === "query");
    // A document the analyser cannot read (from a file, stdin or a variable) may be any mutation.
    if (call.input || query === undefined || !isKnown(query.value) || (!query.raw && query.value.startsWith("@"))) {
      forms.push(["gh", anything("<GraphQL document the guard cannot read>")]);
      return { forms: [...forms, general] };
    }
    const names = mutationNames(query.value);
    forms.push(...graphqlForms(names));
    return { forms: [...forms, general], requests: [wireRequest(call, method, path, names)] };
  }
  if (!isKnown(method)) forms.push(...restForms("DELETE", path), ...restForms("PATCH", path));
  else forms.push(...restForms(method, path));
  return { forms: [...forms, general], requests: [wireRequest(call, method, path, undefined)] };
}

/** Removes `-R X`, `--repo X`, `--repo=X`, `-RX` wherever they stand (pflag reads flags anywhere). */
function withoutRepoFlag(args: readonly Arg[]): Arg[] {
  const out: Arg[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (a === "-R" || a === "--repo") {
      i++;
      continue;
    }
    if (isKnown(a) && (a.startsWith("--repo=") || (a.startsWith("-R") && !a.startsWith("--")))) continue;
    out.push(a);
  }
  return out;
}

/** gh's own commands and help topics (gh 2.23 to 2.8x): anything else is an alias or an extension. */
const GH_COMMANDS = new Set([
  "agent-task", "alias", "api", "attestation", "auth", "browse", "cache", "co", "codespace", "completion", "config", "copilot",
  "extension", "ext", "extensions", "gist", "gpg-key", "help", "issue", "label", "org", "pr", "preview", "project", "release", "repo",
  "ruleset", "rs", "run", "search", "secret", "ssh-key", "status", "variable", "workflow", "version", "accessibility", "actions",
  "environment", "exit-codes", "formatting", "mintty", "reference", "licenses", "--version", "--help", "-h",
]);

export const gh: Grammar = {
  programs: ["gh"],
  read(argv): Reading {
    const args = withoutRepoFlag(argv.slice(1));
    const [command, sub] = args;
    if (command === "api") return readApiForms(args.slice(1));
    if (command === "alias" && (sub === "set" || sub === "import")) {
      // `gh alias set NAME EXPANSION [--shell]`: read what the alias would run.
      const operands = args.slice(2).filter((a) => !(isKnown(a) && a.startsWith("-")));
      const expansion = operands[1];
      if (sub === "import" || expansion === undefined || !isKnown(expansion)) return { forms: [["gh", unknownArg("<alias expansion>", true)]] };
      const shell = args.includes("--shell") || args.includes("-s") || expansion.startsWith("!");
      if (shell) return { forms: [], code: [{ code: expansion.replace(/^!/, ""), via: "gh alias --shell" }] };
      const script = parseShell(expansion);
      const first = script.pipelines[0]?.commands[0];
      const words = first?.kind === "simple" ? first.words.map((w) => w.value ?? unknownArg(w.raw, true)) : [unknownArg(expansion, true)];
      return { forms: [], runs: [["gh", ...words]] };
    }
    if ((command === "extension" || command === "ext" || command === "extensions") && sub === "exec") {
      return { forms: [], unreadable: "gh extension exec runs an extension, which may run anything" };
    }
    if (isKnown(command) && !GH_COMMANDS.has(command)) {
      // An alias or an extension: what it runs is in a file the guard does not read.
      return { forms: [], unreadable: `gh has no command "${command}"; an alias or extension may run anything` };
    }
    // `gh repo rename` is the PATCH of the repository that `gh repo edit` makes; `unarchive` the
    // mutation the archive tripwire stops (as the GraphQL reading says).
    if (command === "repo" && sub === "rename") return { forms: [["gh", "repo", "edit", ...args.slice(2)]] };
    if (command === "repo" && sub === "unarchive") return { forms: [["gh", "repo", "archive", ...args.slice(2)]] };
    return { forms: [["gh", ...args]] };
  },
};
