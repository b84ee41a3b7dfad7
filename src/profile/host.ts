// Host patterns of [network], [git] and wire rules: "api.example.com", "*.example.com" (its
// subdomains, not itself), each with an optional ":port" (default 443).

export interface HostPattern {
  text: string;
  /** Lower-case name without the "*." */
  name: string;
  subdomains: boolean;
  port: number;
}

const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function parseHostPattern(text: string): HostPattern | string {
  const match = /^(\*\.)?([^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match || !NAME.test(match[2]!)) return `"${text}" is not a host name in lower case (optionally "*." in front and ":port" after)`;
  const port = match[3] === undefined ? 443 : Number(match[3]);
  if (port < 1 || port > 65535) return `"${text}": port ${port} is out of range`;
  return { text, name: match[2]!, subdomains: match[1] !== undefined, port };
}

/** Lower case, no trailing dot: the form names are compared in. */
export function normalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

export function hostMatches(pattern: HostPattern, host: string, port: number): boolean {
  return port === pattern.port && nameMatches(pattern, host);
}

/** The name alone, any port: wire rules and git hosts mean a service wherever it listens. */
export function nameMatches(pattern: HostPattern, host: string): boolean {
  const name = normalHost(host);
  return pattern.subdomains ? name.endsWith(`.${pattern.name}`) : name === pattern.name;
}
