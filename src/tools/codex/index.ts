// Everything perimeter knows about Codex CLI: config.toml keys, the Starlark `.rules` files, their
// prefix-only matching, file locations and launch flags. Facts: openai/codex docs/config.md and
// codex-rs/execpolicy/README.md, checked against the pinned binary (driver.ts, real.test.ts).
import { basename, join } from "node:path";
import { matchesArgv, optionalArgVariants, patternFromTokens, type CommandPattern, type PatternToken } from "../../profile/pattern.js";
import { switchHolds, type GuardOffSetting } from "../guard-off.js";
import { GUARD_HOOK_MARK, guardHookCommand } from "../../guard/command.js";
import { GUARD_ONLY_REASON, nativeSplit } from "../../guard/native.js";
import { BLOCKING_EXIT_CODE, codexHook, hookConfig } from "./hook.js";
import type { CommandRule, Example, Profile } from "../../profile/types.js";
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
import type { CodexConfig } from "./config.generated.js";
import { rulesTemplate } from "./rules-template.js";
import { secretCommands } from "../../profile/secret-classes.js";
import { environmentExclude, PERMISSION_PROFILE, permissionProfile, scratchFolders } from "./secrets.js";

/** The user layer on a host; in the image the system layer, whose rules/ folder is read like the user's. */
const CONFIG: Location = { host: ".codex/config.toml", image: "/etc/codex/config.toml" };
const RULES: Location = { host: ".codex/rules/perimeter.rules", image: "/etc/codex/rules/perimeter.rules" };

type Decision = "allow" | "prompt" | "forbidden";
/** 0.169.0 rejects "untrusted" although the published schema still lists it (SOURCES.md). */
type ApprovalPolicy = Exclude<CodexConfig["approval_policy"], "untrusted">;

/**
 * `sandbox_mode` is owned so perimeter can remove it on a host: Codex's docs say that in any layer it switches Codex
 * back from the permission profile (which holds the secret read denies) to the older settings.
 */
const OWNED_KEYS = [
  ["approval_policy"],
  ["sandbox_mode"],
  ["default_permissions"],
  ["permissions", PERMISSION_PROFILE],
  ["shell_environment_policy", "exclude"],
] as const;
/** `[[hooks.PreToolUse]]`: the guard's entry is added, the user's own are kept. */
const OWNED_ENTRIES = [{ path: ["hooks", "PreToolUse"], mark: GUARD_HOOK_MARK }];

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

function rulesFile(profile: Profile, scope: Scope, gaps: Gap[]): string {
  const rules = [
    ...profile.tripwires.flatMap((t) => {
      const { native, guardOnly } = nativeSplit(t);
      for (const rule of guardOnly) gaps.push({ tool: "codex", rule, variant: rule.pattern.text, reason: GUARD_ONLY_REASON });
      return entries(native, "forbidden", gaps, { reason: t.reason, blocks: t.blocks, allows: t.allows });
    }),
    ...entries(profile.deny, "forbidden", gaps, { reason: `denied by profile ${profile.name}`, blocks: [], allows: [] }),
    // Secrets are a host matter: the image holds none (credentials live in the gateway).
    ...(scope === "host"
      ? secretCommands(profile.secrets).flatMap(({ rule, secret }) =>
          entries([rule], "forbidden", gaps, { reason: `perimeter secrets: ${secret.title} stay out of the model's context`, blocks: [], allows: [] }),
        )
      : []),
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
  // The same built-in sandboxes as sandbox_mode "workspace-write" / "read-only", with the secrets unreadable.
  const base = profile.posture.edits === "auto" ? ":workspace" : ":read-only";
  return {
    approval_policy: "on-request" satisfies ApprovalPolicy,
    default_permissions: PERMISSION_PROFILE,
    permissions: { [PERMISSION_PROFILE]: permissionProfile(profile.secrets, base) },
    shell_environment_policy: { exclude: environmentExclude(profile.secrets) },
  } as CodexConfig;
}

function render(profile: Profile, scope: Scope): ToolOutput {
  const gaps: Gap[] = [];
  const rules = rulesFile(profile, scope, gaps);
  // A run that measures what the tools' own rules hold alone (profile.secrets.nativeOnly, tests only) has no hook.
  const hooks = profile.secrets.nativeOnly ? {} : { hooks: hookConfig(guardHookCommand("codex", BLOCKING_EXIT_CODE, profile, scope)) };
  const value = { ...config(profile), ...hooks } as JsonObject;
  return {
    files: [
      { tool: "codex", path: CONFIG[scope], body: structuredBody(scope, "toml", value, OWNED_KEYS, OWNED_ENTRIES) },
      { tool: "codex", path: RULES[scope], body: { format: "text", text: rules } },
    ],
    gaps,
  };
}

/** The built-in permission profile that turns the sandbox off (run, 0.169.0: `debug prompt-input`). */
const FULL_ACCESS_PROFILE = ":danger-full-access";
/** Codex hooks take Claude's answers (TOOLS.md "Hooks"). */
const APPROVING_EVENTS = ["PreToolUse", "PermissionRequest"];
const APPROVING_ANSWER = /permissionDecision\W{1,6}allow\b|behavior\W{1,6}allow\b|decision\W{1,6}approve\b/;

type PermissionProfile = { extends?: unknown; filesystem?: Record<string, unknown>; network?: { enabled?: unknown; mode?: unknown; dangerously_allow_all_unix_sockets?: unknown } };

/** Why a `[permissions.NAME]` profile gives full access or an open network, or undefined. */
function openProfile(profiles: Record<string, PermissionProfile>, name: string, seen = new Set<string>()): string | undefined {
  if (name === FULL_ACCESS_PROFILE) return "full access";
  const profile = profiles[name];
  if (profile === undefined || seen.has(name)) return undefined;
  seen.add(name);
  if (typeof profile.extends === "string") {
    const inherited = openProfile(profiles, profile.extends, seen);
    // Only the nearest link of the chain is named: the profile it extends is reported on its own.
    if (inherited !== undefined) return `${inherited.split(" (extends")[0]} (extends "${profile.extends}")`;
  }
  for (const [path, mode] of Object.entries(profile.filesystem ?? {})) {
    if ((path === "/" || path === ":root") && mode === "write") return `write access to ${path}`;
  }
  const network = profile.network ?? {};
  if (network.mode === "full") return "full network access";
  if (network.dangerously_allow_all_unix_sockets === true) return "every unix socket";
  return undefined;
}

/** `[features] hooks = false` in the user's or a trusted project's config outranks the system layer's hook. */
const HOOK_OFF: GuardOffSetting = { format: "toml", key: ["features", "hooks"], is: { equals: false } };

/** What makes any Codex config layer or profile file bypass-level, wherever it sits. */
function configFindings(value: JsonObject, shownAs: string, at: FindingPlace): string[] {
  const findings: string[] = [];
  if (value.sandbox_mode === "danger-full-access") {
    findings.push(`${shownAs}: sandbox_mode = "danger-full-access" turns Codex's sandbox off`);
  }
  if (value.approval_policy === "never") {
    findings.push(`${shownAs}: approval_policy = "never" runs commands without asking`);
  }
  const profiles = (value.permissions ?? {}) as Record<string, PermissionProfile>;
  if (typeof value.default_permissions === "string") {
    const open = openProfile(profiles, value.default_permissions);
    if (open !== undefined) findings.push(`${shownAs}: default_permissions = "${value.default_permissions}" gives ${open} without sandbox_mode`);
  }
  for (const name of Object.keys(profiles)) {
    const open = openProfile(profiles, name);
    if (open !== undefined) findings.push(`${shownAs}: permissions.${name} gives ${open}`);
  }
  // The guard is a hook: `[features] hooks = false` in any layer Codex reads switches it off.
  if (switchHolds(HOOK_OFF, value)) {
    findings.push(`${shownAs}: features.hooks = false switches Codex's hooks off, perimeter's guard hook included`);
  }
  const place = { home: at.home ?? "/", cwd: at.cwd ?? "/" };
  findings.push(...approvingHookFindings(value.hooks, APPROVING_EVENTS, APPROVING_ANSWER, place, shownAs));
  return findings;
}

function bypassFindings(path: string, body: FileBody, at: FindingPlace = {}): string[] {
  if (path !== CONFIG.host || body.format !== "toml") return [];
  return configFindings(body.value, at.shownAs ?? path, at);
}

/** CODEX_HOME replaces ~/.codex: Codex reads its config, rules and profiles there. */
function hostConfigDir(place: HostPlace): ConfigDir {
  const moved = place.env.CODEX_HOME;
  const prefix = CONFIG.host.split("/")[0]!;
  return moved ? { tool: "codex", prefix, dir: moved, variable: "CODEX_HOME" } : { tool: "codex", prefix, dir: join(place.home, prefix) };
}

/**
 * `--profile NAME` files beside the user config, the system layer, and the project's layer (read
 * when the project is trusted: judged whenever it is there).
 */
function otherBypassSources(place: HostPlace, configDir: string): BypassSource[] {
  const files = [...filesIn(configDir, ".config.toml"), join(place.systemRoot ?? "", "/etc/codex/config.toml")];
  if (place.project !== undefined) files.push(join(place.project, ".codex", "config.toml"));
  return files.map((file) => ({
    file,
    format: "toml",
    judge: (value, shownAs) => configFindings(value, shownAs, { home: place.home, cwd: place.project ?? place.home }),
  }));
}

export const codex: AgentTool = {
  id: "codex",
  title: "Codex CLI",
  npmPackage: "@openai/codex",
  render,
  express,
  skipsRulesFor,
  bypassFindings,
  hostConfigDir,
  otherBypassSources,
  hostFolders: (file, home) => (file.path === CONFIG.host ? scratchFolders(file.body, home) : []),
  hook: codexHook,
  launch: (profile) => ({
    argv: [
      "codex",
      "exec",
      "--dangerously-bypass-approvals-and-sandbox",
      "--skip-git-repo-check",
      ...(profile.posture.output === "json" ? ["--json"] : []),
      // The prompt is positional: after this, nothing is an option (LaunchSpec).
      "--",
    ],
    loginFiles: [".codex/auth.json"],
    // `[features] hooks = false` in the user's or a trusted project's config outranks the system
    // layer's hook (checked with 0.171: `codex features list` then shows hooks false).
    guardOff: [".codex/config.toml", "~/.codex/config.toml", "$CODEX_HOME/config.toml"].map((file) => ({ file, ...HOOK_OFF })),
  }),
  run: {
    // `codex exec` reads CODEX_API_KEY; the default OpenAI provider's env_key is OPENAI_API_KEY.
    credentialEnv: ["OPENAI_API_KEY", "CODEX_API_KEY"],
    env: {},
    versionCommand: ["codex", "--version"],
  },
};
