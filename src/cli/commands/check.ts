// `perimeter check`: exit 1 when the host files do not carry what the profile says.
import { guardHost, planHost } from "../../sink/host.js";
import { homeFrom, hostRenderingFrom, selectTools, type HostFlags } from "../options.js";
import { displayTarget, planJson } from "../report.js";
import type { CommandResult } from "../result.js";

export async function check(flags: HostFlags): Promise<CommandResult> {
  const tools = selectTools(flags.tools);
  const rendering = await hostRenderingFrom(flags, tools);
  const plan = planHost(rendering, homeFrom(flags));
  guardHost(plan, tools);
  const drifted = plan.files.filter((f) => f.status !== "unchanged");
  const exitCode = drifted.length === 0 ? 0 : 1;
  if (flags.json) return { exitCode, stdout: `${JSON.stringify(planJson(rendering, plan), null, 2)}\n` };
  if (drifted.length === 0) return { exitCode, stdout: `up to date: ${plan.files.length} file(s) carry profile "${rendering.profile.name}"\n` };
  const lines = drifted.map((f) => `drift: ${displayTarget(plan.home, f.target)}: ${f.drift.join(", ")}`);
  return { exitCode, stdout: `${lines.join("\n")}\nrun \`perimeter render --profile ${rendering.profile.name}\` to bring them back\n` };
}
