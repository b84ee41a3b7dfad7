// Which wire form of the tripwires a request meets, read one way wherever it is checked: by the
// gateway on the wire, and by the guard on a `gh api` call it reads before the call is sent. The
// most specific form wins, so both name the same tripwire (a ref delete is
// git-delete-remote-branch, not gh-api-delete).
import { compileGlob, type Matcher } from "./glob.js";
import { nameMatches } from "./host.js";
import type { WireRule } from "./wire.js";

type HttpRule = Extract<WireRule, { kind: "http" }>;

/** A wire form and whatever names it (the gateway's compiled entry, the guard's tripwire). */
export interface WireEntry {
  rule: WireRule;
}

/** Headers a server may take the method from instead of the request line's. */
export const METHOD_OVERRIDE_HEADERS: readonly string[] = ["x-http-method-override", "x-http-method", "x-method-override"];

/** The methods one override value names: each of a comma list, upper case (servers differ on which they take). */
export const overrideMethods = (value: string): string[] =>
  value
    .split(",")
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== "");

const pathMatchers = new WeakMap<HttpRule, Matcher>();

function pathMatcher(rule: HttpRule): Matcher {
  let matcher = pathMatchers.get(rule);
  if (matcher === undefined) pathMatchers.set(rule, (matcher = compileGlob(rule.path, true)));
  return matcher;
}

const specificity = (rule: HttpRule) => rule.path.replace(/\*/g, "").length + (rule.method === "*" ? 0 : 1);

/**
 * The most specific HTTP wire form a request meets. `methods` holds every method a server might act
 * on (overrides included), or "any" when the caller cannot know it (a variable); `path` is in
 * normalPath form (glob.ts).
 */
export function httpWireHit<E extends WireEntry>(entries: readonly E[], host: string, methods: readonly string[] | "any", path: string): E | undefined {
  let best: { entry: E; rule: HttpRule } | undefined;
  for (const entry of entries) {
    const rule = entry.rule;
    if (rule.kind !== "http" || !nameMatches(rule.host, host)) continue;
    const methodMet = methods === "any" || rule.method === "*" || methods.includes(rule.method);
    if (methodMet && pathMatcher(rule)(path) && (best === undefined || specificity(rule) > specificity(best.rule))) best = { entry, rule };
  }
  return best?.entry;
}

/** The first GraphQL wire form one of the mutation fields meets. */
export function graphqlWireHit<E extends WireEntry>(entries: readonly E[], host: string, fields: readonly string[]): E | undefined {
  for (const field of fields) {
    const hit = entries.find((e) => e.rule.kind === "graphql" && e.rule.field === field && nameMatches(e.rule.host, host));
    if (hit !== undefined) return hit;
  }
  return undefined;
}
