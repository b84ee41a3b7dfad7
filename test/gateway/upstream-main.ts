// One fake upstream in its own container (bundled to one .cjs by the podman suite):
//   node upstream.cjs ROLE /fixture      ROLE: model | github | git | npm
// It serves TLS on 0.0.0.0:443 with the test CA's certificate (/fixture/cert.pem, key.pem) and
// writes what it received to /fixture/record/ROLE.json after every request.
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { request, type RequestListener } from "node:http";
import { join } from "node:path";
import { startFakeModel } from "../real/fake-model.js";
import { fakeGithubApi, fakeGitServer, fakeNpmRegistry, tlsFront } from "./fakes.js";

const [role, dir] = process.argv.slice(2) as [string, string];
const ca = { caPem: "", certPem: readFileSync(join(dir, "cert.pem"), "utf8"), keyPem: readFileSync(join(dir, "key.pem"), "utf8") };
const record = (value: unknown) => {
  const file = join(dir, "record", `${role}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
};
/** Records once the response is done, so the file is current when the client has its answer. */
const recording = (handler: RequestListener, snapshot: () => unknown): RequestListener => (req, res) => {
  res.on("finish", () => record(snapshot()));
  handler(req, res);
};

async function main(): Promise<void> {
  if (role === "model") {
    // The script is read again on every request: the test writes it once it knows the addresses, and
    // again before each agent run, which starts a fresh record.
    const commands: string[] = ["true"];
    const model = await startFakeModel({ commands });
    let loaded = 0;
    const forward: RequestListener = (req, res) => {
      const file = join(dir, "commands.json");
      const mtime = statSync(file).mtimeMs;
      if (mtime !== loaded) {
        loaded = mtime;
        commands.splice(0, commands.length, ...(JSON.parse(readFileSync(file, "utf8")) as string[]));
        model.requests.splice(0);
        model.turnResults.splice(0);
      }
      const up = request({ host: "127.0.0.1", port: model.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    };
    await tlsFront(ca, recording(forward, () => ({ requests: model.requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers })), turnResults: model.turnResults })), "0.0.0.0");
  } else if (role === "github") {
    const api = fakeGithubApi();
    await tlsFront(ca, recording(api.handler, () => api.seen), "0.0.0.0");
  } else if (role === "git") {
    const git = fakeGitServer(join(dir, "git"));
    await tlsFront(ca, recording(git.handler, () => git.seen), "0.0.0.0");
  } else if (role === "npm") {
    // The one package's tarball and integrity, made by `npm pack` on the host (harness.npmTarball).
    const { integrity } = JSON.parse(readFileSync(join(dir, "npm", "integrity.json"), "utf8")) as { integrity: string };
    const npm = fakeNpmRegistry(readFileSync(join(dir, "npm", "left-pad-fake-1.0.0.tgz")), integrity);
    await tlsFront(ca, recording(npm.handler, () => npm.seen.map((s) => ({ method: s.method, url: s.url }))), "0.0.0.0");
  } else throw new Error(`unknown role ${role}`);
  process.stdout.write(`upstream ${role} ready\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
