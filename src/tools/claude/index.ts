// Everything perimeter knows about Claude Code settings: file locations, keys, rule syntax, limits.
// Facts: Claude Code settings docs (code.claude.com/docs/en/settings, .../iam), checked against the
// pinned binary by the suites (driver.ts, real.test.ts); types: settings.generated.ts (SOURCES.md).
import { join } from "node:path";
import { optionalArgVariants, patternFromTokens, type CommandPattern, type PatternToken } from "../../profile/pattern.js";
import { GUARD_HOOK_MARK, guardHookCommand } from "../../guard/command.js";
import { GUARD_ONLY_REASON, nativeSplit } from "../../guard/native.js";
import { BLOCKING_EXIT_CODE, claudeHook, hookSettings } from "./hook.js";
import type { CommandRule, Profile } from "../../profile/types.js";
import { approvingHookFindings, filesIn } from "../host-inspect.js";
import {
  structuredBody,
  type AgentTool,
  type BypassSource,
  type ConfigDir,
  type Expression,
  type FileBody,
  type FindingPlace,
  type Gap,
  type HostPlace,
  type JsonObject,
  type Location,
  type Scope,
  type ToolOutput,
} from "../types.js";
import { secretCommands } from "../../profile/secret-classes.js";
import { secretFileDenies, secretSandboxDenyRead } from "./secrets.js";
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
  ["sandbox", "filesystem", "denyRead"],
] as const;
/** The hook lists the user shares with perimeter: its guard entry is added, the user's own are kept. */
const OWNED_ENTRIES = [
  { path: ["hooks", "PreToolUse"], mark: GUARD_HOOK_MARK },
  { path: ["hooks", "PreSkillShellCommand"], mark: GUARD_HOOK_MARK },
];

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
  // Secrets are a host matter: the image holds none (credentials live in the gateway).
  if (scope === "host") deny.push(...rulesOf(secretCommands(profile.secrets).map((s) => s.rule), gaps), ...secretFileDenies(profile.secrets));
  const permissions: Permissions = {
    allow: rulesOf(profile.allow, gaps),
    ask: rulesOf(profile.ask, gaps),
    deny: [...new Set(deny)],
    defaultMode: defaultMode(profile),
  };
  if (profile.posture.prompts === "ask") permissions.disableBypassPermissionsMode = "disable";
  // The guard hook; PreSkillShellCommand (2.1.332) is newer than the vendored schema. A run that
  // measures what the tools' own rules hold alone (profile.secrets.nativeOnly, tests only) has none.
  const result: ClaudeSettings = { permissions };
  if (!profile.secrets.nativeOnly) result.hooks = hookSettings(guardHookCommand("claude", BLOCKING_EXIT_CODE, profile, scope)) as ClaudeSettings["hooks"];
  const denyRead = scope === "host" ? secretSandboxDenyRead(profile.secrets) : [];
  if (denyRead.length > 0) result.sandbox = { filesystem: { denyRead } };
  // In the image, only the managed file's rules and hooks count: nothing the agent writes can widen
  // them or add an approving hook of its own.
  if (scope === "image") {
    result.allowManagedPermissionRulesOnly = true;
    result.allowManagedHooksOnly = true;
  }
  return result;
}

function render(profile: Profile, scope: Scope): ToolOutput {
  const gaps: Gap[] = [];
  const value = settings(profile, scope, gaps) as JsonObject;
  return { files: [{ tool: "claude", path: SETTINGS[scope], body: structuredBody(scope, "json", value, OWNED_KEYS, OWNED_ENTRIES) }], gaps };
}

/** Hook events whose answer can approve a tool call, skipping the prompt (TOOLS.md "Hooks"). */
const APPROVING_EVENTS = ["PreToolUse", "PermissionRequest", "PreSkillShellCommand"];
/** PreToolUse `permissionDecision: "allow"`, PermissionRequest `decision.behavior: "allow"`, the old `"approve"`. */
const APPROVING_ANSWER = /permissionDecision\W{1,6}allow\b|behavior\W{1,6}allow\b|decision\W{1,6}approve\b/;

/** What makes any Claude settings file bypass-level, wherever it sits. */
function settingsFindings(value: JsonObject, shownAs: string, at: FindingPlace): string[] {
  const permissions = (value.permissions ?? {}) as Permissions;
  const findings: string[] = [];
  const mode = permissions.defaultMode as DefaultMode | undefined;
  if (mode !== undefined && NO_PROMPT_MODES.includes(mode)) {
    findings.push(`${shownAs}: permissions.defaultMode = "${mode}" runs tools without asking`);
  }
  for (const rule of Array.isArray(permissions.allow) ? permissions.allow : []) {
    if (/^Bash(\(\s*\*?\s*\))?$/.test(rule)) findings.push(`${shownAs}: permissions.allow "${rule}" allows every shell command`);
  }
  // On a host the guard hook is a user-scope hook: `disableAllHooks` in any layer switches it off
  // (only managed hooks outlive a non-managed one, and perimeter writes none on a host).
  if (value.disableAllHooks === true) findings.push(`${shownAs}: disableAllHooks = true switches off every hook, perimeter's guard hook included`);
  // Claude runs hooks in the project folder and names it in CLAUDE_PROJECT_DIR.
  const cwd = at.cwd ?? "/";
  const place = { home: at.home ?? "/", cwd, vars: { CLAUDE_PROJECT_DIR: cwd } };
  findings.push(...approvingHookFindings(value.hooks, APPROVING_EVENTS, APPROVING_ANSWER, place, shownAs));
  return findings;
}

function bypassFindings(path: string, body: FileBody, at: FindingPlace = {}): string[] {
  if (path !== SETTINGS.host || body.format !== "json") return [];
  const shownAs = at.shownAs ?? path;
  const findings = settingsFindings(body.value, shownAs, at);
  const permissions = (body.value.permissions ?? {}) as Permissions;
  if (permissions.disableBypassPermissionsMode !== "disable") {
    findings.push(`${shownAs}: permissions.disableBypassPermissionsMode is not "disable", so --dangerously-skip-permissions would work`);
  }
  return findings;
}

/** CLAUDE_CONFIG_DIR moves the user folder (settings.json included) away from ~/.claude. */
function hostConfigDir(place: HostPlace): ConfigDir {
  const moved = place.env.CLAUDE_CONFIG_DIR;
  const prefix = SETTINGS.host.split("/")[0]!;
  return moved ? { tool: "claude", prefix, dir: moved, variable: "CLAUDE_CONFIG_DIR" } : { tool: "claude", prefix, dir: join(place.home, prefix) };
}

/** Managed settings outrank the user's; the project's files are read when Claude starts there. */
function otherBypassSources(place: HostPlace): BypassSource[] {
  const managed = join(place.systemRoot ?? "", "/etc/claude-code");
  const files = [join(managed, "managed-settings.json"), ...filesIn(join(managed, "managed-settings.d"), ".json")];
  if (place.project !== undefined) files.push(join(place.project, ".claude", "settings.json"), join(place.project, ".claude", "settings.local.json"));
  return files.map((file) => ({
    file,
    format: "json",
    judge: (value, shownAs) => settingsFindings(value, shownAs, { home: place.home, cwd: place.project ?? place.home }),
  }));
}

export const claude: AgentTool = {
  id: "claude",
  title: "Claude Code",
  npmPackage: "@anthropic-ai/claude-code",
  render,
  express,
  skipsRulesFor: () => undefined,
  bypassFindings,
  hostConfigDir,
  otherBypassSources,
  hook: claudeHook,
  launch: (profile) => ({
    argv: [
      "claude",
      "--dangerously-skip-permissions",
      ...(profile.posture.output === "json" ? ["--output-format", "json"] : []),
      "-p",
      // The prompt is positional: after this, nothing is an option (LaunchSpec).
      "--",
    ],
    loginFiles: [".claude/.credentials.json", ".config/claude/.credentials.json"],
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
