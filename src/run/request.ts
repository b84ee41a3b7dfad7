// A run, fully decided before anything starts: the typed input of the planner.
import { UsageError } from "../errors.js";
import type { RunLimits } from "../profile/limits.js";
import type { Profile } from "../profile/types.js";
import type { AgentTool } from "../tools/types.js";
import type { EngineId } from "./engine.js";

export interface RepoRef {
  url: string;
  host: string;
  /** `owner/name`, as the GitHub API names a repository. */
  slug: string;
}

export interface RunRequest {
  runId: string;
  tool: AgentTool;
  profile: Profile;
  /** Absolute; mounted read-only into the gateway, which reads the same profile. */
  profilesDir?: string;
  repo: RepoRef;
  /** The task. It reaches the agent by environment, never on a command line, and is kept out of the record unless asked. */
  prompt: string;
  recordPrompt: boolean;
  image: string;
  engine: EngineId;
  limits: RunLimits;
  outDir: string;
  /** Test inputs passed to the gateway as they are (issue 13's contract). */
  hostsFile?: string;
  upstreamCa?: string;
  /** The network the gateway reaches the upstreams on (the engine's default network unless given). */
  egressNetwork: string;
  /** Base URL of the GitHub REST API the pull request is opened with. */
  githubApi: string;
  /** Extra flags for the agent container, appended after perimeter's own (a hostile one is refused by the entrypoint). */
  engineArgs: string[];
  /** Prefix of every engine object's name. */
  namePrefix: string;
  /** `host:pid` of this launcher. */
  launcher: string;
  startedAt: Date;
}

/** An https URL of a repository `https://host/owner/name(.git)`: the gateway speaks HTTP(S) only. */
export function parseRepoUrl(text: string): RepoRef {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--repo: "${text}" is not a URL; give https://HOST/OWNER/NAME`);
  }
  if (url.protocol !== "https:") throw new UsageError(`--repo: "${text}" is not https; the clone goes through the gateway, which speaks HTTPS`);
  if (url.username !== "" || url.password !== "") {
    throw new UsageError("--repo: the URL holds a credential; the gateway adds credentials from the profile's [credentials], never from the URL");
  }
  if (url.search !== "" || url.hash !== "") throw new UsageError(`--repo: "${text}" has a query or fragment`);
  const parts = url.pathname.replace(/\.git$/, "").split("/").filter((p) => p !== "");
  if (parts.length !== 2 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new UsageError(`--repo: "${text}" does not name a repository as https://HOST/OWNER/NAME`);
  }
  return { url: `https://${url.host}/${parts[0]}/${parts[1]}.git`, host: url.host, slug: `${parts[0]}/${parts[1]}` };
}

/** The REST API of the repository's host: api.github.com for github.com, `/api/v3` on GitHub Enterprise. */
export function defaultGithubApi(repo: RepoRef): string {
  return repo.host === "github.com" ? "https://api.github.com" : `https://${repo.host}/api/v3`;
}

/**
 * Engine flags an `--engine-arg` may not add. The entrypoint refuses every unsafe container it can
 * see, so the one thing it cannot refuse is not running: `--entrypoint` replaces it (the tool would
 * start with no check at all) and `--rootfs` swaps the image for a host folder. The run's own labels
 * name what cleanup removes, so another value for one would hand this run's container to another.
 */
const ENGINE_ARG_RULES: readonly { flag: string; refused: (value: string | undefined) => boolean; why: string }[] = [
  { flag: "--entrypoint", refused: () => true, why: "replaces the image's entrypoint, so none of its refusals would run" },
  { flag: "--rootfs", refused: () => true, why: "runs a host folder instead of the agent image" },
  { flag: "--label", refused: (value) => value === undefined || value.startsWith("io.perimeter."), why: "sets one of the run's own labels (cleanup finds a run's objects by them)" },
];

/** Throws a usage error for an engine flag that would take the agent container out of the entrypoint's reach. */
export function checkEngineArgs(args: readonly string[]): void {
  args.forEach((arg, i) => {
    const [flag, ...rest] = arg.split("=");
    const rule = ENGINE_ARG_RULES.find((r) => r.flag === flag);
    // `--flag=value` or `--flag value` (the value in the next --engine-arg).
    const value = rest.length > 0 ? rest.join("=") : args[i + 1];
    if (rule !== undefined && rule.refused(value)) throw new UsageError(`--engine-arg: ${flag} ${rule.why}; perimeter run does not pass it`);
  });
}
