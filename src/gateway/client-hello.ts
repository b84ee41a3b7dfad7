// The server name (SNI) of a TLS ClientHello, read from the first bytes of a tunnel: a tunnel to an
// allowed host must not carry a TLS session for another one (a CDN picks the site by this name).

/** Most bytes waited for: a ClientHello with a post-quantum key share is ~2 KB; records are 16 KB. */
const MAX_HELLO = 1 << 16;

export type HelloResult =
  | { need: true }
  /** Not a TLS handshake (another protocol on an allowed port): nothing to check. */
  | { tls: false }
  /** `name` undefined: a ClientHello without SNI (a client connecting by address). */
  | { tls: true; name?: string }
  | { error: string };

/** Reads the handshake bytes out of the first records, then the ClientHello's server_name. */
export function clientHelloName(buf: Buffer): HelloResult {
  if (buf.length === 0) return { need: true };
  if (buf[0] !== 0x16) return { tls: false };
  const parts: Buffer[] = [];
  let have = 0;
  let at = 0;
  let want = -1;
  while (want < 0 || have < want) {
    if (buf.length < at + 5) return buf.length > MAX_HELLO ? { error: "the ClientHello is too long" } : { need: true };
    if (buf[at] !== 0x16) return { error: "the ClientHello is cut by another record" };
    const len = buf.readUInt16BE(at + 3);
    if (buf.length < at + 5 + len) return buf.length > MAX_HELLO ? { error: "the ClientHello is too long" } : { need: true };
    parts.push(buf.subarray(at + 5, at + 5 + len));
    have += len;
    at += 5 + len;
    const hs = Buffer.concat(parts);
    if (want < 0 && hs.length >= 4) {
      if (hs[0] !== 0x01) return { error: "the first handshake message is not a ClientHello" };
      want = 4 + hs.readUIntBE(1, 3);
      if (want > MAX_HELLO) return { error: "the ClientHello is too long" };
    }
  }
  return parseHello(Buffer.concat(parts).subarray(4, want));
}

function parseHello(h: Buffer): HelloResult {
  try {
    let p = 2 + 32; // version, random
    p += 1 + h[p]!; // session id
    p += 2 + h.readUInt16BE(p); // cipher suites
    p += 1 + h[p]!; // compression methods
    if (p >= h.length) return { tls: true };
    const end = p + 2 + h.readUInt16BE(p);
    p += 2;
    while (p + 4 <= end) {
      const type = h.readUInt16BE(p);
      const len = h.readUInt16BE(p + 2);
      if (type === 0) {
        // server_name: list length, then entries of (type, length, name); host_name is type 0.
        let q = p + 4 + 2;
        while (q + 3 <= p + 4 + len) {
          const nameLen = h.readUInt16BE(q + 1);
          if (h[q] === 0) return { tls: true, name: h.subarray(q + 3, q + 3 + nameLen).toString("latin1") };
          q += 3 + nameLen;
        }
        return { tls: true };
      }
      p += 4 + len;
    }
    return { tls: true };
  } catch {
    return { error: "the ClientHello does not parse" };
  }
}
