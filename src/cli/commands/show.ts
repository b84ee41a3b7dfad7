// `perimeter show`: the resolved profile, after `extends` and with the tripwires.
import type { CommandRule, Profile } from "../../profile/types.js";
import { profileFrom, type ProfileFlags } from "../options.js";
import type { CommandResult } from "../result.js";

const ruleJson = (r: CommandRule) => ({ pattern: r.pattern.text, origin: r.origin });

/** What the gateway reads; a credential shows where its secret comes from, never the secret. */
function gatewayJson(profile: Profile) {
  return {
    network: profile.network && { allow: profile.network.allow.map((h) => h.text), inspect: profile.network.inspect.map((h) => h.text) },
    credentials: profile.credentials.map((c) => ({ name: c.name, host: c.host, header: c.header, scheme: c.scheme, source: c.source, placeholderEnv: c.placeholderEnv })),
    git: { hosts: profile.git.hosts.map((h) => h.text), push: profile.git.push },
    limits: profile.limits,
  };
}

export function profileJson(profile: Profile) {
  return {
    name: profile.name,
    description: profile.description,
    files: profile.files,
    posture: profile.posture,
    allow: profile.allow.map(ruleJson),
    ask: profile.ask.map(ruleJson),
    deny: profile.deny.map(ruleJson),
    ...gatewayJson(profile),
    tripwires: profile.tripwires.map((t) => ({
      id: t.id,
      reason: t.reason,
      commands: t.rules.map(ruleJson),
      blocks: t.blocks.map((e) => e.command),
      allows: t.allows.map((e) => e.command),
      wire: t.wire.map((w) => w.text),
    })),
  };
}

export async function show(flags: ProfileFlags & { json?: boolean }): Promise<CommandResult> {
  const profile = await profileFrom(flags, "interactive");
  if (flags.json) return { exitCode: 0, stdout: `${JSON.stringify(profileJson(profile), null, 2)}\n` };
  const list = (title: string, rules: readonly CommandRule[]) =>
    [`${title} (${rules.length}):`, ...rules.map((r) => `  ${r.pattern.text}`)].join("\n");
  const text = [
    `profile ${profile.name}: ${profile.description}`,
    `files: ${profile.files.join(" <- ")}`,
    `posture: prompts=${profile.posture.prompts} edits=${profile.posture.edits} output=${profile.posture.output}`,
    list("allow", profile.allow),
    list("ask", profile.ask),
    list("deny", profile.deny),
    ...(profile.network
      ? [
          `network allow (${profile.network.allow.length}): ${profile.network.allow.map((h) => h.text).join(", ")}`,
          `credentials (${profile.credentials.length}): ${profile.credentials.map((c) => `${c.name} -> ${c.host} ${c.header}`).join(", ")}`,
          `git push: ${profile.git.push.join(", ")} (deletions and tags refused)`,
          `limits: ${[profile.limits.tokens && `${profile.limits.tokens} tokens`, profile.limits.usd && `$${profile.limits.usd}`].filter(Boolean).join(", ") || "none"}; warn ${profile.limits.warnPercent} %, stop ${profile.limits.stopPercent} %`,
        ]
      : []),
    `tripwires (${profile.tripwires.length}):`,
    ...profile.tripwires.map((t) => `  ${t.id}: ${t.rules.map((r) => r.pattern.text).join(" | ")}`),
  ].join("\n");
  return { exitCode: 0, stdout: `${text}\n` };
}
