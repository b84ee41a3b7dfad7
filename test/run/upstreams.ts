// The fake internet of the `perimeter run` proofs, bundled and run in its own container on the
// test's --internal upstream network: one TLS listener on :443 (a test CA's certificate for every
// name) that routes by Host to
//   - the model APIs (api.anthropic.com, api.openai.com, generativelanguage.googleapis.com): the
//     scripted fake model of test/real/fake-model.ts, which asks the agent to run FAKE_COMMANDS;
//   - github.com: git smart HTTP (`git http-backend`) over /srv/git, seeded with octo/app;
//   - api.github.com: the pull request endpoint, which checks that the head branch was pushed.
// Every request is appended to /state/seen.jsonl (host, method, path, the credential headers it
// carried) for the test to read with `podman exec`.
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer } from "node:https";
import { join } from "node:path";
import { fakeGitServer } from "../gateway/fakes.js";
import { startFakeModel } from "../real/fake-model.js";

const MODEL_HOSTS = ["api.anthropic.com", "api.openai.com", "generativelanguage.googleapis.com"];
const GIT_ROOT = "/srv/git";
const SEEN = "/state/seen.jsonl";

function git(args: string[], cwd?: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: "/tmp", GIT_AUTHOR_NAME: "octo", GIT_AUTHOR_EMAIL: "octo@example.test", GIT_COMMITTER_NAME: "octo", GIT_COMMITTER_EMAIL: "octo@example.test" } });
}

function seedRepository(): void {
  const bare = join(GIT_ROOT, "octo", "app.git");
  mkdirSync(bare, { recursive: true });
  git(["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  git(["config", "http.receivepack", "true"], bare);
  const work = mkdtempSync("/tmp/seed-");
  git(["init", "--quiet", "--initial-branch=main", work]);
  mkdirSync(join(work, "src"));
  writeFileSync(join(work, "src", "add.js"), "export const add = (a, b) => a - b;\n");
  writeFileSync(join(work, "README.md"), "# app\n");
  git(["add", "-A"], work);
  git(["commit", "--quiet", "-m", "initial"], work);
  git(["push", "--quiet", bare, "main"], work);
}

const record = (req: IncomingMessage, extra: Record<string, unknown> = {}) => {
  const h = req.headers;
  appendFileSync(SEEN, `${JSON.stringify({ t: Date.now(), host: h.host, method: req.method, path: req.url, authorization: h.authorization, xApiKey: h["x-api-key"], xGoogApiKey: h["x-goog-api-key"], ...extra })}\n`);
};

async function main(): Promise<void> {
  mkdirSync("/state", { recursive: true });
  writeFileSync(SEEN, "");
  seedRepository();
  const commands = JSON.parse(process.env.FAKE_COMMANDS ?? "[]") as string[];
  const model = await startFakeModel({ commands: commands.length > 0 ? commands : ["true"] });
  const gitServer = fakeGitServer(GIT_ROOT);
  let pulls = 0;

  const toModel = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpRequest({ host: "127.0.0.1", port: model.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  };

  const github = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const m = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(req.url ?? "");
      if (req.method !== "POST" || m === null) return void res.writeHead(404).end("{}");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { head?: string; base?: string; title?: string };
      let pushed = "";
      try {
        pushed = git(["rev-parse", "--verify", "--quiet", `refs/heads/${body.head}`], join(GIT_ROOT, m[1]!, `${m[2]!}.git`)).trim();
      } catch {
        pushed = "";
      }
      record(req, { pull: { head: body.head, base: body.base, title: body.title, pushed } });
      if (pushed === "") return void res.writeHead(422, { "content-type": "application/json" }).end('{"message":"head branch not found"}');
      const number = ++pulls;
      const answer = JSON.stringify({ number, html_url: `https://github.com/${m[1]}/${m[2]}/pull/${number}`, head: { ref: body.head, sha: pushed }, base: { ref: body.base } });
      res.writeHead(201, { "content-type": "application/json" }).end(answer);
    });
  };

  const server = createServer({ cert: readFileSync("/fakes/cert.pem"), key: readFileSync("/fakes/key.pem") }, (req, res) => {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (host !== "api.github.com") record(req);
    if (MODEL_HOSTS.includes(host)) return toModel(req, res);
    if (host === "github.com") return gitServer.handler(req, res);
    if (host === "api.github.com") return github(req, res);
    res.writeHead(404).end();
  });
  server.listen(443, "0.0.0.0", () => process.stdout.write("upstreams ready\n"));
}

main().catch((error: unknown) => {
  process.stderr.write(`upstreams: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
