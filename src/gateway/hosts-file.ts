// --hosts: names mapped to addresses in hosts-file format. A mapped name never falls back to DNS
// (tests must not leak a lookup to the real name); other names resolve as usual.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";
import { normalHost } from "../profile/host.js";

export type HostsMap = ReadonlyMap<string, string>;

export function parseHostsFile(text: string, file: string): HostsMap {
  const map = new Map<string, string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    const [address, ...names] = line.split(/\s+/);
    if (isIP(address!) === 0 || names.length === 0) throw new UsageError(`${file}:${i + 1}: expected "ADDRESS NAME..." (hosts-file format)`);
    for (const name of names) if (!map.has(normalHost(name))) map.set(normalHost(name), address!);
  });
  return map;
}

export function readHostsFile(file: string): HostsMap {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--hosts ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return parseHostsFile(text, file);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net/tls/http options that answers mapped names from the map only. */
export function hostsLookup(map: HostsMap) {
  return (hostname: string, options: { all?: boolean } | number | undefined, callback: LookupCallback): void => {
    const mapped = map.get(normalHost(hostname));
    if (mapped === undefined) {
      dnsLookup(hostname, (typeof options === "object" ? options : {}) as never, callback as never);
      return;
    }
    const family = isIP(mapped);
    if (typeof options === "object" && options?.all) callback(null, [{ address: mapped, family }]);
    else callback(null, mapped, family);
  };
}
