// Through the gateway with real clients: git pushes (ref updates read from the receive-pack body),
// npm install and publish, the model budget, and the `perimeter gateway` command's contract.
import { execa } from "execa";
import { request as httpRequest } from "node:http";
import { connect as tlsConnect } from "node:tls";
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Profile } from "../../src/profile/types.js";
import { parseHostsFile } from "../../src/gateway/hosts-file.js";
import { tlsFront } from "./fakes.js";
import { curl, PLACEHOLDER, SECRETS, startWorld, type World } from "./harness.js";

let world: World;
let gw: Awaited<ReturnType<World["start"]>>;

beforeAll(async () => {
  world = await startWorld();
  gw = await world.start();
}, 120_000);
afterAll(async () => world?.close());

const clientEnv = (g: { port: number; bundleFile: string }, home: string) => ({
  HOME: home,
  PATH: process.env.PATH!,
  HTTPS_PROXY: `http://127.0.0.1:${g.port}`,
  HTTP_PROXY: `http://127.0.0.1:${g.port}`,
  NO_PROXY: "",
  GIT_SSL_CAINFO: g.bundleFile,
  SSL_CERT_FILE: g.bundleFile,
  NODE_EXTRA_CA_CERTS: g.bundleFile,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_TERMINAL_PROMPT: "0",
});

const serverRef = async (ref: string) =>
  (await execa("git", ["--git-dir", join(world.gitRoot, "octo/app.git"), "rev-parse", "--verify", "-q", ref], { reject: false })).stdout;

async function cloneVia(g: { port: number; bundleFile: string }, name: string) {
  const home = join(world.dir, `home-${name}`);
  mkdirSync(home, { recursive: true });
  const env = clientEnv(g, home);
  const work = join(home, "app");
  await execa("git", ["clone", "https://github.com/octo/app.git", work], { env });
  const git = (...args: string[]) => execa("git", ["-c", "user.name=agent", "-c", "user.email=a@a", ...args], { cwd: work, env, reject: false });
  return { work, env, git };
}

describe("the run's repositories (--git-repo): a token that reaches more repositories pushes to one", () => {
  const otherRef = async (ref: string) =>
    (await execa("git", ["--git-dir", join(world.gitRoot, "octo/other.git"), "rev-parse", "--verify", "-q", ref], { reject: false })).stdout;

  it("a push to another repository the token can write is refused; to the run's own it lands; control: unscoped, it lands", async () => {
    await execa("git", ["init", "-q", "--bare", join(world.gitRoot, "octo/other.git")]);
    await execa("git", ["--git-dir", join(world.gitRoot, "octo/other.git"), "config", "http.receivepack", "true"]);
    const scoped = await world.start({ repositories: ["github.com/octo/app"] });
    const { work, git } = await cloneVia(scoped, "repo-scope");
    writeFileSync(join(work, "x.txt"), "x\n");
    await git("add", ".");
    await git("commit", "-m", "x");
    for (const url of ["https://github.com/octo/other.git", "https://github.com/octo/other.git/"]) {
      const away = await git("push", url, "HEAD:refs/heads/agent/x");
      expect(away.exitCode, url).not.toBe(0);
      expect(away.stderr, url).toMatch(/403/);
    }
    expect(await otherRef("refs/heads/agent/x")).toBe("");
    expect(scoped.logLines().some((l) => l.rule === "git.repository")).toBe(true);
    const home = await git("push", "origin", "HEAD:refs/heads/agent/scoped");
    expect(home.exitCode, home.stderr).toBe(0);
    expect(await serverRef("refs/heads/agent/scoped")).not.toBe("");

    const open = await world.start();
    const env = { ...clientEnv(open, join(world.dir, "home-repo-scope")) };
    const control = await execa("git", ["push", "https://github.com/octo/other.git", "HEAD:refs/heads/agent/x"], { cwd: work, env, reject: false });
    expect(control.exitCode, control.stderr).toBe(0);
    expect(await otherRef("refs/heads/agent/x")).not.toBe("");
  });
});

describe("git pushes through the gateway", () => {
  it("a push to agent/... lands; main, a delete, a tag and a script's force push are refused", async () => {
    const { work, env, git } = await cloneVia(gw, "push");
    writeFileSync(join(work, "change.txt"), "agent work\n");
    await git("add", ".");
    await git("commit", "-m", "agent change");
    const ok = await git("push", "origin", "HEAD:refs/heads/agent/feature");
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(await serverRef("refs/heads/agent/feature")).toBe((await git("rev-parse", "HEAD")).stdout);
    expect(world.git.seen.some((s) => s.headers.authorization === `Basic ${Buffer.from(`x-access-token:${SECRETS.GW_TEST_GH}`).toString("base64")}`)).toBe(true);

    const mainBefore = await serverRef("refs/heads/main");
    const toMain = await git("push", "origin", "HEAD:main");
    expect(toMain.exitCode).not.toBe(0);
    expect(toMain.stderr).toMatch(/403/);
    expect(await serverRef("refs/heads/main")).toBe(mainBefore);

    // The agent writes a release script with a force push in it: no command rule sees inside it.
    writeFileSync(join(work, "release.sh"), "#!/bin/sh\ngit commit --amend -m rewritten -q\ngit push --force origin HEAD:main\n");
    chmodSync(join(work, "release.sh"), 0o755);
    const script = await execa("./release.sh", [], { cwd: work, env: { ...env, GIT_AUTHOR_NAME: "a", GIT_AUTHOR_EMAIL: "a@a", GIT_COMMITTER_NAME: "a", GIT_COMMITTER_EMAIL: "a@a" }, reject: false });
    expect(script.exitCode).not.toBe(0);
    expect(await serverRef("refs/heads/main")).toBe(mainBefore);

    const del = await git("push", "origin", "--delete", "agent/feature");
    expect(del.exitCode).not.toBe(0);
    expect(await serverRef("refs/heads/agent/feature")).not.toBe("");

    await git("tag", "v9");
    const tag = await git("push", "origin", "v9");
    expect(tag.exitCode).not.toBe(0);
    expect(await serverRef("refs/tags/v9")).toBe("");

    const rules = gw.logLines().filter((l) => l.decision === "deny").map((l) => l.rule);
    expect(rules).toEqual(expect.arrayContaining(["git.push", "git.deletions", "git.tags"]));
  });

  it("control: with every ref allowed, the same force push of main lands", async () => {
    const open: Profile = { ...world.profile, git: { ...world.profile.git, push: ["refs/**"] } };
    const g = await world.start({ profile: open });
    const { git } = await cloneVia(g, "control");
    await git("commit", "--allow-empty", "-m", "rewrite");
    const push = await git("push", "--force", "origin", "HEAD:main");
    expect(push.exitCode, push.stderr).toBe(0);
    expect(await serverRef("refs/heads/main")).toBe((await git("rev-parse", "HEAD")).stdout);
  });
});

describe("npm through the gateway", () => {
  it("npm install passes; npm publish is refused at the registry", async () => {
    const home = join(world.dir, "npm-home");
    const project = join(home, "project");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "agent-pkg", version: "1.0.0" }));
    const env = { ...clientEnv(gw, home), npm_config_registry: "https://registry.npmjs.org/", npm_config_cache: join(home, "cache"), npm_config_update_notifier: "false", npm_config_audit: "false", npm_config_fund: "false", npm_config_cafile: gw.bundleFile, npm_config_fetch_retries: "0", npm_config_userconfig: join(home, ".npmrc") };
    const install = await execa("npm", ["install", "left-pad-fake@1.0.0"], { cwd: project, env, reject: false });
    expect(install.exitCode, install.stderr).toBe(0);
    expect(readFileSync(join(project, "node_modules/left-pad-fake/index.js"), "utf8")).toContain("module.exports");
    const before = world.npm.seen.filter((s) => s.method === "PUT").length;
    writeFileSync(join(home, ".npmrc"), "//registry.npmjs.org/:_authToken=placeholder\n");
    const publish = await execa("npm", ["publish"], { cwd: project, env, reject: false });
    expect(publish.exitCode).not.toBe(0);
    expect(publish.stderr, publish.stderr).toMatch(/403/);
    expect(world.npm.seen.filter((s) => s.method === "PUT").length).toBe(before);
  });
});

describe("model budget", () => {
  it("with a budget just below the first reply's usage, the next model call is refused and recorded", async () => {
    const tight: Profile = { ...world.profile, limits: { ...world.profile.limits, tokens: 14 } };
    const g = await world.start({ profile: tight });
    const call = () =>
      curl(g, g.bundleFile, ["-X", "POST", "-H", `x-api-key: ${PLACEHOLDER}`, "-H", "content-type: application/json", "-d", JSON.stringify({ model: "sonnet-4", stream: true, messages: [{ role: "user", content: "hi" }] }), "https://api.anthropic.com/v1/messages"]);
    const first = await call();
    expect(first.status).toBe(200);
    const second = await call();
    // 400: the one status none of the CLIs retries (Codex retries 403).
    expect(second.status).toBe(400);
    expect(second.body).toContain("limits.stop_percent");
    expect(second.body).toMatch(/budget is spent \(15 of 14 tokens/);
    const events = g.logLines().map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(["budget-warn", "budget-stop"]));
    expect(g.totals()).toMatchObject({ calls: 1, input: 10, output: 5, stopped: true });
    expect(JSON.parse(readFileSync(g.usageFile, "utf8"))).toMatchObject({ calls: 1, input: 10, output: 5, percent: (15 / 14) * 100, stopped: true });
    // Not a model call: other requests to the same host still pass.
    expect((await curl(g, g.bundleFile, ["-X", "HEAD", "-I", "https://api.anthropic.com/api/hello"])).status).toBe(200);
  });
});

/** A streamed model reply whose last event carries the usage; the response's end comes `endAfterMs` later. */
const lateEndingModel = (endAfterMs: number) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(`event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { model: "sonnet-4", usage: { input_tokens: 10, output_tokens: 1 } } })}\n\n`);
  res.write(`event: message_delta\ndata: ${JSON.stringify({ type: "message_delta", usage: { output_tokens: 5 } })}\n\n`);
  res.write(`event: message_stop\ndata: {"type":"message_stop"}\n\n`);
  setTimeout(() => res.end(), endAfterMs);
};

/** A model call through the gateway by a client that hangs up as soon as it has read `untilText`. */
function callAndHangUp(g: { port: number; bundleFile: string }, untilText: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connect = httpRequest({ host: "127.0.0.1", port: g.port, method: "CONNECT", path: "api.anthropic.com:443" });
    connect.once("error", reject);
    connect.once("connect", (_res, socket) => {
      const tls = tlsConnect({ socket, servername: "api.anthropic.com", ca: readFileSync(g.bundleFile, "utf8") });
      const body = JSON.stringify({ model: "sonnet-4", stream: true, messages: [{ role: "user", content: "hi" }] });
      let seen = "";
      tls.once("error", reject);
      tls.on("data", (chunk: Buffer) => {
        seen += chunk.toString("utf8");
        if (seen.includes(untilText)) {
          tls.destroy();
          socket.destroy();
          resolve(seen);
        }
      });
      tls.write(`POST /v1/messages HTTP/1.1\r\nhost: api.anthropic.com\r\nx-api-key: ${PLACEHOLDER}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    connect.end();
  });
}

describe("model usage of a client that hangs up before the reply ends", () => {
  // Codex drops the stream at its last event: the reply's end reached the gateway after the client had
  // gone, and the call was never counted (a run's manifest said 0 model calls). An agent doing so on
  // purpose would dodge the budget.
  it("is counted and logged from the events the client got, and the budget sees it", async () => {
    const front = await tlsFront(world.ca, lateEndingModel(400));
    try {
      const tight: Profile = { ...world.profile, limits: { ...world.profile.limits, tokens: 14 } };
      const g = await world.start({ profile: tight, hosts: parseHostsFile(`${front.address} api.anthropic.com\n`, "hosts") });
      const seen = await callAndHangUp(g, "message_stop");
      expect(seen).toContain("HTTP/1.1 200");
      // The line is written when the gateway sees the client go: no sleep long enough to cover the reply's end.
      for (let i = 0; i < 50 && !g.logLines().some((l) => l.usage !== undefined); i++) await new Promise((r) => setTimeout(r, 10));
      const line = g.logLines().find((l) => l.path === "/v1/messages");
      expect(line).toMatchObject({ decision: "allow", status: 200, usage: { input: 10, output: 5 }, detail: expect.stringContaining("client closed") });
      expect(g.totals()).toMatchObject({ calls: 1, input: 10, output: 5, stopped: true });
      // So the next call is refused, as after a reply read to its end.
      const next = await curl(g, g.bundleFile, ["-X", "POST", "-H", `x-api-key: ${PLACEHOLDER}`, "-d", "{}", "https://api.anthropic.com/v1/messages"]);
      expect(next.status).toBe(400);
      await new Promise((r) => setTimeout(r, 500));
      // Counted once, not again when the upstream's end arrives.
      expect(g.logLines().filter((l) => l.usage !== undefined)).toHaveLength(1);
    } finally {
      await front.close();
    }
  });

  it("control: read to its end, the same reply is counted once, without the detail", async () => {
    const front = await tlsFront(world.ca, lateEndingModel(50));
    try {
      const g = await world.start({ hosts: parseHostsFile(`${front.address} api.anthropic.com\n`, "hosts") });
      const r = await curl(g, g.bundleFile, ["-X", "POST", "-H", `x-api-key: ${PLACEHOLDER}`, "-d", "{}", "https://api.anthropic.com/v1/messages"]);
      expect(r.status).toBe(200);
      const lines = g.logLines().filter((l) => l.usage !== undefined);
      expect(lines).toEqual([expect.objectContaining({ decision: "allow", usage: expect.objectContaining({ input: 10, output: 5 }) })]);
      expect(lines[0]!.detail).toBeUndefined();
    } finally {
      await front.close();
    }
  });
});
