// What the agent container's environment needs to go through the gateway: the proxy variables, the
// CA bundle (system roots plus the run's CA: a read-only root has no writable trust store) under
// every name the clients read, and a placeholder wherever a client wants a key to start.
import type { Profile } from "../profile/types.js";

/** A value that is visibly not a secret (no known key prefix), so it can sit in the container. */
export const placeholderFor = (credential: string) => `perimeter-placeholder-${credential}`;

export function agentEnvironment(profile: Profile, proxyUrl: string, bundlePath: string): Record<string, string> {
  const env: Record<string, string> = {
    HTTPS_PROXY: proxyUrl,
    HTTP_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    http_proxy: proxyUrl,
    NO_PROXY: "localhost,127.0.0.1,::1",
    no_proxy: "localhost,127.0.0.1,::1",
    // Codex, curl, gh and OpenSSL read SSL_CERT_FILE; Node clients NODE_EXTRA_CA_CERTS; git GIT_SSL_CAINFO.
    SSL_CERT_FILE: bundlePath,
    NODE_EXTRA_CA_CERTS: bundlePath,
    GIT_SSL_CAINFO: bundlePath,
    REQUESTS_CA_BUNDLE: bundlePath,
    CURL_CA_BUNDLE: bundlePath,
    // npm sets its own CA list on its requests and ignores NODE_EXTRA_CA_CERTS (seen in the tests).
    npm_config_cafile: bundlePath,
  };
  for (const c of profile.credentials) for (const name of c.placeholderEnv) env[name] = placeholderFor(c.name);
  return env;
}
