// What the host commands print. Kept apart from the work so the work can be tested without output.
import { relative } from "node:path";
import type { Rendering } from "../render.js";
import type { HostPlan, WrittenFile } from "../sink/host.js";
import type { Gap } from "../tools/types.js";

export function displayTarget(home: string, target: string): string {
  const rel = relative(home, target);
  return rel.startsWith("..") ? target : `~/${rel}`;
}

/** One note per tool: which rule variants it cannot enforce (details, with origins, in --json). */
export function gapLines(gaps: readonly Gap[]): string[] {
  const byTool = new Map<string, Gap[]>();
  for (const gap of gaps) byTool.set(gap.tool, [...(byTool.get(gap.tool) ?? []), gap]);
  return [...byTool].map(([tool, list]) => {
    const variants = [...new Set(list.map((g) => `"${g.variant}"`))];
    return `note: ${tool} cannot express ${variants.length} rule variant(s) in its own rules; the guard hook enforces them: ${variants.join(", ")} (--json lists each one's origin and reason)`;
  });
}

/** Only `--diff` needs the diff library, so it is loaded on demand. */
export async function diffText(plan: HostPlan): Promise<string> {
  const { createTwoFilesPatch } = await import("diff");
  return plan.files
    .filter((f) => f.status !== "unchanged")
    .map((f) => {
      const name = displayTarget(plan.home, f.target);
      return createTwoFilesPatch(f.before === undefined ? "/dev/null" : name, name, f.before ?? "", f.after, "", "", { context: 3 });
    })
    .join("");
}

export function gapsJson(gaps: readonly Gap[]) {
  return gaps.map((g) => ({ tool: g.tool, variant: g.variant, pattern: g.rule.pattern.text, origin: g.rule.origin, reason: g.reason }));
}

/** One line per tool whose folder a location variable moved: the output says where it wrote. */
export function locationLines(plan: HostPlan): string[] {
  return plan.dirs.filter((d) => d.variable !== undefined).map((d) => `${d.tool} reads ${d.dir} (${d.variable})`);
}

export function planJson(rendering: Rendering, plan: HostPlan, written?: WrittenFile[], bypass?: readonly string[]) {
  return {
    profile: rendering.profileName,
    home: plan.home,
    locations: plan.dirs.map((d) => ({ tool: d.tool, dir: d.dir, variable: d.variable ?? null })),
    ...(bypass !== undefined ? { bypass } : {}),
    files: plan.files.map((f, i) => ({
      tool: f.file.tool,
      path: f.target,
      status: f.status,
      drift: f.drift,
      ...(written?.[i]?.backup ? { backup: written[i]!.backup } : {}),
    })),
    folders: plan.folders.map((f) => ({ tools: f.tools, path: f.target, status: f.status })),
    gaps: gapsJson(rendering.gaps),
  };
}
