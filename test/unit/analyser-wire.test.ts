// One tripwire definition at two depths: every wire form the tripwires give for GitHub's API,
// spelled as the `gh api` call that sends it, is denied by the guard hook. It names the tripwire of
// the command gh's grammar reads the call as (`gh api -X DELETE .../git/refs/...` is gh-api-delete's
// example) or, where the grammar names none, the one the gateway names for the same request. Each
// with expectDenied's control (that tripwire removed), and a control that the wire forms, not gh's
// grammar, stop the calls the grammar does not know.
import { describe, expect, it } from "vitest";
import { analyse, type GuardPolicy } from "../../src/guard/analyse.js";
import { normalPath } from "../../src/profile/glob.js";
import { httpWireHit } from "../../src/profile/wire-match.js";
import { expectDenied, expectNoOpinion, policy } from "./analyser-helpers.js";

const API = "api.github.com";
const entries = policy.tripwires.flatMap((tripwire) => tripwire.wire.map((rule) => ({ tripwire, rule })));
/** The tripwire the gateway refuses this request with. */
const onTheWire = (methods: readonly string[] | "any", path: string) => httpWireHit(entries, API, methods, normalPath(path))?.tripwire.id;
/** A path the glob matches: each "**" two segments, each "*" one. */
const sample = (glob: string) => glob.replace(/\*\*/g, "x/y").replace(/\*/g, "x");

const httpForms = entries.flatMap(({ rule }) => (rule.kind === "http" && rule.host.name === API ? [rule] : []));
const graphqlForms = entries.flatMap(({ rule }) => (rule.kind === "graphql" && rule.host.name === API ? [rule] : []));
const mutation = (field: string) => `gh api graphql -f query='mutation { ${field}(input: {}) { clientMutationId } }'`;
const withoutWire: GuardPolicy = { tripwires: policy.tripwires.map((t) => ({ ...t, wire: [] })) };
/** The tripwire gh's grammar alone names, if any. */
const byGrammar = (command: string) => {
  const verdict = analyse(command, withoutWire);
  return verdict.decision === "deny" ? verdict.tripwire?.id : undefined;
};

describe("every GitHub wire form, as the gh api call that sends it", () => {
  it("the tripwires give wire forms for GitHub's API (the tables below are not empty)", () => {
    expect(httpForms.length).toBeGreaterThan(20);
    expect(graphqlForms.length).toBeGreaterThan(5);
  });

  it.each(httpForms.map((rule) => [rule.text, rule.method === "*" ? "GET" : rule.method, sample(rule.path)] as const))("%s", (_text, method, path) => {
    const command = `gh api -X ${method} ${path.slice(1)}`;
    expectDenied(command, byGrammar(command) ?? onTheWire([method], path)!);
  });

  it.each(graphqlForms.map((rule) => [rule.text, rule.field] as const))("%s", (_text, field) => {
    const expected = entries.find((e) => e.rule.kind === "graphql" && e.rule.field === field)!.tripwire.id;
    expectDenied(mutation(field), byGrammar(mutation(field)) ?? expected);
  });
});

describe("gh api spellings the wire reading sees through", () => {
  it.each([
    ["a method override header", "gh api repos/o/r -H 'X-HTTP-Method-Override: DELETE'", "gh-repo-delete"],
    ["an override in a comma list", "gh api repos/o/r/branches/main/protection -H 'X-HTTP-Method-Override: GET, PUT'", "gh-repo-edit"],
    ["the endpoint as a full URL", "gh api https://api.github.com/repos/o/r/hooks -f url=https://x.example", "gh-repo-edit"],
    ["--hostname github.com", "gh api --hostname github.com -X PUT repos/o/r/actions/permissions -F enabled=false", "gh-repo-edit"],
    ["a leading slash and a trailing one", "gh api -X PUT /repos/o/r/branches/main/protection/ --input rules.json", "gh-repo-edit"],
    ["a doubled slash", "gh api -X POST repos//o/r/rulesets --input r.json", "gh-repo-edit"],
    ["a percent-escape", "gh api -X PUT repos/o/r/environments/%70rod", "gh-repo-edit"],
    ["--input implies POST", "gh api repos/o/r/hooks --input hook.json", "gh-repo-edit"],
  ])("%s: %j", (_c, command, tripwire) => expectDenied(command, tripwire));

  it.each([
    ["a method in a variable", 'gh api -X "$M" repos/o/r/branches/main/protection'],
    ["a header in a variable", 'gh api repos/o/r/branches/main/protection -H "$H"'],
  ])("%s is read as any method: %j", (_c, command) => {
    expect(analyse(command, policy).decision).toBe("deny");
  });

  it.each([
    "gh api repos/o/r/branches/main/protection",
    "gh api repos/o/r/hooks",
    "gh api repos/o/r/actions/permissions",
    "gh api -H 'Accept: application/vnd.github+json' repos/o/r/rulesets",
    `gh api graphql -f query='query { repository(owner: "o", name: "r") { name } }'`,
  ])("a read must run: %j", expectNoOpinion);
});

describe("control: the wire forms are what stop the calls gh's grammar does not name", () => {
  it.each([
    "gh api -X PUT repos/o/r/branches/main/protection --input rules.json",
    "gh api repos/o/r/hooks -f url=https://x.example",
    "gh api -X PUT repos/o/r/actions/permissions -F enabled=false",
    "gh api repos/o/r/rulesets --input r.json",
    mutation("createBranchProtectionRule"),
  ])("%j: denied with the wire forms, not without", (command) => {
    expect(analyse(command, policy).decision).toBe("deny");
    expect(analyse(command, withoutWire).decision).toBe("none");
  });
});
