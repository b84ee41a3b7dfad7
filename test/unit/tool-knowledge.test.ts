// Issue 10, "a tool's knowledge in exactly one place": no generic file names a registered tool's id in
// its code (comments may), so a fourth tool is its folder src/tools/<tool>/ plus the few files the
// README's "Adding a tool" lists. Each allowlisted file says why it may.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/profile/builtin.js";
import { TOOL_IDS } from "../../src/tools/index.js";
import { ALLOWED, codeOf, repoFiles, toolMentions } from "./tool-knowledge.js";

const ROOT = packageRoot();

function genericFiles(): string[] {
  const files = repoFiles(ROOT, ["src", "test", "nix", "image/clients", ".github", ".ci", "flake.nix", "build.mjs", "package.json", "vitest.config.ts"]);
  const own = new RegExp(`^src/tools/(${TOOL_IDS.join("|")})/`);
  return files.filter((f) => !own.test(f) && !(f in ALLOWED) && !/\.(lock|md)$/.test(f));
}

describe("tool knowledge stays in src/tools/<tool>/", () => {
  it("no generic file names a tool id in its code", () => {
    const hits = genericFiles().flatMap((file) => {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), "utf8");
      } catch {
        return [];
      }
      return toolMentions(codeOf(file, text), TOOL_IDS).map((m) => `${file}:${m}`);
    });
    expect(hits).toEqual([]);
  });

  it("control: the scan finds an id in code and not in a comment", () => {
    expect(toolMentions(codeOf("x.ts", 'const a = "claude"; // codex\n/* gemini */'), TOOL_IDS)).toEqual(['1: const a = "claude";']);
    expect(toolMentions(codeOf("x.nix", 'x = "codex"; # gemini'), TOOL_IDS)).toEqual(['1: x = "codex";']);
  });
});
