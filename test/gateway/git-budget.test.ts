// Through the gateway with real clients: git pushes (ref updates read from the receive-pack body),
// npm install and publish, the model budget, and the `perimeter gateway` command's contract.
import { execa } from "execa";
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Profile } from "../../src/profile/types.js";
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
      curl(g, g.bundleFile, ["-X", "POST", "-H", `x-api-key: ${PLACEHOLDER}`, "-H", "content-type: application/json", "-d", JSON.stringify({ model: "claude-sonnet-4", stream: true, messages: [{ role: "user", content: "hi" }] }), "https://api.anthropic.com/v1/messages"]);
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
