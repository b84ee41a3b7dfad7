// `perimeter check`: exit 1 when the host files do not carry what the profile says, exit 3 when
// bypass-level settings are in force there (in a key perimeter does not own, or another file).
import { ExitCode, HostGuardRefusal } from "../../errors.js";
import { hostFindings, planHost } from "../../sink/host.js";
import { homeFrom, hostRenderingFrom, placeFrom, selectTools, type HostFlags } from "../options.js";
import { displayTarget, locationLines, planJson } from "../report.js";
import type { CommandResult } from "../result.js";

export async function check(flags: HostFlags): Promise<CommandResult> {
  const tools = selectTools(flags.tools);
  const rendering = await hostRenderingFrom(flags, tools);
  const plan = planHost(rendering, homeFrom(flags), placeFrom(flags), tools);
  const bypass = hostFindings(plan, tools);
  const drifted = plan.files.filter((f) => f.status !== "unchanged");
  const missing = plan.folders.filter((f) => f.status === "create");
  const exitCode = bypass.length > 0 ? ExitCode.refused : drifted.length + missing.length === 0 ? ExitCode.ok : ExitCode.drift;
  if (flags.json) return { exitCode, stdout: `${JSON.stringify(planJson(rendering, plan, undefined, bypass), null, 2)}\n` };
  // Reported as render would refuse: the same message, exit 3.
  if (bypass.length > 0) throw new HostGuardRefusal(bypass);
  const lines = locationLines(plan);
  if (drifted.length + missing.length === 0) {
    lines.push(`up to date: ${plan.files.length} file(s) carry profile "${rendering.profileName}"`);
    return { exitCode, stdout: `${lines.join("\n")}\n` };
  }
  lines.push(...drifted.map((f) => `drift: ${displayTarget(plan.home, f.target)}: ${f.drift.join(", ")}`));
  // A tool whose denied paths lack their folder fails every sandboxed command (Codex): said, not fixed, here.
  lines.push(...missing.map((f) => `missing: ${displayTarget(plan.home, f.target)}/ (an empty folder ${f.tools.join(", ")} needs)`));
  lines.push(`run \`perimeter render --profile ${rendering.profileName}\` to bring them back`);
  return { exitCode, stdout: `${lines.join("\n")}\n` };
}
