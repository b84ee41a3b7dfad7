// The gateway's parts on their own: usage shapes of the three model APIs, receive-pack heads,
// path normalisation, and the profile sections' errors (file, line, key; nothing started).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { agentEnvironment } from "../../src/gateway/agent-env.js";
import { repositoryRefusal, writtenRepository } from "../../src/gateway/checks.js";
import { compilePolicy } from "../../src/gateway/policy.js";
import { clientHelloName } from "../../src/gateway/client-hello.js";
import { compileGlob, normalPath } from "../../src/profile/glob.js";
import { ReceivePackHead } from "../../src/gateway/receive-pack.js";
import { Budget, modelApiOf, UsageReader } from "../../src/gateway/usage.js";
import { loadProfile } from "../../src/profile/load.js";
import { tempDir } from "../unit/helpers.js";
import { TEST_PROFILE } from "./harness.js";

const feed = (streamed: boolean, text: string) => {
  const r = new UsageReader(streamed);
  for (let i = 0; i < text.length; i += 7) r.feed(Buffer.from(text.slice(i, i + 7)));
  return r.result();
};

describe("usage of the model APIs", () => {
  it("reads Anthropic Messages, streamed and not (cache counted as input)", () => {
    const sse = [
      'event: message_start\ndata: {"type":"message_start","message":{"model":"sonnet-4","usage":{"input_tokens":10,"cache_read_input_tokens":90,"output_tokens":1}}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":42}}\n\n',
    ].join("");
    expect(feed(true, sse)).toEqual({ model: "sonnet-4", input: 100, cachedInput: 90, output: 42 });
    expect(feed(false, '{"model":"haiku-4","usage":{"input_tokens":3,"output_tokens":4}}')).toEqual({ model: "haiku-4", input: 3, cachedInput: 0, output: 4 });
  });

  it("reads OpenAI Responses (response.completed) and Chat Completions", () => {
    const sse = 'data: {"type":"response.created","response":{"model":"gpt-5"}}\n\ndata: {"type":"response.completed","response":{"model":"gpt-5","usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":20},"output_tokens":7}}}\n\n';
    expect(feed(true, sse)).toEqual({ model: "gpt-5", input: 50, cachedInput: 20, output: 7 });
    expect(feed(false, '{"model":"gpt-4.1","usage":{"prompt_tokens":5,"completion_tokens":6}}')).toMatchObject({ input: 5, output: 6 });
  });

  it("reads Gemini generateContent: SSE chunks, and a JSON array of chunks", () => {
    const sse = 'data: {"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":2}}\r\n\r\ndata: {"modelVersion":"pro-2.5","usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":5,"thoughtsTokenCount":3}}\r\n\r\n';
    expect(feed(true, sse)).toEqual({ model: "pro-2.5", input: 8, cachedInput: 0, output: 8 });
    expect(feed(false, '[{"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1}},{"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":4}}]')).toMatchObject({ input: 1, output: 4 });
  });

  it("knows the model calls by path, and only POSTs", () => {
    expect(modelApiOf("POST", "/v1/messages")).toBe("anthropic-messages");
    expect(modelApiOf("POST", "/v1/messages/count_tokens")).toBeUndefined();
    expect(modelApiOf("POST", "/v1/responses")).toBe("openai-responses");
    expect(modelApiOf("POST", normalPath("/v1beta/models/pro-2.5:streamGenerateContent?alt=sse"))).toBe("google-generate-content");
    expect(modelApiOf("GET", "/v1/models")).toBeUndefined();
    expect(modelApiOf("POST", normalPath("/v1beta/tunedModels/t1:generateContent"))).toBe("google-generate-content");
    // On a model API host every other POST is a model call for the budget, but a token count.
    expect(modelApiOf("POST", "/v1/complete", "api.anthropic.com")).toBe("other");
    expect(modelApiOf("POST", "/v1/messages/count_tokens", "api.anthropic.com")).toBeUndefined();
    expect(modelApiOf("POST", "/v1/complete", "api.github.com")).toBeUndefined();
  });

  it("prices from the table; an unlisted model at the dearest prices; warn then stop", () => {
    const b = new Budget({ usd: 1, warnPercent: 70, stopPercent: 100, prices: [{ model: "cheap-*", price: { input: 1, output: 1, cachedInput: 1 } }, { model: "dear-*", price: { input: 10, output: 20, cachedInput: 5 } }] });
    expect(b.add({ model: "cheap-1", input: 100_000, cachedInput: 0, output: 0 })).toEqual({ usd: 0.1, crossed: [] });
    expect(b.priceOf("unknown").price).toEqual({ input: 10, output: 20, cachedInput: 5 });
    expect(b.add({ model: "cheap-1", input: 600_000, cachedInput: 0, output: 0 }).crossed).toEqual(["warn"]);
    expect(b.refusal()).toBeUndefined();
    expect(b.add({ model: "unknown", input: 0, cachedInput: 0, output: 20_000 }).crossed).toEqual(["stop"]);
    expect(b.refusal()).toMatch(/budget is spent/);
  });
});

describe("receive-pack command list", () => {
  const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, "0")}${s}`;
  const zero = "0".repeat(40);
  const a = "a".repeat(40);

  it("reads every update before the flush, capabilities and push certificates included", () => {
    const body = pkt(`${zero} ${a} refs/heads/agent/x\0report-status side-band-64k\n`) + pkt(`${a} ${zero} refs/heads/main\n`) + "0000PACK....";
    const head = new ReceivePackHead();
    let r = head.feed(Buffer.from(body.slice(0, 30)));
    expect(r.done).toBe(false);
    r = head.feed(Buffer.from(body.slice(30)));
    expect(r).toEqual({ done: true, updates: [{ oldId: zero, newId: a, ref: "refs/heads/agent/x" }, { oldId: a, newId: zero, ref: "refs/heads/main" }] });
    const cert = pkt("push-cert\0report-status\n") + pkt("certificate version 0.1\n") + pkt(`${a} ${a} refs/heads/main\n`) + pkt("push-cert-end\n") + "0000";
    expect(new ReceivePackHead().feed(Buffer.from(cert))).toMatchObject({ done: true, updates: [{ ref: "refs/heads/main" }] });
    expect(new ReceivePackHead().feed(Buffer.from("zzzz"))).toMatchObject({ done: true, error: expect.any(String) });
  });

  it("ref globs: * stays in one segment, ** crosses them", () => {
    const m = compileGlob("refs/heads/agent/**");
    expect(m("refs/heads/agent/a/b")).toBe(true);
    expect(m("refs/heads/main")).toBe(false);
    expect(compileGlob("refs/heads/agent-*")("refs/heads/agent-x/y")).toBe(false);
  });
});

describe("profile sections", () => {
  const write = (extra: string) => {
    const dir = tempDir("gw-profile-");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "p.toml"), TEST_PROFILE + extra);
    return () => loadProfile("p", { profilesDir: dir });
  };

  it("the built-in autonomous and ci profiles carry the gateway sections", () => {
    const ci = loadProfile("ci");
    expect(ci.network?.allow.map((h) => h.text)).toContain("api.anthropic.com");
    expect(ci.credentials.map((c) => c.name)).toEqual(expect.arrayContaining(["anthropic", "openai", "gemini", "github-api", "github-git"]));
    expect(ci.git.push).toEqual(["refs/heads/agent/**"]);
    expect(ci.limits).toMatchObject({ usd: 5, warnPercent: 70, stopPercent: 100 });
    expect(loadProfile("autonomous").limits.usd).toBe(20);
    expect(loadProfile("interactive").network).toBeUndefined();
    expect(ci.tripwires.find((t) => t.id === "gh-repo-delete")!.wire.map((w) => w.text)).toContain("DELETE api.github.com/repos/*/*");
  });

  it("a credential for a host the agent cannot reach is an error naming file, line and key", () => {
    expect(write('\n[credentials.stray]\nhost = "elsewhere.test"\nheader = "x-key"\nenv = "X"\n')).toThrow(/p\.toml:\d+ credentials\.stray\.host: "elsewhere\.test" is not in network\.allow/);
  });

  it("bad hosts, tags in [git], bad thresholds are errors", () => {
    expect(() => write("")()).not.toThrow();
    const bad = (extra: string) => write(extra);
    expect(bad('\n[credentials.x]\nhost = "api.github.com"\nheader = "x-key"\nenv = "X"\nfile = "/f"\n')).toThrow(/exactly one of `env` and `file`/);
    const dir = tempDir("gw-profile-");
    writeFileSync(join(dir, "q.toml"), TEST_PROFILE.replace('push = ["refs/heads/agent/**"]', 'push = ["refs/tags/*"]'));
    expect(() => loadProfile("q", { profilesDir: dir })).toThrow(/q\.toml:\d+ git\.push\[0\]: "refs\/tags\/\*": tags are always refused/);
    writeFileSync(join(dir, "r.toml"), TEST_PROFILE.replace('"tunnel.test"]', '"Tunnel.Test"]'));
    expect(() => loadProfile("r", { profilesDir: dir })).toThrow(/r\.toml:\d+ network\.allow\[4\]/);
    writeFileSync(join(dir, "s.toml"), TEST_PROFILE.replace("tokens = 1000000", "tokens = 10\nwarn_percent = 120"));
    expect(() => loadProfile("s", { profilesDir: dir })).toThrow(/warn_percent \(120\) is above stop_percent/);
  });

  it("a bad wire form in a tripwires file is an error at its key", () => {
    const dir = tempDir("gw-profile-");
    writeFileSync(join(dir, "p.toml"), TEST_PROFILE);
    writeFileSync(join(dir, "tripwires.toml"), '[[tripwire]]\nid = "x"\nreason = "r"\ncommands = ["foo"]\nblocks = ["foo"]\nwire = ["delete api.github.com/x"]\n');
    expect(() => loadProfile("p", { profilesDir: dir })).toThrow(/tripwires\.toml:\d+ tripwire\[0\]\.wire\[0\]/);
  });

  it("the agent's environment has placeholders and the CA bundle, never a secret", () => {
    const env = agentEnvironment(loadProfile("ci"), "http://gateway:3128", "/run/perimeter/ca-bundle.pem");
    expect(env).toMatchObject({ HTTPS_PROXY: "http://gateway:3128", SSL_CERT_FILE: "/run/perimeter/ca-bundle.pem", NODE_EXTRA_CA_CERTS: "/run/perimeter/ca-bundle.pem", GIT_SSL_CAINFO: "/run/perimeter/ca-bundle.pem", ANTHROPIC_API_KEY: "perimeter-placeholder-anthropic" });
    expect(Object.values(env).join(" ")).not.toMatch(/sk-|ghp_|AIza/);
  });
});

describe("the server name of a ClientHello", () => {
  /** The first flight of Node's own TLS client naming `servername`, caught on a loopback socket. */
  const hello = (servername: string) =>
    new Promise<Buffer>((resolve) => {
      const server = createServer((s) =>
        s.once("data", (b: Buffer) => {
          resolve(b);
          s.destroy();
          server.close();
        }),
      );
      server.listen(0, "127.0.0.1", () => tlsConnect({ host: "127.0.0.1", port: (server.address() as { port: number }).port, servername }).on("error", () => {}));
    });

  it("reads it whole, waits for more when cut, and across two records", async () => {
    const b = await hello("api.github.com");
    expect(clientHelloName(b)).toEqual({ tls: true, name: "api.github.com" });
    expect(clientHelloName(b.subarray(0, 40))).toEqual({ need: true });
    // The same handshake in two records, as a client may fragment it.
    const hs = b.subarray(5);
    const rec = (part: Buffer) => Buffer.concat([Buffer.from([0x16, 3, 1, part.length >> 8, part.length & 255]), part]);
    expect(clientHelloName(Buffer.concat([rec(hs.subarray(0, 50)), rec(hs.subarray(50))]))).toEqual({ tls: true, name: "api.github.com" });
    expect(clientHelloName(await hello(""))).toEqual({ tls: true });
    expect(clientHelloName(Buffer.from("SSH-2.0-OpenSSH\r\n"))).toEqual({ tls: false });
  });
});

describe("the repository a write names (--git-repo)", () => {
  const policy = compilePolicy(loadProfile("autonomous"), () => undefined);
  it.each([
    ["push", "github.com", "/octo/app.git/git-receive-pack", "github.com/octo/app"],
    ["push", "github.com", normalPath("/OCTO/App/git-receive-pack"), "github.com/octo/app"],
    ["push", "github.com", normalPath("/octo//app.git/./git-receive-pack"), "github.com/octo/app"],
    ["api", "api.github.com", "/repos/octo/other/contents/x", "github.com/octo/other"],
    ["push", "github.com", "/weird-path", undefined],
    ["api", "api.example.com", "/repos/octo/app/git/refs", undefined],
  ] as const)("%s %s%s is %s", (kind, host, path, expected) => {
    expect(writtenRepository(policy, host, path, kind)).toBe(expected);
  });

  it("refuses any other repository, and one the request does not name; nothing without --git-repo", () => {
    expect(repositoryRefusal(["github.com/octo/app"], "github.com/octo/app", "pushing to")).toBeUndefined();
    expect(repositoryRefusal(["github.com/octo/app"], "github.com/octo/other", "pushing to")?.rule).toBe("git.repository");
    expect(repositoryRefusal(["github.com/octo/app"], undefined, "pushing to")?.rule).toBe("git.repository");
    expect(repositoryRefusal(undefined, "github.com/octo/other", "pushing to")).toBeUndefined();
  });
});
