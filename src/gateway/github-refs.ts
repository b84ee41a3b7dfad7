// GitHub's API ways to write a ref without `git push`: the same act as a push, so [git] push decides
// them too (else "push only agent/**" ends at one `PUT /repos/o/r/contents/x` with branch "main").
// The REST forms say the ref in their JSON body; a merge of a pull request and the GraphQL forms
// name it indirectly (a pull request's base, a branch id), so those are refused outright: the agent
// writes refs by pushing, which the gateway reads.

/** The API host of each git host the gateway reads pushes for. */
const API_HOST: Record<string, string> = { "github.com": "api.github.com" };

export const githubApiHostFor = (gitHost: string): string | undefined => API_HOST[gitHost];

export type RefWrite =
  /** The body's `field` names the ref (`prefix` + value); absent: the default branch, or no ref written when `optional`. */
  | { kind: "body"; field: string; prefix: string; what: string; optional?: boolean }
  | { kind: "refuse"; what: string };

/** A REST call on the API host that writes a ref, from its method and normalized path. */
export function restRefWrite(method: string, path: string): RefWrite | undefined {
  if (method === "PUT" && /^\/repos\/[^/]+\/[^/]+\/contents(\/.*)?$/.test(path)) return { kind: "body", field: "branch", prefix: "refs/heads/", what: "a commit through the contents API" };
  if (method === "POST" && /^\/repos\/[^/]+\/[^/]+\/git\/refs$/.test(path)) return { kind: "body", field: "ref", prefix: "", what: "a ref made through the git refs API" };
  if (method === "POST" && /^\/repos\/[^/]+\/[^/]+\/merges$/.test(path)) return { kind: "body", field: "base", prefix: "refs/heads/", what: "a merge through the merges API" };
  if (method === "POST" && /^\/repos\/[^/]+\/[^/]+\/merge-upstream$/.test(path)) return { kind: "body", field: "branch", prefix: "refs/heads/", what: "a fork synced through merge-upstream" };
  // A release names its tag, made on the spot when it does not exist: a tag, which [git] refuses.
  if ((method === "POST" && /^\/repos\/[^/]+\/[^/]+\/releases$/.test(path)) || (method === "PATCH" && /^\/repos\/[^/]+\/[^/]+\/releases\/\d+$/.test(path))) {
    return { kind: "body", field: "tag_name", prefix: "refs/tags/", what: "a release (and its tag)", optional: method === "PATCH" };
  }
  if (method === "PUT" && /^\/repos\/[^/]+\/[^/]+\/pulls\/[^/]+\/merge$/.test(path)) return { kind: "refuse", what: "merging a pull request (into its base branch)" };
  if (method === "PUT" && /^\/repos\/[^/]+\/[^/]+\/pulls\/[^/]+\/update-branch$/.test(path)) return { kind: "refuse", what: "updating a pull request's branch (named by the pull request)" };
  if (method === "POST" && /^\/repos\/[^/]+\/[^/]+\/branches\/.+\/rename$/.test(path)) return { kind: "refuse", what: "renaming a branch (the old name is deleted)" };
  return undefined;
}

/** GraphQL mutations that write a ref named only by id or by a pull request. */
export const REF_MUTATIONS: ReadonlyMap<string, string> = new Map([
  ["createCommitOnBranch", "a commit made through createCommitOnBranch"],
  ["mergePullRequest", "merging a pull request (into its base branch)"],
  ["enablePullRequestAutoMerge", "merging a pull request (into its base branch)"],
  ["mergeBranch", "a merge through mergeBranch"],
  ["createRef", "a ref made through createRef"],
  ["updatePullRequestBranch", "updating a pull request's branch (named by the pull request)"],
  ["revertPullRequest", "a revert branch made by GitHub"],
  ["createLinkedBranch", "a branch made for an issue"],
  ["enqueuePullRequest", "merging a pull request through the merge queue"],
]);

/** The ref a body-named write goes to, or undefined for the default branch (body without the field). */
export function refOfBody(write: Extract<RefWrite, { kind: "body" }>, body: unknown): string | undefined {
  const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[write.field] : undefined;
  if (typeof value !== "string" || value === "") return undefined;
  return write.prefix === "" || value.startsWith("refs/") ? value : `${write.prefix}${value}`;
}
