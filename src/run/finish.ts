// The cluster form's finisher: the last container of the agent's Job, after the clone and the agent
// ran as init containers (an agent that fails fails the pod, and this never runs). It does what the
// launcher does after the tool locally, with the same scripts and scanner: stage the final tree from
// the pristine clone (git with a clean config; the agent's .git never loads), scan the added lines,
// commit one commit, push to agent/<tool>/<run-id> and open the pull request through the gateway.
// It prints the manifest fields it can know as one JSON line, and exits with the stop's code.
import { execa } from "execa";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { parseStageOutput, type DiffSummary } from "./diff.js";
import { CONTAINER_PATHS, type ContainerPaths } from "./paths.js";
import { PLACEHOLDER } from "./plan.js";
import { parsePublishOutput, publishEnv, type PublishFacts } from "./publish-env.js";
import { publishScript, stageScript } from "./scripts.js";
import { SCANNER, scanAddedLines, type SecretFinding } from "./secret-scan.js";
import { STOP_EXIT_CODES, type StopReason } from "./stop.js";

/** The variable the Job gives the finisher its facts in (JSON: FinishSpec). */
export const FINISH_ENV = "PERIMETER_FINISH";

export interface FinishSpec extends PublishFacts {
  tool: { id: string; title: string; versionCommand: string[] };
  prompt: { sha256: string; characters: number };
  repo: { url: string; slug: string };
  githubApi: string;
  /** The gateway's usage totals (plain http, beside its CA bundle): a call refused over budget means no push. */
  usageUrl: string;
}

export interface FinishRecord {
  manifestVersion: 1;
  form: "k8s";
  runId: string;
  tool: { id: string; version: string | null };
  branch: string;
  repo: { url: string; slug: string };
  prompt: { sha256: string; characters: number };
  policy: { digests: Record<string, string | null> | null };
  stop: { reason: StopReason; exitCode: number; detail: string };
  usage: Record<string, unknown> | null;
  diff: DiffSummary | null;
  secretScan: { scanner: string; findings: SecretFinding[] } | null;
  refsPushed: { commit: string; ref: string }[];
  pullRequest: { url: string; number: number | null } | null;
  endedAt: string;
}

const HELPER_TIMEOUT_MS = 10 * 60_000;
const lastLines = (text: string, n = 3) => text.trim().split("\n").slice(-n).join("\n");

/** GET a small JSON document straight from the gateway's pod (never through the proxy). */
function getJson(url: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c.length + body.length > 65_536 ? "" : c));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`${url} answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          reject(new Error(`${url} answered no JSON`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${url} did not answer in ${timeoutMs / 1000}s`)));
    req.on("error", reject);
    req.end();
  });
}

export async function finishRun(spec: FinishSpec, paths: ContainerPaths = CONTAINER_PATHS, env: NodeJS.ProcessEnv = process.env): Promise<FinishRecord> {
  const record: FinishRecord = {
    manifestVersion: 1,
    form: "k8s",
    runId: spec.runId,
    tool: { id: spec.tool.id, version: null },
    branch: spec.branch,
    repo: spec.repo,
    prompt: spec.prompt,
    policy: { digests: null },
    stop: { reason: "STOP_DONE", exitCode: 0, detail: "" },
    usage: null,
    diff: null,
    secretScan: null,
    refsPushed: [],
    pullRequest: null,
    endedAt: "",
  };
  const stop = (reason: StopReason, detail: string) => {
    record.stop = { reason, exitCode: STOP_EXIT_CODES[reason], detail };
    record.endedAt = new Date().toISOString();
    return record;
  };
  const bash = (script: string, extra: Record<string, string>) =>
    execa("bash", ["-c", script], { env: { ...env, ...extra }, extendEnv: false, reject: false, timeout: HELPER_TIMEOUT_MS, stdin: "ignore", cwd: "/tmp" });

  let clone: { base: string; branch: string };
  try {
    const [base, branch] = readFileSync(`${paths.base}/perimeter-clone`, "utf8").trim().split(" ");
    if (base === undefined || branch === undefined || base === "") throw new Error("empty");
    clone = { base, branch };
  } catch {
    return stop("STOP_CLONE_FAILED", `${paths.base}/perimeter-clone is missing: the clone step did not finish`);
  }

  // The budget first: the cause wins, and a tool can exit 0 after the gateway refused it a model call.
  try {
    record.usage = await getJson(spec.usageUrl);
  } catch (error) {
    return stop("STOP_ENGINE_ERROR", `the gateway's usage could not be read, so nothing was pushed: ${(error as Error).message}`);
  }
  if (Number(record.usage.refused ?? 0) > 0) return stop("STOP_BUDGET", "the gateway refused a model call over the budget");

  const staged = await bash(stageScript(paths, spec.tool.versionCommand), { PERIMETER_BASE: clone.base });
  if (staged.exitCode !== 0) return stop("STOP_ENGINE_ERROR", `staging the final tree failed (exit ${staged.exitCode}): ${lastLines(String(staged.stderr))}`);
  const stage = parseStageOutput(String(staged.stdout));
  record.tool.version = stage.version || null;
  record.policy.digests = stage.policy;
  record.diff = stage.summary;
  const findings = await scanAddedLines(stage);
  record.secretScan = { scanner: SCANNER, findings };
  if (findings.length > 0) {
    return stop("STOP_SECRET_FOUND", `the secret scan found ${findings.length} secret(s): ${findings.map((f) => `${f.file}:${f.line} ${f.rule}`).join(", ")}; nothing was pushed`);
  }
  if (stage.summary.filesChanged === 0) return stop("STOP_DONE", "the agent changed nothing: no commit, no pull request");

  const published = await bash(publishScript(paths), {
    ...publishEnv(spec, clone, stage.summary),
    PERIMETER_BRANCH: spec.branch,
    PERIMETER_GITHUB_API: spec.githubApi,
    PERIMETER_REPO_SLUG: spec.repo.slug,
    PERIMETER_GITHUB_TOKEN: PLACEHOLDER,
  });
  const out = parsePublishOutput(String(published.stdout));
  if (out.pushed !== undefined) record.refsPushed.push(out.pushed);
  if (out.pullRequest !== undefined) record.pullRequest = out.pullRequest;
  if (published.exitCode !== 0) return stop("STOP_PUSH_FAILED", lastLines(String(published.stderr)) || `the publish step exited ${published.exitCode}`);
  return stop("STOP_DONE", `pushed ${spec.branch} and opened ${record.pullRequest?.url ?? "a pull request"}`);
}
