// `perimeter gateway`: serves until SIGTERM (or SIGINT). Prints one "ready" line when it listens and
// the CA certificate is in --ca-dir, budget crossings as they happen, and the usage totals at exit.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../../errors.js";
import { readHostsFile } from "../../gateway/hosts-file.js";
import { compilePolicy, readSecret } from "../../gateway/policy.js";
// Its own bundle in the build (build.mjs): loaded only when a gateway starts.
import { startGateway } from "../../gateway/server.js";
import type { Write } from "../output.js";
import { profileFrom, type ProfileFlags } from "../options.js";
import type { CommandResult } from "../result.js";

export interface GatewayFlags extends ProfileFlags {
  listen: string;
  caDir: string;
  log?: string;
  hosts?: string;
  upstreamCa?: string;
  usage?: string;
  gitRepo?: string[];
  json?: boolean;
}

/** `github.com/octo/app`, compared in lower case as the gateway reads paths. */
function parseRepository(text: string): string {
  if (!/^[a-z0-9.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/i.test(text) || text.endsWith(".git")) {
    throw new UsageError(`--git-repo ${text}: expected HOST/OWNER/NAME, e.g. github.com/octo/app`);
  }
  return text.toLowerCase();
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UsageError(`--listen ${text}: expected HOST:PORT (PORT 0 picks a free one)`);
  return { host: m[1] ?? m[2]!, port };
}

function readPem(file: string): string {
  try {
    const text = readFileSync(file, "utf8");
    if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`--upstream-ca ${file}: no PEM certificate in it`);
    return text;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--upstream-ca ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

export async function gateway(flags: GatewayFlags, write: Write): Promise<CommandResult> {
  const { host, port } = parseListen(flags.listen);
  const profile = await profileFrom(flags, "autonomous");
  const line = (event: Record<string, unknown>, text: string) => write(1, flags.json ? `${JSON.stringify(event)}\n` : `${text}\n`);
  const policy = compilePolicy(profile, readSecret(process.env));
  const running = await startGateway({
    policy,
    limits: profile.limits,
    host,
    port,
    caDir: resolve(flags.caDir),
    ...(flags.log !== undefined ? { logFile: resolve(flags.log) } : {}),
    ...(flags.usage !== undefined ? { usageFile: resolve(flags.usage) } : {}),
    ...(flags.hosts !== undefined ? { hosts: readHostsFile(flags.hosts) } : {}),
    ...(flags.upstreamCa !== undefined ? { upstreamCa: readPem(flags.upstreamCa) } : {}),
    ...(flags.gitRepo !== undefined ? { repositories: flags.gitRepo.map(parseRepository) } : {}),
    onEvent: (event) => line(event, `perimeter gateway: ${event.event}: ${JSON.stringify(event.totals)}`),
  }).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot start the gateway on ${flags.listen} with --ca-dir ${flags.caDir}: ${error.code ?? error.message}`);
  });
  // Listen for the stop signals before saying "ready": a launcher may send SIGTERM the moment it reads it.
  const stopped = new Promise<void>((done) => {
    process.once("SIGTERM", done);
    process.once("SIGINT", done);
  });
  const listen = running.host.includes(":") ? `[${running.host}]:${running.port}` : `${running.host}:${running.port}`;
  line(
    { event: "ready", listen, profile: profile.name, ca: running.caFile, bundle: running.bundleFile, credentials: running.policy.credentials.map((c) => c.name), missing: running.policy.missing },
    `perimeter gateway: ready on ${listen} (profile ${profile.name}); CA certificate ${running.caFile}, bundle ${running.bundleFile}` +
      (running.policy.missing.length > 0 ? `; no secret for ${running.policy.missing.join(", ")}` : ""),
  );
  await stopped;
  const totals = await running.close();
  const summary = { event: "stopped", totals };
  return { exitCode: 0, stdout: flags.json ? `${JSON.stringify(summary)}\n` : `perimeter gateway: stopped; usage ${JSON.stringify(totals)}\n` };
}
