// Direct network reach, read from the container's own routing tables: an agent whose profile routes
// through the gateway must have no way out but the gateway. On an `--internal` network the container
// has only the route to its own subnet (where the gateway is); a normal bridge, slirp/pasta and the
// host's network all give it a default route, and host networking also shows the host's interfaces.
// Reading three /proc files sends nothing anywhere.

const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;
const RTF_REJECT = 0x200;

/** Interfaces that exist on a host running containers or VMs, never inside a container's own namespace. */
const HOST_INTERFACE = /^(veth|docker\d|podman\d|cni-podman\d|cni\d|br-[0-9a-f]{6,}|virbr\d|vnet\d|flannel\.|cali|cilium_|kube-bridge|lxcbr\d|lxdbr\d)/;

function routes(text: string): string[][] {
  return text.split("\n").map((line) => line.trim().split(/\s+/)).filter((fields) => fields.length > 1);
}

/** IPv4 routes out of a real interface that reach past the local link: the default route, or any through a gateway. */
function ipv4Ways(text: string): string[] {
  const found: string[] = [];
  for (const [iface, destination, gateway, flagsHex, , , , mask] of routes(text).slice(1)) {
    const flags = Number.parseInt(flagsHex ?? "0", 16);
    if (iface === "lo" || (flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0) continue;
    if (destination === "00000000" && mask === "00000000") found.push(`an IPv4 default route via ${iface}`);
    else if ((flags & RTF_GATEWAY) !== 0) found.push(`an IPv4 route through gateway ${hexIpv4(gateway ?? "")} on ${iface}`);
  }
  return found;
}

/** /proc/net/route writes addresses as little-endian hex. */
function hexIpv4(hex: string): string {
  const bytes = hex.match(/../g) ?? [];
  return bytes.reverse().map((b) => Number.parseInt(b, 16)).join(".");
}

/** The same for IPv6; the kernel's own unreachable default on lo (RTF_REJECT) is no way out. */
function ipv6Ways(text: string): string[] {
  const found: string[] = [];
  for (const fields of routes(text)) {
    const [destination, prefix, , , , , , , flagsHex, iface] = fields;
    const flags = Number.parseInt(flagsHex ?? "0", 16);
    if (iface === undefined || iface === "lo" || (flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0) continue;
    if (/^0{32}$/.test(destination ?? "") && prefix === "00") found.push(`an IPv6 default route via ${iface}`);
    else if ((flags & RTF_GATEWAY) !== 0) found.push(`an IPv6 route through a gateway on ${iface}`);
  }
  return found;
}

/** Interface names from /proc/net/dev (two header lines, then `name: counters`). */
export function interfaceNames(dev: string): string[] {
  return dev.split("\n").slice(2).map((line) => line.split(":")[0]!.trim()).filter((name) => name !== "");
}

export interface NetworkTexts {
  route: string | undefined;
  ipv6Route: string | undefined;
  dev: string | undefined;
}

/**
 * Every way out past the gateway that the tables show, or [] when there is none. An unreadable IPv4
 * table fails closed (every Linux container has one); no IPv6 table means IPv6 is off.
 */
export function directNetworkSignals(t: NetworkTexts, wall: "network" | "orchestrator" = "network"): string[] {
  const host = interfaceNames(t.dev ?? "").filter((name) => HOST_INTERFACE.test(name));
  // Held by an orchestrator's policy, a pod's own routes are no way past it; the host's network is.
  if (wall === "orchestrator") return host.length > 0 ? [`the host's interfaces are visible (${host.slice(0, 4).join(", ")}${host.length > 4 ? ", ..." : ""}): host networking, which no NetworkPolicy holds`] : [];
  if (t.route === undefined) return ["/proc/net/route cannot be read"];
  const signals = [...new Set([...ipv4Ways(t.route), ...ipv6Ways(t.ipv6Route ?? "")])];
  if (host.length > 0) signals.push(`the host's interfaces are visible (${host.slice(0, 4).join(", ")}${host.length > 4 ? ", ..." : ""}): host networking`);
  return signals;
}
