// The per-run certificate authority. Its private key is a non-extractable WebCrypto key held only
// by this process: it cannot be exported, so it cannot reach a file, a log or an error. Only the
// certificate is written out (into --ca-dir, for the agent container to trust).
// @peculiar/x509 over Node's native WebCrypto: an ECDSA P-256 certificate in about 4 ms, where
// node-forge's RSA keys took about 270 ms per host (README "The gateway").
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import { GATEWAY_CIPHERS } from "./ciphers.js";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const HOUR = 3_600_000;
/** Long enough for any run; the CA dies with the gateway process anyway. */
const VALID_FOR = 7 * 24 * HOUR;

export interface RunCa {
  /** The CA certificate, PEM. Never the key. */
  certPem: string;
  /** A TLS context presenting a certificate for `host`, signed by this CA (cached per host). */
  contextFor(host: string): Promise<SecureContext>;
}

const serial = () => randomBytes(16).toString("hex").replace(/^[89a-f]/, "7");

export async function createRunCa(): Promise<RunCa> {
  const caKeys = (await webcrypto.subtle.generateKey(ALG, false, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const notBefore = new Date(now - HOUR);
  const notAfter = new Date(now + VALID_FOR);
  const caName = `CN=perimeter gateway run CA ${randomBytes(4).toString("hex")}, O=perimeter`;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: caName,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const certPem = caCert.toString("pem");
  // One leaf key for every host of the run: the certificates differ, the key never leaves memory.
  const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const leafKeyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey), "PRIVATE KEY");
  const contexts = new Map<string, Promise<SecureContext>>();

  async function issue(host: string): Promise<SecureContext> {
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${host}`,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: isIP(host) ? "ip" : "dns", value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      ],
    });
    return createSecureContext({ key: leafKeyPem, cert: `${leaf.toString("pem")}\n${certPem}`, ciphers: GATEWAY_CIPHERS, honorCipherOrder: true });
  }

  return {
    certPem,
    contextFor(host) {
      let context = contexts.get(host);
      if (context === undefined) contexts.set(host, (context = issue(host)));
      return context;
    },
  };
}
