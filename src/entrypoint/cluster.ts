// What the entrypoint of the Kubernetes variant (ImageSpec.egressWall "orchestrator") checks instead
// of the routing tables: a NetworkPolicy it cannot see holds the wall, so it asks for what it can
// see of a pod run the way `perimeter run --emit k8s` writes it. The token check applies to every
// image: a service-account token is a credential to the cluster's API, whoever mounted it.

/** Where the kubelet mounts a pod's service-account token (both spellings of /var/run). */
export const SERVICE_ACCOUNT_DIRS = ["/var/run/secrets/kubernetes.io/serviceaccount", "/run/secrets/kubernetes.io/serviceaccount"];

/** A mounted service-account token: the default paths, or any mount whose path says it is one. */
export function serviceAccountTokens(exists: (path: string) => boolean, mountinfo: string | undefined): string[] {
  const found = SERVICE_ACCOUNT_DIRS.map((dir) => `${dir}/token`).filter((path) => exists(path));
  for (const line of (mountinfo ?? "").split("\n")) {
    const point = line.split(" ")[4];
    if (point !== undefined && /(^|\/)(serviceaccount|kubernetes\.io)(\/|$)/.test(point) && !found.some((f) => f.startsWith(point))) found.push(point);
  }
  return found;
}

/** Why the gateway is not this pod's way out, or undefined: HTTPS_PROXY must name an http(s) proxy. */
export function proxyProblem(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.HTTPS_PROXY ?? env.https_proxy;
  if (value === undefined || value.trim() === "") return "HTTPS_PROXY is not set: in a cluster the gateway is the only way out, and the tools must be told where it is";
  try {
    const url = new URL(value);
    if ((url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "") return undefined;
  } catch {
    // not a URL
  }
  return `HTTPS_PROXY is not a proxy URL (${JSON.stringify(value.slice(0, 80))})`;
}

/** A pod has the API server's address in its environment; a container an engine started does not. */
export function notAPod(env: NodeJS.ProcessEnv): string | undefined {
  if ((env.KUBERNETES_SERVICE_HOST ?? "") !== "") return undefined;
  return "this image's egress wall is a Kubernetes NetworkPolicy (baked: egressWall orchestrator), and this is no pod (KUBERNETES_SERVICE_HOST is unset), so nothing may hold the wall; outside a cluster run the standard image";
}
