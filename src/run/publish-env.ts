// What the publish step is told: the commit message and the pull request, made from the run's facts.
// One place for both forms of a run: the launcher's (execute.ts) and the cluster's finisher (finish.ts).
import { SCANNER } from "./secret-scan.js";
import type { DiffSummary } from "./diff.js";

export interface PublishFacts {
  runId: string;
  branch: string;
  tool: { id: string; title: string };
  profile: string;
  /** The prompt as the record may hold it: its text only when asked (--record-prompt), else its digest. */
  promptForRecord: string;
  repoUrl: string;
}

/** The prompt as a commit message or a pull request may show it. */
export function promptForRecord(prompt: string, sha256: string, recordPrompt: boolean): string {
  return recordPrompt ? prompt : `sha256:${sha256} (${prompt.length} characters; kept out of the record)`;
}

export function publishEnv(facts: PublishFacts, clone: { base: string; branch: string }, summary: DiffSummary): Record<string, string> {
  const s = summary;
  const diff = `${s.filesChanged} file(s) changed, +${s.linesAdded} -${s.linesDeleted}`;
  const message = [
    `perimeter run ${facts.runId}: ${facts.tool.title}, profile ${facts.profile}`,
    "",
    `Run: ${facts.runId}`,
    `Prompt: ${facts.promptForRecord}`,
    `Diff: ${diff}`,
    "",
  ].join("\n");
  const body = [
    `Opened by \`perimeter run\` (run \`${facts.runId}\`): ${facts.tool.title} with the \`${facts.profile}\` profile, behind the gateway.`,
    "",
    `- prompt: ${facts.promptForRecord}`,
    `- diff: ${diff}`,
    `- secret scan: ${SCANNER}, no findings`,
    "",
    "One commit made from the agent's final tree; the execution manifest stays on the launcher's host.",
  ].join("\n");
  return {
    PERIMETER_BASE: clone.base,
    PERIMETER_REPO_URL: facts.repoUrl,
    PERIMETER_COMMIT_MESSAGE: message,
    PERIMETER_PR_JSON: JSON.stringify({ title: `perimeter: ${facts.tool.id} run ${facts.runId}`, head: facts.branch, base: clone.branch, body }),
  };
}

export interface PublishOutput {
  pushed: { commit: string; ref: string } | undefined;
  pullRequest: { url: string; number: number | null } | undefined;
}

/** What the publish script printed: `PERIMETER_PUSHED <commit> <ref>`, then `PERIMETER_PR` and the API's answer. */
export function parsePublishOutput(stdout: string): PublishOutput {
  const pushed = /^PERIMETER_PUSHED (\S+) (\S+)$/m.exec(stdout);
  const prAt = stdout.indexOf("PERIMETER_PR\n");
  let pullRequest: PublishOutput["pullRequest"];
  if (prAt >= 0) {
    const pr = JSON.parse(stdout.slice(prAt + "PERIMETER_PR\n".length)) as { html_url?: string; number?: number };
    pullRequest = { url: pr.html_url ?? "", number: pr.number ?? null };
  }
  return { pushed: pushed === null ? undefined : { commit: pushed[1]!, ref: pushed[2]! }, pullRequest };
}
