// The planner: one RunRequest in, every engine command of the run out, in order, as argv arrays.
// `perimeter run --print` prints exactly this; the executor (execute.ts) runs exactly this. Nothing
// here touches the engine or the disk.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { WALL_CLOCK_ENV } from "../entrypoint/run.js";
import { START_WHEN_ENV } from "../entrypoint/start-gate.js";
import { GATEWAY_COMMAND } from "../image/spec.js";
import { engineById, type Engine } from "./engine.js";
import { LABEL, runLabels, runNames, type Role, type RunNames } from "./names.js";
import { CONTAINER_PATHS as P } from "./paths.js";
import type { RunRequest } from "./request.js";
import { cloneScript, publishScript, stageScript } from "./scripts.js";
import { stagedInputs } from "./staging.js";

export const GATEWAY_PORT = 3128;
/** The gateway's request log, as the run copies it into the out directory. */
export const GATEWAY_LOG_FILE = "gateway-requests.jsonl";
export const AGENT_UID = 1000;
/** What the agent holds instead of each credential; the gateway puts the real one on the wire. */
export const PLACEHOLDER = "perimeter-placeholder";
/** Seconds the entrypoint's clock gets before the launcher's backstop stops the container. */
export const LAUNCHER_GRACE_SECONDS = 15;
/** The clone's last act: the agent's tool starts when this appears (the agent sees only its own .git). */
export const CLONE_MARKER = `${P.work}/.git/perimeter-cloned`;
/** The clone, stage and publish containers' limits (the agent's come from the profile). */
export const HELPER_LIMITS = { memory: "1g", pids: 256 };

export type StepName = "prepare" | "gateway" | "clone" | "agent" | "stage" | "publish" | "collect" | "stop" | "cleanup" | "verify";

export interface EngineCommand {
  step: StepName;
  argv: string[];
  /** Variables this command passes by name (`--env NAME`): their values come from the launcher, never from argv. */
  passEnv?: string[];
  /** When the command runs, if not always. */
  when?: string;
  /** Runs alongside the previous command instead of after it. */
  concurrent?: boolean;
}

export interface PlannedManifest {
  runId: string;
  tool: string;
  profile: { name: string; files: string[] };
  image: { ref: string };
  engine: string;
  repo: { url: string; slug: string };
  branch: string;
  prompt: { sha256: string; characters: number; text?: string };
  limits: RunRequest["limits"];
  outDir: string;
  objects: RunNames;
  labels: Record<string, string>;
}

export interface RunPlan {
  runId: string;
  engine: string;
  branch: string;
  names: RunNames;
  labels: Record<string, string>;
  steps: Record<StepName, EngineCommand[]>;
  /** Every command in the order the run executes it. */
  commands: EngineCommand[];
  manifest: PlannedManifest;
}

/** The run's branch: one per run, so nothing it pushes can land on a branch people use. */
export const runBranch = (tool: string, runId: string) => `agent/${tool}/${runId}`;

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const ORDER: StepName[] = ["prepare", "gateway", "clone", "agent", "stage", "publish", "collect", "stop", "cleanup", "verify"];

export function planRun(request: RunRequest): RunPlan {
  const engine = engineById(request.engine);
  const names = runNames(request.namePrefix, request.runId);
  const expires = Math.ceil(request.startedAt.getTime() / 1000) + request.limits.wallClockSeconds + 3600;
  const labels = runLabels(request.namePrefix, request.runId, request.launcher, expires);
  const branch = runBranch(request.tool.id, request.runId);
  const e = engine.id;
  const labelArgs = (role: Role) => [...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]), "--label", `${LABEL.role}=${role}`];
  const volumes = Object.values(names.volumes);
  const gatewayHost = names.gateway;
  const proxy = `http://${gatewayHost}:${GATEWAY_PORT}`;

  /** Flags every container of the run gets: no capabilities, no privilege gain, a read-only root. */
  const hardened = (role: Role, name: string) => [
    "--name", name, ...labelArgs(role), "--pull=never",
    "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
    "--read-only", "--tmpfs", "/tmp:rw,nosuid,nodev,size=256m",
    "--user", `${AGENT_UID}:${AGENT_UID}`,
  ];
  const helperLimits = ["--memory", HELPER_LIMITS.memory, "--pids-limit", String(HELPER_LIMITS.pids)];
  const trustEnv = ["SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE"].flatMap((v) => ["--env", `${v}=${P.caBundle}`]);
  const proxyEnv = ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"].flatMap((v) => ["--env", `${v}=${proxy}`]);
  const noProxy = ["--env", "NO_PROXY=localhost,127.0.0.1", "--env", "no_proxy=localhost,127.0.0.1"];
  const script = (text: string) => ["--entrypoint", "bash", request.image, "-c", text];

  const steps: Record<StepName, EngineCommand[]> = Object.fromEntries(ORDER.map((s) => [s, []])) as never;
  const add = (step: StepName, argv: string[], extra: Omit<EngineCommand, "step" | "argv"> = {}) => steps[step].push({ step, argv, ...extra });

  // prepare: the image must be here (its digest goes into the manifest), then the run's own network and volumes.
  add("prepare", [e, "image", "inspect", "--format", "{{.Id}}", request.image]);
  add("prepare", [e, "network", "create", "--internal", ...labelArgs("network"), names.network], { concurrent: true });
  for (const volume of volumes) add("prepare", [e, "volume", "create", ...labelArgs("volume"), volume], { concurrent: true });
  if (engine.chownsVolumesInAStep) {
    add("prepare", [
      e, "run", "--rm", "--name", `${names.clone}-chown`, ...labelArgs("clone"), "--pull=never", "--network", "none",
      "--cap-drop", "ALL", "--cap-add", "CHOWN", "--security-opt", "no-new-privileges", "--user", "0:0",
      ...volumes.flatMap((v, i) => ["--volume", `${v}:/v${i}`]),
      "--entrypoint", "chown", request.image, `${AGENT_UID}:${AGENT_UID}`, ...volumes.map((_, i) => `/v${i}`),
    ]);
  }

  // gateway: on the run's internal network and the egress network; the credentials by name only.
  const credentials = gatewayCredentials(request);
  const inputs: string[] = [];
  // The run's one repository: the token may reach others, the agent's pushes may not.
  const gatewayArgs = ["--profile", request.profile.name, "--listen", `0.0.0.0:${GATEWAY_PORT}`, "--ca-dir", P.ca, "--log", `${P.gatewayLog}/requests.jsonl`, "--git-repo", `${request.repo.host.replace(/:\d+$/, "")}/${request.repo.slug}`];
  // The gateway's host inputs go in as copies the gateway's user can read (staging.ts), never the originals.
  const staged = stagedInputs(request);
  const mountInput = (hostPath: string, inside: string) => inputs.push("--volume", `${hostPath}:${inside}:ro`);
  if (staged.profilesDir !== undefined) {
    mountInput(staged.profilesDir, `${P.gatewayInputs}/profiles`);
    gatewayArgs.push("--profiles-dir", `${P.gatewayInputs}/profiles`);
  }
  if (request.hostsFile !== undefined) {
    mountInput(staged.hostsFile!, `${P.gatewayInputs}/hosts`);
    gatewayArgs.push("--hosts", `${P.gatewayInputs}/hosts`);
  }
  if (request.upstreamCa !== undefined) {
    mountInput(staged.upstreamCa!, `${P.gatewayInputs}/upstream-ca.pem`);
    gatewayArgs.push("--upstream-ca", `${P.gatewayInputs}/upstream-ca.pem`);
  }
  // A credential kept in a file is mounted read-only at the same path, where the profile says it is.
  for (const [file, copy] of staged.credentialFiles) mountInput(copy, file);
  const gatewayRun = [
    ...hardened("gateway", names.gateway), ...helperLimits,
    "--volume", engine.volume(names.volumes.ca, P.ca, "owned"),
    "--volume", engine.volume(names.volumes.log, P.gatewayLog, "owned"),
    ...inputs,
    ...credentials.env.flatMap((name) => ["--env", name]),
    "--entrypoint", "tini", request.image, "--", ...GATEWAY_COMMAND, ...gatewayArgs,
  ];
  for (const argv of engine.startOnTwoNetworks(gatewayRun, names.gateway, names.network, request.egressNetwork)) {
    add("gateway", argv, { passEnv: credentials.env });
  }

  // clone: in a fresh container at the same time as the gateway starts; it waits for the gateway itself.
  add("clone", [
    e, "run", "--rm", ...hardened("clone", names.clone), ...helperLimits, "--network", names.network,
    "--volume", engine.volume(names.volumes.work, P.work, "owned"),
    "--volume", engine.volume(names.volumes.base, P.base, "owned"),
    "--volume", engine.volume(names.volumes.ca, P.ca, "ro"),
    ...proxyEnv, ...noProxy,
    "--env", "PERIMETER_REPO_URL", "--workdir", "/tmp",
    ...script(cloneScript(P)),
  ], { passEnv: ["PERIMETER_REPO_URL"], concurrent: true });

  // agent: the hardened container, on the internal network only, with the run's limits. Created and
  // started while the gateway and the clone start, so its start and the entrypoint's checks are off
  // the critical path; the entrypoint starts the tool when the clone's marker appears.
  add("agent", [
    e, "create", ...hardened("agent", names.agent),
    "--tmpfs", engine.ownedTmpfs("/home/agent", AGENT_UID, "1g"),
    "--network", names.network,
    "--memory", request.limits.memory, "--memory-swap", request.limits.memory,
    "--cpus", String(request.limits.cpus), "--pids-limit", String(request.limits.pids),
    "--volume", engine.volume(names.volumes.work, P.work, "rw"),
    "--volume", engine.volume(names.volumes.ca, P.ca, "ro"),
    "--workdir", P.work,
    ...proxyEnv, ...noProxy, ...trustEnv,
    ...agentEnv(request).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    "--env", `${WALL_CLOCK_ENV}=${request.limits.wallClockSeconds}`,
    "--env", `${START_WHEN_ENV}=${CLONE_MARKER}`,
    "--env", "AGENT_PROMPT",
    ...request.engineArgs,
    request.image, request.tool.id,
  ], { passEnv: ["AGENT_PROMPT"], concurrent: true });
  add("agent", [e, "start", "--attach", names.agent], { when: "once created, beside the gateway and the clone: the entrypoint checks, then waits for the clone's marker to start the tool", concurrent: true });

  // After the tool: stage the final tree (no network), scan it on the host, then publish through the gateway.
  const runEnv = ["PERIMETER_BASE"];
  add("stage", [
    e, "run", "--rm", ...hardened("stage", names.stage), ...helperLimits, "--network", "none",
    "--volume", engine.volume(names.volumes.work, P.work, "ro"),
    "--volume", engine.volume(names.volumes.base, P.base, "rw"),
    "--env", "PERIMETER_BASE", "--workdir", "/tmp",
    ...script(stageScript(P, request.tool.run.versionCommand)),
  ], { passEnv: runEnv, when: "the agent ran" });
  const publishEnv = ["PERIMETER_BASE", "PERIMETER_REPO_URL", "PERIMETER_COMMIT_MESSAGE", "PERIMETER_PR_JSON"];
  add("publish", [
    e, "run", "--rm", ...hardened("publish", names.publish), ...helperLimits, "--network", names.network,
    "--volume", engine.volume(names.volumes.base, P.base, "rw"),
    "--volume", engine.volume(names.volumes.ca, P.ca, "ro"),
    ...proxyEnv, ...noProxy,
    ...publishEnv.flatMap((v) => ["--env", v]),
    "--env", `PERIMETER_BRANCH=${branch}`, "--env", `PERIMETER_GITHUB_API=${request.githubApi}`,
    "--env", `PERIMETER_REPO_SLUG=${request.repo.slug}`, "--env", `PERIMETER_GITHUB_TOKEN=${PLACEHOLDER}`,
    "--workdir", "/tmp",
    ...script(publishScript(P)),
  ], { passEnv: publishEnv, when: "the tool exited 0, the diff is not empty and the scan found no secret" });

  // collect: the gateway's request log. While the gateway runs (the heartbeat, the budget check before
  // the publish) read through its container; at the end the gateway is stopped with SIGTERM first, so
  // it settles every exchange still open and writes its closing totals, and the log is copied out of
  // the stopped container onto the launcher's host.
  add("collect", [e, "exec", names.gateway, "cat", `${P.gatewayLog}/requests.jsonl`], { when: "the gateway runs" });
  add("collect", [e, "stop", "--time", "5", names.gateway], { when: "the run is over: the gateway's last line" });
  add("collect", [e, "cp", `${names.gateway}:${P.gatewayLog}/requests.jsonl`, join(request.outDir, GATEWAY_LOG_FILE)], { when: "the gateway has stopped" });

  // stop and cleanup: everything the run created, also after an error or Ctrl-C.
  add("stop", [e, "stop", "--time", "5", names.agent], { when: "the wall clock ran out or the run was interrupted while the agent ran" });
  const containers = [names.agent, names.gateway, names.clone, names.stage, names.publish, ...(engine.chownsVolumesInAStep ? [`${names.clone}-chown`] : [])];
  for (const argv of engine.removeAll(containers, names.network, volumes)) add("cleanup", argv);
  // verify: whatever still carries the run's label goes into the manifest as leftovers.
  const mine = `label=${LABEL.run}=${request.runId}`;
  add("verify", [e, "ps", "--all", "--filter", mine, "--format", "{{.Names}}"]);
  add("verify", [e, "network", "ls", "--filter", mine, "--format", "{{.Name}}"], { concurrent: true });
  add("verify", [e, "volume", "ls", "--filter", mine, "--format", "{{.Name}}"], { concurrent: true });

  const commands = ORDER.flatMap((s) => steps[s]);
  return {
    runId: request.runId,
    engine: e,
    branch,
    names,
    labels,
    steps,
    commands,
    manifest: {
      runId: request.runId,
      tool: request.tool.id,
      profile: { name: request.profile.name, files: request.profile.files },
      image: { ref: request.image },
      engine: e,
      repo: { url: request.repo.url, slug: request.repo.slug },
      branch,
      prompt: { sha256: sha256(request.prompt), characters: request.prompt.length, ...(request.recordPrompt ? { text: request.prompt } : {}) },
      limits: request.limits,
      outDir: request.outDir,
      objects: names,
      labels,
    },
  };
}

/** The credentials the gateway takes from this launcher: variable names, and files to mount. */
export function gatewayCredentials(request: RunRequest): { env: string[]; files: string[] } {
  const env = new Set<string>();
  const files = new Set<string>();
  for (const c of request.profile.credentials) {
    if ("env" in c.source) env.add(c.source.env);
    else files.add(c.source.file);
  }
  return { env: [...env].sort(), files: [...files].sort() };
}

/** Placeholders for every credential variable the profile or the tool names, and the tool's own settings. */
export function agentEnv(request: RunRequest): [string, string][] {
  const placeholders = new Set<string>([...request.profile.credentials.flatMap((c) => c.placeholderEnv), ...request.tool.run.credentialEnv]);
  return [...[...placeholders].sort().map((name): [string, string] => [name, PLACEHOLDER]), ...Object.entries(request.tool.run.env)];
}
