// One loopback world for the gateway tests: the fake upstreams behind TLS (test CA) on their own
// loopback addresses, a hosts file naming them, a test profile, and helpers to run real clients
// (curl, git, npm) through a gateway.
import { execa } from "execa";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest, type RequestListener } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHostsFile } from "../../src/gateway/hosts-file.js";
import { compilePolicy, readSecret } from "../../src/gateway/policy.js";
import { startGateway, type GatewayOptions, type RunningGateway } from "../../src/gateway/server.js";
import { loadProfile } from "../../src/profile/load.js";
import type { Profile } from "../../src/profile/types.js";
import { startFakeModel, type FakeModel } from "../real/fake-model.js";
import { fakeGithubApi, fakeGitServer, fakeNpmRegistry, tlsFront, type Front } from "./fakes.js";
import { makeTestCa, type TestCa } from "./test-ca.js";

export const SECRETS = {
  GW_TEST_ANTHROPIC: "sk-ant-test-REAL-anthropic-secret-0001",
  GW_TEST_GH: "ghp_TESTREALgithubtoken000000000000000001",
};
export const PLACEHOLDER = "perimeter-placeholder-anthropic";
/** What tunnel.test serves at /big: random bytes, so a tunnel that reused a buffer too soon shows in the hash. */
export const BIG_BODY = randomBytes(12 << 20);

export const TEST_PROFILE = `
description = "gateway tests"

[posture]
prompts = "never"
edits = "auto"
output = "text"

[network]
allow = ["api.anthropic.com", "api.github.com", "github.com", "registry.npmjs.org", "tunnel.test"]
inspect = ["registry.npmjs.org"]

[credentials.anthropic]
host = "api.anthropic.com"
header = "x-api-key"
env = "GW_TEST_ANTHROPIC"
placeholder_env = ["ANTHROPIC_API_KEY"]

[credentials.github-api]
host = "api.github.com"
header = "Authorization"
scheme = "bearer"
env = "GW_TEST_GH"

[credentials.github-git]
host = "github.com"
header = "Authorization"
scheme = "basic"
username = "x-access-token"
env = "GW_TEST_GH"

[git]
hosts = ["github.com"]
push = ["refs/heads/agent/**"]

[limits]
tokens = 1000000
`;

/** Forwards to the fake model's plain-HTTP port: the model API "over TLS" is this plus tlsFront. */
function forwardTo(port: number): RequestListener {
  return (req, res) => {
    const up = httpRequest({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  };
}

export interface World {
  dir: string;
  ca: TestCa;
  model: FakeModel;
  github: ReturnType<typeof fakeGithubApi>;
  git: ReturnType<typeof fakeGitServer>;
  npm: ReturnType<typeof fakeNpmRegistry>;
  tunnelSeen: string[];
  hostsText: string;
  profilesDir: string;
  profile: Profile;
  gitRoot: string;
  start(overrides?: Partial<Omit<GatewayOptions, "policy" | "limits">> & { profile?: Profile }): Promise<RunningGateway & { usageFile: string; logLines(): Record<string, unknown>[]; logText(): string }>;
  close(): Promise<void>;
}

/** `left-pad-fake` 1.0.0 packed by the real npm: what the fake registry serves. */
export async function npmTarball(dir: string): Promise<{ tarball: Buffer; integrity: string }> {
  const pkg = join(dir, "pkg-src");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "left-pad-fake", version: "1.0.0", main: "index.js" }));
  writeFileSync(join(pkg, "index.js"), "module.exports = (s) => ' ' + s;\n");
  const { stdout } = await execa("npm", ["pack", "--json", "--pack-destination", dir], { cwd: pkg });
  const info = (JSON.parse(stdout) as { filename: string; integrity: string }[])[0]!;
  return { tarball: readFileSync(join(dir, info.filename)), integrity: info.integrity };
}

async function bareRepo(root: string): Promise<void> {
  const work = join(root, "..", "seed");
  const git = (cwd: string, ...args: string[]) => execa("git", args, { cwd, env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", HOME: root } });
  mkdirSync(join(root, "octo"), { recursive: true });
  await git(root, "init", "--bare", "-b", "main", "octo/app.git");
  await git(join(root, "octo/app.git"), "config", "http.receivepack", "true");
  mkdirSync(work, { recursive: true });
  await git(work, "init", "-b", "main");
  writeFileSync(join(work, "README"), "seed\n");
  await git(work, "add", ".");
  await git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-m", "seed");
  await git(work, "push", join(root, "octo/app.git"), "main");
}

export async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), "gw-test-"));
  const names = ["api.anthropic.com", "api.github.com", "github.com", "registry.npmjs.org", "tunnel.test"];
  const ca = await makeTestCa(names);
  const model = await startFakeModel({ command: "echo hi" });
  const github = fakeGithubApi();
  const gitRoot = join(dir, "git");
  await bareRepo(gitRoot);
  const git = fakeGitServer(gitRoot);
  const { tarball, integrity } = await npmTarball(dir);
  const npm = fakeNpmRegistry(tarball, integrity);
  const tunnelSeen: string[] = [];
  const fronts: Front[] = [
    await tlsFront(ca, forwardTo(model.port)),
    await tlsFront(ca, github.handler),
    await tlsFront(ca, git.handler),
    await tlsFront(ca, npm.handler),
    await tlsFront(ca, (req, res) => {
      tunnelSeen.push(`${req.method} ${req.url} ${req.headers["x-api-key"] ?? ""}`);
      if (req.url === "/big") return void res.writeHead(200, { "content-type": "application/octet-stream", "content-length": BIG_BODY.length }).end(BIG_BODY);
      res.writeHead(200, { "content-type": "text/plain" }).end("tunnelled");
    }),
  ];
  const hostsText = names.map((n, i) => `${fronts[i]!.address} ${n}`).join("\n") + "\n";
  const profilesDir = join(dir, "profiles");
  mkdirSync(profilesDir);
  writeFileSync(join(profilesDir, "gw.toml"), TEST_PROFILE);
  const profile = loadProfile("gw", { profilesDir });
  const running: RunningGateway[] = [];
  let n = 0;
  return {
    dir,
    ca,
    model,
    github,
    git,
    npm,
    tunnelSeen,
    hostsText,
    profilesDir,
    profile,
    gitRoot,
    async start(overrides = {}) {
      const id = n++;
      const logFile = join(dir, `gateway-${id}.log`);
      const usageFile = join(dir, `usage-${id}.json`);
      const g = await startGateway({
        policy: compilePolicy(overrides.profile ?? profile, readSecret(SECRETS)),
        limits: (overrides.profile ?? profile).limits,
        host: "127.0.0.1",
        port: 0,
        caDir: join(dir, `ca-${id}`),
        logFile,
        usageFile,
        hosts: parseHostsFile(hostsText, "hosts"),
        upstreamCa: ca.caPem,
        ...overrides,
      });
      running.push(g);
      const logText = () => readFileSync(logFile, "utf8");
      return { ...g, usageFile, logText, logLines: () => logText().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>) };
    },
    async close() {
      for (const g of running) await g.close().catch(() => {});
      for (const f of fronts) await f.close();
      await model.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** curl through the gateway, trusting `cacert`; returns the status and body. */
export async function curl(gateway: { port: number }, cacert: string, args: readonly string[]): Promise<{ status: number; body: string }> {
  const r = await execa("curl", ["-sS", "--max-time", "20", "--proxy", `http://127.0.0.1:${gateway.port}`, "--cacert", cacert, "-o", "-", "-w", "\n%{http_code}", ...args], { reject: false, env: { NO_PROXY: "" } });
  const lines = r.stdout.split("\n");
  return { status: Number(lines.pop()), body: lines.join("\n") + r.stderr };
}
