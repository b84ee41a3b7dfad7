// Issue 14, fleets: `perimeter run --emit k8s` against the Kubernetes OpenAPI schemas, offline, with
// kubernetes-models; the restricted Pod Security profile; and the same profile giving the same
// limits and allowlist as the podman plan.
import { Job } from "kubernetes-models/batch/v1";
import { ConfigMap, PersistentVolumeClaim, Service } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { runRequestFrom } from "../../src/cli/commands/run.js";
import { k8sObjects as emitted, quantity } from "../../src/run/k8s.js";
import { planRun } from "../../src/run/plan.js";
import { runCli, tempDir, writeFiles } from "./helpers.js";

type Obj = Record<string, any>;
const MODELS: Record<string, new (o: Obj) => { validate(): void }> = {
  ConfigMap, PersistentVolumeClaim, Deployment, Service, Job, NetworkPolicy,
};

const PROMPT = "fix the failing test";
const request = (more: Record<string, string> = {}) =>
  runRequestFrom(PROMPT, { tool: "codex", repo: "https://github.com/octo/app", engine: "podman", runId: "k8srun-1", ...more }, { PATH: "/usr/bin" });

const k8sObjects = (...args: Parameters<typeof emitted>) => emitted(...args) as Obj[];
const byKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const podSpecs = (objects: Obj[]) => [...byKind(objects, "Job"), ...byKind(objects, "Deployment")].map((o) => o.spec.template.spec);
const values = (argv: readonly string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));
/** The agent's Job pod: its init containers by name, and the finisher. */
const agentPod = (objects: Obj[]) => byKind(objects, "Job")[0]!.spec.template.spec;
const initNamed = (objects: Obj[], name: string) => agentPod(objects).initContainers.find((c: Obj) => c.name === name);

describe("perimeter run --emit k8s", () => {
  it("every object validates against the Kubernetes OpenAPI schemas (kubernetes-models, offline)", async () => {
    const objects = k8sObjects(await request(), { runtimeClassName: "gvisor" });
    expect(objects.map((o) => o.kind).sort()).toEqual(["ConfigMap", "Deployment", "Job", "NetworkPolicy", "NetworkPolicy", "PersistentVolumeClaim", "Service"]);
    for (const o of objects) expect(() => new MODELS[o.kind]!(o).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
  });

  it("control: the validator does catch a broken object", async () => {
    const job = byKind(k8sObjects(await request()), "Job")[0]!;
    const broken = structuredClone(job);
    broken.spec.template.spec.containers[0].resources.limits.memory = ["4Gi"];
    expect(() => new Job(broken).validate()).toThrow();
  });

  it("every pod meets the restricted Pod Security Standard; the agent pod takes the runtimeClassName", async () => {
    const objects = k8sObjects(await request(), { runtimeClassName: "gvisor" });
    for (const pod of podSpecs(objects)) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.securityContext, c.name).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
        expect(c.securityContext.privileged ?? false).toBe(false);
        expect(c.securityContext.capabilities.add).toBeUndefined();
      }
      for (const v of pod.volumes) expect(v.hostPath, v.name).toBeUndefined();
    }
    expect(byKind(objects, "Job")[0]!.spec.template.spec.runtimeClassName).toBe("gvisor");
    expect(byKind(objects, "Deployment")[0]!.spec.template.spec.runtimeClassName).toBeUndefined();
  });

  it("credentials come from a Secret reference and never appear in the objects; the agent gets placeholders", async () => {
    const objects = k8sObjects(await request(), { secretName: "team-keys" });
    const gateway = byKind(objects, "Deployment")[0]!.spec.template.spec.containers[0];
    const refs = gateway.env.map((e: Obj) => e.valueFrom?.secretKeyRef);
    expect(refs.every((r: Obj | undefined) => r?.name === "team-keys")).toBe(true);
    expect(refs.map((r: Obj) => r.key)).toEqual(expect.arrayContaining(["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GH_TOKEN"]));
    const agent = initNamed(objects, "agent");
    expect(agent.env.find((e: Obj) => e.name === "OPENAI_API_KEY").value).toBe("perimeter-placeholder");
    for (const c of [...agentPod(objects).initContainers, ...agentPod(objects).containers]) {
      expect(c.env?.some((e: Obj) => e.valueFrom?.secretKeyRef !== undefined) ?? false, c.name).toBe(false);
    }
  });

  it("the agent pod may reach only the gateway and DNS; the gateway only its allowlist's ports", async () => {
    const dir = tempDir();
    writeFiles(dir, { "wide.toml": 'description = "t"\nextends = "autonomous"\n\n[network]\nallow = ["git.example.com:8443"]\n' });
    const r = await request({ profile: "wide", profilesDir: dir });
    const [agentPolicy, gatewayPolicy] = byKind(k8sObjects(r), "NetworkPolicy");
    expect(agentPolicy!.spec.podSelector.matchLabels["app.kubernetes.io/component"]).toBe("agent");
    expect(agentPolicy!.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const [toGateway, dns] = agentPolicy!.spec.egress;
    expect(toGateway.to).toEqual([{ podSelector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/component": "gateway" }) } }]);
    expect(dns.ports.map((p: Obj) => p.port)).toEqual([53, 53]);
    expect(agentPolicy!.spec.egress).toHaveLength(2);
    expect(gatewayPolicy!.spec.egress[0].ports.map((p: Obj) => p.port)).toEqual([443, 8443]);
    expect(gatewayPolicy!.spec.ingress[0].from[0].podSelector.matchLabels["app.kubernetes.io/component"]).toBe("agent");
  });

  it("the same profile gives the same limits and the same allowlist as the podman run", async () => {
    const dir = tempDir();
    writeFiles(dir, { "small.toml": 'description = "t"\nextends = "autonomous"\n\n[limits]\nwall_clock_seconds = 600\nmemory = "512m"\ncpus = 1.5\npids = 200\n' });
    const r = await request({ profile: "small", profilesDir: dir });
    const plan = planRun(r);
    const objects = k8sObjects(r);
    const podmanAgent = plan.steps.agent[0]!.argv;
    const job = byKind(objects, "Job")[0]!;
    const agent = initNamed(objects, "agent");
    expect(values(podmanAgent, "--memory")).toEqual(["512m"]);
    expect(agent.resources.limits.memory).toBe(quantity("512m"));
    expect(quantity("512m")).toBe("512Mi");
    expect(agent.resources.limits.cpu).toBe(values(podmanAgent, "--cpus")[0]);
    expect(job.metadata.annotations["perimeter.io/pids-limit"]).toBe(values(podmanAgent, "--pids-limit")[0]);
    const clock = (env: string[]) => env.find((e) => e.startsWith("PERIMETER_WALL_CLOCK_SECONDS="));
    expect(clock(values(podmanAgent, "--env"))).toBe(`PERIMETER_WALL_CLOCK_SECONDS=${agent.env.find((e: Obj) => e.name === "PERIMETER_WALL_CLOCK_SECONDS").value}`);
    // The backstop: the agent's clock and its grace, then the finisher's time.
    expect(job.spec.activeDeadlineSeconds).toBe(600 + 15 + 600);
    // The allowlist: both gateways run the same profile, by the same name, from the same image.
    const podmanGateway = plan.steps.gateway[0]!.argv;
    const k8sGateway = byKind(objects, "Deployment")[0]!.spec.template.spec.containers[0];
    const tail = (argv: string[]) => argv.slice(argv.indexOf("gateway") + 1).filter((a) => !a.startsWith("/perimeter/gateway-inputs"));
    // The cluster's gateway also writes its usage totals, for the finisher (the launcher reads the log).
    const withoutUsage = (argv: string[]) => argv.filter((a, i) => a !== "--usage" && argv[i - 1] !== "--usage");
    expect(withoutUsage(tail(k8sGateway.args))).toEqual(tail(podmanGateway).filter((a) => a !== "--profiles-dir"));
    expect(values(k8sGateway.args, "--usage")).toEqual(["/perimeter/ca/usage.json"]);
    expect(values(k8sGateway.args, "--profile")).toEqual(["small"]);
    expect(k8sGateway.image).toBe(podmanGateway[podmanGateway.indexOf("tini") + 1]);
  });

  it("the run's lifecycle in one pod: CA, clone and agent as init containers in that order, then the finisher", async () => {
    const r = await request();
    const pod = agentPod(k8sObjects(r));
    expect(pod.initContainers.map((c: Obj) => c.name)).toEqual(["ca", "clone", "agent"]);
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(["finish"]);
    // restartPolicy Never and backoffLimit 0: a failed init container (the agent) fails the pod, and the finisher never runs.
    expect(pod.restartPolicy).toBe("Never");
    expect(byKind(k8sObjects(r), "Job")[0]!.spec.backoffLimit).toBe(0);
    const finish = pod.containers[0];
    expect(finish.command).toEqual(["node", "/opt/perimeter/package/dist/perimeter.cjs", "finish", "--json"]);
    const mounts = (c: Obj) => Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, m]));
    // The finisher reads the agent's tree, never writes it; the pristine clone (base) is never the agent's.
    expect(mounts(finish)["/work"]).toMatchObject({ name: "workspace", subPath: "work", readOnly: true });
    expect(mounts(finish)["/perimeter/base"]).toMatchObject({ name: "workspace", subPath: "base" });
    const agent = initNamed(k8sObjects(r), "agent");
    expect(agent.volumeMounts.some((m: Obj) => m.subPath === "base")).toBe(false);
    // Nothing the agent leaves in its /tmp or home reaches the finisher (a .curlrc, a git config).
    expect(mounts(agent)["/tmp"].name).not.toBe(mounts(finish)["/tmp"].name);
    expect(mounts(finish)["/home/agent"]).toBeUndefined();
    // Its facts, as the local run's publish step gets them.
    const spec = JSON.parse(finish.env.find((e: Obj) => e.name === "PERIMETER_FINISH").value) as Obj;
    const plan = planRun(r);
    expect(spec).toMatchObject({ runId: r.runId, branch: plan.branch, repo: { url: r.repo.url, slug: "octo/app" }, githubApi: r.githubApi, profile: r.profile.name });
    expect(spec.tool.versionCommand).toEqual(r.tool.run.versionCommand);
    expect(spec.usageUrl).toBe(`http://perimeter-k8srun-1-gateway:8080/usage.json`);
    // The prompt's digest only (no --record-prompt).
    expect(JSON.stringify(finish)).not.toContain(PROMPT);
    expect(spec.prompt.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the gateway pod's CA container serves the bundle and the usage totals, nothing else", async () => {
    const { Script } = await import("node:vm");
    const ca = byKind(k8sObjects(await request()), "Deployment")[0]!.spec.template.spec.containers.find((c: Obj) => c.name === "ca");
    const js = ca.command[2] as string;
    expect(() => new Script(js)).not.toThrow();
    const served = JSON.parse(/^const f=(\{[^}]*\});/.exec(js)![1]!) as Record<string, string>;
    expect(served).toEqual({ "/ca-bundle.pem": "/perimeter/ca/ca-bundle.pem", "/usage.json": "/perimeter/ca/usage.json" });
    expect(ca.volumeMounts).toEqual([{ name: "ca", mountPath: "/perimeter/ca", readOnly: true }]);
  });

  it("the finisher reaches the gateway as the podman publish step does, with its limits", async () => {
    const r = await request();
    const plan = planRun(r);
    const finish = agentPod(k8sObjects(r)).containers[0];
    const publish = plan.steps.publish[0]!.argv;
    const k8sEnv = Object.fromEntries(finish.env.map((e: Obj) => [e.name, e.value]));
    const proxyPairs = values(publish, "--env").filter((e) => /^(HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy)=/.test(e));
    expect(proxyPairs).toHaveLength(6);
    for (const pair of proxyPairs) {
      const [k, ...v] = pair.split("=");
      expect(k8sEnv[k!].replace(/perimeter-k8srun-1-gateway/, "GW"), k).toBe(v.join("=").replace(/pr?[a-z-]*k8srun-1-gateway/, "GW"));
    }
    expect(finish.resources.limits.memory).toBe(quantity(values(publish, "--memory")[0]!));
    expect(finish.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  it("the agent container takes the image that the cluster variant must be: the Job says so", async () => {
    const job = byKind(k8sObjects(await request({ image: "registry.example/perimeter-agent:k8s" })), "Job")[0]!;
    expect(job.metadata.annotations["perimeter.io/image-variant"]).toContain("--egress-wall orchestrator");
    expect(initNamed([job], "agent").image).toBe("registry.example/perimeter-agent:k8s");
    expect(job.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(initNamed([job], "agent").env.find((e: Obj) => e.name === "HTTPS_PROXY").value).toMatch(/^http:\/\/perimeter-k8srun-1-gateway:3128$/);
  });

  it("on the CLI: prints a v1 List, runs nothing", async () => {
    const r = await runCli(["run", "--tool", "claude", "--repo", "https://github.com/octo/app", "--engine", "podman", "--emit", "k8s", PROMPT]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Obj;
    expect(list).toMatchObject({ apiVersion: "v1", kind: "List" });
    expect(list.items.length).toBe(7);
    const bad = await runCli(["run", "--tool", "claude", "--repo", "https://github.com/octo/app", "--engine", "podman", "--emit", "nomad", PROMPT]);
    expect(bad.code).toBe(2);
    // The finisher's command outside its pod: a usage error naming the variable it needs.
    const finish = await runCli(["finish", "--json"]);
    expect(finish.code).toBe(2);
    expect(finish.stderr).toContain("PERIMETER_FINISH is not set");
  });
});
