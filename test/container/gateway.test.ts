// Issue 13, "Proven here": the agent container on an --internal network whose only other member is
// the gateway; the fake upstreams (model API over TLS, git smart HTTP, GitHub REST and GraphQL, an npm registry) each
// in its own container on a second --internal network, reached by name through the gateway's
// --hosts. Each real CLI runs through the image's entrypoint with placeholders only, and its shell
// tries the ways out. Nothing leaves the machine: both networks are internal.
import { build } from "esbuild";
import { execa } from "execa";
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentEnvironment } from "../../src/gateway/agent-env.js";
import { packageRoot } from "../../src/profile/builtin.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS } from "../../src/tools/index.js";
import type { ToolId } from "../../src/tools/types.js";
import { DRIVERS } from "../real/agents.js";
import { npmTarball } from "../gateway/harness.js";
import { makeTestCa } from "../gateway/test-ca.js";
import { bakeWithCli, buildAgentImage, ensureDist, makeAgentHome, removeScratch, scratchDir, type AgentImage } from "./agent-image.js";
import { ensureBaseRootfs, ensurePodman, podman, runContainer } from "./podman.js";

const ROOT = packageRoot();
const id = `${process.env.PERIMETER_PODMAN_PREFIX ?? "perimeter-test"}-gw-${process.pid}`;
const NET_UP = `${id}-up`;
const NET_AGENT = `${id}-agent`;
const GATEWAY = `${id}-gateway`;
/** The control gateway: the same code with every tripwire's wire forms removed. */
const OPEN_GATEWAY = `${id}-open`;
const ROLES = ["model", "github", "git", "npm"] as const;
const container = (role: string) => `${id}-${role}`;
const SECRETS = {
  GW_ANTHROPIC: "sk-ant-gwtest-REAL-anthropic-0001",
  GW_OPENAI: "sk-gwtest-REAL-openai-0002",
  GW_GOOGLE: "AIza-gwtest-REAL-google-0003",
  GW_GH: "ghp_gwtestREALgithub0004",
};
const modelHosts = [...new Set(TOOLS.map((t) => DRIVERS[t.id].modelHost))];

// Its own [network] and [credentials], not autonomous's: the clients get their placeholders from
// their drivers (modelEnv), the gateway the secrets below.
const PROFILE = `
description = "gateway container proof"

[posture]
prompts = "never"
edits = "auto"
output = "text"

[network]
allow = [${[...modelHosts, "github.com", "api.github.com", "registry.npmjs.org"].map((h) => `"${h}"`).join(", ")}]
inspect = ["registry.npmjs.org"]

[credentials.anthropic]
host = "api.anthropic.com"
header = "x-api-key"
env = "GW_ANTHROPIC"
[credentials.openai]
host = "api.openai.com"
header = "Authorization"
scheme = "bearer"
env = "GW_OPENAI"
[credentials.google]
host = "generativelanguage.googleapis.com"
header = "x-goog-api-key"
env = "GW_GOOGLE"
[credentials.github-api]
host = "api.github.com"
header = "Authorization"
scheme = "bearer"
env = "GW_GH"
placeholder_env = ["GH_TOKEN"]
[credentials.github-git]
host = "github.com"
header = "Authorization"
scheme = "basic"
username = "x-access-token"
env = "GW_GH"
`;

// The agent's shell tries the ways out, one command per model turn. Whether the container holds a
// secret is looked for by a sibling container with the same image, environment and mounts
// (SECRET_SEARCH): the guard now denies the agent `env`, /proc/*/environ and recursive reads of its
// home, so the agent's own shell could not tell. "REA[L]-" matches the secrets' marker but not itself.
const releaseScript = Buffer.from("#!/bin/sh\ngit commit -q --amend -m rewritten\ngit push --force origin HEAD:main\n").toString("base64");
// gh and npm's own refusals are tripwire commands, which the guard and the native rules stop before
// they run; from a script the agent wrote they reach the gateway, which is what these cases prove.
// GH_TOKEN is the placeholder (Codex drops *TOKEN* variables from its shell, hence the fallback);
// the gateway adds the real token.
const GH_ENV = 'export GH_TOKEN="${GH_TOKEN:-perimeter-placeholder-github-api}" GH_NO_UPDATE_NOTIFIER=1';
const ghDeleteScript = Buffer.from(`#!/bin/sh\n${GH_ENV}\ngh api -X DELETE repos/octo/app\n`).toString("base64");
const publishScript = Buffer.from("#!/bin/sh\nprintf '//registry.npmjs.org/:_authToken=placeholder\\n' > .npmrc\nnpm publish --no-update-notifier\n").toString("base64");
const COMMANDS = [
  "curl -sS --max-time 10 https://denied.test/ 2>&1; echo; echo denied-rc=$?",
  "curl -sk --noproxy '*' --max-time 5 https://MODEL_IP/ >/dev/null 2>&1; echo direct-rc=$?",
  // Each script is written a turn before it runs: the guard reads a script the same line writes
  // (and refuses one it cannot read), not one an earlier call wrote (README "The guard", limits).
  `git clone -q https://github.com/octo/app.git /tmp/w-TOOL && cd /tmp/w-TOOL && git -c user.name=a -c user.email=a@a commit -q --allow-empty -m work && git push -q origin HEAD:refs/heads/agent/TOOL 2>&1; echo push-rc=$?; echo ${releaseScript} | base64 -d > /tmp/release-TOOL.sh`,
  "cd /tmp/w-TOOL && GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@a sh /tmp/release-TOOL.sh 2>&1; echo release-rc=$?",
  "curl -sS -X DELETE https://api.github.com/repos/octo/app 2>&1",
  `curl -sS -X POST --data-binary '{"query":"mutation { deleteRepository(input: {}) { clientMutationId } }"}' https://api.github.com/graphql 2>&1`,
  "curl -sS https://api.github.com/repos/octo/app 2>&1",
  `${GH_ENV}; gh api repos/octo/app 2>&1; echo gh-read-rc=$?`,
  `echo ${ghDeleteScript} | base64 -d > /tmp/gh-TOOL.sh && sh /tmp/gh-TOOL.sh 2>&1; echo gh-delete-rc=$?`,
  `mkdir -p /tmp/np-TOOL && cd /tmp/np-TOOL && echo '{"name":"agent-pkg-TOOL","version":"1.0.0"}' > package.json && npm install --no-audit --no-fund --no-update-notifier left-pad-fake@1.0.0 > install.log 2>&1; echo npm-install-rc=$?; tail -3 install.log; ls node_modules/left-pad-fake; echo ${publishScript} | base64 -d > publish.sh`,
  "cd /tmp/np-TOOL && sh publish.sh > publish.log 2>&1; echo npm-publish-rc=$?; tail -5 publish.log",
];

const SECRET_SEARCH = "(env; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n') | grep -c 'REA[L]-' | sed 's/^/env-hits=/'; grep -rls 'REA[L]-' ~ /run/perimeter /etc /tmp 2>/dev/null | wc -l | sed 's/^/file-hits=/'";

let image: AgentImage;
let fixture: string;
let gwDir: string;
let modelIp: string;
let seedMain: string;
const record = <T>(role: string) => JSON.parse(readFileSync(join(fixture, "record", `${role}.json`), "utf8")) as T;
const githubSeen = () => (existsSync(join(fixture, "record", "github.json")) ? record<{ method: string; url: string; body: string }[]>("github") : []);
const npmSeen = () => (existsSync(join(fixture, "record", "npm.json")) ? record<{ method: string; url: string }[]>("npm") : []);
const modelRecord = () => JSON.parse(readFileSync(join(fixture, "record", "model.json"), "utf8")) as { requests: { path: string; headers: Record<string, string> }[]; turnResults: string[] };
const gitRefs = async () => (await execa("git", ["--git-dir", join(fixture, "git/octo/app.git"), "for-each-ref", "--format=%(refname) %(objectname)"])).stdout;

const ipOf = async (name: string, network: string) =>
  (await podman(["inspect", "-f", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name])).stdout.trim();

async function waitFor(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  await Promise.all([ensurePodman().then(() => ensureBaseRootfs()), ensureDist()]);
  const layers = scratchDir("gw-layers");
  await bakeWithCli("autonomous", join(layers, "autonomous.tar"));
  image = await buildAgentImage("gw-agent", join(layers, "autonomous.tar"), []);

  fixture = scratchDir("gw-fixture");
  mkdirSync(join(fixture, "record"));
  const ca = await makeTestCa([...modelHosts, "github.com", "api.github.com", "registry.npmjs.org"]);
  const { integrity } = await npmTarball(join(fixture, "npm"));
  writeFileSync(join(fixture, "npm", "integrity.json"), JSON.stringify({ integrity }));
  writeFileSync(join(fixture, "cert.pem"), `${ca.certPem}\n${ca.caPem}`);
  writeFileSync(join(fixture, "key.pem"), ca.keyPem);
  await build({ entryPoints: [join(ROOT, "test/gateway/upstream-main.ts")], bundle: true, platform: "node", format: "cjs", target: "node20", outfile: join(fixture, "upstream.cjs"), logLevel: "silent" });
  const git = (cwd: string, ...args: string[]) => execa("git", args, { cwd, env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", HOME: fixture } });
  mkdirSync(join(fixture, "git/octo"), { recursive: true });
  await git(join(fixture, "git/octo"), "init", "-q", "--bare", "-b", "main", "app.git");
  await git(join(fixture, "git/octo/app.git"), "config", "http.receivepack", "true");
  const seed = join(fixture, "seed");
  mkdirSync(seed);
  await git(seed, "init", "-q", "-b", "main");
  await git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "seed");
  await git(seed, "push", "-q", join(fixture, "git/octo/app.git"), "main");
  seedMain = (await git(seed, "rev-parse", "HEAD")).stdout.trim();

  for (const net of [NET_UP, NET_AGENT]) await podman(["network", "create", "--internal", net]);
  for (const role of ROLES) {
    if (role === "model") writeFileSync(join(fixture, "commands.json"), "[]");
    await podman(["run", "-d", "--name", container(role), "--network", NET_UP, "--user", "0", "--entrypoint", "node", "-v", `${fixture}:/fixture`, image.ref, "/fixture/upstream.cjs", role, "/fixture"]);
  }
  modelIp = await ipOf(container("model"), NET_UP);
  // The script names the model's own address (the direct-connection probe); it is read per request.
  writeFileSync(join(fixture, "commands.json"), JSON.stringify(COMMANDS.map((c) => c.replace("MODEL_IP", modelIp))));

  gwDir = scratchDir("gw-gateway", { uid: 1000, gid: 1000 });
  mkdirSync(join(gwDir, "profiles"));
  writeFileSync(join(gwDir, "profiles", "gwc.toml"), PROFILE);
  writeFileSync(join(gwDir, "upstream-ca.pem"), ca.caPem);
  const hosts = [
    `${modelIp} ${modelHosts.join(" ")}`,
    `${await ipOf(container("github"), NET_UP)} api.github.com`,
    `${await ipOf(container("git"), NET_UP)} github.com`,
    `${await ipOf(container("npm"), NET_UP)} registry.npmjs.org`,
  ];
  writeFileSync(join(gwDir, "hosts"), `${hosts.join("\n")}\n`);
  writeFileSync(join(gwDir, "profiles", "gwc-budget.toml"), `description = "one model call's budget"\nextends = "gwc"\n\n[limits]\ntokens = 14\n`);
  await startGatewayContainer(GATEWAY, "gwc", "gw");
}, 900_000);

/** `perimeter gateway` in its own container on both networks; ready once its CA is in gwDir/<dir>/ca. */
async function startGatewayContainer(name: string, profileName: string, dir: string): Promise<void> {
  mkdirSync(join(gwDir, dir), { recursive: true });
  chownSync(join(gwDir, dir), 1000, 1000);
  const env = Object.entries(SECRETS).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  await podman([
    "run", "-d", "--name", name, "--network", NET_UP, "--network", NET_AGENT, "--entrypoint", "node", ...env,
    "-v", `${ROOT}:/opt/perimeter-package:ro`, "-v", `${gwDir}:/gw`, image.ref,
    "/opt/perimeter-package/dist/perimeter.cjs", "gateway", "--profile", profileName, "--profiles-dir", "/gw/profiles", "--listen", "0.0.0.0:3128",
    "--ca-dir", `/gw/${dir}/ca`, "--log", `/gw/${dir}/gateway.log`, "--hosts", "/gw/hosts", "--upstream-ca", "/gw/upstream-ca.pem", "--usage", `/gw/${dir}/usage.json`, "--json",
  ]);
  await waitFor(() => existsSync(join(gwDir, dir, "ca", "ca.pem")), `the CA certificate of ${name}`);
}

afterAll(async () => {
  for (const name of [GATEWAY, `${GATEWAY}-budget`, OPEN_GATEWAY, ...ROLES.map(container)]) await podman(["rm", "--force", "--time", "0", name], { reject: false });
  for (const net of [NET_UP, NET_AGENT]) await podman(["network", "rm", "--force", net], { reject: false });
  removeScratch();
}, 120_000);

const profile = () => loadProfile("gwc", { profilesDir: join(gwDir, "profiles") });

async function runAgent(tool: ToolId, gateway = GATEWAY, dir = "gw") {
  const driver = DRIVERS[tool];
  const url = `https://${driver.modelHost}`;
  const home = makeAgentHome(image.spec, { url } as never);
  // A new script file starts a fresh record in the model container.
  writeFileSync(join(fixture, "commands.json"), JSON.stringify(COMMANDS.map((c) => c.replace("MODEL_IP", modelIp).replaceAll("TOOL", tool))));
  await new Promise((r) => setTimeout(r, 20));
  const env = { ...driver.modelEnv(url), ...agentEnvironment(profile(), `http://${gateway}:3128`, "/run/perimeter/ca-bundle.pem") };
  const volumes = [home.volume, `${join(gwDir, dir, "ca")}:/run/perimeter:ro`];
  const run = await runContainer(image.ref, { network: NET_AGENT, env, volumes, args: [tool, "go"], timeoutMs: 300_000 });
  const after = modelRecord();
  // The same container as the agent's, as the agent's user, after its run (its home kept what it wrote).
  const search = await runContainer(image.ref, { network: NET_AGENT, env, volumes, entrypoint: ["sh", "-c", SECRET_SEARCH] });
  return { run, env, results: after.turnResults, requests: after.requests, secretSearch: search.stdout };
}

describe.each(TOOLS.map((t) => t.id))("%s through the gateway", (tool) => {
  let r: Awaited<ReturnType<typeof runAgent>>;
  beforeAll(async () => {
    r = await runAgent(tool);
  }, 360_000);

  it("runs its task: model calls go through the gateway with the real key; the container has placeholders only", () => {
    const info = `${r.run.stdout.slice(-1500)}\n${r.run.stderr.slice(-1500)}`;
    expect(r.results.length, info).toBe(COMMANDS.length);
    const keys = r.requests.map((q) => q.headers["x-api-key"] ?? q.headers["x-goog-api-key"] ?? q.headers.authorization);
    expect(keys.some((k) => Object.values(SECRETS).some((s) => k?.includes(s))), JSON.stringify(keys)).toBe(true);
    expect(Object.values(r.env).join(" ")).not.toContain("REAL");
    expect(r.secretSearch).toContain("env-hits=0");
    expect(r.secretSearch).toContain("file-hits=0");
  });

  it("a host outside [network] is refused; a direct connection to an upstream fails", () => {
    expect(r.results[0]).toMatch(/network\.allow|403/);
    expect(r.results[1]).toMatch(/direct-rc=([1-9]\d*)/);
    expect(r.results[1]).not.toContain("direct-rc=0");
  });

  it("git push to agent/... lands; the script's force push of main is refused", async () => {
    expect(r.results[2]).toContain("push-rc=0");
    expect(r.results[3]).toMatch(/release-rc=[1-9]/);
    expect(r.results[3]).toMatch(/403/);
    expect(await gitRefs()).toContain(`refs/heads/agent/${tool} `);
    expect(await gitRefs()).toContain(`refs/heads/main ${seedMain}`);
  });

  it("a repository delete through curl and GraphQL is refused; a benign read passes", () => {
    expect(r.results[4]).toContain("tripwire:gh-repo-delete");
    expect(r.results[5]).toContain("tripwire:gh-repo-delete");
    expect(r.results[6]).toContain('"full_name"');
  });

  it("gh api: the repository delete is refused at the gateway; a benign read passes", () => {
    expect(r.results[7]).toContain('"full_name"');
    expect(r.results[7]).toContain("gh-read-rc=0");
    expect(r.results[8]).toContain("tripwire:gh-repo-delete");
    expect(r.results[8]).toMatch(/HTTP 403/);
    expect(r.results[8]).toMatch(/gh-delete-rc=[1-9]/);
    // The read came with the real token, added by the gateway; no delete reached GitHub.
    expect(githubSeen().some((s) => s.method === "GET" && s.url === "/repos/octo/app")).toBe(true);
    expect(githubSeen().filter((s) => s.method === "DELETE")).toEqual([]);
  });

  it("npm install from the registry passes; npm publish is refused at the registry", () => {
    expect(r.results[9]).toContain("npm-install-rc=0");
    expect(r.results[9]).toContain("index.js");
    expect(r.results[10]).toMatch(/npm-publish-rc=[1-9]/);
    expect(r.results[10]).toMatch(/403/);
    expect(npmSeen().some((s) => s.method === "GET" && s.url.endsWith(".tgz"))).toBe(true);
    expect(npmSeen().filter((s) => s.method === "PUT")).toEqual([]);
  });
});

describe.each(TOOLS.map((t) => t.id))("%s over budget", (tool) => {
  it("with a budget just below the first reply's usage, the next model call is refused, shown and recorded", async () => {
    const name = `${GATEWAY}-budget`;
    await podman(["rm", "--force", "--time", "0", name], { reject: false });
    await startGatewayContainer(name, "gwc-budget", `budget-${tool}`);
    const r = await runAgent(tool, name, `budget-${tool}`);
    const output = `${r.run.stdout}\n${r.run.stderr}`;
    expect(output, output.slice(-2000)).toMatch(/budget is spent/);
    const log = readFileSync(join(gwDir, `budget-${tool}`, "gateway.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event?: string; rule?: string });
    expect(log.some((l) => l.event === "budget-stop")).toBe(true);
    const refused = log.filter((l) => l.rule === "limits.stop_percent").length;
    expect(refused).toBeGreaterThan(0);
    // Refused once, not retried: the CLIs do not retry a 400.
    expect(refused).toBeLessThan(3);
    expect(JSON.parse(readFileSync(join(gwDir, `budget-${tool}`, "usage.json"), "utf8"))).toMatchObject({ stopped: true });
  }, 300_000);
});

describe("the controls", () => {
  it("the secret search finds a secret that is there", async () => {
    const run = await runContainer(image.ref, { env: { PLANTED: "x-REAL-y" }, entrypoint: ["sh", "-c", SECRET_SEARCH] });
    expect(run.stdout).toMatch(/env-hits=[1-9]/);
  });

  it("with the agent on the upstream network, the direct connection succeeds", async () => {
    const run = await runContainer(image.ref, { network: NET_UP, entrypoint: ["curl"], args: ["-sk", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "-X", "HEAD", `https://${modelIp}/`] });
    expect(run.stdout).toBe("200");
  });

  it("main never moved, and the gateway's log recorded every refusal without a secret", async () => {
    expect(await gitRefs()).toContain(`refs/heads/main ${seedMain}`);
    const log = readFileSync(join(gwDir, "gw", "gateway.log"), "utf8");
    for (const s of Object.values(SECRETS)) expect(log).not.toContain(s);
    const rules = log.trim().split("\n").map((l) => (JSON.parse(l) as { rule?: string }).rule);
    expect(rules).toEqual(expect.arrayContaining(["network.allow", "git.push", "tripwire:gh-repo-delete", "tripwire:registry-publish"]));
  });

  it("with the wire forms removed, the same gh api, curl and GraphQL deletes and npm publish land", async () => {
    const dir = join(gwDir, "open");
    // The control's bundle finds the built-in tripwires by its package root: package.json and profiles/ beside it.
    mkdirSync(join(dir, "ca"), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
    cpSync(join(ROOT, "profiles"), join(dir, "profiles"), { recursive: true });
    await build({
      entryPoints: [join(ROOT, "test/gateway/open-gateway-main.ts")], bundle: true, platform: "node", format: "cjs", target: "node20", outfile: join(dir, "dist", "open-gateway.cjs"), logLevel: "silent",
      define: { "import.meta.url": "__bundleUrl" }, banner: { js: 'var __bundleUrl=require("node:url").pathToFileURL(__filename).href;' },
    });
    await execa("chown", ["-R", "1000:1000", dir]);
    const env = Object.entries(SECRETS).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
    await podman([
      "run", "-d", "--name", OPEN_GATEWAY, "--network", NET_UP, "--network", NET_AGENT, "--entrypoint", "node", ...env, "-v", `${gwDir}:/gw`, image.ref,
      "/gw/open/dist/open-gateway.cjs", "gwc", "/gw/profiles", "/gw/open/ca", "/gw/hosts", "/gw/upstream-ca.pem", "/gw/open/gateway.log",
    ]);
    await waitFor(() => existsSync(join(dir, "ca", "ca.pem")), "the control gateway's CA certificate");
    const deletesBefore = githubSeen().filter((s) => s.method === "DELETE").length;
    const script = [
      "cd /tmp",
      `echo ${ghDeleteScript} | base64 -d > gh.sh && sh gh.sh >/dev/null 2>&1; echo gh-delete-rc=$?`,
      "curl -sS -o /dev/null -w 'curl-delete=%{http_code}\n' -X DELETE https://api.github.com/repos/octo/app",
      `curl -sS -o /dev/null -w 'graphql=%{http_code}\n' -X POST --data-binary '{"query":"mutation { deleteRepository(input: {}) { clientMutationId } }"}' https://api.github.com/graphql`,
      `mkdir -p pub && cd pub && echo '{"name":"agent-pkg-control","version":"1.0.0"}' > package.json && echo ${publishScript} | base64 -d > publish.sh && sh publish.sh > publish.log 2>&1; echo npm-publish-rc=$?; tail -5 publish.log`,
    ].join("\n");
    const run = await runContainer(image.ref, {
      network: NET_AGENT,
      env: { ...agentEnvironment(profile(), `http://${OPEN_GATEWAY}:3128`, "/run/perimeter/ca-bundle.pem"), HOME: "/tmp", npm_config_cache: "/tmp/npm-cache" },
      volumes: [`${join(dir, "ca")}:/run/perimeter:ro`],
      entrypoint: ["sh", "-c", script],
    });
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out).toContain("gh-delete-rc=0");
    expect(out).toContain("curl-delete=204");
    expect(out).toContain("graphql=200");
    expect(out, out).toContain("npm-publish-rc=0");
    const seen = githubSeen();
    expect(seen.filter((s) => s.method === "DELETE" && s.url === "/repos/octo/app").length).toBe(deletesBefore + 2);
    expect(seen.some((s) => s.url === "/graphql" && s.body.includes("deleteRepository"))).toBe(true);
    expect(npmSeen().some((s) => s.method === "PUT" && s.url === "/agent-pkg-control")).toBe(true);
  }, 180_000);
});
