// Everything perimeter knows about Gemini CLI: settings keys, the policy engine's TOML rules and
// priorities, file locations and launch flags. Facts: google-gemini/gemini-cli docs/get-started/
// configuration.md and docs/core/policy-engine.md, checked against the pinned binary (driver.ts, real.test.ts).
import { dirname, join } from "node:path";
import { escapeRegExp, type CommandPattern, type PatternToken } from "../../profile/pattern.js";
import { GUARD_HOOK_MARK, guardHookCommand } from "../../guard/command.js";
import { GUARD_ONLY_REASON, nativeSplit } from "../../guard/native.js";
import { BLOCKING_EXIT_CODE, geminiHook, GUARD_HOOK_NAME, hookSettings } from "./hook.js";
import { switchHolds, type GuardOffSetting } from "../guard-off.js";
import type { CommandRule, Profile } from "../../profile/types.js";
import { approvingHookFindings, filesIn } from "../host-inspect.js";
import {
  structuredBody,
  type AgentTool,
  type BypassSource,
  type ConfigDir,
  type FileBody,
  type FindingPlace,
  type Gap,
  type HostPlace,
  type JsonObject,
  type Location,
  type Scope,
  type ToolOutput,
} from "../types.js";
import { secretsPolicy } from "./secrets.js";
import type { GeminiSettings } from "./settings.generated.js";

/** In the image: system settings override the user's; admin policies outrank user ones (tier 5 over 4). */
const SETTINGS: Location = { host: ".gemini/settings.json", image: "/etc/gemini-cli/settings.json" };
const POLICY: Location = { host: ".gemini/policies/perimeter.toml", image: "/etc/gemini-cli/policies/perimeter.toml" };
/** Secrets get their own policy file (host only: the image holds no secrets). */
const SECRETS_POLICY = ".gemini/policies/perimeter-secrets.toml";

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
  ["hooksConfig", "enabled"],
] as const;
/** `hooks.BeforeTool`: the guard's entries are added, the user's own are kept. */
const OWNED_ENTRIES = [{ path: ["hooks", "BeforeTool"], mark: GUARD_HOOK_MARK }];

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

function settings(profile: Profile, scope: Scope): GeminiSettings {
  // yolo cannot be set in a settings file (the CLI refuses to start); the image passes it as a flag.
  const general = { defaultApprovalMode: profile.posture.edits === "auto" ? "auto_edit" : "default" } as const;
  // The guard hook, with the hooks system switched on (system settings override the user's).
  // A run that measures what the tools' own rules hold alone (profile.secrets.nativeOnly, tests only) has none.
  const guard = profile.secrets.nativeOnly
    ? {}
    : { hooks: hookSettings(guardHookCommand("gemini", BLOCKING_EXIT_CODE, profile, scope)) as GeminiSettings["hooks"], hooksConfig: { enabled: true } };
  if (profile.posture.prompts === "never") return { general, ...guard };
  return { general, security: { disableYoloMode: true }, ...guard };
}

function render(profile: Profile, scope: Scope): ToolOutput {
  const value = settings(profile, scope) as JsonObject;
  const gaps: Gap[] = profile.tripwires.flatMap((t) => nativeSplit(t).guardOnly.map((rule) => ({ tool: "gemini" as const, rule, variant: rule.pattern.text, reason: GUARD_ONLY_REASON })));
  return {
    files: [
      { tool: "gemini", path: SETTINGS[scope], body: structuredBody(scope, "json", value, OWNED_KEYS, OWNED_ENTRIES) },
      { tool: "gemini", path: POLICY[scope], body: { format: "toml", value: policy(profile) } },
      ...(scope === "host"
        ? [{ tool: "gemini" as const, path: SECRETS_POLICY, body: { format: "toml" as const, value: secretsPolicy(profile.secrets, (r) => ({ commandRegex: commandRegex(r.pattern) })) as JsonObject } }]
        : []),
    ],
    gaps,
  };
}

/** BeforeTool hooks decide with `{"decision": "allow" | "deny"}` (TOOLS.md "Hooks"). */
const APPROVING_EVENTS = ["BeforeTool"];
const APPROVING_ANSWER = /decision\W{1,6}(allow|approve)\b/;
/** A command no rule of a user's would name: a rule matching it matches every command. */
const ANY_COMMAND = "perimeter-probe --any-command";

/** What makes any Gemini settings file bypass-level, wherever it sits. */
/** The setting that switches the guard hook off in any layer (hooksConfig.disabled merges as a union). */
const HOOK_OFF: GuardOffSetting = { format: "json", key: ["hooksConfig", "disabled"], is: { contains: GUARD_HOOK_NAME } };

function settingsFindings(value: JsonObject, shownAs: string, at: FindingPlace): string[] {
  // Read as the file may really be (a user may have written a value the schema forbids).
  const settings = value as Omit<GeminiSettings, "general"> & { general?: { defaultApprovalMode?: string } };
  const findings: string[] = [];
  if (settings.general?.defaultApprovalMode === "yolo") findings.push(`${shownAs}: general.defaultApprovalMode = "yolo"`);
  for (const tool of Array.isArray(settings.tools?.allowed) ? settings.tools.allowed : []) {
    if (tool === SHELL_TOOL || tool === "*") findings.push(`${shownAs}: tools.allowed "${tool}" allows every shell command`);
  }
  // hooksConfig.disabled is a union over every layer: the guard hook's name in any one switches it off.
  if (switchHolds(HOOK_OFF, value)) findings.push(`${shownAs}: hooksConfig.disabled lists "${GUARD_HOOK_NAME}", which switches perimeter's guard hook off`);
  // Gemini runs hooks in the project folder and names it in GEMINI_PROJECT_DIR.
  const cwd = at.cwd ?? "/";
  const place = { home: at.home ?? "/", cwd, vars: { GEMINI_PROJECT_DIR: cwd } };
  findings.push(...approvingHookFindings(value.hooks, APPROVING_EVENTS, APPROVING_ANSWER, place, shownAs));
  return findings;
}

function matchesEverything(rule: PolicyRule): boolean {
  if (rule.commandPrefix !== undefined) return rule.commandPrefix.trim() === "";
  if (rule.commandRegex === undefined) return true;
  try {
    return new RegExp(rule.commandRegex).test(ANY_COMMAND);
  } catch {
    return false; // Gemini drops a file with a bad regex: it allows nothing
  }
}

function policyFindings(value: JsonObject, shownAs: string): string[] {
  const findings: string[] = [];
  for (const rule of (Array.isArray(value.rule) ? value.rule : []) as PolicyRule[]) {
    if (rule?.decision === "allow" && (rule.toolName === SHELL_TOOL || rule.toolName === "*") && matchesEverything(rule)) {
      findings.push(`${shownAs}: an allow rule for ${rule.toolName} that matches any command allows every shell command`);
    }
  }
  return findings;
}

function bypassFindings(path: string, body: FileBody, at: FindingPlace = {}): string[] {
  if (body.format === "text") return [];
  const shownAs = at.shownAs ?? path;
  if (path === SETTINGS.host) {
    const findings = settingsFindings(body.value, shownAs, at);
    const security = body.value.security as { disableYoloMode?: unknown } | undefined;
    if (security?.disableYoloMode !== true) findings.push(`${shownAs}: security.disableYoloMode is not true, so --yolo would work`);
    return findings;
  }
  return path === POLICY.host ? policyFindings(body.value, shownAs) : [];
}

/** GEMINI_CLI_HOME stands in for the home: Gemini reads its .gemini folder there. */
function hostConfigDir(place: HostPlace): ConfigDir {
  const moved = place.env.GEMINI_CLI_HOME;
  const prefix = SETTINGS.host.split("/")[0]!;
  return { tool: "gemini", prefix, dir: join(moved || place.home, prefix), ...(moved ? { variable: "GEMINI_CLI_HOME" } : {}) };
}

/**
 * The system settings and defaults (their paths movable by variables), the project's settings, and
 * every user and admin policy file: one allow-everything rule in any of them skips the prompts.
 */
function otherBypassSources(place: HostPlace, configDir: string): BypassSource[] {
  const root = place.systemRoot ?? "";
  const system = place.env.GEMINI_CLI_SYSTEM_SETTINGS_PATH || join(root, "/etc/gemini-cli/settings.json");
  const defaults = place.env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH || join(dirname(system), "system-defaults.json");
  const project = place.project !== undefined ? [join(place.project, ".gemini", "settings.json")] : [];
  const policies = [...filesIn(join(configDir, "policies"), ".toml"), ...filesIn(join(root, "/etc/gemini-cli/policies"), ".toml")];
  const at = { home: place.home, cwd: place.project ?? place.home };
  // The system settings and the project's outrank the user's: their `disableYoloMode = false` undoes perimeter's `true`.
  const outranking = (value: JsonObject, shownAs: string) => {
    const findings = settingsFindings(value, shownAs, at);
    if ((value.security as { disableYoloMode?: unknown } | undefined)?.disableYoloMode === false) {
      findings.push(`${shownAs}: security.disableYoloMode = false outranks the user's settings, so --yolo would work`);
    }
    if ((value.hooksConfig as { enabled?: unknown } | undefined)?.enabled === false) {
      findings.push(`${shownAs}: hooksConfig.enabled = false outranks the user's settings and switches every hook off, perimeter's guard hook included`);
    }
    return findings;
  };
  return [
    ...[system, ...project].map((file): BypassSource => ({ file, format: "json", judge: outranking })),
    { file: defaults, format: "json", judge: (value, shownAs) => settingsFindings(value, shownAs, at) },
    ...policies.map((file): BypassSource => ({ file, format: "toml", judge: (value, shownAs) => policyFindings(value, shownAs) })),
  ];
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
  hostConfigDir,
  otherBypassSources,
  hook: geminiHook,
  launch: (profile) => ({
    argv: ["gemini", "--approval-mode", "yolo", ...(profile.posture.output === "json" ? ["--output-format", "json"] : [])],
    // `-p -- PROMPT` leaves -p without its value; `--prompt=PROMPT` is one argument whatever it starts with.
    promptOption: "--prompt",
    // Storage.getSystemSettingsPath() in gemini-cli-core: the guard hook is registered in that file.
    // Not GEMINI_CLI_SYSTEM_DEFAULTS_PATH: the defaults rank below even the user's settings, which the
    // agent may write anyway, and bake writes none (the test drivers point it at their auth choice).
    policyEnv: ["GEMINI_CLI_SYSTEM_SETTINGS_PATH"],
    loginFiles: [".gemini/oauth_creds.json"],
    // hooksConfig.disabled has mergeStrategy "union" (settingsSchema in the 0.61 bundle): a name in
    // the workspace's or the user's list disables the system layer's hook of that name.
    // GEMINI_CLI_HOME stands in for the home (hostConfigDir): its .gemini/settings.json is the user layer then.
    guardOff: [".gemini/settings.json", "~/.gemini/settings.json", "$GEMINI_CLI_HOME/.gemini/settings.json"].map((file) => ({ file, ...HOOK_OFF })),
  }),
  run: {
    credentialEnv: ["GEMINI_API_KEY"],
    // Headless runs in a folder Gemini has not been told to trust exit 55 (TOOLS.md "Gemini CLI").
    env: { GEMINI_CLI_TRUST_WORKSPACE: "true", GEMINI_CLI_NO_RELAUNCH: "true", GEMINI_TELEMETRY_ENABLED: "false" },
    versionCommand: ["gemini", "--version"],
  },
};
