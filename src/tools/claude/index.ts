// Everything perimeter knows about Claude Code settings: file locations, keys, rule syntax, limits.
// Facts: Claude Code settings docs (code.claude.com/docs/en/settings, .../iam), checked against the
// pinned binary by the suites (driver.ts, real.test.ts); types: settings.generated.ts (SOURCES.md).
import { optionalArgVariants, patternFromTokens, type CommandPattern, type PatternToken } from "../../profile/pattern.js";
import { GUARD_ONLY_REASON, nativeSplit } from "../../guard/native.js";
import type { CommandRule, Profile } from "../../profile/types.js";
import { structuredBody, type AgentTool, type Expression, type FileBody, type Gap, type JsonObject, type Location, type Scope, type ToolOutput } from "../types.js";
import type { ClaudeSettings } from "./settings.generated.js";

/** User settings on a host; in the image the managed (policy) scope, highest precedence and root-owned. */
const SETTINGS: Location = { host: ".claude/settings.json", image: "/etc/claude-code/managed-settings.json" };

type Permissions = NonNullable<ClaudeSettings["permissions"]>;
/** The CLI's own enum; the schema also lists `delegate`, which 2.1.330 rejects (SOURCES.md). */
type DefaultMode = "acceptEdits" | "auto" | "bypassPermissions" | "default" | "dontAsk" | "plan";

/** Modes in which Claude runs tools without asking: never written onto a host. */
const NO_PROMPT_MODES: readonly DefaultMode[] = ["bypassPermissions", "auto"];

const OWNED_KEYS = [
  ["permissions", "allow"],
  ["permissions", "ask"],
  ["permissions", "deny"],
  ["permissions", "defaultMode"],
  ["permissions", "disableBypassPermissionsMode"],
] as const;

/**
 * `Bash(...)` rules. Claude's `*` may stand anywhere but needs the spaces around it, so an optional
 * argument run becomes two variants, and a variant without a trailing glob also gets `<variant> *`.
 * A rule ending in `:*` is read as the legacy prefix syntax (the other `*` then stops being a
 * wildcard), so such a variant cannot be written at all.
 */
function variantRules(tokens: readonly PatternToken[]): string[] | undefined {
  const text = patternFromTokens(tokens).text;
  if (text.endsWith(":*")) return undefined;
  return tokens[tokens.length - 1]!.kind === "glob" ? [`Bash(${text})`] : [`Bash(${text})`, `Bash(${text} *)`];
}

function express(pattern: CommandPattern): Expression {
  const result: Expression = { enforced: [], missing: [] };
  for (const tokens of optionalArgVariants(pattern)) {
    if (variantRules(tokens)) result.enforced.push(patternFromTokens(tokens));
    else result.missing.push({ variant: patternFromTokens(tokens).text, reason: 'Claude reads a rule ending in ":*" as its legacy prefix syntax' });
  }
  return result;
}

function rulesOf(rules: readonly CommandRule[], gaps: Gap[]): string[] {
  const out = rules.flatMap((rule) => {
    const { enforced, missing } = express(rule.pattern);
    for (const m of missing) gaps.push({ tool: "claude", rule, variant: m.variant, reason: m.reason });
    return enforced.flatMap((variant) => variantRules(variant.tokens) ?? []);
  });
  return [...new Set(out)];
}

function defaultMode(profile: Profile): DefaultMode {
  if (profile.posture.prompts === "never") return "bypassPermissions";
  return profile.posture.edits === "auto" ? "acceptEdits" : "default";
}

function settings(profile: Profile, scope: Scope, gaps: Gap[]): ClaudeSettings {
  const deny = rulesOf([...profile.deny, ...profile.tripwires.flatMap((t) => nativeSplit(t).native)], gaps);
  for (const rule of profile.tripwires.flatMap((t) => nativeSplit(t).guardOnly)) {
    gaps.push({ tool: "claude", rule, variant: rule.pattern.text, reason: GUARD_ONLY_REASON });
  }
  const permissions: Permissions = {
    allow: rulesOf(profile.allow, gaps),
    ask: rulesOf(profile.ask, gaps),
    deny,
    defaultMode: defaultMode(profile),
  };
  if (profile.posture.prompts === "ask") permissions.disableBypassPermissionsMode = "disable";
  const result: ClaudeSettings = { permissions };
  // In the image, only the managed file's rules count: nothing the agent writes can widen them.
  if (scope === "image") result.allowManagedPermissionRulesOnly = true;
  return result;
}

function render(profile: Profile, scope: Scope): ToolOutput {
  const gaps: Gap[] = [];
  const value = settings(profile, scope, gaps) as JsonObject;
  return { files: [{ tool: "claude", path: SETTINGS[scope], body: structuredBody(scope, "json", value, OWNED_KEYS) }], gaps };
}

function bypassFindings(path: string, body: FileBody): string[] {
  if (path !== SETTINGS.host || body.format !== "json") return [];
  const permissions = (body.value.permissions ?? {}) as Permissions;
  const findings: string[] = [];
  const mode = permissions.defaultMode as DefaultMode | undefined;
  if (mode !== undefined && NO_PROMPT_MODES.includes(mode)) {
    findings.push(`${path}: permissions.defaultMode = "${mode}" runs tools without asking`);
  }
  if (permissions.disableBypassPermissionsMode !== "disable") {
    findings.push(`${path}: permissions.disableBypassPermissionsMode is not "disable", so --dangerously-skip-permissions would work`);
  }
  for (const rule of permissions.allow ?? []) {
    if (/^Bash(\(\s*\*?\s*\))?$/.test(rule)) findings.push(`${path}: permissions.allow "${rule}" allows every shell command`);
  }
  return findings;
}

export const claude: AgentTool = {
  id: "claude",
  title: "Claude Code",
  npmPackage: "@anthropic-ai/claude-code",
  render,
  express,
  skipsRulesFor: () => undefined,
  bypassFindings,
  launch: (profile) => ({
    argv: [
      "claude",
      "--dangerously-skip-permissions",
      ...(profile.posture.output === "json" ? ["--output-format", "json"] : []),
      "-p",
    ],
  }),
  run: {
    credentialEnv: ["ANTHROPIC_API_KEY"],
    env: {
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_ERROR_REPORTING: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    },
    versionCommand: ["claude", "--version"],
  },
};
