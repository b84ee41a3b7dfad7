// Gateway cases of `npm run bench`, all on loopback, in one run:
//   6a. a 200 MB download through the gateway, tunnelled (CONNECT, bytes piped)  vs Debian's squid as a plain CONNECT proxy
//   6b. the same download TLS-intercepted by the gateway (its CA, re-encrypted)   vs the same download direct
//   6c. one small intercepted request on a kept-alive connection: the latency the gateway adds (p50, p90)
//   6d. the same download through HAProxy re-encrypting (TLS terminated and made again, nothing checked)
//       vs direct: the floor any TLS-intercepting proxy has on this machine, to read 6b against
// The upstream is one Node HTTPS server (a test CA) on its own loopback address; the client is curl
// for the downloads and a raw TLS socket for the small requests. Rounds are interleaved.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { connect as netConnect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { makeTestCa, type TestCa } from "../gateway/test-ca.js";
import { aptInstall } from "../container/podman.js";
import { loopbackAddress } from "../gateway/fakes.js";
import { quantile, summarize, type CaseResult } from "./lib.js";

const SIZE = 200 << 20;
// Nine: on a shared 2-core machine five rounds left the 6a median moving by a factor of two between runs.
const ROUNDS = 9;
const SMALL_REQUESTS = 2000;

interface Proxy {
  port: number;
  pid?: number;
  stop(): void;
}

/**
 * CPU milliseconds (user + system, all threads) a process has used, from /proc; undefined elsewhere.
 * Wall time on a shared 2-core machine moves with the load; the CPU a proxy spends per download much less.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), 30_000);
    const on = (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ?? m[0]);
      }
    };
    child.stdout?.on("data", on);
    child.stderr?.on("data", on);
  });
}

async function freePort(): Promise<number> {
  const { createServer: plain } = await import("node:net");
  const s = plain();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Why `program` cannot run here, after installing its Debian package as the suites do; undefined when it can. */
async function missing(program: string): Promise<string | undefined> {
  const runs = () => spawnSync(program, ["-v"]).status === 0;
  if (!runs()) await aptInstall([program]).catch(() => {});
  return runs() ? undefined : `${program} is not installed and apt-get could not install it (apt-get install ${program})`;
}

/** Starts a proxy daemon and waits until it listens on `port`; why not, when it never does. */
async function startDaemon(program: string, args: string[], port: number): Promise<Proxy | string> {
  const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (open) return { port, pid: child.pid, stop: () => child.kill("SIGKILL") };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  return `${program} did not start`;
}

async function startSquid(dir: string, hostsFile: string): Promise<Proxy | string> {
  const absent = await missing("squid");
  if (absent !== undefined) return absent;
  const port = await freePort();
  const conf = join(dir, "squid.conf");
  writeFileSync(
    conf,
    [
      `http_port 127.0.0.1:${port}`,
      "http_access allow all",
      "cache deny all",
      "access_log none",
      `cache_log ${join(dir, "squid-cache.log")}`,
      `pid_filename ${join(dir, "squid.pid")}`,
      `hosts_file ${hostsFile}`,
      "dns_nameservers 127.0.0.1",
      "visible_hostname perimeter-bench",
      `coredump_dir ${dir}`,
      "shutdown_lifetime 0 seconds",
      "",
    ].join("\n"),
  );
  return startDaemon("squid", ["-N", "-f", conf], port);
}

/**
 * Debian's HAProxy as a TLS re-encrypting reverse proxy: it terminates the client's TLS with the
 * upstream's own certificate and makes a verified TLS connection upstream, checking nothing. Native
 * code, both threads, 256 KB buffers, AES-128-GCM first: the least a proxy that decrypts and
 * re-encrypts every byte costs here, which is what 6b's goal asks of the gateway.
 */
async function startHaproxy(dir: string, ca: TestCa, caFile: string, upstream: string): Promise<Proxy | string> {
  const absent = await missing("haproxy");
  if (absent !== undefined) return absent;
  const port = await freePort();
  const pem = join(dir, "haproxy.pem");
  writeFileSync(pem, `${ca.certPem}\n${ca.keyPem}`);
  const conf = join(dir, "haproxy.cfg");
  const suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";
  writeFileSync(
    conf,
    [
      "global",
      "  nbthread 2",
      "  tune.bufsize 262144",
      `  ssl-default-bind-ciphersuites ${suites}`,
      `  ssl-default-server-ciphersuites ${suites}`,
      "defaults",
      "  mode tcp",
      "  timeout connect 5s",
      "  timeout client 120s",
      "  timeout server 120s",
      "frontend bench",
      `  bind 127.0.0.1:${port} ssl crt ${pem}`,
      "  default_backend upstream",
      "backend upstream",
      `  server upstream ${upstream}:443 ssl ca-file ${caFile} verify required sni str(inspect.bench) verifyhost inspect.bench`,
      "",
    ].join("\n"),
  );
  return startDaemon("haproxy", ["-db", "-f", conf], port);
}

/** Not spawnSync: the upstream is served by this very process. */
function curlMs(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", ["-sS", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", "--max-time", "120", ...args], { env: { PATH: process.env.PATH } });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("close", (status) => {
      const [time, size] = out.trim().split(" ").map(Number);
      if (status !== 0 || size !== SIZE) reject(new Error(`curl ${args.join(" ")}: exit ${status}, ${size} bytes: ${err}`));
      else resolve(time! * 1000);
    });
  });
}

/** Milliseconds of each of `n` sequential small requests on one kept-alive TLS connection. */
async function smallRequests(socket: TLSSocket, host: string, n: number): Promise<number[]> {
  const times: number[] = [];
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  socket.on("data", (c: Buffer) => {
    buffered = Buffer.concat([buffered, c]);
    waiting?.();
  });
  const request = Buffer.from(`GET /small HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    socket.write(request);
    for (;;) {
      const end = buffered.indexOf("\r\n\r\n");
      if (end >= 0) {
        const length = Number(/content-length:\s*(\d+)/i.exec(buffered.subarray(0, end).toString())?.[1] ?? 0);
        if (buffered.length >= end + 4 + length) {
          buffered = buffered.subarray(end + 4 + length);
          break;
        }
      }
      await new Promise<void>((r) => (waiting = r));
    }
    times.push(performance.now() - t0);
  }
  socket.destroy();
  return times;
}

function tunnelTo(proxyPort: number, host: string, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const raw = netConnect(proxyPort, "127.0.0.1", () => raw.write(`CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`));
    raw.once("data", (c: Buffer) => {
      if (!/^HTTP\/1\.1 200/.test(c.toString())) return reject(new Error(`CONNECT refused: ${c.toString()}`));
      const tls = tlsConnect({ socket: raw, servername: host, ca, ALPNProtocols: ["http/1.1"] }, () => resolve(tls));
      tls.once("error", reject);
    });
    raw.once("error", reject);
  });
}

export async function gatewayBench(tmp: string, cli: string, cwd: string): Promise<{ results: CaseResult[]; extra: string[] }> {
  const dir = join(tmp, "gateway-bench");
  mkdirSync(dir, { recursive: true });
  // squid drops to its own user: it must read its config and hosts file and write its log here.
  chmodSync(tmp, 0o755);
  chmodSync(dir, 0o777);
  const names = ["tunnel.bench", "inspect.bench"];
  const ca = await makeTestCa(names);
  const payload = Buffer.alloc(1 << 20, 0x61);
  const upstream = createServer({ cert: `${ca.certPem}\n${ca.caPem}`, key: ca.keyPem }, (req, res) => {
    if (req.url === "/small") return void res.writeHead(200, { "content-length": 2 }).end("ok");
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": SIZE });
    let sent = 0;
    const pump = () => {
      while (sent < SIZE) {
        sent += payload.length;
        if (!res.write(payload)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  const address = loopbackAddress();
  await new Promise<void>((r) => upstream.listen(443, address, () => r()));
  const hostsFile = join(dir, "hosts");
  writeFileSync(hostsFile, `${address} ${names.join(" ")}\n`);
  const caFile = join(dir, "upstream-ca.pem");
  writeFileSync(caFile, ca.caPem);
  mkdirSync(join(dir, "profiles"));
  writeFileSync(
    join(dir, "profiles", "bench.toml"),
    `description = "bench"\n[posture]\nprompts = "never"\nedits = "auto"\noutput = "text"\n[network]\nallow = ${JSON.stringify(names)}\ninspect = ["inspect.bench"]\n`,
  );
  const gateway = spawn(process.execPath, [...(process.env.GW_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), cli, "gateway", "--profile", "bench", "--profiles-dir", join(dir, "profiles"), "--listen", "127.0.0.1:0", "--ca-dir", join(dir, "ca"), "--hosts", hostsFile, "--upstream-ca", caFile, "--json"], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH } });
  const gwPort = Number((await waitForLine(gateway, /"listen":"127\.0\.0\.1:(\d+)"/, "the gateway")).toString());
  const bundle = join(dir, "ca", "ca-bundle.pem");
  const squid = await startSquid(dir, hostsFile);
  const haproxy = await startHaproxy(dir, ca, caFile, address);
  try {
    const url = (host: string) => `https://${host}/big`;
    const runs: Record<string, number[]> = { direct: [], tunnel: [], intercept: [], squid: [], haproxy: [] };
    const commands: Record<string, string[]> = {
      direct: ["--cacert", caFile, "--resolve", `tunnel.bench:443:${address}`, url("tunnel.bench")],
      tunnel: ["--proxy", `http://127.0.0.1:${gwPort}`, "--cacert", caFile, url("tunnel.bench")],
      intercept: ["--proxy", `http://127.0.0.1:${gwPort}`, "--cacert", bundle, url("inspect.bench")],
      ...(typeof squid === "string" ? {} : { squid: ["--proxy", `http://127.0.0.1:${squid.port}`, "--cacert", caFile, url("tunnel.bench")] }),
      // A reverse proxy has no CONNECT: curl names it as the host's address, which costs less, not more.
      ...(typeof haproxy === "string" ? {} : { haproxy: ["--cacert", caFile, "--resolve", `inspect.bench:${haproxy.port}:127.0.0.1`, `https://inspect.bench:${haproxy.port}/big`] }),
    };
    for (const args of Object.values(commands)) await curlMs(args); // warm-up
    // Besides the wall time, the CPU the proxy of each case spent on it (the gateway, or squid).
    const proxyCpu: Record<string, number[]> = { tunnel: [], intercept: [], squid: [], haproxy: [] };
    const proxyPid: Record<string, number | undefined> = {
      tunnel: gateway.pid,
      intercept: gateway.pid,
      squid: typeof squid === "string" ? undefined : squid.pid,
      haproxy: typeof haproxy === "string" ? undefined : haproxy.pid,
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, args] of Object.entries(commands)) {
        const cpu0 = cpuMs(proxyPid[key]);
        runs[key]!.push(await curlMs(args));
        const cpu1 = cpuMs(proxyPid[key]);
        if (cpu0 !== undefined && cpu1 !== undefined) proxyCpu[key]!.push(cpu1 - cpu0);
      }
    }

    // Latency: rounds of small requests, intercepted and direct interleaved.
    const direct: number[] = [];
    const intercepted: number[] = [];
    for (let round = 0; round < 10; round++) {
      const viaGateway = await tunnelTo(gwPort, "inspect.bench", readFileSync(bundle, "utf8"));
      intercepted.push(...(await smallRequests(viaGateway, "inspect.bench", SMALL_REQUESTS / 10)).slice(5));
      const straight = await new Promise<TLSSocket>((resolve) => {
        const s = tlsConnect({ host: address, port: 443, servername: "inspect.bench", ca: ca.caPem, ALPNProtocols: ["http/1.1"] }, () => resolve(s));
      });
      direct.push(...(await smallRequests(straight, "inspect.bench", SMALL_REQUESTS / 10)).slice(5));
    }
    const mbps = (key: string) => (SIZE / (1 << 20) / (summarize(runs[key]!).median / 1000)).toFixed(0);
    const results: CaseResult[] = [
      {
        id: "6a",
        name: `200 MB download through the gateway, tunnelled (${mbps("tunnel")} MB/s)`,
        subject: summarize(runs.tunnel!),
        baselineName: typeof squid === "string" ? "squid" : `squid as a plain CONNECT proxy (${mbps("squid")} MB/s)`,
        ...(typeof squid === "string" ? { skipped: squid } : { baseline: summarize(runs.squid!) }),
        goal: { op: "<=", ratio: 1.0 },
      },
      {
        id: "6b",
        name: `the same download TLS-intercepted by the gateway (${mbps("intercept")} MB/s)`,
        subject: summarize(runs.intercept!),
        baselineName: `the download direct (${mbps("direct")} MB/s)`,
        baseline: summarize(runs.direct!),
        // At least 0.8x the direct throughput is at most 1.25x its time.
        goal: { op: "<=", ratio: 1.25 },
      },
      {
        id: "6d",
        name: `the same download through HAProxy, TLS terminated and re-made, nothing checked (${typeof haproxy === "string" ? "n/a" : mbps("haproxy")} MB/s)`,
        subject: typeof haproxy === "string" ? undefined : summarize(runs.haproxy!),
        baselineName: `the download direct (${mbps("direct")} MB/s)`,
        baseline: summarize(runs.direct!),
        noGoal: "the floor of any proxy that decrypts and re-encrypts, to read 6b against",
        ...(typeof haproxy === "string" ? { skipped: haproxy } : {}),
      },
    ];
    const added50 = quantile(intercepted, 0.5) - quantile(direct, 0.5);
    const added90 = quantile(intercepted, 0.9) - quantile(direct, 0.9);
    const cpu = (key: string) => (proxyCpu[key]!.length > 0 ? `${summarize(proxyCpu[key]!).median.toFixed(0)} ms` : "n/a");
    const extra = [
      `cases 6a, 6b, 6d: CPU the proxy spent per 200 MB download (median, user + system): gateway tunnelled ${cpu("tunnel")}, squid ${cpu("squid")}; gateway intercepted ${cpu("intercept")}, HAProxy re-encrypting ${cpu("haproxy")}`,
      `case 6c: one small intercepted request on a kept-alive connection: p50 ${quantile(intercepted, 0.5).toFixed(3)} ms, p90 ${quantile(intercepted, 0.9).toFixed(3)} ms ` +
        `vs direct p50 ${quantile(direct, 0.5).toFixed(3)} ms, p90 ${quantile(direct, 0.9).toFixed(3)} ms -> added p50 ${added50.toFixed(3)} ms, p90 ${added90.toFixed(3)} ms (goal added p50 < 2 ms) ${added50 < 2 ? "PASS" : "MISS"}`,
    ];
    return { results, extra };
  } finally {
    gateway.kill("SIGTERM");
    if (typeof squid !== "string") squid.stop();
    if (typeof haproxy !== "string") haproxy.stop();
    await new Promise((r) => upstream.close(r));
    upstream.closeAllConnections();
  }
}
