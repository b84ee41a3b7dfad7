// `perimeter bake`: the agent image's policy layer, as one tar file.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { bakeLayer } from "../../image/bake.js";
import { TOOLS } from "../../tools/index.js";
import { profileFrom, type ProfileFlags } from "../options.js";
import { gapLines, gapsJson } from "../report.js";
import type { CommandResult } from "../result.js";

export async function bake(flags: ProfileFlags & { out: string; json?: boolean }): Promise<CommandResult> {
  const profile = await profileFrom(flags, "autonomous");
  const result = await bakeLayer(profile, TOOLS, flags.out);
  const sha256 = createHash("sha256").update(readFileSync(flags.out)).digest("hex");
  if (flags.json) {
    return { exitCode: 0, stdout: `${JSON.stringify({ out: flags.out, sha256, files: result.entries.map((e) => e.path), gaps: gapsJson(result.gaps) }, null, 2)}\n` };
  }
  const lines = [`wrote ${flags.out} (sha256 ${sha256})`, ...result.entries.map((e) => `  ${e.path}`)];
  return { exitCode: 0, stdout: `${lines.join("\n")}\n`, stderr: gapLines(result.gaps).join("\n") };
}
