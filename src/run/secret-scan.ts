// The secret scan of a run's diff: secretlint's recommended rules (the scanner secretlint itself
// ships: cloud keys, private keys, tokens of GitHub, npm, Slack, OpenAI, Anthropic and more) over
// the lines the agent added, on the host, as data. Nothing of the agent's runs here: the library
// reads strings, it never opens the clone.
import type { StageOutput } from "./diff.js";

export interface SecretFinding {
  file: string;
  /** Line in the new version of the file. */
  line: number;
  rule: string;
  /** secretlint's message with the secret itself masked. */
  message: string;
}

export const SCANNER = "secretlint 13.0.7 (@secretlint/secretlint-rule-preset-recommend 13.0.7)";

export async function scanAddedLines(stage: Pick<StageOutput, "added">): Promise<SecretFinding[]> {
  const [{ lintSource }, preset] = await Promise.all([import("@secretlint/core"), import("@secretlint/secretlint-rule-preset-recommend")]);
  const config = { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: preset.creator }] };
  const findings: SecretFinding[] = [];
  for (const [file, { lines, lineNumbers }] of stage.added) {
    if (lines.length === 0) continue;
    const ext = /\.[^./]+$/.exec(file)?.[0] ?? "";
    const result = await lintSource({
      source: { content: `${lines.join("\n")}\n`, filePath: `/${file}`, ext, contentType: "text" },
      options: { config, maskSecrets: true, noPhysicFilePath: false },
    });
    for (const message of result.messages) {
      findings.push({ file, line: lineNumbers[message.loc.start.line - 1] ?? 0, rule: message.ruleId, message: message.message });
    }
  }
  return findings;
}
