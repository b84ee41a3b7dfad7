// An attacker's pass on the gateway: what a program inside the agent container would try to get a
// tripwire's request, a push, a publish or a model call past it, or the real key back out. Each row
// is a raw request inside a tunnel (so nothing a client library would tidy up is tidied), with the
// upstream's own record checked: a refusal is a request the upstream never saw.
import { request as httpRequest, type RequestListener } from "node:http";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { execa } from "execa";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, brotliCompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHostsFile, type HostsMap } from "../../src/gateway/hosts-file.js";
import { parseHostPattern, type HostPattern } from "../../src/profile/host.js";
import type { Profile } from "../../src/profile/types.js";
import { recorder, tlsFront } from "./fakes.js";
import { makeTestCa } from "./test-ca.js";
import { curl, PLACEHOLDER, SECRETS, startWorld, type World } from "./harness.js";

let world: World;
let gw: Awaited<ReturnType<World["start"]>>;

beforeAll(async () => {
  world = await startWorld();
  gw = await world.start();
}, 120_000);
afterAll(async () => world?.close());

/** Every reply raw() got: none may hold a secret (checked at the end). */
const replies: string[] = [];

/** Raw bytes inside a terminated tunnel to `host`; the whole reply text (the gateway or upstream closes). */
function raw(g: { port: number; bundleFile: string }, host: string, bytes: string | Buffer, servername = host, until?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connect = httpRequest({ host: "127.0.0.1", port: g.port, method: "CONNECT", path: `${host}:443` });
    connect.once("error", reject);
    connect.once("connect", (res, socket) => {
      if (res.statusCode !== 200) return resolve(`CONNECT ${res.statusCode}`);
      const tls = tlsConnect({ socket, servername, ca: readFileSync(g.bundleFile, "utf8") });
      let seen = "";
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        tls.destroy();
        replies.push(seen);
        resolve(seen);
      };
      const timer = setTimeout(done, 3000);
      tls.on("data", (c: Buffer) => {
        seen += c.toString("latin1");
        if (until !== undefined && seen.includes(until)) done();
      });
      tls.once("end", done);
      tls.once("close", done);
      tls.once("error", (e) => {
        seen += `\nTLS-ERROR ${(e as NodeJS.ErrnoException).code ?? e.message}`;
        done();
      });
      tls.write(bytes);
    });
    connect.end();
  });
}

const statusOf = (reply: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
const ghHead = "Host: api.github.com\r\nAuthorization: Bearer placeholder\r\nConnection: close\r\n";
const gh = (method: string, path: string, extra = "", body = "") =>
  `${method} ${path} HTTP/1.1\r\n${ghHead}${extra}${body === "" ? "" : `Content-Length: ${Buffer.byteLength(body)}\r\n`}\r\n${body}`;

describe("framing and method tricks on api.github.com", () => {
  const rows: [string, string][] = [
    ["Content-Length and Transfer-Encoding both", `POST /repos/octo/app/issues HTTP/1.1\r\n${ghHead}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nDELETE /repos/octo/app HTTP/1.1\r\n${ghHead}\r\n`],
    ["two Content-Length values", `POST /repos/octo/app/issues HTTP/1.1\r\n${ghHead}Content-Length: 0\r\nContent-Length: 40\r\n\r\nDELETE /repos/octo/app HTTP/1.1\r\n\r\n`],
    ["a Transfer-Encoding other than chunked last", `POST /repos/octo/app/issues HTTP/1.1\r\n${ghHead}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`],
    ["an obs-fold continuation line", `DELETE /repos/octo/app HTTP/1.1\r\nHost: api.github.com\r\nX-Note: a\r\n b\r\nConnection: close\r\n\r\n`],
    ["a lower-case method", gh("delete", "/repos/octo/app")],
    ["a method with a trailing space in the line", gh("DELETE ", "/repos/octo/app")],
    ["a delete pipelined after a benign read", gh("GET", "/repos/octo/app").replace("Connection: close\r\n", "") + gh("DELETE", "/repos/octo/app")],
    ["X-HTTP-Method: DELETE", gh("POST", "/repos/octo/app", "X-HTTP-Method: DELETE\r\n")],
    ["X-Method-Override: delete (lower case)", gh("POST", "/repos/octo/app", "X-Method-Override: delete\r\n")],
    ["a percent-encoded slash between owner and repository", gh("DELETE", "/repos/octo%2Fapp")],
    ["%2e%2e segments", gh("DELETE", "/repos/x/%2e%2e/octo/app")],
    ["a backslash for a slash", gh("DELETE", "/repos\\octo\\app")],
    ["an absolute-form URL naming the tunnel's host with a trailing dot", gh("DELETE", "https://API.github.com./repos/octo/app")],
    ["an absolute-form URL naming another host", gh("GET", "https://api.anthropic.com/v1/models")],
    ["a Host header with the tunnel's name and another port", gh("DELETE", "/repos/octo/app").replace("Host: api.github.com", "Host: api.github.com:8443")],
    ["GraphQL: GET with the mutation in ?query=", gh("GET", `/graphql?query=${encodeURIComponent("mutation { deleteRepository(input: {}) { clientMutationId } }")}`)],
    ["GraphQL: GET with the mutation in a JSON body", gh("GET", "/graphql", "Content-Type: application/json\r\n", JSON.stringify({ query: "mutation { deleteRepository(input: {}) { clientMutationId } }" }))],
    ["GraphQL: POST with the mutation in ?query= and an empty body", gh("POST", `/graphql?query=${encodeURIComponent("mutation{deleteRepository(input:{}){clientMutationId}}")}`)],
    ["GraphQL: operationName names a harmless query beside the mutation", gh("POST", "/graphql", "", JSON.stringify({ operationName: "A", query: "query A { viewer { login } } mutation B { deleteRepository(input: {}) { clientMutationId } }" }))],
    ["GraphQL: a comment and \\u escapes in the JSON", gh("POST", "/graphql", "", '{"query":"# just a read\\n\\u006dutation { deleteRepository(input: {}) { clientMutationId } }"}')],
    ["GraphQL: a persisted-query id without text", gh("POST", "/graphql", "", JSON.stringify({ id: "abc123", extensions: { persistedQuery: { sha256Hash: "abc" } } }))],
    ["GraphQL: application/graphql (no JSON)", gh("POST", "/graphql", "Content-Type: application/graphql\r\n", "mutation { deleteRepository(input: {}) { clientMutationId } }")],
    ["GraphQL: upper-case MUTATION", gh("POST", "/graphql", "", JSON.stringify({ query: "MUTATION { deleteRepository(input: {}) { clientMutationId } }" }))],
    ["GraphQL: the path with a trailing slash and odd case", gh("POST", "/GraphQL/", "", JSON.stringify({ query: "mutation { deleteRepository(input: {}) { clientMutationId } }" }))],
    ["GraphQL: two content-encodings", gh("POST", "/graphql", "Content-Encoding: gzip, gzip\r\n", "x")],
    ["secrets read with HEAD", gh("HEAD", "/repos/octo/app/actions/secrets")],
    ["a CONNECT nested inside the terminated tunnel", `CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\nDELETE /repos/octo/app HTTP/1.1\r\n${ghHead}\r\n`],
  ];
  it.each(rows)("%s: never reaches the upstream as a tripwire's request", async (_name, bytes) => {
    const before = world.github.seen.length;
    const reply = await raw(gw, "api.github.com", bytes);
    const landed = world.github.seen.slice(before);
    // Only the benign read of the pipelined row may land.
    expect(landed.filter((s) => !(s.method === "GET" && s.url === "/repos/octo/app")), reply).toEqual([]);
  });

  it("brotli- and gzip-encoded GraphQL mutations are read and refused", async () => {
    for (const [encoding, pack] of [["br", brotliCompressSync], ["gzip", gzipSync]] as const) {
      const body = pack(Buffer.from(JSON.stringify({ query: "mutation { deleteRepository(input: {}) { clientMutationId } }" })));
      const head = `POST /graphql HTTP/1.1\r\n${ghHead}Content-Encoding: ${encoding}\r\nContent-Length: ${body.length}\r\n\r\n`;
      const reply = await raw(gw, "api.github.com", Buffer.concat([Buffer.from(head), body]));
      expect(statusOf(reply), encoding).toBe(403);
      expect(reply).toContain("tripwire:gh-repo-delete");
    }
  });

  it("benign near-misses pass: a read of a repository named like a route, a query with an upper-case Host", async () => {
    expect(statusOf(await raw(gw, "api.github.com", gh("GET", "/repos/octo/app").replace("Host: api.github.com", "Host: API.GITHUB.COM.")))).toBe(200);
    expect(statusOf(await raw(gw, "api.github.com", gh("POST", "/graphql", "", JSON.stringify({ query: "# mutation { deleteRepository }\nquery { viewer { login } }" }))))).toBe(200);
  });
});

describe("holes found on api.github.com, each with its near-miss", () => {
  const refused = async (bytes: string, rule: string) => {
    const before = world.github.seen.length;
    const reply = await raw(gw, "api.github.com", bytes);
    expect(statusOf(reply), reply).toBe(403);
    expect(reply).toContain(rule);
    expect(world.github.seen.length, "the upstream never saw it").toBe(before);
  };
  const passes = async (bytes: string) => expect(statusOf(await raw(gw, "api.github.com", bytes))).toBe(200);

  it("a method override listed after a harmless one (two headers, or one comma list)", async () => {
    await refused(gh("POST", "/repos/octo/app", "X-HTTP-Method-Override: GET\r\nX-HTTP-Method-Override: DELETE\r\n"), "tripwire:gh-repo-delete");
    await refused(gh("POST", "/repos/octo/app", "X-HTTP-Method-Override: GET, DELETE\r\n"), "tripwire:gh-repo-delete");
    await passes(gh("POST", "/repos/octo/app/issues", "X-HTTP-Method-Override: GET, POST\r\n", "{}"));
  });

  it("Rails' _method override, in the query or in a form body", async () => {
    await refused(gh("POST", "/repos/octo/app?_method=DELETE"), "tripwire:gh-repo-delete");
    await refused(gh("POST", "/repos/octo/app", "Content-Type: application/x-www-form-urlencoded\r\n", "a=1&_method=delete"), "tripwire:gh-repo-delete");
    const multipart = '--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n';
    await refused(gh("POST", "/repos/octo/app", "Content-Type: multipart/form-data; boundary=b\r\n", multipart), "tripwire:gh-repo-delete");
    await passes(gh("POST", "/repos/octo/app/issues", "Content-Type: application/x-www-form-urlencoded\r\n", "title=_method"));
  });

  it("an invalid escape in one segment does not leave the others undecoded", async () => {
    // A server that decodes what it can and resolves ".." reads /repos/octo/app/actions/secrets.
    await refused(gh("GET", "/repos/octo/app/actions/%73ecrets/x%zz/.."), "tripwire:gh-secret");
    await passes(gh("GET", "/repos/octo/app/x%zz/.."));
  });

  it("a GraphQL endpoint spelled with a format suffix or ;parameters is read too", async () => {
    const body = JSON.stringify({ query: "mutation { deleteRepository(input: {}) { clientMutationId } }" });
    for (const path of ["/graphql.json", "/graphql;v=4"]) await refused(gh("POST", path, "", body), "tripwire:gh-repo-delete");
    await passes(gh("GET", "/repos/octo/graphql-tools"));
  });

  it("a second Host header naming another host (fronting past the Host check)", async () => {
    await refused(gh("GET", "/repos/octo/app", "Host: evil.test\r\n"), "host-mismatch");
    await passes(gh("GET", "/repos/octo/app", "Host: api.github.com\r\n"));
  });
});

describe("GitHub's API ways to write a ref are pushes too ([git] push decides)", () => {
  const json = (method: string, path: string, body: unknown) => gh(method, path, "Content-Type: application/json\r\n", JSON.stringify(body));
  const graphql = (query: string) => json("POST", "/graphql", { query });
  const cases: [string, string, string][] = [
    ["a commit to main through the contents API", json("PUT", "/repos/octo/app/contents/README", { message: "m", content: "eA==", branch: "main" }), "git.push"],
    ["a commit to the default branch (no branch named)", json("PUT", "/repos/octo/app/contents/README", { message: "m", content: "eA==" }), "git.push"],
    ["a branch made outside agent/**", json("POST", "/repos/octo/app/git/refs", { ref: "refs/heads/release", sha: "a".repeat(40) }), "git.push"],
    ["a tag made through the refs API", json("POST", "/repos/octo/app/git/refs", { ref: "refs/tags/v9", sha: "a".repeat(40) }), "git.tags"],
    ["a merge into main", json("POST", "/repos/octo/app/merges", { base: "main", head: "agent/x" }), "git.push"],
    ["a fork synced into main", json("POST", "/repos/octo/app/merge-upstream", { branch: "main" }), "git.push"],
    ["a pull request merged", json("PUT", "/repos/octo/app/pulls/1/merge", { merge_method: "squash" }), "git.push"],
    ["a contents write through a method override", json("POST", "/repos/octo/app/contents/README", { message: "m", content: "eA==", branch: "main" }).replace("Connection: close", "X-HTTP-Method-Override: PUT\r\nConnection: close"), "git.push"],
    ["GraphQL createCommitOnBranch", graphql('mutation { createCommitOnBranch(input: {branch: {branchName: "main", repositoryNameWithOwner: "octo/app"}, expectedHeadOid: "a", message: {headline: "m"}}) { clientMutationId } }'), "git.push"],
    ["GraphQL mergePullRequest", graphql('mutation { mergePullRequest(input: {pullRequestId: "PR_1"}) { clientMutationId } }'), "git.push"],
    ["a release, which makes its tag", json("POST", "/repos/octo/app/releases", { tag_name: "v9", target_commitish: "main" }), "git.tags"],
    ["a release moved to another tag", json("PATCH", "/repos/octo/app/releases/1", { tag_name: "v10" }), "git.tags"],
    ["main renamed", json("POST", "/repos/octo/app/branches/main/rename", { new_name: "old" }), "git.push"],
    ["a pull request's branch updated", json("PUT", "/repos/octo/app/pulls/1/update-branch", {}), "git.push"],
    ["GraphQL updatePullRequestBranch", graphql('mutation { updatePullRequestBranch(input: {pullRequestId: "PR_1"}) { clientMutationId } }'), "git.push"],
    ["branch protection replaced", json("PUT", "/repos/octo/app/branches/main/protection", { required_status_checks: null, enforce_admins: null, required_pull_request_reviews: null, restrictions: null }), "tripwire:gh-repo-edit"],
    ["a ruleset edited", json("PUT", "/repos/octo/app/rulesets/1", { enforcement: "disabled" }), "tripwire:gh-repo-edit"],
    ["GraphQL deleteBranchProtectionRule", graphql('mutation { deleteBranchProtectionRule(input: {branchProtectionRuleId: "BPR_1"}) { clientMutationId } }'), "tripwire:gh-repo-edit"],
    ["a webhook to another URL", json("POST", "/repos/octo/app/hooks", { config: { url: "https://collector.test/" }, events: ["push"] }), "tripwire:gh-repo-edit"],
    ["Actions allowed to approve pull requests", json("PUT", "/repos/octo/app/actions/permissions/workflow", { can_approve_pull_request_reviews: true }), "tripwire:gh-repo-edit"],
    ["an environment's protection replaced", json("PUT", "/repos/octo/app/environments/production", { reviewers: [] }), "tripwire:gh-repo-edit"],
    ["a deploy key with write access added", json("POST", "/repos/octo/app/keys", { key: "ssh-ed25519 AAAA", read_only: false }), "tripwire:gh-auth"],
    ["a collaborator added", json("PUT", "/repos/octo/app/collaborators/someone", { permission: "admin" }), "tripwire:gh-auth"],
    ["GraphQL createRef", graphql('mutation { createRef(input: {repositoryId: "R_1", name: "refs/heads/main", oid: "a"}) { clientMutationId } }'), "git.push"],
  ];
  it.each(cases)("%s is refused", async (_name, bytes, rule) => {
    const before = world.github.seen.length;
    const reply = await raw(gw, "api.github.com", bytes);
    expect(statusOf(reply), reply).toBe(403);
    expect(reply).toContain(rule);
    expect(world.github.seen.length).toBe(before);
  });

  it("near-misses pass: the same writes to an agent branch, a pull request opened, a contents read", async () => {
    for (const bytes of [
      json("PUT", "/repos/octo/app/contents/README", { message: "m", content: "eA==", branch: "agent/x" }),
      json("POST", "/repos/octo/app/git/refs", { ref: "refs/heads/agent/y", sha: "a".repeat(40) }),
      json("POST", "/repos/octo/app/merges", { base: "agent/x", head: "main" }),
      json("POST", "/repos/octo/app/pulls", { title: "t", head: "agent/x", base: "main" }),
      gh("GET", "/repos/octo/app/contents/README"),
      gh("GET", "/repos/octo/app/branches/main/protection"),
      gh("GET", "/repos/octo/app/hooks"),
      json("PATCH", "/repos/octo/app/releases/1", { body: "notes" }),
      graphql('mutation { createPullRequest(input: {repositoryId: "R_1", baseRefName: "main", headRefName: "agent/x", title: "t"}) { clientMutationId } }'),
    ]) {
      const reply = await raw(gw, "api.github.com", bytes);
      expect([200, 201], reply).toContain(statusOf(reply));
    }
  });

  it("control: with every ref allowed, the contents write to main lands", async () => {
    const g = await world.start({ profile: { ...world.profile, git: { ...world.profile.git, push: ["refs/**"] } } });
    expect(statusOf(await raw(g, "api.github.com", json("PUT", "/repos/octo/app/contents/README", { message: "m", content: "eA==", branch: "main" })))).toBe(200);
    expect(world.github.seen.at(-1)).toMatchObject({ method: "PUT", url: "/repos/octo/app/contents/README" });
  });
});

describe("the real key reflected back", () => {
  it("TRACE, which a server answers with the request's own headers, is refused on an inspected host", async () => {
    const echo: RequestListener = (req, res) => {
      if (req.url === "/redirect") return void res.writeHead(302, { location: "https://api.github.com/repos/octo/app" }).end();
      res.writeHead(200, { "content-type": "message/http" }).end(`${req.method} ${req.url}\r\n${JSON.stringify(req.headers)}`);
    };
    const front = await tlsFront(world.ca, echo);
    try {
      const g = await world.start({ hosts: parseHostsFile(`${front.address} api.anthropic.com\n${world.hostsText}`, "hosts") });
      const req = (method: string) => `${method} /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nx-api-key: ${PLACEHOLDER}\r\nConnection: close\r\n\r\n`;
      const trace = await raw(g, "api.anthropic.com", req("TRACE"));
      expect(statusOf(trace), trace).toBe(403);
      expect(trace).not.toContain(SECRETS.GW_TEST_ANTHROPIC);
      // Near-miss: OPTIONS goes on. This upstream echoes every request, so its reply holds the key:
      // an allowed host that echoes is a leak no proxy can stop (the real model APIs do not).
      const options = await raw(g, "api.anthropic.com", req("OPTIONS"));
      expect(statusOf(options)).toBe(200);
      expect(replies.pop()).toContain(SECRETS.GW_TEST_ANTHROPIC);
      // A redirect to another host is the client's to follow: the gateway follows none, so the next
      // host gets what the client sends (the placeholder), never the key the gateway put in.
      const followed = await curl(g, g.bundleFile, ["-L", "-H", `x-api-key: ${PLACEHOLDER}`, "https://api.anthropic.com/redirect"]);
      expect(followed.status).toBe(200);
      expect(world.github.seen.at(-1)!.headers["x-api-key"]).toBe(PLACEHOLDER);
    } finally {
      await front.close();
    }
  });
});

describe("git pushes crafted by hand (the real git http-backend behind)", () => {
  const pkt = (s: string) => Buffer.from(`${(Buffer.byteLength(s) + 4).toString(16).padStart(4, "0")}${s}`);
  const git = (cwd: string, ...args: string[]) => execa("git", ["-c", "user.name=a", "-c", "user.email=a@a", ...args], { cwd, env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", HOME: world.dir } });
  const serverRef = async (ref: string) => (await execa("git", ["--git-dir", join(world.gitRoot, "octo/app.git"), "rev-parse", "--verify", "-q", ref], { reject: false })).stdout;

  /** A new commit on top of main and its pack, made beside the server's repository (not through the gateway). */
  async function newCommit(name: string): Promise<{ old: string; id: string; pack: Buffer }> {
    const work = join(world.dir, `craft-${name}`);
    await execa("git", ["clone", "-q", join(world.gitRoot, "octo/app.git"), work]);
    writeFileSync(join(work, `${name}.txt`), `${name}\n`);
    await git(work, "add", ".");
    await git(work, "commit", "-qm", name);
    const old = (await git(work, "rev-parse", "origin/main")).stdout;
    const id = (await git(work, "rev-parse", "HEAD")).stdout;
    const pack = await execa("git", ["pack-objects", "--stdout", "--revs", "-q"], { cwd: work, input: `${id}\n^${old}\n`, encoding: "buffer" });
    return { old, id, pack: pack.stdout as unknown as Buffer };
  }
  const push = (body: Buffer) =>
    raw(gw, "github.com", Buffer.concat([Buffer.from(`POST /octo/app.git/git-receive-pack HTTP/1.1\r\nHost: github.com\r\nContent-Type: application/x-git-receive-pack-request\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));

  it("object ids in upper case (git reads hex in either case) are read, and main is refused", async () => {
    const { old, id, pack } = await newCommit("upper");
    const before = await serverRef("refs/heads/main");
    const reply = await push(Buffer.concat([pkt(`${old.toUpperCase()} ${id.toUpperCase()} refs/heads/main\0report-status\n`), Buffer.from("0000"), pack]));
    expect(statusOf(reply), reply).toBe(403);
    expect(reply).toContain("git.push");
    expect(await serverRef("refs/heads/main")).toBe(before);
    // Near-miss: the same crafted push to an agent branch lands, so git did take the upper-case ids.
    const ok = await push(Buffer.concat([pkt(`${"0".repeat(40)} ${id.toUpperCase()} refs/heads/agent/upper\0report-status\n`), Buffer.from("0000"), pack]));
    expect(statusOf(ok), ok).toBe(200);
    expect(await serverRef("refs/heads/agent/upper")).toBe(id);
  });

  it("a push certificate with two commands in one pkt-line is read line by line", async () => {
    const { old, id, pack } = await newCommit("cert");
    const before = await serverRef("refs/heads/main");
    const cert = [
      pkt("push-cert\0report-status\n"),
      pkt("certificate version 0.1\n"),
      pkt("pusher a <a@a> 1700000000 +0000\n"),
      pkt("\n"),
      pkt(`${"0".repeat(40)} ${id} refs/heads/agent/cert\n${old} ${id} refs/heads/main\n`),
      pkt("push-cert-end\n"),
    ];
    const reply = await push(Buffer.concat([...cert, Buffer.from("0000"), pack]));
    expect(statusOf(reply), reply).toBe(403);
    expect(reply).toContain("git.push");
    expect(await serverRef("refs/heads/main")).toBe(before);
  });

  it("a push under another path spelling is read by its content type", async () => {
    const { old, id, pack } = await newCommit("path");
    const body = Buffer.concat([pkt(`${old} ${id} refs/heads/main\0report-status\n`), Buffer.from("0000"), pack]);
    const reply = await raw(gw, "github.com", Buffer.concat([Buffer.from(`POST /octo/app.git/git-receive-pack;x HTTP/1.1\r\nHost: github.com\r\nContent-Type: application/x-git-receive-pack-request\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
    expect(statusOf(reply), reply).toBe(403);
    expect(reply).toContain("git.push");
  });

  it("a delete of main after the command list's flush is pack data to git, not a command: nothing of it lands", async () => {
    const { id, pack } = await newCommit("after");
    const before = await serverRef("refs/heads/main");
    await push(Buffer.concat([pkt(`${"0".repeat(40)} ${id} refs/heads/agent/after\0report-status\n`), Buffer.from("0000"), pkt(`${before} ${"0".repeat(40)} refs/heads/main\n`), Buffer.from("0000"), pack]));
    expect(await serverRef("refs/heads/main")).toBe(before);
  });

  it("a ref name with '..' or one outside refs/ is refused by the gateway itself, whatever the server would do", async () => {
    const { id, pack } = await newCommit("dots");
    for (const ref of ["refs/heads/agent/../main", "refs/heads/agent//x", "HEAD"]) {
      const reply = await push(Buffer.concat([pkt(`${"0".repeat(40)} ${id} ${ref}\0report-status\n`), Buffer.from("0000"), pack]));
      expect(statusOf(reply), ref).toBe(403);
    }
  });
});

describe("registry publish endpoints, in every form their servers route", () => {
  let g: Awaited<ReturnType<World["start"]>>;
  let close = async () => {};
  const registry = recorder();
  beforeAll(async () => {
    const ca = await makeTestCa(["rubygems.org", "crates.io"]);
    const front = await tlsFront(ca, async (req, res) => {
      await registry.read(req);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    close = front.close;
    const allow = [...world.profile.network!.allow, ...["rubygems.org", "crates.io"].map((h) => parseHostPattern(h) as HostPattern)];
    profile = { ...world.profile, network: { ...world.profile.network!, allow } };
    upstreams = { hosts: parseHostsFile(`${front.address} rubygems.org crates.io\n${world.hostsText}`, "hosts"), upstreamCa: `${ca.caPem}\n${world.ca.caPem}` };
    g = await world.start({ ...upstreams, profile });
  });
  afterAll(async () => close());
  let profile: Profile;
  let upstreams: { hosts: HostsMap; upstreamCa: string };
  const req = (host: string, method: string, path: string, extra = "", body = "") =>
    `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}${body === "" ? "" : `Content-Length: ${Buffer.byteLength(body)}\r\n`}\r\n${body}`;
  const form = "Content-Type: application/x-www-form-urlencoded\r\n";

  const refused: [string, string, string, string?, string?][] = [
    ["rubygems.org", "POST", "/api/v1/gems.json"],
    ["rubygems.org", "POST", "/api/v1/gems.yaml"],
    ["rubygems.org", "DELETE", "/api/v1/gems/yank.json"],
    ["rubygems.org", "POST", "/api/v1/gems/yank", form, "gem_name=app&version=1.0.0&_method=DELETE"],
    ["rubygems.org", "POST", "/api/v1/gems/", "X-HTTP-Method-Override: GET\r\n"],
    ["crates.io", "PUT", "/api/v1/crates/new/"],
    ["crates.io", "DELETE", "/api/v1/crates/app/1.0.0/yank"],
    ["registry.npmjs.org", "PUT", "/-/package/left-pad-fake/dist-tags/latest"],
    ["registry.npmjs.org", "PUT", "/left-pad-fake/-rev/3-abc"],
    ["registry.npmjs.org", "DELETE", "/@octo%2fapp/-rev/1-abc"],
    ["registry.npmjs.org", "POST", "/left-pad-fake", "X-HTTP-Method-Override: PUT\r\n"],
    // npm access / token create / org / team: the package's settings and the account's keys.
    ["registry.npmjs.org", "POST", "/-/package/left-pad-fake/access", "", '{"access":"public"}'],
    ["registry.npmjs.org", "POST", "/-/package/@octo%2fapp/collaborators", "", '{"user":"x"}'],
    ["registry.npmjs.org", "POST", "/-/npm/v1/tokens", "", '{"password":"x"}'],
    ["registry.npmjs.org", "POST", "/-/org/octo/user", "", '{"user":"x"}'],
    ["registry.npmjs.org", "POST", "/-/team/octo/devs/user", "", '{"user":"x"}'],
  ];
  it.each(refused)("%s %s %s is refused", async (host, method, path, extra, body) => {
    const before = registry.seen.length + world.npm.seen.length;
    const reply = await raw(g, host, req(host, method, path, extra, body));
    expect(statusOf(reply), reply).toBe(403);
    expect(reply).toContain("tripwire:registry-publish");
    expect(registry.seen.length + world.npm.seen.length).toBe(before);
  });

  it("npm audit's POST lands (its advisories endpoint is no write); control: without the new wire forms, a token create lands", async () => {
    const audit = await raw(g, "registry.npmjs.org", req("registry.npmjs.org", "POST", "/-/npm/v1/security/advisories/bulk", "", "{}"));
    expect(statusOf(audit), audit).not.toBe(403);
    const open = await world.start({ ...upstreams, profile: { ...profile, tripwires: profile.tripwires.map((t) => ({ ...t, wire: t.wire.filter((w) => !w.text.startsWith("POST registry.npmjs.org/-/")) })) } });
    const before = world.npm.seen.length;
    expect(statusOf(await raw(open, "registry.npmjs.org", req("registry.npmjs.org", "POST", "/-/npm/v1/tokens", "", '{"password":"x"}')))).not.toBe(403);
    expect(world.npm.seen.length).toBe(before + 1);
  });

  it("near-misses land: a gem's JSON read, a form POST without _method; control: without the wire forms, gems.json lands", async () => {
    expect(statusOf(await raw(g, "rubygems.org", req("rubygems.org", "GET", "/api/v1/gems/app.json")))).toBe(200);
    expect(statusOf(await raw(g, "rubygems.org", req("rubygems.org", "POST", "/api/v1/gems/app/owners", form, "email=a@a")))).toBe(200);
    const open = await world.start({ ...upstreams, profile: { ...profile, tripwires: profile.tripwires.map((t) => ({ ...t, wire: t.wire.filter((w) => !w.text.endsWith(".*")) })) } });
    expect(statusOf(await raw(open, "rubygems.org", req("rubygems.org", "POST", "/api/v1/gems.json")))).toBe(200);
    expect(registry.seen.at(-1)).toMatchObject({ method: "POST", url: "/api/v1/gems.json" });
  });
});

describe("the model budget", () => {
  const tight = () => ({ ...world.profile, limits: { ...world.profile.limits, tokens: 14 } });
  const model = (path: string, body = "{}") => `POST ${path} HTTP/1.1\r\nHost: api.anthropic.com\r\nx-api-key: ${PLACEHOLDER}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  const spend = async (g: { port: number; bundleFile: string }) => expect(statusOf(await raw(g, "api.anthropic.com", model("/v1/messages", JSON.stringify({ model: "sonnet-4", stream: true, messages: [{ role: "user", content: "hi" }] }))))).toBe(200);

  it("past the stop, every other way to call a model on a model API host is refused too", async () => {
    const g = await world.start({ profile: tight() });
    await spend(g);
    const before = world.model.requests.length;
    for (const path of ["/v1/complete", "/v1/messages/batches", "/v1/completions", "/v1/embeddings", "/v1/responses/compact", "/v1beta/tunedModels/t1:generateContent", "/v1beta/models/pro:batchGenerateContent", "/v1/threads/t/runs"]) {
      const reply = await raw(g, "api.anthropic.com", model(path));
      expect(statusOf(reply), path).toBe(400);
      expect(reply, path).toContain("limits.stop_percent");
    }
    expect(world.model.requests.length).toBe(before);
    // Near-misses: what costs nothing still passes (token counts, the model list).
    expect(statusOf(await raw(g, "api.anthropic.com", model("/v1/messages/count_tokens", JSON.stringify({ model: "sonnet-4", messages: [{ role: "user", content: "hi" }] }))))).toBe(200);
    expect(statusOf(await raw(g, "api.anthropic.com", "GET /v1/models HTTP/1.1\r\nHost: api.anthropic.com\r\nConnection: close\r\n\r\n"))).not.toBe(400);
  });

  it("a burst of calls started together past the warn threshold cannot all pass the stop", async () => {
    // Each call of the fake model is 15 tokens; warn at 70 of 100, stop at 100.
    const g = await world.start({ profile: { ...world.profile, limits: { ...world.profile.limits, tokens: 100, warnPercent: 70, stopPercent: 100 } } });
    const burst = (n: number) => Promise.all(Array.from({ length: n }, () => raw(g, "api.anthropic.com", model("/v1/messages", JSON.stringify({ model: "sonnet-4", stream: true, messages: [{ role: "user", content: "hi" }] }))).then(statusOf)));
    // Control: below the warn threshold a burst runs as it came, every call answered.
    expect(await burst(4)).toEqual([200, 200, 200, 200]);
    await spend(g);
    expect(g.totals()).toMatchObject({ input: 50, output: 25, warned: true, stopped: false });
    const statuses = await burst(6);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 400)).toHaveLength(4);
    expect(g.totals()).toMatchObject({ input: 70, output: 35, stopped: true, refused: 4 });
  });

  it("a model API host without a credential (a key the agent brought) is read and metered too", async () => {
    const g = await world.start({ profile: { ...tight(), credentials: tight().credentials.filter((c) => c.host !== "api.anthropic.com") } });
    await spend(g);
    expect(world.model.requests.at(-1)!.headers["x-api-key"]).toBe(PLACEHOLDER);
    expect(statusOf(await raw(g, "api.anthropic.com", model("/v1/messages")))).toBe(400);
  });

  /** A front for api.anthropic.com that answers every POST with `reply` (SSE), the end `endAfterMs` later. */
  async function scripted(reply: string, endAfterMs = 0) {
    const front = await tlsFront(world.ca, (req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(reply);
      setTimeout(() => res.end(), endAfterMs);
    });
    return { front, hosts: parseHostsFile(`${front.address} api.anthropic.com\n${world.hostsText}`, "hosts") };
  }
  const chunk = (text: string) => `data: ${JSON.stringify({ object: "chat.completion.chunk", model: "gpt-x", choices: [{ delta: { content: text } }] })}\n\n`;
  const untilLogged = async (g: { logLines(): Record<string, unknown>[] }) => {
    for (let i = 0; i < 100 && !g.logLines().some((l) => l.usage !== undefined); i++) await new Promise((r) => setTimeout(r, 10));
    return g.logLines().find((l) => l.usage !== undefined)!;
  };

  it("a streamed reply that reports no usage (chat completions without include_usage) is counted from its bytes", async () => {
    const { front, hosts } = await scripted(`${chunk("a".repeat(200))}${chunk("b".repeat(200))}data: [DONE]\n\n`);
    try {
      const g = await world.start({ profile: tight(), hosts });
      expect(statusOf(await raw(g, "api.anthropic.com", model("/v1/chat/completions", JSON.stringify({ model: "gpt-x", stream: true, messages: [{ role: "user", content: "x".repeat(400) }] }))))).toBe(200);
      const line = await untilLogged(g);
      expect(line.usage).toMatchObject({ estimated: true });
      expect(g.totals().input).toBeGreaterThan(50);
      expect(g.totals().output).toBeGreaterThan(50);
      expect(statusOf(await raw(g, "api.anthropic.com", model("/v1/chat/completions")))).toBe(400);
    } finally {
      await front.close();
    }
  });

  it("a client that hangs up after the text but before the final usage event is counted from the bytes it got", async () => {
    const start = `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { model: "sonnet-4", usage: { input_tokens: 3, output_tokens: 1 } } })}\n\n`;
    const deltas = Array.from({ length: 20 }, () => `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", delta: { type: "text_delta", text: "word ".repeat(20) } })}\n\n`).join("");
    const { front, hosts } = await scripted(`${start}${deltas}event: last-text\n\n`, 500);
    try {
      const g = await world.start({ profile: { ...world.profile, limits: { ...world.profile.limits, tokens: 500 } }, hosts });
      await raw(g, "api.anthropic.com", model("/v1/messages", '{"stream":true}'), "api.anthropic.com", "last-text");
      const line = await untilLogged(g);
      expect(line).toMatchObject({ usage: { estimated: true }, detail: expect.stringContaining("client closed") });
      expect(g.totals().output).toBeGreaterThan(100);
    } finally {
      await front.close();
    }
  });

  it("control: a reply whose final event reports usage is counted as reported, not estimated", async () => {
    const final = `event: message_delta\ndata: ${JSON.stringify({ type: "message_delta", usage: { output_tokens: 7 } })}\n\n`;
    const { front, hosts } = await scripted(`event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { model: "sonnet-4", usage: { input_tokens: 3, output_tokens: 1 } } })}\n\n${chunk("a".repeat(400))}${final}`);
    try {
      const g = await world.start({ hosts });
      expect(statusOf(await raw(g, "api.anthropic.com", model("/v1/messages", '{"stream":true}')))).toBe(200);
      const line = await untilLogged(g);
      expect(line.usage).toEqual({ model: expect.any(String), input: 3, cachedInput: 0, output: 7, usd: expect.any(Number) });
    } finally {
      await front.close();
    }
  });
});

describe("a tunnel carries only its own host", () => {
  it("a CONNECT name outside DNS's letters is a bad request, before any lookup", async () => {
    for (const authority of ["a%00.tunnel.test:443", "a@tunnel.test:443", "tunnel.test:0"]) {
      const reply = await new Promise<string>((resolve) => {
        const s = netConnect(gw.port, "127.0.0.1", () => s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
        let seen = "";
        s.on("data", (c: Buffer) => (seen += c));
        s.once("close", () => resolve(seen));
      });
      expect(reply, authority).toContain("bad-request");
    }
  });

  /** CONNECT tunnel.test:443, then TLS naming `servername` ("": no SNI); resolves with what happened. */
  const tlsIn = (servername: string) =>
    new Promise<string>((resolve) => {
      const connect = httpRequest({ host: "127.0.0.1", port: gw.port, method: "CONNECT", path: "tunnel.test:443" });
      connect.once("connect", (_res, socket) => {
        const tls = tlsConnect({ socket, servername, ca: world.ca.caPem, checkServerIdentity: () => undefined });
        tls.once("secureConnect", () => {
          tls.end("GET /sni HTTP/1.1\r\nHost: tunnel.test\r\nConnection: close\r\n\r\n");
          let seen = "";
          tls.on("data", (c: Buffer) => (seen += c));
          tls.once("close", () => resolve(seen));
        });
        tls.once("error", (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      });
      connect.end();
    });

  it("a TLS session naming another site inside a tunnel to an allowed host is cut, and logged", async () => {
    const before = world.tunnelSeen.length;
    expect(await tlsIn("upload.pypi.org")).toMatch(/^error/);
    expect(world.tunnelSeen.length).toBe(before);
    for (let i = 0; i < 50 && !gw.logLines().some((l) => l.rule === "tunnel.sni"); i++) await new Promise((r) => setTimeout(r, 10));
    expect(gw.logLines().find((l) => l.rule === "tunnel.sni")).toMatchObject({ host: "tunnel.test", decision: "deny", detail: expect.stringContaining("upload.pypi.org") });
  });

  it("near-misses pass: the host's own name (any case, a trailing dot), and no name at all", async () => {
    for (const name of ["tunnel.test", "TUNNEL.test."]) expect(await tlsIn(name)).toContain("tunnelled");
    expect(await tlsIn("")).toContain("tunnelled");
  });
});

describe("after every attack above", () => {
  it("no reply and no gateway log of this file holds a secret or its Basic form", () => {
    expect(replies.length).toBeGreaterThan(50);
    for (const reply of replies) for (const secret of Object.values(SECRETS)) expect(reply, reply.slice(0, 600)).not.toContain(secret);
    const logs = readdirSync(world.dir).filter((f) => /^gateway-\d+\.log$/.test(f));
    expect(logs.length).toBeGreaterThan(5);
    const text = logs.map((f) => readFileSync(join(world.dir, f), "utf8")).join("");
    for (const secret of [...Object.values(SECRETS), Buffer.from(`x-access-token:${SECRETS.GW_TEST_GH}`).toString("base64")]) expect(text).not.toContain(secret);
  });
});
