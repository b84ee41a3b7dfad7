// `perimeter render`: write (or preview) the host files of one profile.
import { guardHost, planHost, writeHost } from "../../sink/host.js";
import { homeFrom, hostRenderingFrom, placeFrom, selectTools, type HostFlags } from "../options.js";
import { diffText, displayTarget, gapLines, locationLines, planJson } from "../report.js";
import type { CommandResult } from "../result.js";

export async function render(flags: HostFlags): Promise<CommandResult> {
  const tools = selectTools(flags.tools);
  const rendering = await hostRenderingFrom(flags, tools);
  const plan = planHost(rendering, homeFrom(flags), placeFrom(flags), tools);
  guardHost(plan, tools);
  const preview = flags.dryRun === true || flags.diff === true;
  const written = preview ? undefined : writeHost(plan);

  if (flags.json) return { exitCode: 0, stdout: `${JSON.stringify(planJson(rendering, plan, written), null, 2)}\n` };
  const lines: string[] = locationLines(plan);
  plan.files.forEach((f, i) => {
    const name = displayTarget(plan.home, f.target);
    const verb = f.status === "unchanged" ? "unchanged" : preview ? `would ${f.status}` : f.status === "create" ? "created" : "updated";
    const backup = written?.[i]?.backup ? ` (backup: ${displayTarget(plan.home, written[i]!.backup!)})` : "";
    lines.push(`${verb.padEnd(14)} ${name}${backup}`);
  });
  for (const f of plan.folders.filter((f) => f.status === "create")) {
    lines.push(`${(preview ? "would create" : "created").padEnd(14)} ${displayTarget(plan.home, f.target)}/ (empty, for ${f.tools.join(", ")})`);
  }
  const stdout = (flags.diff ? await diffText(plan) : "") + `${lines.join("\n")}\n`;
  return { exitCode: 0, stdout, stderr: gapLines(rendering.gaps).join("\n") };
}
