// Everything perimeter knows about Gemini CLI: settings keys, the policy engine's TOML rules and
// priorities, file locations and launch flags. Facts: google-gemini/gemini-cli docs/get-started/
// configuration.md and docs/core/policy-engine.md, checked against the pinned binary (driver.ts, real.test.ts).
import { escapeRegExp, type CommandPattern, type PatternToken } from "../../profile/pattern.js";
import { GUARD_ONLY_REASON, nativeSplit } from "../../guard/native.js";
import type { CommandRule, Profile } from "../../profile/types.js";
import { structuredBody, type AgentTool, type FileBody, type Gap, type JsonObject, type Location, type Scope, type ToolOutput } from "../types.js";
import type { GeminiSettings } from "./settings.generated.js";

/** In the image: system settings override the user's; admin policies outrank user ones (tier 5 over 4). */
const SETTINGS: Location = { host: ".gemini/settings.json", image: "/etc/gemini-cli/settings.json" };
const POLICY: Location = { host: ".gemini/policies/perimeter.toml", image: "/etc/gemini-cli/policies/perimeter.toml" };

const SHELL_TOOL = "run_shell_command";

/**
 * Priorities within one tier (0-999; the engine adds the tier). A stricter decision always outranks a
 * looser one, so `ask` beats a broader `allow` and any deny beats both, as in Claude's deny > ask > allow.
 * Gemini's own yolo allow-all sits at 998 in the lower default tier, below any user or admin rule.
 */
const PRIORITY = { allow: 100, ask: 500, profileDeny: 900, tripwire: 950 } as const;

const OWNED_KEYS = [
  ["general", "defaultApprovalMode"],
  ["security", "disableYoloMode"],
] as const;

type PolicyRule = {
  toolName: string;
  decision: "allow" | "deny" | "ask_user";
  priority: number;
  commandPrefix?: string;
  commandRegex?: string;
  denyMessage?: string;
};

/**
 * The engine matches `commandRegex` against the JSON text of the tool's arguments, right after
 * `"command":"`; top-level arguments are separated by NUL characters. So `[^\x00]*` stays inside the
 * command, and a word ends at whitespace, a quote or an escape. Words may be quoted (`"+main"` is
 * `\"+main\"` in JSON) and separated by any run of whitespace. Groups followed by a quantifier are
 * avoided: the engine rejects them as a ReDoS risk.
 */
const ANY_IN_COMMAND = "[^\\x00]*";
const ANY_IN_WORD = '[^\\s"\\x00]*';
const OPTIONAL_QUOTE = `\\\\?["']?`;
const WORD_END = `(?=[\\s"'\\x00]|\\\\)`;

function wordRegex(token: Exclude<PatternToken, { kind: "anyArgs" }>): string {
  const json = (text: string) => escapeRegExp(JSON.stringify(text).slice(1, -1));
  return token.kind === "word" ? json(token.text) : token.text.split("*").map(json).join(ANY_IN_WORD);
}

function commandRegex(pattern: CommandPattern): string {
  let regex = "\\s*";
  pattern.tokens.forEach((token, i) => {
    if (token.kind === "anyArgs") {
      // Any arguments, none included: the next word still needs whitespace before it.
      regex += `(?=\\s)${ANY_IN_COMMAND}`;
      return;
    }
    regex += `${i === 0 ? "" : "\\s+"}${OPTIONAL_QUOTE}${wordRegex(token)}${OPTIONAL_QUOTE}`;
  });
  return regex + WORD_END;
}

/**
 * Deny and ask rules use the forgiving regex, so quoting or extra spaces do not slip past them;
 * allow rules stay exact (`commandPrefix`) where the pattern allows it.
 */
function policyRule(rule: CommandRule, decision: PolicyRule["decision"], priority: number, denyMessage?: string): PolicyRule {
  const literal = rule.pattern.tokens.every((t) => t.kind === "word");
  const match = decision === "allow" && literal ? { commandPrefix: rule.pattern.text } : { commandRegex: commandRegex(rule.pattern) };
  return { toolName: SHELL_TOOL, ...match, decision, priority, ...(denyMessage ? { denyMessage } : {}) };
}

function policy(profile: Profile): JsonObject {
  const rules: PolicyRule[] = [
    ...profile.tripwires.flatMap((t) => nativeSplit(t).native.map((r) => policyRule(r, "deny", PRIORITY.tripwire, `perimeter tripwire ${t.id}: ${t.reason}`))),
    ...profile.deny.map((r) => policyRule(r, "deny", PRIORITY.profileDeny, `denied by perimeter profile ${profile.name}`)),
    ...profile.ask.map((r) => policyRule(r, "ask_user", PRIORITY.ask)),
    ...profile.allow.map((r) => policyRule(r, "allow", PRIORITY.allow)),
  ];
  return { rule: rules };
}

function settings(profile: Profile): GeminiSettings {
  // yolo cannot be set in a settings file (the CLI refuses to start); the image passes it as a flag.
  const general = { defaultApprovalMode: profile.posture.edits === "auto" ? "auto_edit" : "default" } as const;
  if (profile.posture.prompts === "never") return { general };
  return { general, security: { disableYoloMode: true } };
}

function render(profile: Profile, scope: Scope): ToolOutput {
  const value = settings(profile) as JsonObject;
  const gaps: Gap[] = profile.tripwires.flatMap((t) => nativeSplit(t).guardOnly.map((rule) => ({ tool: "gemini" as const, rule, variant: rule.pattern.text, reason: GUARD_ONLY_REASON })));
  return {
    files: [
      { tool: "gemini", path: SETTINGS[scope], body: structuredBody(scope, "json", value, OWNED_KEYS) },
      { tool: "gemini", path: POLICY[scope], body: { format: "toml", value: policy(profile) } },
    ],
    gaps,
  };
}

function bypassFindings(path: string, body: FileBody): string[] {
  if (body.format === "text") return [];
  const findings: string[] = [];
  if (path === SETTINGS.host) {
    // Read as the file may really be (a user may have written a value the schema forbids).
    const value = body.value as Omit<GeminiSettings, "general"> & { general?: { defaultApprovalMode?: string } };
    if (value.general?.defaultApprovalMode === "yolo") findings.push(`${path}: general.defaultApprovalMode = "yolo"`);
    if (value.security?.disableYoloMode !== true) findings.push(`${path}: security.disableYoloMode is not true, so --yolo would work`);
    for (const tool of value.tools?.allowed ?? []) {
      if (tool === SHELL_TOOL || tool === "*") findings.push(`${path}: tools.allowed "${tool}" allows every shell command`);
    }
  }
  if (path === POLICY.host) {
    for (const rule of (body.value.rule ?? []) as PolicyRule[]) {
      const unconditional = rule.commandPrefix === undefined && rule.commandRegex === undefined;
      if (rule.decision === "allow" && unconditional && (rule.toolName === SHELL_TOOL || rule.toolName === "*")) {
        findings.push(`${path}: an allow rule for ${rule.toolName} without a command allows every shell command`);
      }
    }
  }
  return findings;
}

export const gemini: AgentTool = {
  id: "gemini",
  title: "Gemini CLI",
  npmPackage: "@google/gemini-cli",
  render,
  // Policy rules take a regex, so every pattern is expressible.
  express: (pattern) => ({ enforced: [pattern], missing: [] }),
  skipsRulesFor: () => undefined,
  bypassFindings,
  launch: (profile) => ({
    argv: ["gemini", "--approval-mode", "yolo", ...(profile.posture.output === "json" ? ["--output-format", "json"] : []), "-p"],
  }),
  run: {
    credentialEnv: ["GEMINI_API_KEY"],
    // Headless runs in a folder Gemini has not been told to trust exit 55 (TOOLS.md "Gemini CLI").
    env: { GEMINI_CLI_TRUST_WORKSPACE: "true", GEMINI_CLI_NO_RELAUNCH: "true", GEMINI_TELEMETRY_ENABLED: "false" },
    versionCommand: ["gemini", "--version"],
  },
};
