// `perimeter gateway`: the agent container's only way out. Bundled on its own (dist/gateway.cjs), so
// the CLI's other commands never load the proxy, the certificates or GraphQL; it throws no
// PerimeterError (the CLI side makes those, from its own copy of the classes). An HTTP(S) proxy on Node's own http, net
// and tls (README "The gateway" says why no proxy library): hosts outside [network] are refused;
// allowed hosts without credentials or wire rules are tunnelled as they are; the others have their
// TLS terminated with the run's CA, each request checked, the credential put into its one header,
// and sent on over TLS that verifies the real upstream.
import { mkdirSync, renameSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { connect as netConnect, isIP, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import type { Duplex, Readable } from "node:stream";
import { createSecureContext, rootCertificates, TLSSocket } from "node:tls";
import type { Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { normalHost } from "../profile/host.js";
import type { Limits } from "../profile/types.js";
import { createRunCa, type RunCa } from "./ca.js";
import { clientHelloName, type HelloResult } from "./client-hello.js";
import { GATEWAY_CIPHERS } from "./ciphers.js";
import { effectiveMethods, formMethodOverrides, graphqlFieldsFor, graphqlRefusal, hasHttpWire, httpWireRefusal, isFormPost, isGitApiHost, isReceivePack, refMutationRefusal, refUpdateRefusal, refWriteRefusal, repositoryRefusal, writtenRepository } from "./checks.js";
import { restRefWrite } from "./github-refs.js";
import { normalPath } from "../profile/glob.js";
import { isGraphqlPath, mutationFields } from "./graphql.js";
import { hostsLookup, type HostsMap } from "./hosts-file.js";
import { loggedPath, openLog, type GatewayLog, type LogLine } from "./log.js";
import { isAllowed, isInspected, type GatewayPolicy } from "./policy.js";
import { ReceivePackHead, type HeadResult } from "./receive-pack.js";
import { rawRefusal, sendRefusal, type Refusal } from "./refusal.js";
import { Budget, estimatedUsage, modelApiOf, UsageReader, type Totals } from "./usage.js";

export interface GatewayOptions {
  /** The profile's gateway sections with the secrets loaded (compilePolicy). */
  policy: GatewayPolicy;
  limits: Limits;
  host: string;
  port: number;
  caDir: string;
  logFile?: string;
  /** Rewritten after every model response: the run's usage totals, for the launcher. */
  usageFile?: string;
  hosts?: HostsMap;
  /** PEM text trusted for upstreams in addition to the system store. */
  upstreamCa?: string;
  /** `githost/owner/name` (lower case): the only repositories pushes and API ref writes may go to. */
  repositories?: readonly string[];
  /** Budget crossings and other moments a launcher may want to hear about. */
  onEvent?: (event: Record<string, unknown>) => void;
}

export interface RunningGateway {
  host: string;
  port: number;
  caFile: string;
  bundleFile: string;
  policy: GatewayPolicy;
  totals(): Totals;
  close(): Promise<Totals>;
}

export const CA_FILE = "ca.pem";

/** Bytes a tunnel lets queue for a slow side before it pauses the other (a socket's own mark is 16 KB). */
const TUNNEL_QUEUE = 1 << 20;

/**
 * `from` into `to` with a deeper queue than pipe(): pipe pauses the reader whenever the writer holds
 * more than 16 KB, which a 64 KB read always does, so a fast download paused and resumed per read.
 */
function pump(from: Socket, to: Socket): void {
  from.on("data", (chunk: Buffer) => {
    to.write(chunk);
    if (to.writableLength > TUNNEL_QUEUE) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  });
  from.once("end", () => to.end());
}

/** Bytes of one read from an upstream in a tunnel: 4x a socket's usual 64 KB, so a quarter of the callbacks. */
const READ_SIZE = 256 << 10;

/**
 * The download side of a tunnel without a Buffer allocated per read (each one is external memory
 * that drives V8 into a major GC every few tens of MB): the upstream reads into buffers of this pool,
 * a buffer goes back once the client's write of it is done, and reading stops while TUNNEL_QUEUE
 * bytes are still queued for the client.
 */
class ReadPool {
  private readonly free: Buffer[] = [];
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(READ_SIZE);
  }
  /** net.Socket's onread callback: returning false pauses `from` until the queue drains. */
  forward(buf: Uint8Array, n: number, to: Socket, from: Socket): boolean {
    const buffer = buf as Buffer;
    to.write(buffer.subarray(0, n), () => this.free.push(buffer));
    if (to.writableLength <= TUNNEL_QUEUE) return true;
    to.once("drain", () => from.resume());
    return false;
  }
}
export const BUNDLE_FILE = "ca-bundle.pem";

interface Target {
  host: string;
  port: number;
  /** True inside a terminated TLS tunnel; false for plain-HTTP proxy requests. */
  secure: boolean;
}

const TARGET = Symbol("perimeter.target");
type TaggedSocket = Socket & { [TARGET]?: Target };

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade"]);
/** Most a GraphQL or form request body is read for checking; a larger one is refused. */
const MAX_CHECKED_BODY = 8 << 20;

/**
 * A CONNECT authority "host:port" or "[v6]:port". The name in DNS's own letters only: "a%00.x.com"
 * would meet "*.x.com" and reach the resolver as something else.
 */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(authority);
  if (!m) return undefined;
  const port = Number(m[3]);
  return port > 0 && port < 65536 ? { host: normalHost(m[1] ?? m[2]!), port } : undefined;
}

function systemBundle(): string[] {
  const file = "/etc/ssl/certs/ca-certificates.crt";
  return existsSync(file) ? [readFileSync(file, "utf8")] : [];
}

function writeAtomically(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

function decoderFor(encoding: string | undefined): Transform | undefined | "unknown" {
  const e = (encoding ?? "").trim().toLowerCase();
  if (e === "" || e === "identity") return undefined;
  if (e === "gzip" || e === "x-gzip") return createGunzip();
  if (e === "deflate") return createInflate();
  if (e === "br") return createBrotliDecompress();
  return "unknown";
}

function outgoingHeaders(req: IncomingMessage, drop: ReadonlySet<string>): string[] {
  const connectionListed = new Set(
    String(req.headers.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ""),
  );
  const out: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || connectionListed.has(lower) || drop.has(lower)) continue;
    out.push(name, req.rawHeaders[i + 1]!);
  }
  return out;
}

function responseHeaders(res: IncomingMessage): string[] {
  const out: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const lower = res.rawHeaders[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(lower)) out.push(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  }
  return out;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const policy = options.policy;
  const budget = new Budget(options.limits);
  const log: GatewayLog = openLog(options.logFile);
  const ca: RunCa = await createRunCa();
  const lookup = hostsLookup(options.hosts ?? new Map());
  const trusted = [...rootCertificates, ...systemBundle(), ...(options.upstreamCa ? [options.upstreamCa] : [])];
  // One context made once: an agent given `ca` hashes all ~150 roots into its pool key on every
  // request and builds a context per connection (2 s of a 200 MB intercepted download's CPU).
  // Made just after the CA is written, not before: parsing the roots takes tens of milliseconds that
  // the run's start (the clone waits for the CA) need not wait for.
  let tlsAgent: HttpsAgent | undefined;
  const upstreamAgent = () => (tlsAgent ??= new HttpsAgent({ keepAlive: true, secureContext: createSecureContext({ ca: trusted, ciphers: GATEWAY_CIPHERS }) }));
  const plainAgent = new HttpAgent({ keepAlive: true });
  const emit = options.onEvent ?? (() => {});
  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };

  const writeUsage = () => {
    if (options.usageFile !== undefined) writeAtomically(options.usageFile, `${JSON.stringify(budget.totals)}\n`, 0o644);
  };

  // --- one request, inside a terminated tunnel or as a plain-HTTP proxy request -----------------

  async function handle(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const started = performance.now();
    let url = req.url ?? "/";
    if (!url.startsWith("/")) {
      // Absolute form inside a tunnel must still name the tunnel's host.
      try {
        const parsed = new URL(url);
        if (normalHost(parsed.hostname) !== target.host) return refuse({ rule: "host-mismatch", message: `the request names ${parsed.hostname} inside a tunnel to ${target.host}` });
        url = `${parsed.pathname}${parsed.search}`;
      } catch {
        return refuse({ rule: "bad-request", message: "the request target is not a path or a URL" });
      }
    }
    const line: LogLine = { host: target.host, port: target.port, method: req.method, path: loggedPath(url) };
    const path = normalPath(url);
    let methods = effectiveMethods(req.method ?? "GET", req.headers, url);
    const finish = (extra: LogLine) => log.write({ ...line, ms: Math.round((performance.now() - started) * 100) / 100, ...extra });

    function refuse(refusal: Refusal): void {
      finish({ decision: "deny", rule: refusal.rule, status: refusal.status ?? 403, detail: refusal.message });
      req.resume();
      sendRefusal(res, refusal);
    }

    // Every Host header: req.headers.host is the first, but all go upstream, and a front end may
    // route by the last one (fronting to another site with the credential attached).
    for (const hostHeader of req.headersDistinct.host ?? []) {
      const named = normalHost(hostHeader.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1"));
      if (named !== target.host) return refuse({ rule: "host-mismatch", message: `Host ${hostHeader} inside a tunnel to ${target.host}` });
    }
    // TRACE answers with the request as the upstream got it: the credential's header included.
    if (methods.includes("TRACE") || methods.includes("TRACK")) return refuse({ rule: "method.trace", message: "TRACE would echo the request, the credential's header included" });
    // A form POST may carry Rails' `_method` in its body: read it (small) before the wire rules.
    let formBody: Buffer | undefined;
    if (isFormPost(req.method, req.headers["content-type"]) && hasHttpWire(policy, target.host)) {
      const body = await readBody(req, MAX_CHECKED_BODY);
      if (body instanceof Error) return refuse({ rule: "form.unreadable", message: `${body.message}; a form that cannot be checked for _method is refused` });
      formBody = body;
      methods = effectiveMethods(req.method ?? "POST", req.headers, url, formMethodOverrides(req.headers["content-type"]!, body));
    }
    const wire = httpWireRefusal(policy, target.host, methods, path);
    if (wire) return refuse(wire);
    const api = modelApiOf(methods[0]!, path, target.host);
    const overBudget = (): boolean => {
      const over = api === undefined ? undefined : budget.refusal();
      if (over === undefined) return false;
      budget.totals.refused += 1;
      writeUsage();
      refuse({ rule: "limits.stop_percent", message: over, status: 400 });
      return true;
    };
    if (overBudget()) return;
    if (req.headers.upgrade !== undefined) return refuse({ rule: "upgrade", message: "protocol upgrades (WebSocket) cannot be checked on an inspected host" });

    // The body: read whole (GraphQL), its head read (git push), or streamed.
    let prefix: Buffer[] = [];
    let rest: Readable | undefined = req;
    if (formBody !== undefined) {
      prefix = [formBody];
      rest = undefined;
    }
    const gitApi = isGitApiHost(policy, target.host);
    const refWrite = gitApi ? methods.map((m) => restRefWrite(m, path)).find((w) => w !== undefined) : undefined;
    if (isGraphqlPath(path) && (gitApi || graphqlFieldsFor(policy, target.host).size > 0)) {
      const body = formBody ?? (await readBody(req, MAX_CHECKED_BODY));
      if (body instanceof Error) return refuse({ rule: "graphql.unreadable", message: body.message });
      const queryParam = new URL(url, "http://x").searchParams.get("query");
      const decoded = await decodeWhole(body, req.headers["content-encoding"]);
      if (decoded instanceof Error) return refuse({ rule: "graphql.unreadable", message: decoded.message });
      // Whatever the method: a GET's body is read too (a server may parse a JSON body on any method).
      const fields = mutationFields(decoded.toString("utf8"), queryParam);
      const refusal = graphqlRefusal(policy, target.host, fields) ?? (gitApi && !(fields instanceof Error) ? refMutationRefusal(policy, fields) : undefined);
      if (refusal) return refuse(refusal);
      prefix = [body];
      rest = undefined;
    } else if (refWrite !== undefined) {
      const other = repositoryRefusal(options.repositories, writtenRepository(policy, target.host, path, "api"), `${refWrite.what} in`);
      if (other) return refuse(other);
      const body = refWrite.kind === "body" ? (formBody ?? (await readBody(req, MAX_CHECKED_BODY))) : undefined;
      if (body instanceof Error) return refuse({ rule: "git.unreadable", message: body.message });
      const decoded = body === undefined ? undefined : await decodeWhole(body, req.headers["content-encoding"]);
      if (decoded instanceof Error) return refuse({ rule: "git.unreadable", message: decoded.message });
      const refusal = refWriteRefusal(policy, refWrite, decoded);
      if (refusal) return refuse(refusal);
      prefix = body === undefined ? [] : [body];
      rest = body === undefined ? req : undefined;
      // By its content type too: a push the server routes by another path spelling is still read.
    } else if (req.method === "POST" && isReceivePack(path, req.headers["content-type"])) {
      const other = repositoryRefusal(options.repositories, writtenRepository(policy, target.host, path, "push"), "pushing to");
      if (other) return refuse(other);
      const head = await readPushHead(req);
      if ("error" in head.result) return refuse({ rule: "git.unreadable", message: head.result.error });
      const refusal = refUpdateRefusal(policy, head.result.updates);
      if (refusal) return refuse(refusal);
      prefix = head.chunks;
      rest = head.ended ? undefined : req;
      line.refs = head.result.updates.map((u) => u.ref);
    }

    const credential = target.secure ? policy.credentials.find((c) => c.host === target.host && target.port === 443) : undefined;
    const drop = new Set<string>(credential ? [credential.header] : []);
    if (api !== undefined) drop.add("accept-encoding");
    const headers = outgoingHeaders(req, drop);
    if (credential) headers.push(credential.header, credential.value);
    if (api !== undefined) headers.push("accept-encoding", "identity");
    if (rest === undefined && req.headers["transfer-encoding"] !== undefined) {
      headers.push("content-length", String(prefix.reduce((n, b) => n + b.length, 0)));
    }

    // Past the warn threshold model calls go one at a time, each checked again once its turn
    // comes: else a burst of calls started together all pass the stop before any reply is counted.
    const release = api !== undefined && budget.totals.warned ? await modelTurn() : () => {};
    if (overBudget()) return release();

    const send = target.secure ? httpsRequest : httpRequest;
    let upstream: ReturnType<typeof send>;
    try {
      upstream = send({
        host: target.host,
        port: target.port,
        method: req.method,
        path: url,
        headers: headers as unknown as OutgoingHttpHeaders,
        agent: target.secure ? upstreamAgent() : plainAgent,
        lookup: lookup as never,
        ...(target.secure && isIP(target.host) === 0 ? { servername: target.host } : {}),
      });
    } catch (error) {
      // A request Node will not send (a header it refuses) must not keep the model calls' turn.
      release();
      throw error;
    }
    let bytesIn = 0;
    let bytesOut = 0;
    for (const b of prefix) bytesIn += b.length;
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    let answered = false;
    upstream.on("error", (error) => {
      const detail = (error as NodeJS.ErrnoException).code ?? error.message;
      // Once the reply has begun, its own end (settle below) writes the one line.
      if (answered) return void res.destroy();
      release();
      if (!res.headersSent) {
        const body = JSON.stringify({ message: `perimeter gateway: cannot reach ${target.host}:${target.port} (${detail})` });
        res.writeHead(502, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
      } else res.destroy();
      finish({ decision: "error", status: 502, detail, bytesIn });
    });
    upstream.on("response", (upRes) => {
      answered = true;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, responseHeaders(upRes) as unknown as OutgoingHttpHeaders);
      const reader = api === undefined ? undefined : new UsageReader(/event-stream/.test(String(upRes.headers["content-type"] ?? "")) || /stream|alt=sse/.test(url), /models\/([^/:]+):/.exec(path)?.[1]);
      const decoder = reader === undefined ? undefined : decoderFor(upRes.headers["content-encoding"]);
      const sink = decoder === "unknown" ? undefined : decoder;
      sink?.on("data", (c: Buffer) => reader!.feed(c));
      // As pump() for tunnels: a deeper queue than pipe()'s 16 KB keeps a download streaming.
      upRes.on("data", (chunk: Buffer) => {
        bytesOut += chunk.length;
        if (reader !== undefined && decoder === undefined) reader.feed(chunk);
        else sink?.write(chunk);
        res.write(chunk);
        if (res.writableLength > TUNNEL_QUEUE) {
          upRes.pause();
          res.once("drain", () => upRes.resume());
        }
      });
      // Logged and counted exactly once, however the exchange ends. A client that hangs up after the
      // last event but before the reply's end (Codex drops the stream at its last event) still had
      // every byte passed on counted: otherwise the call leaves no line, and an agent could dodge
      // the budget by resetting the connection.
      let settled = false;
      const settle = (detail?: string) => {
        if (settled) return;
        settled = true;
        const done = () => {
          const extra: LogLine = { decision: "allow", rule: credential ? `credentials.${credential.name}` : undefined, status: upRes.statusCode, bytesIn, bytesOut, ...(detail !== undefined ? { detail } : {}) };
          let usage = reader?.result();
          const ok = (upRes.statusCode ?? 0) >= 200 && (upRes.statusCode ?? 0) < 300;
          if (usage !== undefined && ok && !reader!.reported && api !== "other") usage = estimatedUsage(usage, bytesIn, Math.max(reader!.bytes, bytesOut));
          // A POST to a model host on another path counts only with usage of its own (not telemetry).
          if (usage !== undefined && api === "other" && usage.input + usage.output === 0) usage = undefined;
          if (usage !== undefined) {
            const { usd, crossed } = budget.add(usage);
            extra.usage = { ...usage, usd };
            writeUsage();
            for (const kind of crossed) {
              const event = kind === "warn" ? "budget-warn" : "budget-stop";
              log.write({ event, detail: budget.describe(), totals: { ...budget.totals } });
              emit({ event, totals: { ...budget.totals } });
            }
          }
          finish(extra);
          release();
        };
        if (sink !== undefined) {
          sink.once("end", done);
          sink.once("error", done);
          sink.end();
        } else done();
      };
      upRes.on("end", () => {
        res.end();
        settle();
      });
      res.once("close", () => {
        if (!res.writableFinished) settle("the client closed before the reply ended");
      });
      upRes.once("close", () => {
        if (!upRes.complete) settle("the upstream closed before the reply ended");
      });
    });
    for (const b of prefix) upstream.write(b);
    if (rest === undefined) upstream.end();
    else {
      rest.on("data", (c: Buffer) => (bytesIn += c.length));
      rest.pipe(upstream);
      rest.resume();
    }
  }

  /** One model call at a time: resolves with the release of this call's turn (idempotent). */
  let lastTurn: Promise<void> = Promise.resolve();
  async function modelTurn(): Promise<() => void> {
    const previous = lastTurn;
    let release!: () => void;
    lastTurn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }

  function readBody(req: IncomingMessage, limit: number): Promise<Buffer | Error> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          req.removeAllListeners("data");
          req.resume();
          resolve(new Error(`the body is over ${limit} bytes`));
        } else chunks.push(c);
      });
      req.once("end", () => resolve(Buffer.concat(chunks)));
      req.once("error", (e) => resolve(e));
    });
  }

  function decodeWhole(body: Buffer, encoding: string | undefined): Promise<Buffer | Error> {
    const decoder = decoderFor(encoding);
    if (decoder === undefined) return Promise.resolve(body);
    if (decoder === "unknown") return Promise.resolve(new Error(`content-encoding ${encoding} cannot be read`));
    return new Promise((resolve) => {
      const out: Buffer[] = [];
      decoder.on("data", (c: Buffer) => out.push(c));
      decoder.once("end", () => resolve(Buffer.concat(out)));
      decoder.once("error", (e: Error) => resolve(e));
      decoder.end(body);
    });
  }

  /** Reads a push until its command list is complete; the chunks read so far go upstream first. */
  function readPushHead(req: IncomingMessage): Promise<{ chunks: Buffer[]; result: Exclude<HeadResult, { done: false }>; ended: boolean }> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const parser = new ReceivePackHead();
      const decoder = decoderFor(req.headers["content-encoding"]);
      let settled = false;
      let ended = false;
      const settle = (result: Exclude<HeadResult, { done: false }>) => {
        if (settled) return;
        settled = true;
        req.pause();
        req.removeListener("data", onData);
        if (decoder !== undefined && decoder !== "unknown") decoder.destroy();
        resolve({ chunks, result, ended });
      };
      const feed = (c: Buffer) => {
        const r = parser.feed(c);
        if (r.done) settle(r);
      };
      if (decoder === "unknown") {
        settle({ done: true, error: `content-encoding ${req.headers["content-encoding"]} cannot be read` });
        return;
      }
      decoder?.on("data", feed);
      decoder?.once("error", (e: Error) => settle({ done: true, error: `the push body does not decode: ${e.message}` }));
      decoder?.once("end", () => settle({ done: true, error: "the push ended before its command list did" }));
      const onData = (c: Buffer) => {
        chunks.push(c);
        if (decoder === undefined) feed(c);
        else decoder.write(c);
      };
      req.on("data", onData);
      req.once("end", () => {
        ended = true;
        if (decoder !== undefined) decoder.end();
        else settle({ done: true, error: "the push ended before its command list did" });
      });
    });
  }

  // --- the servers -------------------------------------------------------------------------------

  const inner: Server = createServer({ requestTimeout: 0 }, (req, res) => {
    const target = (req.socket as TaggedSocket)[TARGET]!;
    handle(req, res, target).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500).end();
      log.write({ host: target.host, decision: "error", detail: error.message });
    });
  });
  inner.on("upgrade", (req, socket: Duplex) => {
    const target = (req.socket as TaggedSocket)[TARGET]!;
    socket.end(rawRefusal({ rule: "upgrade", message: "protocol upgrades (WebSocket) cannot be checked on an inspected host" }));
    log.write({ host: target.host, port: target.port, method: req.method, path: loggedPath(req.url ?? "/"), decision: "deny", rule: "upgrade", status: 403 });
  });

  const outer: Server = createServer({ requestTimeout: 0 }, (req, res) => {
    const url = req.url ?? "/";
    let parsed: URL | undefined;
    try {
      parsed = url.startsWith("/") ? undefined : new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.protocol !== "http:") {
      sendRefusal(res, { rule: "bad-request", message: "this is a proxy: send CONNECT host:port, or an absolute http:// URL" });
      log.write({ method: req.method, path: loggedPath(url), decision: "deny", rule: "bad-request", status: 403 });
      return;
    }
    const host = normalHost(parsed.hostname.replace(/^\[(.*)\]$/, "$1"));
    const port = parsed.port === "" ? 80 : Number(parsed.port);
    if (!isAllowed(policy, host, port)) {
      const refusal = networkRefusal(host, port);
      sendRefusal(res, refusal);
      log.write({ host, port, method: req.method, path: loggedPath(`${parsed.pathname}${parsed.search}`), decision: "deny", rule: refusal.rule, status: 403 });
      return;
    }
    handle(req, res, { host, port, secure: false }).catch(() => res.destroy());
  });

  const networkRefusal = (host: string, port: number): Refusal => ({
    rule: "network.allow",
    message: `${host}:${port} is not in network.allow of profile "${policy.profile}"`,
  });

  outer.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    track(client);
    client.on("error", () => client.destroy());
    const started = performance.now();
    const target = parseAuthority(req.url ?? "");
    if (target === undefined) {
      client.end(rawRefusal({ rule: "bad-request", message: `CONNECT needs host:port, not ${JSON.stringify(req.url)}` }));
      return;
    }
    const { host, port } = target;
    if (!isAllowed(policy, host, port)) {
      const refusal = networkRefusal(host, port);
      client.end(rawRefusal(refusal));
      log.write({ host, port, method: "CONNECT", decision: "deny", rule: refusal.rule, status: 403 });
      return;
    }
    if (!isInspected(policy, host, port)) {
      tunnel(client, head, host, port, started);
      return;
    }
    client.setNoDelay(true);
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) client.unshift(head);
    client.pause();
    ca.contextFor(host).then(
      (secureContext) => {
        const tls = new TLSSocket(client, { isServer: true, secureContext, ALPNProtocols: ["http/1.1"] }) as TLSSocket & TaggedSocket;
        tls[TARGET] = { host, port, secure: true };
        track(tls);
        tls.on("error", (error) => {
          log.write({ host, port, method: "CONNECT", decision: "error", rule: "tls", detail: (error as NodeJS.ErrnoException).code ?? error.message });
          tls.destroy();
        });
        inner.emit("connection", tls);
        client.resume();
      },
      (error: Error) => {
        log.write({ host, port, method: "CONNECT", decision: "error", rule: "tls", detail: error.message });
        client.destroy();
      },
    );
  });

  function tunnel(client: Socket, head: Buffer, host: string, port: number, started: number): void {
    const pool = new ReadPool();
    const upstream: Socket = netConnect({ host, port, lookup: lookup as never, onread: { buffer: () => pool.take(), callback: (n: number, buf: Uint8Array): boolean => pool.forward(buf, n, client, upstream) } });
    track(upstream);
    let connected = false;
    let refused: string | undefined;
    upstream.once("connect", () => {
      connected = true;
      upstream.setNoDelay(true);
      client.setNoDelay(true);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      // The first flight only, once: a TLS session inside must be for the CONNECT's host, or the
      // tunnel would carry the agent to any other site behind the same address (SNI fronting).
      firstFlight(client, head, (bytes, hello) => {
        const other = "error" in hello ? hello.error : "tls" in hello && hello.tls && hello.name !== undefined && normalHost(hello.name) !== host ? `the TLS session inside names ${hello.name}` : undefined;
        if (other !== undefined) {
          refused = other;
          client.destroy();
          return;
        }
        if (bytes.length > 0) upstream.write(bytes);
        pump(client, upstream);
        upstream.once("end", () => client.end());
      });
    });
    upstream.on("error", (error) => {
      const detail = (error as NodeJS.ErrnoException).code ?? error.message;
      if (!connected) {
        const body = `perimeter gateway: cannot reach ${host}:${port} (${detail})`;
        client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      } else client.destroy();
    });
    client.on("close", () => upstream.destroy());
    upstream.once("close", () => {
      client.destroy();
      if (refused !== undefined) return log.write({ host, port, method: "CONNECT", decision: "deny", rule: "tunnel.sni", detail: refused, ms: Math.round(performance.now() - started) });
      log.write({ host, port, method: "CONNECT", decision: connected ? "tunnel" : "error", status: connected ? 200 : 502, bytesIn: upstream.bytesWritten, bytesOut: upstream.bytesRead, ms: Math.round(performance.now() - started) });
    });
  }

  /** Gathers a tunnel's first client bytes until its ClientHello is whole (or it is not TLS). */
  function firstFlight(client: Socket, head: Buffer, done: (bytes: Buffer, hello: HelloResult) => void): void {
    let bytes = head;
    const check = (): boolean => {
      const hello = clientHelloName(bytes);
      if ("need" in hello) return false;
      client.removeListener("data", onData);
      done(bytes, hello);
      return true;
    };
    const onData = (chunk: Buffer) => {
      bytes = bytes.length === 0 ? chunk : Buffer.concat([bytes, chunk]);
      check();
    };
    if (!check()) client.on("data", onData);
  }

  outer.on("clientError", (_error, socket: Duplex) => socket.destroy());
  inner.on("clientError", (_error, socket: Duplex) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    outer.once("error", reject);
    outer.listen(options.port, options.host, () => resolve());
  });
  const address = outer.address() as AddressInfo;

  // The certificate only, never the key; the bundle is what SSL_CERT_FILE and friends point at.
  mkdirSync(options.caDir, { recursive: true });
  const caFile = join(options.caDir, CA_FILE);
  const bundleFile = join(options.caDir, BUNDLE_FILE);
  writeAtomically(bundleFile, `${[...rootCertificates, ...systemBundle()].join("\n")}\n${ca.certPem}\n`, 0o644);
  writeAtomically(caFile, `${ca.certPem}\n`, 0o644);
  setImmediate(upstreamAgent);
  writeUsage();
  log.write({ event: "start", detail: `profile ${policy.profile}`, host: address.address, port: address.port, credentials: policy.credentials.map((c) => c.name), missing: policy.missing });

  return {
    host: address.address,
    port: address.port,
    caFile,
    bundleFile,
    policy,
    totals: () => ({ ...budget.totals }),
    async close() {
      await new Promise<void>((resolve) => {
        outer.close(() => resolve());
        inner.close();
        for (const s of sockets) s.destroy();
        outer.closeAllConnections();
        inner.closeAllConnections();
      });
      tlsAgent?.destroy();
      plainAgent.destroy();
      writeUsage();
      log.write({ event: "stop", totals: { ...budget.totals } });
      await log.close();
      return { ...budget.totals };
    },
  };
}
