// `perimeter bake`: the agent image's policy layer, as one tar file.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { UsageError } from "../../errors.js";
import { bakeLayer } from "../../image/bake.js";
import { EGRESS_WALLS } from "../../image/spec.js";
import { TOOLS } from "../../tools/index.js";
import { profileFrom, type ProfileFlags } from "../options.js";
import { gapLines, gapsJson } from "../report.js";
import type { CommandResult } from "../result.js";

export async function bake(flags: ProfileFlags & { out: string; json?: boolean; egressWall?: string }): Promise<CommandResult> {
  const profile = await profileFrom(flags, "autonomous");
  const wall = flags.egressWall ?? "network";
  if (!(EGRESS_WALLS as readonly string[]).includes(wall)) throw new UsageError(`--egress-wall: "${wall}" is not one of ${EGRESS_WALLS.join(", ")}`);
  const result = await bakeLayer(profile, TOOLS, flags.out, { egressWall: wall as (typeof EGRESS_WALLS)[number] });
  const sha256 = createHash("sha256").update(readFileSync(flags.out)).digest("hex");
  if (flags.json) {
    return { exitCode: 0, stdout: `${JSON.stringify({ out: flags.out, sha256, files: result.entries.map((e) => e.path), gaps: gapsJson(result.gaps) }, null, 2)}\n` };
  }
  const lines = [`wrote ${flags.out} (sha256 ${sha256})`, ...result.entries.map((e) => `  ${e.path}`)];
  return { exitCode: 0, stdout: `${lines.join("\n")}\n`, stderr: gapLines(result.gaps).join("\n") };
}
