// The profile's gateway sections, compiled for the proxy: which host:port may be reached, which are
// read (TLS terminated), what each secret is, which wire rules apply. Secrets are loaded here, once.
import { readFileSync } from "node:fs";
import { ProfileError, UsageError } from "../errors.js";
import { hostMatches, nameMatches, type HostPattern } from "../profile/host.js";
import type { Credential, Profile } from "../profile/types.js";
import type { WireRule } from "../profile/wire.js";
import { compileGlob, type Matcher } from "./glob.js";
import { isModelApiHost } from "./usage.js";

export interface LoadedCredential {
  name: string;
  host: string;
  header: string;
  /** The whole header value. Never logged, never in an error. */
  value: string;
}

export interface CompiledWireRule {
  tripwire: string;
  reason: string;
  rule: WireRule;
  matchPath?: Matcher;
}

export interface GatewayPolicy {
  profile: string;
  allow: HostPattern[];
  inspect: HostPattern[];
  credentials: LoadedCredential[];
  /** Credential names whose secret was not found (not required ones: those fail the start). */
  missing: string[];
  wire: CompiledWireRule[];
  gitHosts: HostPattern[];
  pushRefs: { glob: string; match: Matcher }[];
}

export type SecretReader = (c: Credential) => string | undefined;

export const readSecret =
  (env: NodeJS.ProcessEnv): SecretReader =>
  (c) => {
    if ("env" in c.source) return env[c.source.env]?.trim() || undefined;
    try {
      return readFileSync(c.source.file, "utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  };

function headerValue(c: Credential, secret: string): string {
  if (c.scheme === "bearer") return `Bearer ${secret}`;
  if (c.scheme === "basic") return `Basic ${Buffer.from(`${c.username}:${secret}`).toString("base64")}`;
  return secret;
}

export function compilePolicy(profile: Profile, secrets: SecretReader): GatewayPolicy {
  if (profile.network === undefined) {
    throw new ProfileError({ file: profile.files[0] ?? profile.name }, `profile "${profile.name}" has no [network] section, so the gateway would refuse everything`, "add [network] allow = [...]");
  }
  const credentials: LoadedCredential[] = [];
  const missing: string[] = [];
  for (const c of profile.credentials) {
    const secret = secrets(c);
    const where = "env" in c.source ? `environment variable ${c.source.env}` : `file ${c.source.file}`;
    if (secret === undefined) {
      if (c.required) throw new UsageError(`credential "${c.name}" is required but ${where} is empty or missing`);
      missing.push(c.name);
      continue;
    }
    if (/[\r\n\0]/.test(secret)) throw new UsageError(`credential "${c.name}": ${where} holds a line break or NUL, which cannot go into a header`);
    credentials.push({ name: c.name, host: c.host, header: c.header, value: headerValue(c, secret) });
  }
  const wire = profile.tripwires.flatMap((t) =>
    t.wire.map((rule): CompiledWireRule => ({ tripwire: t.id, reason: t.reason, rule, ...(rule.kind === "http" ? { matchPath: compileGlob(rule.path, true) } : {}) })),
  );
  return {
    profile: profile.name,
    allow: profile.network.allow,
    inspect: profile.network.inspect,
    credentials,
    missing,
    wire,
    gitHosts: profile.git.hosts,
    pushRefs: profile.git.push.map((glob) => ({ glob, match: compileGlob(glob) })),
  };
}

export function isAllowed(policy: GatewayPolicy, host: string, port: number): boolean {
  return policy.allow.some((h) => hostMatches(h, host, port));
}

/** TLS is terminated for hosts with a credential, a wire rule, a git rule or an inspect entry, and the model API hosts (the budget). */
export function isInspected(policy: GatewayPolicy, host: string, port: number): boolean {
  return (
    (port === 443 && isModelApiHost(host)) ||
    policy.inspect.some((h) => hostMatches(h, host, port)) ||
    policy.credentials.some((c) => c.host === host && port === 443) ||
    policy.wire.some((w) => nameMatches(w.rule.host, host)) ||
    policy.gitHosts.some((h) => nameMatches(h, host))
  );
}
