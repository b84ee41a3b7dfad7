// The checks on one request that the gateway can read: the tripwires' wire forms, the GraphQL
// mutations, git ref updates and GitHub's API ref writes. Each returns a Refusal or undefined; none sees a header value.
import { nameMatches } from "../profile/host.js";
import { githubApiHostFor, REF_MUTATIONS, refOfBody, type RefWrite } from "./github-refs.js";
import { httpWireHit, METHOD_OVERRIDE_HEADERS, overrideMethods } from "../profile/wire-match.js";
import type { GatewayPolicy } from "./policy.js";
import { isZeroId, type RefUpdate } from "./receive-pack.js";
import type { Refusal } from "./refusal.js";

/**
 * Methods a server might act on: the request's own, any override header, and Rails' `_method` in
 * the query (Rack's MethodOverride reads the form body too: formMethodOverrides). Each value of a
 * comma list or a repeated header counts: servers differ on which one they take.
 */
export function effectiveMethods(method: string, headers: Record<string, string | string[] | undefined>, target = "/", formValues: readonly string[] = []): string[] {
  const methods = new Set([method.toUpperCase()]);
  const add = (v: string) => {
    for (const m of overrideMethods(v)) methods.add(m);
  };
  for (const name of METHOD_OVERRIDE_HEADERS) {
    const value = headers[name];
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) add(v);
  }
  const q = target.indexOf("?");
  if (q >= 0) for (const v of new URLSearchParams(target.slice(q + 1)).getAll("_method")) add(v);
  for (const v of formValues) add(v);
  return [...methods];
}

/** A POST whose body is a form: Rack's MethodOverride takes `_method` from it (GitHub and RubyGems are Rails). */
export const isFormPost = (method: string | undefined, contentType: string | undefined) =>
  method === "POST" && /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType ?? "");

/** The `_method` values of a form body, urlencoded or multipart. */
export function formMethodOverrides(contentType: string, body: Buffer): string[] {
  const text = body.toString("latin1");
  if (/^\s*application\/x-www-form-urlencoded/i.test(contentType)) return new URLSearchParams(text).getAll("_method");
  return [...text.matchAll(/name="?_method"?[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([^\r\n]*)/gi)].map((m) => m[1]!);
}

/** Whether any HTTP wire rule names this host (so a form body may need reading for `_method`). */
export const hasHttpWire = (policy: GatewayPolicy, host: string) => policy.wire.some((w) => w.rule.kind === "http" && nameMatches(w.rule.host, host));

export function httpWireRefusal(policy: GatewayPolicy, host: string, methods: readonly string[], path: string): Refusal | undefined {
  const hit = httpWireHit(policy.wire, host, methods, path);
  return hit && { rule: `tripwire:${hit.tripwire}`, message: `${hit.reason} (wire form "${hit.rule.text}")` };
}

export function graphqlFieldsFor(policy: GatewayPolicy, host: string): Map<string, { tripwire: string; reason: string; text: string }> {
  const fields = new Map<string, { tripwire: string; reason: string; text: string }>();
  for (const w of policy.wire) {
    if (w.rule.kind === "graphql" && nameMatches(w.rule.host, host) && !fields.has(w.rule.field)) {
      fields.set(w.rule.field, { tripwire: w.tripwire, reason: w.reason, text: w.rule.text });
    }
  }
  return fields;
}

export function graphqlRefusal(policy: GatewayPolicy, host: string, mutations: readonly string[] | Error): Refusal | undefined {
  if (mutations instanceof Error) return { rule: "graphql.unreadable", message: `${mutations.message}; a request that cannot be checked is refused` };
  const fields = graphqlFieldsFor(policy, host);
  for (const name of mutations) {
    const hit = fields.get(name);
    if (hit) return { rule: `tripwire:${hit.tripwire}`, message: `${hit.reason} (wire form "${hit.text}")` };
  }
  return undefined;
}

export function refUpdateRefusal(policy: GatewayPolicy, updates: readonly RefUpdate[]): Refusal | undefined {
  for (const u of updates) {
    // git's own check-ref-format, the parts a glob would let through ("agent/../main", "agent//x").
    if (!u.ref.startsWith("refs/") || /\.\.|\/\/|\/\.|@\{|[\x00-\x20~^:?*[\\\x7f]|\.lock$|[/.]$/.test(u.ref)) {
      return { rule: "git.refname", message: `${JSON.stringify(u.ref)} is not a ref name git would take` };
    }
    if (isZeroId(u.newId)) return { rule: "git.deletions", message: `deleting ${u.ref} is refused; the agent never deletes a remote ref` };
    if (u.ref.startsWith("refs/tags/")) return { rule: "git.tags", message: `pushing the tag ${u.ref} is refused; tags are cut by people` };
    if (!policy.pushRefs.some((r) => r.match(u.ref))) {
      return { rule: "git.push", message: `pushing ${u.ref} is refused; the agent may push only ${policy.pushRefs.map((r) => r.glob).join(", ")}` };
    }
  }
  return undefined;
}

/** The git host in [git] hosts whose API this host is: its ref writes are pushes too (github-refs.ts). */
const gitHostOfApi = (policy: GatewayPolicy, host: string) => policy.gitHosts.find((h) => !h.subdomains && githubApiHostFor(h.name) === host)?.name;

export const isGitApiHost = (policy: GatewayPolicy, host: string) => gitHostOfApi(policy, host) !== undefined;

/**
 * A smart-HTTP push's path: any path ending in `/git-receive-pack` (a server may route a `.x` or `;x`
 * suffix too), the repository's path before it, if any.
 */
const RECEIVE_PACK_PATH = /^(?:\/(.+?))?(?:\.git)?\/git-receive-pack(?:[.;][^/]*)?$/;

/** A push by its path, or by its content type (a server that routes it by another path spelling). */
export const isReceivePack = (path: string, contentType: string | undefined) =>
  RECEIVE_PACK_PATH.test(path) || /^\s*application\/x-git-receive-pack-request/i.test(contentType ?? "");

const pushOnly = (policy: GatewayPolicy, what: string): Refusal => ({
  rule: "git.push",
  message: `${what} is refused; the agent writes refs only by git push, to ${policy.pushRefs.map((r) => r.glob).join(", ")}`,
});

/** A GraphQL mutation that writes a ref it names only indirectly. */
export function refMutationRefusal(policy: GatewayPolicy, mutations: readonly string[]): Refusal | undefined {
  const hit = mutations.find((m) => REF_MUTATIONS.has(m));
  return hit === undefined ? undefined : pushOnly(policy, REF_MUTATIONS.get(hit)!);
}

/** A REST ref write: refused outright, or its body's ref checked as a pushed ref would be. */
export function refWriteRefusal(policy: GatewayPolicy, write: RefWrite, body?: Buffer): Refusal | undefined {
  if (write.kind === "refuse") return pushOnly(policy, write.what);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body?.toString("utf8") ?? "");
  } catch {
    return { rule: "git.unreadable", message: `${write.what} whose body is not JSON cannot be checked` };
  }
  const ref = refOfBody(write, parsed);
  if (ref === undefined) return write.optional ? undefined : pushOnly(policy, `${write.what} to the default branch (no "${write.field}")`);
  return refUpdateRefusal(policy, [{ oldId: "", newId: "f".repeat(40), ref }]);
}

/**
 * The repository a request writes: a smart-HTTP push's path (`/owner/name(.git)/git-receive-pack`),
 * or a REST ref write's `/repos/owner/name/...` on a git host's API, as `githost/owner/name` in
 * lower case. Undefined when the request does not name one (a push routed by its content type).
 */
export function writtenRepository(policy: GatewayPolicy, host: string, path: string, kind: "push" | "api"): string | undefined {
  if (kind === "push") {
    const repository = RECEIVE_PACK_PATH.exec(path)?.[1];
    return repository === undefined ? undefined : `${host}/${repository}`.toLowerCase();
  }
  const gitHost = gitHostOfApi(policy, host);
  const m = /^\/repos\/([^/]+)\/([^/]+)\//.exec(path);
  return gitHost !== undefined && m ? `${gitHost}/${m[1]}/${m[2]}`.toLowerCase() : undefined;
}

/** With the run's repositories given (`--git-repo`), a write to any other is refused: the token may reach more. */
export function repositoryRefusal(repositories: readonly string[] | undefined, repository: string | undefined, what: string): Refusal | undefined {
  if (repositories === undefined || (repository !== undefined && repositories.includes(repository))) return undefined;
  return {
    rule: "git.repository",
    message: `${what} ${repository ?? "a repository the request does not name"} is refused; this run writes only to ${repositories.join(", ")}`,
  };
}

