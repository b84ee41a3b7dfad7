// `perimeter show`: the resolved profile, after `extends` and with the tripwires.
import type { CommandRule, Profile } from "../../profile/types.js";
import { profileFrom, type ProfileFlags } from "../options.js";
import type { CommandResult } from "../result.js";

const ruleJson = (r: CommandRule) => ({ pattern: r.pattern.text, origin: r.origin });

export function profileJson(profile: Profile) {
  return {
    name: profile.name,
    description: profile.description,
    files: profile.files,
    posture: profile.posture,
    allow: profile.allow.map(ruleJson),
    ask: profile.ask.map(ruleJson),
    deny: profile.deny.map(ruleJson),
    tripwires: profile.tripwires.map((t) => ({
      id: t.id,
      reason: t.reason,
      commands: t.rules.map(ruleJson),
      blocks: t.blocks.map((e) => e.command),
      allows: t.allows.map((e) => e.command),
    })),
    secrets: profile.secrets.classes.map((c) => ({
      id: c.id,
      title: c.title,
      files: c.files.map((f) => f.pattern.text),
      except: c.except.map((f) => f.pattern.text),
      env: c.env,
      commands: c.commands.map(ruleJson),
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
    `tripwires (${profile.tripwires.length}):`,
    ...profile.tripwires.map((t) => `  ${t.id}: ${t.rules.map((r) => r.pattern.text).join(" | ")}`),
  ].join("\n");
  return { exitCode: 0, stdout: `${text}\n` };
}
