// Everything perimeter knows about Codex CLI: config.toml keys, the Starlark `.rules` files, their
// prefix-only matching, file locations and launch flags. Facts: openai/codex docs/config.md and
// codex-rs/execpolicy/README.md, checked against the pinned binary (driver.ts, real.test.ts).
import { basename } from "node:path";
import { matchesArgv, optionalArgVariants, patternFromTokens, type CommandPattern, type PatternToken } from "../../profile/pattern.js";
import { GUARD_ONLY_REASON, nativeSplit } from "../../guard/native.js";
import type { CommandRule, Example, Profile } from "../../profile/types.js";
import { structuredBody, type AgentTool, type Expression, type FileBody, type Gap, type JsonObject, type Location, type Scope, type ToolOutput } from "../types.js";
import type { CodexConfig } from "./config.generated.js";
import { rulesTemplate } from "./rules-template.js";

/** The user layer on a host; in the image the system layer, whose rules/ folder is read like the user's. */
const CONFIG: Location = { host: ".codex/config.toml", image: "/etc/codex/config.toml" };
const RULES: Location = { host: ".codex/rules/perimeter.rules", image: "/etc/codex/rules/perimeter.rules" };

type Decision = "allow" | "prompt" | "forbidden";
/** 0.169.0 rejects "untrusted" although the published schema still lists it (SOURCES.md). */
type ApprovalPolicy = Exclude<CodexConfig["approval_policy"], "untrusted">;

const OWNED_KEYS = [["approval_policy"], ["sandbox_mode"]] as const;

/** `--force-with-lease*` also covers the bare `--force-with-lease`, which a prefix rule can say. */
function bareWord(token: PatternToken): PatternToken | undefined {
  if (token.kind === "word") return token;
  if (token.kind === "glob" && /^[^*]{2,}\*$/.test(token.text)) return { kind: "word", text: token.text.slice(0, -1) };
  return undefined;
}

function express(pattern: CommandPattern): Expression {
  const result: Expression = { enforced: [], missing: [] };
  for (const tokens of optionalArgVariants(pattern)) {
    const variant = patternFromTokens(tokens);
    if (tokens.every((t) => t.kind === "word")) {
      result.enforced.push(variant);
      continue;
    }
    result.missing.push({ variant: variant.text, reason: "Codex prefix rules match literal argv prefixes only; \"*\" cannot be expressed" });
    // What it can still enforce of that variant: the trailing globs matching nothing.
    const bare = tokens.map(bareWord);
    if (bare.every((t): t is PatternToken => t !== undefined)) result.enforced.push(patternFromTokens(bare));
  }
  return result;
}

/**
 * Codex does not match rules against a command that uses redirection, substitution, a variable
 * assignment or a wildcard (its own prompt says so; seen with 0.169.0: `twine upload dist/*` ran
 * past a forbidden `twine upload` rule).
 */
const UNCHECKED_SHELL = /[*?<>`]|\$\(|^\s*[A-Za-z_][A-Za-z0-9_]*=/;

function skipsRulesFor(command: string): string | undefined {
  return UNCHECKED_SHELL.test(command)
    ? "Codex does not check rules for commands with wildcards, redirection, substitution or variable assignments"
    : undefined;
}

interface RuleEntry {
  pattern: string[];
  decision: Decision;
  justification?: string;
  match: string[];
  notMatch: string[];
}

function entries(rules: readonly CommandRule[], decision: Decision, gaps: Gap[], extra?: { reason: string; blocks: Example[]; allows: Example[] }): RuleEntry[] {
  return rules.flatMap((rule) => {
    const { enforced, missing } = express(rule.pattern);
    for (const m of missing) gaps.push({ tool: "codex", rule, variant: m.variant, reason: m.reason });
    return enforced.map((variant) => ({
      pattern: variant.tokens.map((t) => (t.kind === "word" ? t.text : "")),
      decision,
      justification: extra?.reason,
      // Codex checks these examples itself when it loads the file.
      // Only one-command examples: Codex reads them as argv, not as shell.
      match: (extra?.blocks ?? []).filter((ex) => ex.argv !== undefined && matchesArgv(variant, ex.argv)).map((ex) => ex.command),
      notMatch: (extra?.allows ?? []).filter((ex) => ex.argv !== undefined && !matchesArgv(variant, ex.argv)).map((ex) => ex.command),
    }));
  });
}

function rulesFile(profile: Profile, gaps: Gap[]): string {
  const rules = [
    ...profile.tripwires.flatMap((t) => {
      const { native, guardOnly } = nativeSplit(t);
      for (const rule of guardOnly) gaps.push({ tool: "codex", rule, variant: rule.pattern.text, reason: GUARD_ONLY_REASON });
      return entries(native, "forbidden", gaps, { reason: t.reason, blocks: t.blocks, allows: t.allows });
    }),
    ...entries(profile.deny, "forbidden", gaps, { reason: `denied by profile ${profile.name}`, blocks: [], allows: [] }),
    ...entries(profile.ask, "prompt", gaps),
    ...entries(profile.allow, "allow", gaps),
  ];
  return rulesTemplate()({
    profile: profile.name,
    gapCount: gaps.length,
    // The file's name only: the text must not change with the folder perimeter runs from.
    gaps: gaps.map((g) => `${g.variant}  (${basename(g.rule.origin.file)} ${g.rule.origin.key})`),
    rules,
  });
}

function config(profile: Profile): CodexConfig {
  if (profile.posture.prompts === "never") {
    // Inside the image the container is the sandbox; Codex's own would only get in the way.
    return { approval_policy: "never" satisfies ApprovalPolicy, sandbox_mode: "danger-full-access" };
  }
  return {
    approval_policy: "on-request" satisfies ApprovalPolicy,
    sandbox_mode: profile.posture.edits === "auto" ? "workspace-write" : "read-only",
  };
}

function render(profile: Profile, scope: Scope): ToolOutput {
  const gaps: Gap[] = [];
  const rules = rulesFile(profile, gaps);
  const value = config(profile) as JsonObject;
  return {
    files: [
      { tool: "codex", path: CONFIG[scope], body: structuredBody(scope, "toml", value, OWNED_KEYS) },
      { tool: "codex", path: RULES[scope], body: { format: "text", text: rules } },
    ],
    gaps,
  };
}

function bypassFindings(path: string, body: FileBody): string[] {
  if (path !== CONFIG.host || body.format !== "toml") return [];
  const findings: string[] = [];
  if (body.value.sandbox_mode === "danger-full-access") {
    findings.push(`${path}: sandbox_mode = "danger-full-access" turns Codex's sandbox off`);
  }
  if (body.value.approval_policy === "never") {
    findings.push(`${path}: approval_policy = "never" runs commands without asking`);
  }
  return findings;
}

export const codex: AgentTool = {
  id: "codex",
  title: "Codex CLI",
  npmPackage: "@openai/codex",
  render,
  express,
  skipsRulesFor,
  bypassFindings,
  launch: (profile) => ({
    argv: [
      "codex",
      "exec",
      "--dangerously-bypass-approvals-and-sandbox",
      "--skip-git-repo-check",
      ...(profile.posture.output === "json" ? ["--json"] : []),
    ],
  }),
  run: {
    // `codex exec` reads CODEX_API_KEY; the default OpenAI provider's env_key is OPENAI_API_KEY.
    credentialEnv: ["OPENAI_API_KEY", "CODEX_API_KEY"],
    env: {},
    versionCommand: ["codex", "--version"],
  },
};
