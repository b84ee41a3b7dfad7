// [network], [credentials], [git] and [limits] of a profile chain, resolved into the typed
// sections the gateway reads. A child adds hosts but never removes one; for the other keys the
// nearest file that sets a key wins.
import { ProfileError } from "../errors.js";
import type { KeyPath } from "./locate.js";
import { hostMatches, parseHostPattern, type HostPattern } from "./host.js";
import { errorAt, type ReadFile } from "./read-toml.js";
import type { ProfileFile } from "./schema.js";
import {
  DEFAULT_PUSH_REFS,
  DEFAULT_STOP_PERCENT,
  DEFAULT_WARN_PERCENT,
  type Credential,
  type GitPolicy,
  type Limits,
  type NetworkPolicy,
  type Price,
} from "./types.js";

type ProfileRead = ReadFile<ProfileFile>;

export interface GatewaySections {
  network?: NetworkPolicy;
  credentials: Credential[];
  git: GitPolicy;
  limits: Limits;
}

/** `chain` is the named profile first, then what it extends. */
export function resolveGatewaySections(chain: readonly ProfileRead[]): GatewaySections {
  const parentsFirst = [...chain].reverse();
  const network = resolveNetwork(parentsFirst);
  const credentials = resolveCredentials(parentsFirst, network);
  return { network, credentials, git: resolveGit(parentsFirst), limits: resolveLimits(parentsFirst) };
}

function hostList(read: ProfileRead, path: KeyPath, texts: readonly string[] | undefined, into: HostPattern[]): void {
  (texts ?? []).forEach((text, i) => {
    const host = parseHostPattern(text);
    if (typeof host === "string") throw errorAt(read, [...path, i], host);
    if (!into.some((h) => h.text === host.text)) into.push(host);
  });
}

function resolveNetwork(parentsFirst: readonly ProfileRead[]): NetworkPolicy | undefined {
  const withNetwork = parentsFirst.filter((r) => r.data.network !== undefined);
  if (withNetwork.length === 0) return undefined;
  const network: NetworkPolicy = { allow: [], inspect: [] };
  for (const read of withNetwork) {
    hostList(read, ["network", "allow"], read.data.network!.allow, network.allow);
    hostList(read, ["network", "inspect"], read.data.network!.inspect, network.inspect);
  }
  for (const read of withNetwork) {
    (read.data.network!.inspect ?? []).forEach((text, i) => {
      const host = network.inspect.find((h) => h.text === text)!;
      const allowed = network.allow.some((a) => a.port === host.port && (a.subdomains ? host.name.endsWith(`.${a.name}`) : !host.subdomains && a.name === host.name));
      if (!allowed) throw errorAt(read, ["network", "inspect", i], `"${text}" is inspected but not in network.allow`);
    });
  }
  return network;
}

function resolveCredentials(parentsFirst: readonly ProfileRead[], network: NetworkPolicy | undefined): Credential[] {
  const byName = new Map<string, Credential>();
  for (const read of parentsFirst) {
    for (const [name, entry] of Object.entries(read.data.credentials ?? {})) {
      const at: KeyPath = ["credentials", name];
      if ((entry.env === undefined) === (entry.file === undefined)) throw errorAt(read, at, "give exactly one of `env` and `file`");
      const scheme = entry.scheme ?? "raw";
      if (scheme === "basic" && entry.username === undefined) throw errorAt(read, [...at, "scheme"], 'scheme "basic" needs a `username`');
      if (network === undefined) throw errorAt(read, at, "credentials need a [network] section: the gateway adds them");
      if (!network.allow.some((h) => hostMatches(h, entry.host, 443))) {
        throw errorAt(read, [...at, "host"], `"${entry.host}" is not in network.allow (port 443), so the agent could never send this credential`);
      }
      byName.set(name, {
        name,
        host: entry.host,
        header: entry.header.toLowerCase(),
        scheme,
        ...(entry.username !== undefined ? { username: entry.username } : {}),
        source: entry.env !== undefined ? { env: entry.env } : { file: entry.file! },
        placeholderEnv: entry.placeholder_env ?? [],
        required: entry.required ?? false,
        origin: { file: read.file, key: `credentials.${name}`, line: read.lineOf(at) },
      });
    }
  }
  const credentials = [...byName.values()];
  for (const c of credentials) {
    const twin = credentials.find((o) => o !== c && o.host === c.host && o.header === c.header);
    if (twin) {
      throw new ProfileError(
        { file: c.origin.file, line: c.origin.line, key: c.origin.key },
        `${c.host} header ${c.header} already gets credential "${twin.name}"; one header takes one secret`,
      );
    }
  }
  return credentials;
}

function resolveGit(parentsFirst: readonly ProfileRead[]): GitPolicy {
  const git: GitPolicy = { hosts: [], push: DEFAULT_PUSH_REFS };
  for (const read of parentsFirst) {
    const section = read.data.git;
    if (section === undefined) continue;
    hostList(read, ["git", "hosts"], section.hosts, git.hosts);
    if (section.push !== undefined) {
      section.push.forEach((ref, i) => {
        if (ref.startsWith("refs/tags/")) throw errorAt(read, ["git", "push", i], `"${ref}": tags are always refused; list branch refs only`);
      });
      git.push = section.push;
    }
  }
  return git;
}

function resolveLimits(parentsFirst: readonly ProfileRead[]): Limits {
  const limits: Limits = { warnPercent: DEFAULT_WARN_PERCENT, stopPercent: DEFAULT_STOP_PERCENT, prices: [] };
  const prices = new Map<string, Price>();
  let last: ProfileRead | undefined;
  for (const read of parentsFirst) {
    const section = read.data.limits;
    if (section === undefined) continue;
    last = read;
    if (section.tokens !== undefined) limits.tokens = section.tokens;
    if (section.usd !== undefined) limits.usd = section.usd;
    if (section.warn_percent !== undefined) limits.warnPercent = section.warn_percent;
    if (section.stop_percent !== undefined) limits.stopPercent = section.stop_percent;
    for (const [model, p] of Object.entries(section.prices ?? {})) {
      prices.delete(model);
      prices.set(model, { input: p.input, output: p.output, cachedInput: p.cached_input ?? p.input });
    }
  }
  if (last !== undefined && limits.warnPercent > limits.stopPercent) {
    throw errorAt(last, ["limits", "warn_percent"], `warn_percent (${limits.warnPercent}) is above stop_percent (${limits.stopPercent})`);
  }
  if (last !== undefined && limits.usd !== undefined && prices.size === 0) {
    throw errorAt(last, ["limits", "usd"], "a money budget needs a price table (limits.prices)");
  }
  limits.prices = [...prices].map(([model, price]) => ({ model, price }));
  return limits;
}
