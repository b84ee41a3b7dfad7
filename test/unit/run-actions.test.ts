// Issue 14, fleets: the GitHub Actions example and composite action run `perimeter run` with `ci`,
// upload the manifest, never use pull_request_target and never take untrusted text as the prompt.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/profile/builtin.js";

const root = packageRoot();
const action = readFileSync(join(root, ".github/actions/perimeter-run/action.yml"), "utf8");
const workflow = readFileSync(join(root, ".github/workflows/agent.yml"), "utf8");
const workflows = readdirSync(join(root, ".github/workflows")).map((f) => readFileSync(join(root, ".github/workflows", f), "utf8"));
/** Text anyone can write: issue, pull request and comment titles and bodies, branch names, commit messages. */
const UNTRUSTED = /github\.event\.(issue|pull_request|comment|review|review_comment|head_commit|commits|discussion)|github\.head_ref/;
const code = (text: string) => text.split("\n").filter((l) => !l.trim().startsWith("#")).join("\n");

describe("the Actions example", () => {
  it("never triggers on pull_request_target and never reads untrusted event text", () => {
    for (const text of [action, ...workflows]) {
      expect(code(text)).not.toMatch(/pull_request_target/);
      expect(code(text)).not.toMatch(UNTRUSTED);
    }
  });

  it("runs perimeter run with the ci profile, the prompt from a committed file, and uploads the manifest always", () => {
    expect(action).toMatch(/run --tool "\$TOOL" --repo "\$REPO" --profile "\$PROFILE"/);
    expect(action).toMatch(/--prompt-file "\$PROMPT_FILE"/);
    expect(action).toMatch(/profile:\n\s+description: [^\n]+\n\s+default: ci/);
    expect(action).toMatch(/if: always\(\)\n\s+uses: actions\/upload-artifact@v4/);
    // Inputs reach the shell as environment variables, never spliced into the script.
    const runBlocks = action.split("run: |")[1]!.split("- name:")[0]!;
    expect(runBlocks).not.toMatch(/\$\{\{/);
    expect(workflow).toMatch(/prompt-file: \.github\/agent-tasks\/\$\{\{ inputs\.task \}\}\.md/);
    expect(workflow).toMatch(/\^\[a-z0-9\]\[a-z0-9-\]\*\$/);
    expect(workflow).toMatch(/permissions:\n\s+contents: read/);
  });
});
