// perimeter gateway on loopback: allowlist, tunnelling, TLS interception with the run's CA,
// credential injection into the one named header, the tripwires' wire forms, git ref updates and
// the JSON-lines log. Each refusal has a control: the same request with the rule removed lands.
import { execa } from "execa";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Profile } from "../../src/profile/types.js";
import { BIG_BODY, curl, PLACEHOLDER, SECRETS, startWorld, type World } from "./harness.js";

let world: World;
let gw: Awaited<ReturnType<World["start"]>>;

beforeAll(async () => {
  world = await startWorld();
  gw = await world.start();
}, 120_000);
afterAll(async () => world?.close());

const via = (args: string[]) => curl(gw, gw.bundleFile, args);
const anthropicCall = (extra: string[] = []) =>
  via([
    "-X", "POST", "https://api.anthropic.com/v1/messages?key=" + PLACEHOLDER,
    "-H", `x-api-key: ${PLACEHOLDER}`, "-H", `x-other: ${PLACEHOLDER}`, "-H", "content-type: application/json",
    "-d", JSON.stringify({ model: "sonnet-4", max_tokens: 10, messages: [{ role: "user", content: `echo ${PLACEHOLDER}` }] }),
    ...extra,
  ]);

describe("network allowlist", () => {
  it("refuses a host outside [network] with a 403 naming the rule, and logs it", async () => {
    const r = await via(["https://denied.test/"]);
    expect(r.body).toMatch(/403|network\.allow/);
    const direct = await execa("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-p", "-x", `http://127.0.0.1:${gw.port}`, "https://denied.test/"], { reject: false });
    expect(direct.stderr + direct.stdout).toMatch(/403/);
    const plain = await via(["http://denied.test/x"]);
    expect(plain.status).toBe(403);
    expect(plain.body).toContain("network.allow");
    expect(plain.body).toContain("denied.test:80");
    expect(gw.logLines().some((l) => l.host === "denied.test" && l.decision === "deny" && l.rule === "network.allow")).toBe(true);
  });

  it("an allowed port is part of the rule: github.com:8443 is refused", async () => {
    const r = await via(["https://github.com:8443/"]);
    expect(r.status).not.toBe(200);
    expect(gw.logLines().some((l) => l.host === "github.com" && l.port === 8443 && l.decision === "deny")).toBe(true);
  });

  it("tunnels an allowed host without rules: the client sees the upstream's own certificate", async () => {
    const trustUpstream = join(world.dir, "upstream-ca.pem");
    require("node:fs").writeFileSync(trustUpstream, world.ca.caPem);
    const r = await curl(gw, trustUpstream, ["-H", `x-api-key: ${PLACEHOLDER}`, "https://tunnel.test/hello"]);
    expect(r).toMatchObject({ status: 200, body: "tunnelled" });
    // Not terminated: the run's CA does not verify it, and no credential was added.
    expect((await via(["https://tunnel.test/hello"])).status).toBe(0);
    expect(world.tunnelSeen.at(-1)).toBe(`GET /hello ${PLACEHOLDER}`);
    expect(gw.logLines().some((l) => l.host === "tunnel.test" && l.decision === "tunnel")).toBe(true);
  });

  it("a tunnelled download arrives whole to a slow client (the tunnel's read buffers are reused only once written)", async () => {
    const trustUpstream = join(world.dir, "upstream-ca.pem");
    require("node:fs").writeFileSync(trustUpstream, world.ca.caPem);
    const out = join(world.dir, "big.bin");
    // 12 MB at 6 MB/s: the client's queue fills, the upstream is paused and resumed many times.
    const r = await execa("curl", ["-sS", "--max-time", "30", "--limit-rate", "6M", "--proxy", `http://127.0.0.1:${gw.port}`, "--cacert", trustUpstream, "-o", out, "https://tunnel.test/big"], { reject: false, env: { NO_PROXY: "" } });
    expect(r.stderr).toBe("");
    const got = readFileSync(out);
    expect(got.length).toBe(BIG_BODY.length);
    expect(createHash("sha256").update(got).digest("hex")).toBe(createHash("sha256").update(BIG_BODY).digest("hex"));
  });
});

describe("TLS interception and credentials", () => {
  it("the CA folder holds certificates only: the key is nowhere on disk", () => {
    const dir = join(gw.caFile, "..");
    expect(readdirSync(dir).sort()).toEqual(["ca-bundle.pem", "ca.pem"]);
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f), "utf8")).not.toMatch(/PRIVATE KEY/);
    expect(readFileSync(gw.caFile, "utf8").match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(readFileSync(gw.bundleFile, "utf8")).toContain(readFileSync(gw.caFile, "utf8").trim());
  });

  it("the real key reaches the model API in x-api-key only; placeholders elsewhere stay as they are", async () => {
    const before = world.model.requests.length;
    const r = await anthropicCall();
    expect(r.status).toBe(200);
    const seen = world.model.requests.at(-1)!;
    expect(world.model.requests.length).toBe(before + 1);
    expect(seen.headers["x-api-key"]).toBe(SECRETS.GW_TEST_ANTHROPIC);
    expect(seen.headers["x-other"]).toBe(PLACEHOLDER);
    expect(seen.path).toContain(`key=${PLACEHOLDER}`);
    expect(JSON.stringify(seen.body)).toContain(PLACEHOLDER);
    expect(JSON.stringify(seen.body)).not.toContain(SECRETS.GW_TEST_ANTHROPIC);
  });

  it("a second x-api-key header or odd casing cannot carry the placeholder through", async () => {
    await anthropicCall(["-H", `X-Api-Key: ${PLACEHOLDER}-2`]);
    expect(world.model.requests.at(-1)!.headers["x-api-key"]).toBe(SECRETS.GW_TEST_ANTHROPIC);
  });

  it("the credential goes to its own host only: api.github.com gets its token, not the model key", async () => {
    const r = await via(["-H", `x-api-key: ${PLACEHOLDER}`, "https://api.github.com/repos/octo/app"]);
    expect(r.status).toBe(200);
    const seen = world.github.seen.at(-1)!;
    expect(seen.headers.authorization).toBe(`Bearer ${SECRETS.GW_TEST_GH}`);
    expect(seen.headers["x-api-key"]).toBe(PLACEHOLDER);
  });

  it("control: without the credential the upstream sees the placeholder", async () => {
    const api = world.profile.network!.allow.find((h) => h.name === "api.anthropic.com")!;
    const bare: Profile = { ...world.profile, credentials: [], network: { ...world.profile.network!, inspect: [api] } };
    const g = await world.start({ profile: bare });
    await curl(g, g.bundleFile, ["-X", "POST", "-H", `x-api-key: ${PLACEHOLDER}`, "-d", "{}", "https://api.anthropic.com/v1/messages"]);
    expect(world.model.requests.at(-1)!.headers["x-api-key"]).toBe(PLACEHOLDER);
  });

  it("a Host header naming another host inside the tunnel is refused (no domain fronting)", async () => {
    const r = await via(["-H", "Host: api.github.com", "https://api.anthropic.com/v1/messages"]);
    expect(r.status).toBe(403);
    expect(r.body).toContain("host-mismatch");
  });

  it("no secret and no key ever reaches the log", async () => {
    const text = gw.logText();
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(`x-access-token:${SECRETS.GW_TEST_GH}`).toString("base64"));
    expect(text).not.toMatch(/PRIVATE KEY/);
    // Query values are dropped from logged paths: only the names stay.
    expect(text).toContain('"path":"/v1/messages?key="');
    expect(text).not.toContain(`key=${PLACEHOLDER}`);
  });

  it("every line is JSON with time, host, method, path, decision", () => {
    const lines = gw.logLines().filter((l) => l.event === "request");
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) {
      expect(typeof l.time).toBe("string");
      expect(l.decision).toMatch(/^(allow|deny|tunnel|error)$/);
    }
    const model = lines.find((l) => l.host === "api.anthropic.com" && l.decision === "allow")!;
    expect(model).toMatchObject({ method: "POST", status: 200, rule: "credentials.anthropic" });
    expect((model.usage as { input: number }).input).toBeGreaterThan(0);
  });
});

describe("GitHub wire forms of the tripwires", () => {
  const denied = async (args: string[], rule = "tripwire:gh-repo-delete") => {
    const before = world.github.seen.length;
    const r = await via(args);
    expect(r.status, args.join(" ")).toBe(403);
    expect(r.body).toContain(rule);
    expect(world.github.seen.length, "the upstream never saw it").toBe(before);
  };

  it("refuses a repository delete, however the path is spelled", async () => {
    for (const path of ["/repos/octo/app", "/repos/octo/app/", "/REPOS/octo/app", "/repos//octo/app", "/repos/octo/%61pp", "/repos/x/../octo/app"]) {
      await denied(["-X", "DELETE", "--path-as-is", `https://api.github.com${path}`]);
    }
    await denied(["-X", "POST", "-H", "X-HTTP-Method-Override: DELETE", "https://api.github.com/repos/octo/app"]);
  });

  it("refuses secrets, variables, visibility edits, release and ref deletes", async () => {
    await denied(["https://api.github.com/repos/octo/app/actions/secrets"], "tripwire:gh-secret");
    await denied(["-X", "PUT", "-d", "{}", "https://api.github.com/orgs/octo/actions/secrets/TOKEN"], "tripwire:gh-secret");
    await denied(["-X", "POST", "-d", "{}", "https://api.github.com/repos/octo/app/actions/variables"], "tripwire:gh-variable");
    await denied(["-X", "PATCH", "-d", '{"private":false}', "https://api.github.com/repos/octo/app"], "tripwire:gh-repo-edit");
    await denied(["-X", "DELETE", "https://api.github.com/repos/octo/app/releases/1"], "tripwire:gh-release-delete");
    await denied(["-X", "PATCH", "-d", '{"sha":"0","force":true}', "https://api.github.com/repos/octo/app/git/refs/heads/main"], "tripwire:git-force-push");
    await denied(["-X", "DELETE", "https://api.github.com/repos/octo/app/git/refs/heads/main"], "tripwire:git-delete-remote-branch");
  });

  const graphql = (query: string, extra: string[] = []) => ["-X", "POST", "-H", "content-type: application/json", "--data-binary", JSON.stringify({ query }), ...extra, "https://api.github.com/graphql"];

  it("refuses GraphQL mutations by name: plain, aliased, in a fragment, batched, gzipped", async () => {
    await denied(graphql('mutation { deleteRepository(input: {repositoryId: "R_1"}) { clientMutationId } }'));
    await denied(graphql('mutation M { harmless: deleteRepository(input: {repositoryId: "R_1"}) { clientMutationId } }'));
    await denied(graphql('mutation { ...F } fragment F on Mutation { deleteRepository(input: {}) { clientMutationId } }'));
    await denied(graphql("mutation { archiveRepository(input: {}) { clientMutationId } }"), "tripwire:gh-repo-archive");
    await denied(["-X", "POST", "--data-binary", JSON.stringify([{ query: "{ viewer { login } }" }, { query: "mutation { updateRef(input: {}) { clientMutationId } }" }]), "https://api.github.com/graphql"], "tripwire:git-force-push");
    const gz = join(world.dir, "mutation.gz");
    require("node:fs").writeFileSync(gz, gzipSync(JSON.stringify({ query: "mutation { deleteRepository(input: {}) { clientMutationId } }" })));
    await denied(["-X", "POST", "-H", "content-encoding: gzip", "--data-binary", `@${gz}`, "https://api.github.com/graphql"]);
    await denied(["-X", "POST", "--data-binary", "not json", "https://api.github.com/graphql"], "graphql.unreadable");
  });

  it("a benign read and a benign query pass, with the token", async () => {
    expect((await via(["https://api.github.com/repos/octo/app"])).status).toBe(200);
    expect((await via(graphql("query { viewer { login } }"))).status).toBe(200);
    expect((await via(graphql("mutation { addComment(input: {}) { clientMutationId } }"))).status).toBe(200);
    expect(world.github.seen.at(-1)!.headers.authorization).toBe(`Bearer ${SECRETS.GW_TEST_GH}`);
  });

  it("control: with the wire forms removed, the same delete lands", async () => {
    const open: Profile = { ...world.profile, tripwires: world.profile.tripwires.map((t) => ({ ...t, wire: [] })) };
    const g = await world.start({ profile: open });
    const r = await curl(g, g.bundleFile, ["-X", "DELETE", "https://api.github.com/repos/octo/app"]);
    expect(r.status).toBe(204);
    expect(world.github.seen.at(-1)).toMatchObject({ method: "DELETE", url: "/repos/octo/app" });
  });
});

describe("ways around the gateway, kept as tests", () => {
  it("an allowed host's address instead of its name is not allowed", async () => {
    const r = await via(["-X", "DELETE", "https://127.0.0.1/repos/octo/app"]);
    expect(r.status).not.toBe(204);
    expect(gw.logLines().some((l) => l.host === "127.0.0.1" && l.rule === "network.allow")).toBe(true);
  });

  it("a gzipped push naming main is read and refused; a WebSocket upgrade on an inspected host is refused", async () => {
    const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, "0")}${s}`;
    const body = gzipSync(Buffer.from(pkt(`${"a".repeat(40)} ${"b".repeat(40)} refs/heads/main\0report-status\n`) + "0000PACK"));
    const file = join(world.dir, "push.gz");
    require("node:fs").writeFileSync(file, body);
    const before = world.git.seen.length;
    const r = await via(["-X", "POST", "-H", "content-type: application/x-git-receive-pack-request", "-H", "content-encoding: gzip", "--data-binary", `@${file}`, "https://github.com/octo/app.git/git-receive-pack"]);
    expect(r.status).toBe(403);
    expect(r.body).toContain("git.push");
    expect(world.git.seen.length).toBe(before);
    const ws = await via(["-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "https://api.anthropic.com/v1/messages"]);
    expect(ws.status).toBe(403);
    expect(ws.body).toContain("upgrade");
  });
});

describe("registry publish", () => {
  it("refuses npm's publish (PUT) and unpublish (DELETE); a read passes", async () => {
    const before = world.npm.seen.length;
    expect((await via(["-X", "PUT", "-d", "{}", "https://registry.npmjs.org/left-pad-fake"])).body).toContain("tripwire:registry-publish");
    expect((await via(["-X", "PUT", "-d", "{}", "https://registry.npmjs.org/@octo%2fapp"])).status).toBe(403);
    expect((await via(["-X", "DELETE", "https://registry.npmjs.org/left-pad-fake/-rev/1"])).status).toBe(403);
    expect(world.npm.seen.length).toBe(before);
    expect((await via(["https://registry.npmjs.org/left-pad-fake"])).status).toBe(200);
  });
});
