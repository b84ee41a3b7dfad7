import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../src/profile/load.js";
import { matchesArgv, parsePattern, patternFromTokens, type CommandPattern } from "../../src/profile/pattern.js";
import { exampleArgv } from "../../src/profile/example.js";
import { nativeSplit } from "../../src/guard/native.js";
import { secretCommands } from "../../src/profile/secret-classes.js";
import type { Example } from "../../src/profile/types.js";
import type { CommandRule, Profile } from "../../src/profile/types.js";
import { serialize } from "../../src/sink/formats.js";
import { TOOLS, toolById } from "../../src/tools/index.js";
import { isShared, type AgentTool, type EmittedFile, type JsonObject, type Scope, type ToolOutput } from "../../src/tools/types.js";

const PROFILE_NAMES = ["autonomous", "ci", "interactive"] as const;
const PROFILES: Profile[] = PROFILE_NAMES.map((name) => loadProfile(name));
const SCOPES: Scope[] = ["host", "image"];
const claude = toolById("claude");
const codex = toolById("codex");
const gemini = toolById("gemini");

const interactive = PROFILES.find((p) => p.name === "interactive")!;
const autonomous = PROFILES.find((p) => p.name === "autonomous")!;

function pattern(text: string): CommandPattern {
  const parsed = parsePattern(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

function argvOf(command: string): string[] {
  const argv = exampleArgv(command);
  if (argv === undefined) throw new Error(`"${command}" is not one simple command`);
  return argv;
}

function fileEnding(output: ToolOutput, suffix: string): EmittedFile {
  const file = output.files.find((f) => f.path.endsWith(suffix));
  if (!file) throw new Error(`no file ending in ${suffix} among ${output.files.map((f) => f.path).join(", ")}`);
  return file;
}

function jsonValue(file: EmittedFile): JsonObject {
  if (file.body.format === "text") throw new Error(`${file.path} is text`);
  return file.body.value;
}

function textOf(file: EmittedFile): string {
  if (file.body.format !== "text") throw new Error(`${file.path} is not text`);
  return file.body.text;
}

interface ClaudePermissions {
  allow: string[];
  ask: string[];
  deny: string[];
  defaultMode?: string;
  disableBypassPermissionsMode?: string;
}

const claudePermissions = (output: ToolOutput) => jsonValue(fileEnding(output, "settings.json")).permissions as ClaudePermissions;

interface CodexRule {
  pattern: string[];
  decision: string;
  match: string[];
  notMatch: string[];
}

/** The prefix_rule(...) entries of a Codex .rules file, as the template writes them. */
function codexRules(text: string): CodexRule[] {
  const re =
    /prefix_rule\(\n {4}pattern = (\[[^\n]*\]),\n {4}decision = "([a-z]+)",\n(?: {4}justification = [^\n]*,\n)?(?: {4}match = (\[[^\n]*\]),\n)?(?: {4}not_match = (\[[^\n]*\]),\n)?\)/g;
  const rules = [...text.matchAll(re)].map((m) => ({
    pattern: JSON.parse(m[1]!) as string[],
    decision: m[2]!,
    match: m[3] ? (JSON.parse(m[3]) as string[]) : [],
    notMatch: m[4] ? (JSON.parse(m[4]) as string[]) : [],
  }));
  // every prefix_rule( in the file was understood
  expect(rules.length).toBe(text.split("prefix_rule(").length - 1);
  return rules;
}

interface GeminiRule {
  toolName: string;
  decision: string;
  priority: number;
  commandPrefix?: string;
  commandRegex?: string;
  denyMessage?: string;
}

/** The policy rules as Gemini will read them: serialized to TOML, parsed back. */
function geminiRules(output: ToolOutput): GeminiRule[] {
  const file = fileEnding(output, "policies/perimeter.toml");
  const text = serialize(file.body, true);
  return (parseToml(text) as unknown as { rule: GeminiRule[] }).rule;
}

// --- Gemini CLI 0.61.0's policy engine, as far as it matters here (bundle: packages/core/src/policy/utils.ts) ---
function geminiEscapeRegex(text: string): string {
  return text.replace(/[-[\]{}()*+?.,\\^$|#\s"]/g, "\\$&");
}
function geminiArgsPattern(rule: GeminiRule): string {
  if (rule.commandPrefix !== undefined) {
    const encoded = JSON.stringify(rule.commandPrefix);
    return `${geminiEscapeRegex(`"command":${encoded.substring(0, encoded.length - 1)}`)}(?:[\\s"]|\\\\")`;
  }
  if (rule.commandRegex !== undefined) return `"command":"${rule.commandRegex}`;
  throw new Error("rule without a command");
}
/** The text the engine tests argsPattern against for a run_shell_command call. */
function geminiArgsText(command: string): string {
  return `\0"command":"${JSON.stringify(command).slice(1, -1)}"\0\0"description":"x"\0`;
}
const geminiMatches = (rule: GeminiRule, command: string) => new RegExp(geminiArgsPattern(rule)).test(geminiArgsText(command));
const GEMINI_REDOS = /\([^)]*[*+?{].*\)[*+?{]/;

/** The tripwire rules the native layer carries (a pattern an exception narrows is the guard hook's). */
const tripwireRules = (profile: Profile) => profile.tripwires.flatMap((t) => nativeSplit(t).native.map((rule) => ({ tripwire: t, rule })));
const guardOnlyRules = (profile: Profile) => profile.tripwires.flatMap((t) => nativeSplit(t).guardOnly);
const allExamples = (profile: Profile) => profile.tripwires.flatMap((t) => [...t.blocks, ...t.allows]);
/** A one-command example whose text is its argv: what a tool's native text rules can be held to. */
const writtenPlainly = (e: Example) => e.argv !== undefined && e.argv.join(" ") === e.command;

describe("every built-in profile x every tool x both scopes renders", () => {
  for (const profile of PROFILES) {
    for (const tool of TOOLS) {
      for (const scope of SCOPES) {
        it(`${profile.name} / ${tool.id} / ${scope}`, () => {
          const output = tool.render(profile, scope);
          expect(output.files.length).toBeGreaterThan(0);
          for (const file of output.files) {
            expect(file.tool).toBe(tool.id);
            if (scope === "image") expect(file.path.startsWith("/")).toBe(true);
            else expect(file.path.startsWith("/")).toBe(false);
            // every file serializes, and structured files parse back to the same value
            const text = serialize(file.body, !isShared(file.body));
            expect(text.length).toBeGreaterThan(0);
            if (file.body.format === "json") expect(JSON.parse(text)).toEqual(file.body.value);
            if (file.body.format === "toml") expect(parseToml(text)).toEqual(file.body.value);
          }
        });
      }
    }
  }
});

describe("a rendering depends on the profile only", () => {
  it("not on the folder perimeter runs from (origins are shown relative to it)", () => {
    const here = process.cwd();
    const elsewhere = mkdtempSync(join(tmpdir(), "perimeter-cwd-"));
    let away: Profile;
    try {
      process.chdir(elsewhere);
      away = loadProfile("interactive");
    } finally {
      process.chdir(here);
      rmSync(elsewhere, { recursive: true, force: true });
    }
    const home = loadProfile("interactive");
    // Control: the two loads really differ, in where their rules say they came from.
    expect(away.tripwires[0]!.origin.file).not.toBe(home.tripwires[0]!.origin.file);
    for (const tool of TOOLS) {
      for (const scope of SCOPES) expect(tool.render(away, scope).files).toEqual(tool.render(home, scope).files);
    }
  });
});

describe("every tripwire rule appears in each tool's output in its strongest form", () => {
  for (const profile of PROFILES) {
    for (const scope of SCOPES) {
      it(`Claude (${profile.name}, ${scope}): permissions.deny holds Bash(...) for every enforced variant, and no rule ends in ":*"`, () => {
        const output = claude.render(profile, scope);
        const permissions = claudePermissions(output);
        for (const { rule } of tripwireRules(profile)) {
          const { enforced, missing } = claude.express(rule.pattern);
          expect(enforced.length + missing.length).toBeGreaterThan(0);
          for (const variant of enforced) {
            expect(permissions.deny).toContain(`Bash(${variant.text})`);
            const last = variant.tokens[variant.tokens.length - 1]!;
            if (last.kind !== "glob") expect(permissions.deny).toContain(`Bash(${variant.text} *)`);
          }
          for (const m of missing) {
            expect(output.gaps).toContainEqual(expect.objectContaining({ tool: "claude", rule, variant: m.variant }));
          }
        }
        for (const list of [permissions.allow, permissions.ask, permissions.deny]) {
          for (const entry of list) {
            // Bash rules, and on a host the Read and Edit denies that keep secrets out (issue 15).
            expect(entry).toMatch(list === permissions.deny && scope === "host" ? /^(Bash|Read|Edit)\(.+\)$/ : /^Bash\(.+\)$/);
            // Claude reads a trailing ":*" as its legacy prefix syntax, which is not what perimeter means.
            expect(entry.endsWith(":*)")).toBe(false);
          }
        }
        // a deny never also shows up as an allow or ask
        for (const entry of permissions.deny) {
          expect(permissions.allow).not.toContain(entry);
          expect(permissions.ask).not.toContain(entry);
        }
      });

      it(`Codex (${profile.name}, ${scope}): a forbidden prefix_rule for every enforced variant, and the gap header lists each missing one`, () => {
        const output = codex.render(profile, scope);
        const text = textOf(fileEnding(output, "perimeter.rules"));
        const rules = codexRules(text);
        for (const { rule } of tripwireRules(profile)) {
          const { enforced, missing } = codex.express(rule.pattern);
          for (const variant of enforced) {
            const words = variant.tokens.map((t) => (t.kind === "word" ? t.text : "?"));
            expect(rules).toContainEqual(expect.objectContaining({ pattern: words, decision: "forbidden" }));
          }
          for (const m of missing) {
            expect(text).toContain(`#   ${m.variant}  (${basename(rule.origin.file)} ${rule.origin.key})`);
            expect(output.gaps).toContainEqual(expect.objectContaining({ tool: "codex", rule, variant: m.variant }));
          }
        }
        const header = /(\d+) rule variant\(s\) that need wildcards cannot be expressed/.exec(text);
        expect(header).not.toBeNull();
        expect(Number(header![1])).toBe(output.gaps.length);
        const headerLines = text.split("\n").filter((l) => l.startsWith("#   "));
        expect(headerLines).toHaveLength(output.gaps.length);
        // No pattern has an empty word: a wildcard never leaks into a prefix rule.
        for (const r of rules) for (const word of r.pattern) expect(word).not.toBe("");
      });

      it(`Codex (${profile.name}, ${scope}): every match example starts with its rule's prefix and no not_match example does (Codex checks both on load)`, () => {
        const rules = codexRules(textOf(fileEnding(codex.render(profile, scope), "perimeter.rules")));
        const startsWith = (argv: string[], prefix: string[]) => prefix.every((w, i) => argv[i] === w);
        let checked = 0;
        for (const r of rules) {
          for (const m of r.match) {
            expect(startsWith(argvOf(m), r.pattern), `${m} vs ${r.pattern.join(" ")}`).toBe(true);
            checked++;
          }
          for (const m of r.notMatch) expect(startsWith(argvOf(m), r.pattern), `${m} vs ${r.pattern.join(" ")}`).toBe(false);
        }
        expect(checked).toBeGreaterThan(0);
      });

      it(`Gemini (${profile.name}, ${scope}): a deny rule per tripwire rule (always a commandRegex, forgiving of quotes and spacing) above every allow/ask`, () => {
        const rules = geminiRules(gemini.render(profile, scope));
        const pairs = tripwireRules(profile);
        const denies = rules.filter((r) => r.decision === "deny");
        expect(denies.length).toBe(pairs.length + profile.deny.length);
        pairs.forEach(({ tripwire, rule }, i) => {
          const policy = rules[i]!;
          expect(policy.toolName).toBe("run_shell_command");
          expect(policy.decision).toBe("deny");
          expect(policy.denyMessage).toContain(tripwire.id);
          expect(policy.commandPrefix).toBeUndefined();
          expect(typeof policy.commandRegex).toBe("string");
        });
        const lowestDeny = Math.min(...denies.map((r) => r.priority));
        const others = rules.filter((r) => r.decision !== "deny");
        for (const r of others) expect(lowestDeny).toBeGreaterThan(r.priority);
        for (const r of rules) {
          expect(r.priority).toBeGreaterThanOrEqual(0);
          expect(r.priority).toBeLessThanOrEqual(999);
        }
        if (profile.name === "interactive") {
          expect(others.some((r) => r.decision === "allow")).toBe(true);
          expect(others.some((r) => r.decision === "ask_user")).toBe(true);
        }
      });
    }
  }
});

describe("parity: nothing is silently dropped", () => {
  for (const profile of PROFILES) {
    for (const tool of TOOLS) {
      it(`${profile.name} / ${tool.id}: every tripwire blocks example is enforced or reported as a gap`, () => {
        const output = tool.render(profile, "image");
        let enforcedCount = 0;
        for (const tripwire of profile.tripwires) {
          for (const example of tripwire.blocks) {
            // The native layer reads argv as written; the other examples are the guard hook's.
            const argv = example.argv;
            if (argv === undefined) continue;
            const matching = tripwire.rules.filter((r) => matchesArgv(r.pattern, argv));
            if (matching.length === 0) continue;
            const enforced = matching.some((r) => tool.express(r.pattern).enforced.some((v) => matchesArgv(v, argv)));
            if (enforced) {
              enforcedCount++;
              continue;
            }
            // not enforced: each matching rule must carry a reported gap whose variant would have blocked it
            for (const rule of matching) {
              const reported = output.gaps.some(
                (g) => g.tool === tool.id && g.rule === rule && matchesArgv(pattern(g.variant), argv),
              );
              expect(reported, `${tool.id} drops "${example.command}" (${rule.pattern.text}) without a gap`).toBe(true);
            }
          }
        }
        expect(enforcedCount).toBeGreaterThan(0);
      });

      it(`${profile.name} / ${tool.id}: the reported gaps are exactly what express() says is missing`, () => {
        for (const scope of SCOPES) {
          const output = tool.render(profile, scope);
          // The secrets' commands are rendered on a host only (the image holds no secrets).
          const secretRules = scope === "host" ? secretCommands(profile.secrets).map((s) => s.rule) : [];
          const rules: CommandRule[] = [...tripwireRules(profile).map((p) => p.rule), ...profile.deny, ...secretRules, ...profile.ask, ...profile.allow];
          const expected = [
            ...rules.flatMap((rule) => tool.express(rule.pattern).missing.map((m) => `${rule.origin.file} ${rule.origin.key} ${m.variant}`)),
            ...guardOnlyRules(profile).map((rule) => `${rule.origin.file} ${rule.origin.key} ${rule.pattern.text}`),
          ];
          const actual = output.gaps.map((g) => `${g.rule.origin.file} ${g.rule.origin.key} ${g.variant}`);
          expect(actual.sort()).toEqual(expected.sort());
          for (const g of output.gaps) expect(g.tool).toBe(tool.id);
        }
      });
    }
  }

  it("Codex cannot express wildcards: every variant with `*` is missing, every literal one enforced", () => {
    const e = codex.express(pattern("git push * --force"));
    expect(e.enforced.map((v) => v.text)).toEqual(["git push --force"]);
    expect(e.missing.map((m) => m.variant)).toEqual(["git push * --force"]);
    expect(codex.express(pattern("gh secret")).missing).toEqual([]);
  });

  it('Claude cannot write a variant ending in ":*" and reports it instead', () => {
    const e = claude.express(pattern("git push * :*"));
    expect(e.missing.map((m) => m.variant).sort()).toEqual(["git push * :*", "git push :*"]);
    expect(e.enforced).toEqual([]);
    expect(claude.express(pattern("git push * --force")).enforced.map((v) => v.text)).toEqual(["git push --force", "git push * --force"]);
  });
});

describe("Gemini commandRegex semantics, emulating the policy engine", () => {
  const EXTRA_COMMANDS = [
    "git push origin main --force",
    "git push origin main --forceful",
    "git push --force-with-lease",
    "git pushx --force",
    "git push origin feature:feature",
    "git push origin main+",
    "git push origin +main --dry-run",
    "gh api repos/octo/app -X GET",
    "gh api repos/octo/app -X DELETEX",
    "gh api -XDELETE repos/octo/app",
    "gh api --method=DELETE repos/octo/app",
    "gh apis -X DELETE x",
    "gh secrets list",
    "gh secret",
    "npm publisher",
    "npm publish",
    "git push origin :feature",
    "git push origin --delete",
    "git push origin -d feature",
    "git push origin -df",
  ];

  for (const profile of [autonomous, interactive]) {
    it(`${profile.name}: each tripwire's deny rule matches exactly the examples its pattern matches`, () => {
      const rules = geminiRules(gemini.render(profile, "host"));
      // Native rules read one command as written; the other examples are the guard hook's.
      const commands = [...allExamples(profile).filter(writtenPlainly).map((e) => e.command), ...EXTRA_COMMANDS];
      let hits = 0;
      tripwireRules(profile).forEach(({ rule }, i) => {
        const policy = rules[i]!;
        for (const command of commands) {
          const expected = matchesArgv(rule.pattern, argvOf(command));
          expect(geminiMatches(policy, command), `${JSON.stringify(policy.commandRegex ?? policy.commandPrefix)} vs "${command}"`).toBe(expected);
          if (expected) hits++;
        }
      });
      expect(hits).toBeGreaterThan(20);
    });

    it(`${profile.name}: every blocks example is denied by some rule, and no allows example by any tripwire rule`, () => {
      const denies = geminiRules(gemini.render(profile, "host")).filter((r) => r.decision === "deny");
      for (const tripwire of profile.tripwires) {
        for (const example of tripwire.blocks.filter(writtenPlainly)) {
          if (!nativeSplit(tripwire).native.some((r) => matchesArgv(r.pattern, example.argv!))) continue;
          expect(denies.some((r) => geminiMatches(r, example.command)), `blocks: ${example.command}`).toBe(true);
        }
        for (const example of tripwire.allows) {
          expect(denies.some((r) => geminiMatches(r, example.command)), `allows: ${example.command}`).toBe(false);
        }
      }
    });
  }

  it("commandRegex works for every blocks/allows example with the regex-bearing tripwires (blocks match, allows do not)", () => {
    const rules = geminiRules(gemini.render(autonomous, "image"));
    const regexRules = tripwireRules(autonomous)
      .map((p, i) => ({ ...p, policy: rules[i]! }))
      .filter((p) => p.policy.commandRegex !== undefined);
    expect(regexRules.length).toBeGreaterThan(5);
    const byTripwire = new Map<string, typeof regexRules>();
    for (const r of regexRules) byTripwire.set(r.tripwire.id, [...(byTripwire.get(r.tripwire.id) ?? []), r]);
    for (const [, entries] of byTripwire) {
      const tripwire = entries[0]!.tripwire;
      for (const ex of tripwire.blocks) {
        if (!writtenPlainly(ex)) continue;
        const argv = ex.argv!;
        const expected = entries.some((e) => matchesArgv(e.rule.pattern, argv));
        expect(entries.some((e) => geminiMatches(e.policy, ex.command)), ex.command).toBe(expected);
      }
      for (const ex of tripwire.allows) {
        if (ex.argv === undefined) continue;
        expect(entries.some((e) => geminiMatches(e.policy, ex.command)), ex.command).toBe(false);
      }
    }
  });

  it("no commandRegex trips Gemini's ReDoS filter, and each compiles", () => {
    const regexes = PROFILES.flatMap((p) => geminiRules(gemini.render(p, "image")))
      .map((r) => r.commandRegex)
      .filter((r): r is string => r !== undefined);
    expect(regexes.length).toBeGreaterThan(0);
    for (const regex of regexes) {
      expect(() => new RegExp(regex)).not.toThrow();
      expect(GEMINI_REDOS.test(regex), regex).toBe(false);
      expect(GEMINI_REDOS.test(`"command":"${regex}`), regex).toBe(false);
      expect(regex.length).toBeLessThanOrEqual(2048);
    }
  });

  it("the ReDoS filter used here does catch a quantified group (control)", () => {
    expect(GEMINI_REDOS.test("(\\s[^\\x00]*)*--force")).toBe(true);
  });

  it("a literal allow pattern with regex characters becomes a commandPrefix the engine matches literally", () => {
    const rule: CommandRule = { pattern: pattern("./gradlew test"), origin: { file: "x", key: "k" } };
    const profile: Profile = { ...interactive, allow: [rule], ask: [], deny: [], tripwires: [] };
    const [policy] = geminiRules(gemini.render(profile, "host"));
    expect(policy!.commandPrefix).toBe("./gradlew test");
    expect(geminiMatches(policy!, "./gradlew test --info")).toBe(true);
    expect(geminiMatches(policy!, "x/gradlew test")).toBe(false);
    expect(geminiMatches(policy!, "./gradlew tests")).toBe(false);
  });

  it("a deny pattern with regex characters is escaped in its regex, and quoting or extra spaces do not slip past it", () => {
    const rule: CommandRule = { pattern: pattern("./gradlew publish"), origin: { file: "x", key: "k" } };
    const profile: Profile = { ...interactive, allow: [], ask: [], deny: [rule], tripwires: [] };
    const [policy] = geminiRules(gemini.render(profile, "host"));
    expect(policy!.commandRegex).toBeDefined();
    for (const hit of ["./gradlew publish", "./gradlew  publish --info", '"./gradlew" publish', "./gradlew 'publish'"]) {
      expect(geminiMatches(policy!, hit), hit).toBe(true);
    }
    for (const miss of ["x/gradlew publish", "./gradlew publishing", "./gradlew test"]) expect(geminiMatches(policy!, miss), miss).toBe(false);
  });
});

describe("host interactive output", () => {
  const value = (tool: AgentTool, suffix: string) => jsonValue(fileEnding(tool.render(interactive, "host"), suffix));

  it('Claude: disableBypassPermissionsMode "disable" and defaultMode acceptEdits, no managed-only flag', () => {
    const settings = value(claude, ".claude/settings.json");
    const permissions = settings.permissions as ClaudePermissions;
    expect(permissions.disableBypassPermissionsMode).toBe("disable");
    expect(permissions.defaultMode).toBe("acceptEdits");
    expect(settings.allowManagedPermissionRulesOnly).toBeUndefined();
    expect(permissions.allow).toContain("Bash(git status)");
    expect(permissions.allow).toContain("Bash(git status *)");
    expect(permissions.ask).toContain("Bash(git push *)");
  });

  it("Codex: approval_policy on-request and its own permission profile on the workspace-write sandbox (no sandbox_mode, which would override it)", () => {
    const config = value(codex, ".codex/config.toml");
    expect(config.approval_policy).toBe("on-request");
    expect(config.sandbox_mode).toBeUndefined();
    expect(config.default_permissions).toBe("perimeter");
    expect((config.permissions as { perimeter: { extends: string } }).perimeter.extends).toBe(":workspace");
  });

  it("Gemini: defaultApprovalMode auto_edit and security.disableYoloMode true", () => {
    const settings = value(gemini, ".gemini/settings.json") as { general?: { defaultApprovalMode?: string }; security?: { disableYoloMode?: boolean } };
    expect(settings.general?.defaultApprovalMode).toBe("auto_edit");
    expect(settings.security?.disableYoloMode).toBe(true);
  });

  it("the image rendering of autonomous is the no-prompt one (control for the three above)", () => {
    const c = jsonValue(fileEnding(claude.render(autonomous, "image"), "managed-settings.json"));
    expect((c.permissions as ClaudePermissions).defaultMode).toBe("bypassPermissions");
    expect(c.allowManagedPermissionRulesOnly).toBe(true);
    const x = jsonValue(fileEnding(codex.render(autonomous, "image"), "config.toml"));
    expect(x.approval_policy).toBe("never");
    const g = jsonValue(fileEnding(gemini.render(autonomous, "image"), "settings.json")) as { security?: unknown };
    expect(g.security).toBeUndefined();
  });

  it("patternFromTokens round-trips the text of a parsed pattern", () => {
    const p = pattern("git push * --force-with-lease*");
    expect(patternFromTokens(p.tokens).text).toBe(p.text);
  });
});
