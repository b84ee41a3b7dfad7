// Fake upstreams for the gateway tests, each a plain HTTP handler that records what it got:
// GitHub's REST and GraphQL API, an npm registry, and git smart HTTP (`git http-backend` as CGI).
// `tlsFront` puts TLS (the test CA's certificate) in front of a handler on its own loopback
// address and port 443, so the gateway reaches it by name through --hosts.
import { spawn } from "node:child_process";
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TestCa } from "./test-ca.js";

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export function recorder(): { seen: Seen[]; read(req: IncomingMessage): Promise<Seen> } {
  const seen: Seen[] = [];
  return {
    seen,
    read: (req) =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const s = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
          seen.push(s);
          resolve(s);
        });
      }),
  };
}

const json = (res: ServerResponse, status: number, value: unknown) => {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
};

/** api.github.com: answers anything; repository reads return a small repository object. */
export function fakeGithubApi() {
  const rec = recorder();
  const handler: RequestListener = async (req, res) => {
    const s = await rec.read(req);
    if (s.url.startsWith("/graphql")) return json(res, 200, { data: { ok: true } });
    if (s.method === "GET" && /^\/repos\/[^/]+\/[^/]+$/.test(s.url)) return json(res, 200, { full_name: s.url.slice(7), private: false });
    if (s.method === "DELETE") return void res.writeHead(204).end();
    const pull = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(s.url);
    if (s.method === "POST" && pull !== null) return json(res, 201, { number: 1, html_url: `https://github.com/${pull[1]}/${pull[2]}/pull/1` });
    return json(res, 200, { ok: true, method: s.method, url: s.url });
  };
  return { ...rec, handler };
}

/** registry.npmjs.org: one package `left-pad-fake` to install; PUT is a publish. */
export function fakeNpmRegistry(tarball: Buffer, integrity: string) {
  const rec = recorder();
  const handler: RequestListener = async (req, res) => {
    const s = await rec.read(req);
    const host = req.headers.host ?? "registry.npmjs.org";
    if (s.method === "GET" && s.url === "/left-pad-fake") {
      return json(res, 200, {
        name: "left-pad-fake",
        "dist-tags": { latest: "1.0.0" },
        versions: { "1.0.0": { name: "left-pad-fake", version: "1.0.0", dist: { tarball: `https://${host}/left-pad-fake/-/left-pad-fake-1.0.0.tgz`, integrity } } },
      });
    }
    if (s.method === "GET" && s.url === "/left-pad-fake/-/left-pad-fake-1.0.0.tgz") {
      return void res.writeHead(200, { "content-type": "application/octet-stream", "content-length": tarball.length }).end(tarball);
    }
    if (s.method === "PUT") return json(res, 201, { ok: true });
    return json(res, 404, { error: "not found" });
  };
  return { ...rec, handler };
}

/** github.com: git smart HTTP over `git http-backend`, pushes enabled, for repositories under `root`. */
export function fakeGitServer(root: string) {
  const rec: Seen[] = [];
  const handler: RequestListener = (req, res) => {
    const [pathInfo, query = ""] = (req.url ?? "/").split("?");
    rec.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "" });
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        REMOTE_USER: "agent",
        REQUEST_METHOD: req.method,
        PATH_INFO: pathInfo,
        QUERY_STRING: query,
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
        ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
        GIT_HTTP_MAX_REQUEST_BUFFER: "100M",
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let sent = false;
    cgi.stdout.on("data", (c: Buffer) => {
      if (sent) return void res.write(c);
      head = Buffer.concat([head, c]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = head.subarray(0, end).toString("latin1").split("\r\n");
      let status = 200;
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const [k, ...v] = l.split(":");
        if (k!.toLowerCase() === "status") status = Number.parseInt(v.join(":").trim(), 10);
        else headers[k!] = v.join(":").trim();
      }
      res.writeHead(status, headers);
      sent = true;
      res.write(head.subarray(end + 4));
    });
    cgi.on("close", () => {
      if (!sent) res.writeHead(500);
      res.end();
    });
  };
  return { seen: rec, handler };
}

export interface Front {
  address: string;
  close(): Promise<void>;
}

let nextAddress = 0;
/** A fresh loopback address for one upstream (127.77.x.y), so each can listen on 443 by name. */
export function loopbackAddress(): string {
  const n = (process.pid % 200) * 64 + (nextAddress++ % 64);
  return `127.77.${Math.floor(n / 250) + 1}.${(n % 250) + 1}`;
}

export async function tlsFront(ca: TestCa, handler: RequestListener, address = loopbackAddress(), port = 443): Promise<Front> {
  const server = createHttpsServer({ cert: `${ca.certPem}\n${ca.caPem}`, key: ca.keyPem }, handler);
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => resolve());
  });
  return {
    address,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function plainServer(handler: RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
