// `perimeter run --emit k8s`: the same run as objects a cluster runs, from the same RunRequest, so
// the same profile gives the same limits and allowlist in both forms. A `v1` List, serialized:
//   - the gateway: a Deployment (the credentials from a Secret reference, never in the objects) with
//     a second container that serves only the run's CA bundle (the CA key stays in the gateway
//     process), and a Service;
//   - the agent: a batch/v1 Job, restricted pod security, whose init containers run in order: the CA
//     bundle, the clone through the gateway, then the agent itself (the prompt from a ConfigMap, the
//     wall clock in the entrypoint, memory and CPUs as its limits); an init container that fails
//     fails the pod, so a failed agent reaches no push. The pod's one container is the finisher
//     (`perimeter finish`, src/run/finish.ts): the local run's stage, secret scan, commit, push and
//     pull request through the gateway, in a fresh container with a clean git config, printing the
//     manifest fields it knows as one JSON line;
//   - NetworkPolicies: the agent pod reaches only the gateway (and DNS); the gateway only its
//     allowlist's ports.
// The agent's image is the cluster variant (`perimeter bake --egress-wall orchestrator`, README):
// a pod has a default route, and the standard image's entrypoint refuses one.
import { WALL_CLOCK_ENV } from "../entrypoint/run.js";
import { GATEWAY_COMMAND } from "../image/spec.js";
import { CLI_PATH } from "../image/spec.js";
import { FINISH_ENV, type FinishSpec } from "./finish.js";
import { AGENT_UID, agentEnv, gatewayCredentials, HELPER_LIMITS, LAUNCHER_GRACE_SECONDS, runBranch, sha256, GATEWAY_PORT } from "./plan.js";
import { promptForRecord } from "./publish-env.js";
import { CONTAINER_PATHS as P } from "./paths.js";
import type { RunRequest } from "./request.js";
import { cloneScript } from "./scripts.js";

export const CA_PORT = 8080;
/** The gateway's usage totals, beside its CA certificate (the finisher reads them before it pushes). */
export const USAGE_FILE = "usage.json";
/** How long the finisher may take after the agent, within the Job's deadline. */
export const FINISH_SECONDS = 600;
export const DEFAULT_SECRET = "perimeter-credentials";

type Obj = Record<string, unknown>;

export interface K8sOptions {
  /** The Secret holding the launcher's credentials, one key per variable the profile names. */
  secretName?: string;
  /** E.g. gvisor: the RuntimeClass the agent pod runs under. */
  runtimeClassName?: string;
}

/** podman's sizes (binary units: 4g is 4 GiB) as Kubernetes quantities. */
export function quantity(size: string): string {
  const m = /^(\d+)([kmg]?)$/.exec(size);
  if (m === null) throw new Error(`not a size: ${size}`);
  return `${m[1]}${{ "": "", k: "Ki", m: "Mi", g: "Gi" }[m[2] as "" | "k" | "m" | "g"]}`;
}

const restrictedContainer = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: AGENT_UID,
  runAsGroup: AGENT_UID,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

const restrictedPod = { runAsNonRoot: true, runAsUser: AGENT_UID, runAsGroup: AGENT_UID, fsGroup: AGENT_UID, seccompProfile: { type: "RuntimeDefault" } };

export function k8sObjects(request: RunRequest, options: K8sOptions = {}): Obj[] {
  const id = request.runId;
  const name = (what: string) => `perimeter-${id}-${what}`.slice(0, 63).replace(/-+$/, "");
  const labels = (role: string) => ({ "app.kubernetes.io/name": "perimeter", "app.kubernetes.io/component": role, "perimeter.io/run": id });
  const secret = options.secretName ?? DEFAULT_SECRET;
  const gatewayHost = name("gateway");
  const proxy = `http://${gatewayHost}:${GATEWAY_PORT}`;
  const credentials = gatewayCredentials(request);
  const env = (pairs: [string, string][]) => pairs.map(([n, value]) => ({ name: n, value }));
  const proxyEnv = env(["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"].map((v) => [v, proxy] as [string, string]).concat([["NO_PROXY", "localhost,127.0.0.1"], ["no_proxy", "localhost,127.0.0.1"]]));
  const trustEnv = env(["SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE"].map((v) => [v, P.caBundle] as [string, string]));
  const gatewayArgs = ["--", ...GATEWAY_COMMAND, "--profile", request.profile.name, "--listen", `0.0.0.0:${GATEWAY_PORT}`, "--ca-dir", P.ca, "--log", `${P.gatewayLog}/requests.jsonl`, "--usage", `${P.ca}/${USAGE_FILE}`, "--git-repo", `${request.repo.host.replace(/:\d+$/, "")}/${request.repo.slug}`];
  const tmp = { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } };
  // Serves two files of the CA volume: the bundle (never the key, which stays in the gateway's memory) and the usage totals.
  const served = JSON.stringify({ "/ca-bundle.pem": P.caBundle, [`/${USAGE_FILE}`]: `${P.ca}/${USAGE_FILE}` });
  const caServer = `const f=${served};require("http").createServer((q,s)=>{const p=f[q.url];if(p===undefined){s.writeHead(404).end();return}require("fs").createReadStream(p).on("error",()=>s.writeHead(503).end()).pipe(s)}).listen(${CA_PORT})`;

  const gatewayPod = {
    metadata: { labels: labels("gateway") },
    spec: {
      securityContext: restrictedPod,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      containers: [
        {
          name: "gateway",
          image: request.image,
          command: ["tini"],
          args: gatewayArgs,
          ports: [{ name: "proxy", containerPort: GATEWAY_PORT }],
          env: credentials.env.map((v) => ({ name: v, valueFrom: { secretKeyRef: { name: secret, key: v } } })),
          securityContext: restrictedContainer,
          resources: { limits: { memory: "1Gi", cpu: "1" }, requests: { memory: "128Mi", cpu: "100m" } },
          volumeMounts: [
            { name: "ca", mountPath: P.ca },
            { name: "log", mountPath: P.gatewayLog },
            { name: "tmp", mountPath: "/tmp" },
            ...credentials.files.map((file, i) => ({ name: "credential-files", mountPath: file, subPath: `file-${i}`, readOnly: true })),
          ],
        },
        {
          // Serves the CA certificate bundle (never the key, which never leaves the gateway's memory).
          name: "ca",
          image: request.image,
          command: ["node", "-e", caServer],
          ports: [{ name: "ca", containerPort: CA_PORT }],
          securityContext: restrictedContainer,
          resources: { limits: { memory: "64Mi", cpu: "100m" } },
          volumeMounts: [{ name: "ca", mountPath: P.ca, readOnly: true }],
        },
      ],
      volumes: [
        { name: "ca", emptyDir: {} },
        { name: "log", emptyDir: {} },
        tmp,
        ...(credentials.files.length > 0
          ? [{ name: "credential-files", secret: { secretName: secret, items: credentials.files.map((_, i) => ({ key: `file-${i}`, path: `file-${i}` })) } }]
          : []),
      ],
    },
  };

  // The entrypoint's clock stops the agent; the deadline is the backstop, with the finisher's time after it.
  const deadline = request.limits.wallClockSeconds + LAUNCHER_GRACE_SECONDS + FINISH_SECONDS;
  const finishSpec: FinishSpec = {
    runId: id,
    branch: runBranch(request.tool.id, id),
    tool: { id: request.tool.id, title: request.tool.title, versionCommand: [...request.tool.run.versionCommand] },
    profile: request.profile.name,
    prompt: { sha256: sha256(request.prompt), characters: request.prompt.length },
    promptForRecord: promptForRecord(request.prompt, sha256(request.prompt), request.recordPrompt),
    repo: { url: request.repo.url, slug: request.repo.slug },
    repoUrl: request.repo.url,
    githubApi: request.githubApi,
    usageUrl: `http://${gatewayHost}:${CA_PORT}/${USAGE_FILE}`,
  };
  const finisher = {
    name: "finish",
    image: request.image,
    command: ["node", CLI_PATH, "finish", "--json"],
    env: [...proxyEnv, ...trustEnv, { name: FINISH_ENV, value: JSON.stringify(finishSpec) }],
    securityContext: restrictedContainer,
    resources: { limits: { memory: quantity(HELPER_LIMITS.memory), cpu: "1" }, requests: { memory: "128Mi", cpu: "100m" } },
    volumeMounts: [
      { name: "workspace", mountPath: P.work, subPath: "work", readOnly: true },
      { name: "workspace", mountPath: P.base, subPath: "base" },
      { name: "ca", mountPath: P.ca, readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
  const agentPod = {
    metadata: { labels: labels("agent") },
    spec: {
      restartPolicy: "Never",
      securityContext: restrictedPod,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(options.runtimeClassName !== undefined ? { runtimeClassName: options.runtimeClassName } : {}),
      initContainers: [
        {
          name: "ca",
          image: request.image,
          command: ["bash", "-c", `for i in $(seq 1 600); do curl -sf -o ${P.caBundle}.tmp http://${gatewayHost}:${CA_PORT}/ca-bundle.pem && mv ${P.caBundle}.tmp ${P.caBundle} && cp ${P.caBundle} ${P.ca}/ca.pem && exit 0; sleep 0.2; done; exit 3`],
          securityContext: restrictedContainer,
          volumeMounts: [{ name: "ca", mountPath: P.ca }],
        },
        {
          name: "clone",
          image: request.image,
          command: ["bash", "-c", cloneScript(P)],
          env: [...proxyEnv, { name: "PERIMETER_REPO_URL", value: request.repo.url }],
          securityContext: restrictedContainer,
          volumeMounts: [
            { name: "workspace", mountPath: P.work, subPath: "work" },
            { name: "workspace", mountPath: P.base, subPath: "base" },
            { name: "ca", mountPath: P.ca, readOnly: true },
            { name: "tmp", mountPath: "/tmp" },
          ],
        },
        {
          // An init container: it runs to completion, and its failure fails the pod before any push.
          name: "agent",
          image: request.image,
          args: [request.tool.id],
          workingDir: P.work,
          env: [
            ...proxyEnv,
            ...trustEnv,
            ...env(agentEnv(request)),
            { name: WALL_CLOCK_ENV, value: String(request.limits.wallClockSeconds) },
            { name: "AGENT_PROMPT", valueFrom: { configMapKeyRef: { name: name("prompt"), key: "prompt" } } },
          ],
          securityContext: restrictedContainer,
          resources: {
            limits: { memory: quantity(request.limits.memory), cpu: String(request.limits.cpus) },
            requests: { memory: quantity(request.limits.memory), cpu: String(request.limits.cpus) },
          },
          // A /tmp of its own: what the agent leaves there (a .curlrc under the helpers' HOME) never reaches the finisher.
          volumeMounts: [
            { name: "workspace", mountPath: P.work, subPath: "work" },
            { name: "ca", mountPath: P.ca, readOnly: true },
            { name: "agent-tmp", mountPath: "/tmp" },
            { name: "home", mountPath: "/home/agent" },
          ],
        },
      ],
      containers: [finisher],
      volumes: [
        { name: "workspace", persistentVolumeClaim: { claimName: name("workspace") } },
        { name: "ca", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } },
        tmp,
        { ...tmp, name: "agent-tmp" },
        { name: "home", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } },
      ],
    },
  };

  const allowPorts = [...new Set((request.profile.network?.allow ?? []).map((h) => h.port))].sort((a, b) => a - b);
  const dns = { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] };

  return [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: name("prompt"), labels: labels("prompt"), annotations: { "perimeter.io/prompt-sha256": sha256(request.prompt) } },
      data: { prompt: request.prompt },
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: name("workspace"), labels: labels("workspace") },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: gatewayHost, labels: labels("gateway") },
      spec: { replicas: 1, selector: { matchLabels: labels("gateway") }, template: gatewayPod },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: gatewayHost, labels: labels("gateway") },
      spec: {
        selector: labels("gateway"),
        ports: [
          { name: "proxy", port: GATEWAY_PORT, targetPort: GATEWAY_PORT },
          { name: "ca", port: CA_PORT, targetPort: CA_PORT },
        ],
      },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: name("agent"),
        labels: labels("agent"),
        annotations: {
          "perimeter.io/branch": runBranch(request.tool.id, id),
          // Kubernetes has no per-pod process limit in the pod spec: the kubelet's podPidsLimit holds it.
          "perimeter.io/pids-limit": String(request.limits.pids),
          "perimeter.io/image-variant": "egress wall held by the orchestrator (perimeter bake --egress-wall orchestrator)",
        },
      },
      spec: { backoffLimit: 0, activeDeadlineSeconds: deadline, ttlSecondsAfterFinished: 86_400, template: agentPod },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: name("agent-egress"), labels: labels("agent") },
      spec: {
        podSelector: { matchLabels: labels("agent") },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [{ to: [{ podSelector: { matchLabels: labels("gateway") } }], ports: [{ protocol: "TCP", port: GATEWAY_PORT }, { protocol: "TCP", port: CA_PORT }] }, dns],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: name("gateway"), labels: labels("gateway") },
      spec: {
        podSelector: { matchLabels: labels("gateway") },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: labels("agent") } }], ports: [{ protocol: "TCP", port: GATEWAY_PORT }, { protocol: "TCP", port: CA_PORT }] }],
        egress: [{ ports: allowPorts.map((port) => ({ protocol: "TCP", port })) }, dns],
      },
    },
  ];
}

export function emitK8s(request: RunRequest, options: K8sOptions = {}): string {
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: k8sObjects(request, options) }, null, 2)}\n`;
}
