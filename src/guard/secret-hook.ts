// The guard hook's secrets check (src/guard/hook.ts adds it to the tripwires'): a shell command line
// goes to the analyser (secret-reads.ts); a file tool's read, as the tool's own hook module reads it
// (src/tools/<tool>/hook.ts), is checked path by path; an edit of a secret is refused too, since the
// tool shows the edited lines back.
import type { Secrets } from "../profile/secret-classes.js";
import type { GuardRequest } from "../tools/types.js";
import { analyseSecretFileAccess, analyseSecretImports, analyseSecretReads, sceneFor, type SecretVerdict } from "./secret-reads.js";

export function secretsVerdict(request: GuardRequest, secrets: Secrets, home?: string): SecretVerdict {
  if (secrets.classes.length === 0) return { decision: "none" };
  const scene = sceneFor(request.cwd ?? process.cwd(), home);
  switch (request.kind) {
    case "command":
      return analyseSecretReads(request.command, secrets, scene);
    case "read":
      return analyseSecretFileAccess(request.access, secrets, scene);
    case "write": {
      const verdict = analyseSecretFileAccess(request.paths.map((path) => ({ path })), secrets, scene);
      if (verdict.decision !== "none" || request.text === undefined || request.paths[0] === undefined) return verdict;
      return analyseSecretImports(request.text, request.paths[0], secrets, scene);
    }
    case "other":
      return { decision: "none" };
  }
}
