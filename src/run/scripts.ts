// The shell steps that run in fresh containers of the agent image: clone, stage, publish. Each is a
// fixed bash script; everything that varies comes in through environment variables, so the engine
// commands in `perimeter run --print` are exactly the ones that run. None runs git on the host, and
// none reads the agent's .git: the pristine bare clone (/base) is never mounted into the agent.
import { IMAGE_SPEC_PATH } from "../image/spec.js";
import type { ContainerPaths } from "./paths.js";

/** Git with no config but ours: nothing the repository or the agent wrote can name a program to run. */
const CLEAN_GIT = (p: ContainerPaths) => `set -euo pipefail
export HOME=/tmp/perimeter-home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 GIT_ASKPASS=/bin/false
mkdir -p "$HOME"
bundle=${p.caBundle}
g() { git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c core.untrackedCache=false -c core.bare=false -c protocol.file.allow=always -c http.sslCAInfo="$bundle" "$@"; }
`;

/** The empty tree: the base of a repository that has no commit yet. */
export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/**
 * Waits for the gateway (its CA certificate and bundle in the CA volume), makes the pristine bare
 * clone through the gateway and the agent's working copy from it.
 * Out: `PERIMETER_CLONE <base commit|none> <default branch>` (also in <base>/perimeter-clone).
 * Exit 3: no gateway; 4: clone failed.
 */
export function cloneScript(p: ContainerPaths): string {
  return `${CLEAN_GIT(p)}
ready=
for i in $(seq 1 3000); do
  # The gateway writes its certificate (and the bundle beside it) once it listens.
  if [ -s ${p.ca}/ca.pem ] && [ -s "$bundle" ]; then ready=1; break; fi
  sleep 0.02
done
[ -n "$ready" ] || { echo "perimeter: the gateway did not come up within 60 s" >&2; exit 3; }
g clone --bare --quiet -- "$PERIMETER_REPO_URL" ${p.base}/repo.git || exit 4
g clone --quiet --no-hardlinks -- ${p.base}/repo.git ${p.work} || exit 4
g -C ${p.work} remote set-url origin "$PERIMETER_REPO_URL"
g -C ${p.work} config user.name "perimeter agent"
g -C ${p.work} config user.email "agent@perimeter.invalid"
base=$(g --git-dir=${p.base}/repo.git rev-parse --verify -q HEAD || echo none)
branch=$(g --git-dir=${p.base}/repo.git symbolic-ref --short -q HEAD || echo main)
# Also kept beside the bare clone, for a step that runs without the launcher (the cluster's finisher).
printf '%s %s\\n' "$base" "$branch" > ${p.base}/perimeter-clone
printf 'PERIMETER_CLONE %s %s\\n' "$base" "$branch"
# Last: the agent's entrypoint, waiting since its start, starts the tool when this appears.
: > ${p.work}/.git/perimeter-cloned
`;
}

/**
 * Stages the agent's final tree into a fresh index of the pristine repository (the agent's own
 * .git, hooks and config never load), writes the tree, and prints the diff against the base for the
 * scan and the manifest, plus the tool's version. No network.
 * Out: `PERIMETER_TREE <id>`, `PERIMETER_VERSION <text>`, `PERIMETER_POLICY <json>` (the image's
 * policy files and their sha256), then numstat and the diff after markers.
 */
export function stageScript(p: ContainerPaths, versionCommand: readonly string[]): string {
  const version = versionCommand.map(shellQuote).join(" ");
  // The sha256 of every policy file the image spec lists, read in a fresh container of the same image.
  const digests = `const s=require(${JSON.stringify(IMAGE_SPEC_PATH)}),c=require("crypto"),f=require("fs"),o={};for(const p of [...s.policyFiles].sort()){try{o[p]=c.createHash("sha256").update(f.readFileSync(p)).digest("hex")}catch{o[p]=null}}process.stdout.write(JSON.stringify(o))`;
  return `${CLEAN_GIT(p)}
export GIT_DIR=${p.base}/repo.git GIT_WORK_TREE=${p.work} GIT_INDEX_FILE=/tmp/perimeter-index
from=$PERIMETER_BASE
if [ "$from" = none ]; then from=${EMPTY_TREE}; g read-tree --empty; else g read-tree "$from"; fi
cd ${p.work}
g add -A -- .
tree=$(g write-tree)
printf '%s\\n' "$tree" > ${p.base}/perimeter-tree
printf 'PERIMETER_TREE %s\\n' "$tree"
printf 'PERIMETER_VERSION %s\\n' "$(cd / && ${version} 2>/dev/null | grep -v '^ *$' | tail -n 1)"
printf 'PERIMETER_POLICY %s\\n' "$(node -e ${shellQuote(digests)} 2>/dev/null || echo null)"
echo PERIMETER_NUMSTAT
g diff --cached --numstat --no-renames "$from"
echo PERIMETER_DIFF
g diff --cached -U0 --no-color --no-ext-diff --no-textconv --no-renames "$from"
`;
}

/**
 * One commit made from the staged tree (the agent's own commits never leave), pushed through the
 * gateway to the run's branch, then the pull request through the gateway's GitHub API.
 * Out: `PERIMETER_PUSHED <commit> <ref>`, then `PERIMETER_PR` and the API's answer.
 * Exit 20: push refused; 21: pull request refused.
 */
export function publishScript(p: ContainerPaths): string {
  return `${CLEAN_GIT(p)}
export GIT_DIR=${p.base}/repo.git
export GIT_AUTHOR_NAME="perimeter agent" GIT_AUTHOR_EMAIL=agent@perimeter.invalid GIT_COMMITTER_NAME="perimeter agent" GIT_COMMITTER_EMAIL=agent@perimeter.invalid
tree=$(cat ${p.base}/perimeter-tree)
parent=()
[ "$PERIMETER_BASE" = none ] || parent=(-p "$PERIMETER_BASE")
commit=$(printf '%s' "$PERIMETER_COMMIT_MESSAGE" | g commit-tree "$tree" "\${parent[@]}")
ref=refs/heads/$PERIMETER_BRANCH
g push --quiet -- "$PERIMETER_REPO_URL" "$commit:$ref" >&2 || { echo "perimeter: push of $ref was refused" >&2; exit 20; }
printf 'PERIMETER_PUSHED %s %s\\n' "$commit" "$ref"
out=$(curl -sS --cacert "$bundle" -X POST -H 'Accept: application/vnd.github+json' \\
  -H "Authorization: Bearer $PERIMETER_GITHUB_TOKEN" -H 'Content-Type: application/json' \\
  --data "$PERIMETER_PR_JSON" -w '\\n%{http_code}' "$PERIMETER_GITHUB_API/repos/$PERIMETER_REPO_SLUG/pulls") || exit 21
code=\${out##*$'\\n'}
body=\${out%$'\\n'*}
[ "$code" = 201 ] || { printf 'perimeter: the pull request was refused (HTTP %s): %s\\n' "$code" "$body" >&2; exit 21; }
echo PERIMETER_PR
printf '%s\\n' "$body"
`;
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
