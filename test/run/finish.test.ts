// The cluster form's finisher (`perimeter finish`, src/run/finish.ts), run for real on loopback: the
// clone script through a real gateway to the fake git server, an "agent" that changes the tree and
// plants a hostile .git/config and its own commit, then the finisher's stage, scan, one commit,
// push and pull request through the gateway, and its stops (secret, budget, nothing changed).
import { execa } from "execa";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishRun, type FinishSpec } from "../../src/run/finish.js";
import type { ContainerPaths } from "../../src/run/paths.js";
import { cloneScript } from "../../src/run/scripts.js";
import { startWorld, type World } from "../gateway/harness.js";

let world: World;
let gw: Awaited<ReturnType<World["start"]>>;
/** Serves the gateway's usage file as the gateway pod's CA container does. */
let usage: Server;
let usageBody: () => string;
let n = 0;
/** The finisher only names the tool; which tool ran is the agent container's business. */
const TOOL = { id: "some-tool", title: "Some Tool" };

beforeAll(async () => {
  world = await startWorld();
  gw = await world.start();
  usageBody = () => readFileSync(gw.usageFile, "utf8");
  usage = createServer((req, res) => (req.url === "/usage.json" ? res.writeHead(200).end(usageBody()) : res.writeHead(404).end()));
  await new Promise<void>((resolve) => usage.listen(0, "127.0.0.1", () => resolve()));
}, 120_000);
afterAll(async () => {
  await new Promise((resolve) => usage?.close(resolve));
  await world?.close();
});

const git = (dir: string, ...args: string[]) => execa("git", args, { cwd: dir, env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", HOME: world.dir } });
const serverRef = async (ref: string) => (await execa("git", ["--git-dir", join(world.gitRoot, "octo/app.git"), "rev-parse", "--verify", "-q", ref], { reject: false })).stdout;

/** A pod's volumes as folders, the clone made through the gateway as the clone init container makes it. */
async function clonedPod(): Promise<{ paths: ContainerPaths; env: NodeJS.ProcessEnv; spec: FinishSpec }> {
  const root = join(world.dir, `pod-${n++}`);
  const paths: ContainerPaths = { work: join(root, "work"), base: join(root, "base"), ca: join(root, "ca"), caBundle: join(root, "ca", "ca-bundle.pem"), gatewayLog: join(root, "log"), gatewayInputs: join(root, "in") };
  for (const d of [paths.work, paths.base, paths.ca]) mkdirSync(d, { recursive: true });
  copyFileSync(gw.caFile, join(paths.ca, "ca.pem"));
  copyFileSync(gw.bundleFile, paths.caBundle);
  const proxy = `http://127.0.0.1:${gw.port}`;
  const env = { PATH: process.env.PATH!, HTTPS_PROXY: proxy, HTTP_PROXY: proxy, NO_PROXY: "", no_proxy: "" };
  const cloned = await execa("bash", ["-c", cloneScript(paths)], { env: { ...env, PERIMETER_REPO_URL: "https://github.com/octo/app.git" }, extendEnv: false, reject: false });
  expect(cloned.exitCode, cloned.stderr).toBe(0);
  const runId = `finish-${n}`;
  const spec: FinishSpec = {
    runId,
    branch: `agent/${TOOL.id}/${runId}`,
    tool: { ...TOOL, versionCommand: ["git", "--version"] },
    profile: "gw",
    prompt: { sha256: "0".repeat(64), characters: 3 },
    promptForRecord: `sha256:${"0".repeat(64)} (3 characters; kept out of the record)`,
    repo: { url: "https://github.com/octo/app.git", slug: "octo/app" },
    repoUrl: "https://github.com/octo/app.git",
    githubApi: "https://api.github.com",
    usageUrl: `http://127.0.0.1:${(usage.address() as AddressInfo).port}/usage.json`,
  };
  return { paths, env, spec };
}

describe("perimeter finish: the cluster run's last container", () => {
  it("pushes one commit of the final tree and opens the pull request; the agent's own commit and its .git/config never act", async () => {
    const { paths, env, spec } = await clonedPod();
    // The agent: a change, its own commit (with a file only in that commit), and a config that would run its code.
    writeFileSync(join(paths.work, "fix.txt"), "fixed\n");
    writeFileSync(join(paths.work, "only-in-agent-commit.txt"), "x\n");
    await git(paths.work, "add", ".");
    await git(paths.work, "commit", "-qm", "agent's own commit");
    await git(paths.work, "rm", "-q", "only-in-agent-commit.txt");
    const pwned = join(paths.work, "..", "pwned");
    writeFileSync(join(paths.work, ".git", "config"), `[core]\n\tfsmonitor = touch ${pwned}\n\thooksPath = /tmp\n[alias]\n\tadd = !touch ${pwned}\n`, { flag: "a" });
    const record = await finishRun(spec, paths, env);
    expect(record.stop, JSON.stringify(record)).toEqual({ reason: "STOP_DONE", exitCode: 0, detail: expect.stringContaining(`pushed agent/${TOOL.id}/`) });
    expect(existsSync(pwned)).toBe(false);
    // Control: git with the agent's config runs its program.
    await execa("git", ["-C", paths.work, "status"], { env: { PATH: process.env.PATH!, HOME: world.dir, GIT_CONFIG_NOSYSTEM: "1" }, extendEnv: false, reject: false });
    expect(existsSync(pwned)).toBe(true);
    expect(record.diff).toEqual({ files: [{ path: "fix.txt", added: 1, deleted: 0 }], filesChanged: 1, linesAdded: 1, linesDeleted: 0 });
    expect(record.secretScan).toEqual({ scanner: expect.stringContaining("secretlint"), findings: [] });
    expect(record.tool.version).toMatch(/git version/);
    expect(record.pullRequest).toEqual({ url: "https://github.com/octo/app/pull/1", number: 1 });
    const ref = `refs/heads/${spec.branch}`;
    expect(record.refsPushed).toEqual([{ ref, commit: await serverRef(ref) }]);
    // One commit on top of main, with the run id; the agent's commit did not leave.
    const server = join(world.gitRoot, "octo/app.git");
    expect((await execa("git", ["--git-dir", server, "rev-list", "--count", `main..${ref}`])).stdout).toBe("1");
    expect((await execa("git", ["--git-dir", server, "log", "-1", "--format=%B", ref])).stdout).toContain(`Run: ${spec.runId}`);
    expect((await execa("git", ["--git-dir", server, "ls-tree", "--name-only", ref])).stdout).not.toContain("only-in-agent-commit.txt");
    // Through the gateway, with the real key put on by it: the finisher held the placeholder.
    const pr = world.github.seen.find((s) => s.method === "POST" && s.url === "/repos/octo/app/pulls")!;
    expect(pr.headers.authorization).toBe("Bearer ghp_TESTREALgithubtoken000000000000000001");
    expect(JSON.parse(pr.body)).toMatchObject({ head: spec.branch, base: "main", title: `perimeter: ${TOOL.id} run ${spec.runId}` });
    // The record is the one JSON line the CLI prints.
    expect(record).toMatchObject({ manifestVersion: 1, form: "k8s", runId: spec.runId, usage: expect.objectContaining({ calls: 0 }) });
  });

  it("a planted secret: STOP_SECRET_FOUND, nothing pushed, the secret masked", async () => {
    const { paths, env, spec } = await clonedPod();
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ";
    writeFileSync(join(paths.work, "deploy.env"), `aws_secret_access_key = "${secret}"\n`);
    const record = await finishRun(spec, paths, env);
    expect(record.stop.reason).toBe("STOP_SECRET_FOUND");
    expect(record.stop.exitCode).toBe(13);
    expect(record.refsPushed).toEqual([]);
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(await serverRef(`refs/heads/${spec.branch}`)).toBe("");
  });

  it("nothing changed: STOP_DONE without a commit; no clone record: STOP_CLONE_FAILED", async () => {
    const { paths, env, spec } = await clonedPod();
    const unchanged = await finishRun(spec, paths, env);
    expect(unchanged.stop).toMatchObject({ reason: "STOP_DONE", detail: expect.stringContaining("changed nothing") });
    expect(unchanged.refsPushed).toEqual([]);
    const noClone = await finishRun(spec, { ...paths, base: join(paths.base, "missing") }, env);
    expect(noClone.stop.reason).toBe("STOP_CLONE_FAILED");
  });

  it("the gateway refused a model call over budget: STOP_BUDGET, nothing pushed; its usage unreadable: no push either", async () => {
    const { paths, env, spec } = await clonedPod();
    writeFileSync(join(paths.work, "fix.txt"), "fixed\n");
    const real = usageBody;
    try {
      usageBody = () => JSON.stringify({ ...JSON.parse(real()), stopped: true, refused: 1 });
      const budget = await finishRun(spec, paths, env);
      expect(budget.stop).toMatchObject({ reason: "STOP_BUDGET", exitCode: 12 });
      // Control: the same tree with the budget intact is pushed (below); an unreadable usage fails closed.
      const unreadable = await finishRun({ ...spec, usageUrl: `${spec.usageUrl}-missing` }, paths, env);
      expect(unreadable.stop.reason).toBe("STOP_ENGINE_ERROR");
      expect(await serverRef(`refs/heads/${spec.branch}`)).toBe("");
    } finally {
      usageBody = real;
    }
    const control = await finishRun(spec, paths, env);
    expect(control.stop.reason, control.stop.detail).toBe("STOP_DONE");
    expect(await serverRef(`refs/heads/${spec.branch}`)).not.toBe("");
  });
});
