// Issues 3 and 11: the tripwires hold in the REAL agents on a host rendered with `interactive`: every
// must-block example of every tripwire, as agents write them (wrappers, `sh -c`, global options,
// bundled flags, API calls), is refused by the guard hook or the tool's own rules and never reaches
// its program; every near-miss is not refused by the guard. Controls: the same home with the guard
// hook made to have no opinion refuses nothing with the guard's words, and a home whose hook cannot
// start (its bundle is gone) refuses even `git status`. Observations feed the README table.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyse } from "../../src/guard/analyse.js";
import { matchesArgv } from "../../src/profile/pattern.js";
import { exampleArgv } from "../../src/profile/example.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS } from "../../src/tools/index.js";
import type { ToolId } from "../../src/tools/types.js";
import { expectedObservation, recordObservations, type Observed } from "../report/coverage.js";
import { denialKind } from "./agents.js";
import { controlProfile, createShims, renderHome, runScript, withoutGuardHook, type ScriptRun, type Shims } from "./harness.js";
import { GUARD_DENIAL, GUARDED_PROGRAMS, SCRIPT_ENV, reachedProgram } from "./guard-probes.js";

const profile = loadProfile("interactive");
const mustBlock = profile.tripwires.flatMap((tripwire) => tripwire.blocks.map((example) => ({ tripwire, example })));
const nearMisses = profile.tripwires.flatMap((tripwire) => tripwire.allows.map((example) => ({ tripwire, example })));
/** Commands from the allow list that must run without a prompt. */
const allowed = ["git status", "gh pr view 12", "npm test"];
const commands = [...mustBlock.map((e) => e.example.command), ...nearMisses.map((e) => e.example.command), ...allowed];
const firstNearMiss = mustBlock.length;
const firstAllowed = mustBlock.length + nearMisses.length;
const controlAllow = controlProfile(profile).allow;

interface Runs {
  real: ScriptRun & { shims: Shims };
  control: ScriptRun & { shims: Shims };
  broken: ScriptRun & { shims: Shims };
}
const runs = new Map<ToolId, Runs>();

/** A home whose hook command points at a bundle that is not there: the hook cannot even start. */
function withMissingBundle(home: string, files: readonly string[]): void {
  for (const file of files) {
    const path = join(home, file);
    writeFileSync(path, readFileSync(path, "utf8").replaceAll("/dist/perimeter.cjs", "/dist/removed-perimeter.cjs"));
  }
}

beforeAll(async () => {
  await Promise.all(
    TOOLS.map(async (tool) => {
      const one = async (kind: keyof Runs) => {
        const p = kind === "control" ? controlProfile(profile) : profile;
        const home = renderHome(p, [tool]);
        if (kind === "control") withoutGuardHook(home, p, [tool]);
        if (kind === "broken") withMissingBundle(home, tool.render(profile, "host").files.map((f) => f.path));
        const shims = createShims(GUARDED_PROGRAMS);
        const script = kind === "broken" ? ["git status"] : commands;
        const run = await runScript(tool.id, { home, mode: "host", commands: script, shims, env: SCRIPT_ENV, trustHooks: true });
        return { ...run, shims };
      };
      const [real, control, broken] = await Promise.all([one("real"), one("control"), one("broken")]);
      runs.set(tool.id, { real, control, broken });
    }),
  );
}, 1_200_000);

it("probes only commands the interactive profile really allows", () => {
  for (const command of allowed) {
    const argv = exampleArgv(command) as string[];
    expect(profile.allow.some((r) => matchesArgv(r.pattern, argv)), command).toBe(true);
  }
});

describe.each(TOOLS.map((t) => [t.title, t] as const))("%s on a host rendered with interactive", (_title, tool) => {
  it("tried every command (the fake model's script ran to the end)", () => {
    const { real, control } = runs.get(tool.id)!;
    expect(real.run.exitCode, real.run.stderr.slice(-2000)).toBe(0);
    expect(real.results).toHaveLength(commands.length);
    expect(control.results).toHaveLength(commands.length);
  });

  it("runs no must-block example and reports each refusal (the guard hook's, or the tool's own rule)", () => {
    const { real } = runs.get(tool.id)!;
    const observed = mustBlock.map(({ tripwire, example }, i) => {
      const result = real.results[i] ?? "";
      const ran = reachedProgram(real.shims.ranAt(i), tripwire);
      const kind = GUARD_DENIAL.test(result) ? "rule" : denialKind(tool.id, result);
      const seen: Observed = ran ? "runs" : kind === "rule" ? "blocked" : kind === "approval" ? "asks" : "runs";
      return { tripwire: tripwire.id, example: example.command, observed: seen, result };
    });
    recordObservations("host", tool.id, observed.map(({ tripwire, example, observed: o }) => ({ tripwire, example, observed: o })));
    for (const [i, { tripwire, example }] of mustBlock.entries()) {
      expect(observed[i]!.observed, `${example.command}: ${observed[i]!.result}`).toBe(expectedObservation(tool, tripwire, example, "host"));
    }
  });

  it("the guard denies no near-miss (the interactive ask list may still prompt for it)", () => {
    const { real } = runs.get(tool.id)!;
    nearMisses.forEach(({ example }, j) => {
      const result = real.results[firstNearMiss + j] ?? "";
      expect(GUARD_DENIAL.test(result), `${example.command}: ${result}`).toBe(false);
    });
  });

  it("runs commands on the allow list without a prompt", () => {
    const { real } = runs.get(tool.id)!;
    allowed.forEach((command, j) => {
      expect(real.shims.ranAt(firstAllowed + j).length, `${command}: ${real.results[firstAllowed + j]}`).toBeGreaterThan(0);
    });
  });

  it("control: with the tripwires removed and the hook having no opinion, nothing is refused in the guard's words, and the plain examples run", () => {
    const { control } = runs.get(tool.id)!;
    mustBlock.forEach(({ tripwire, example }, i) => {
      const result = control.results[i] ?? "";
      expect(GUARD_DENIAL.test(result), `${example.command}: ${result}`).toBe(false);
      // A one-command example the control allows as written must really run there (an absolute
      // path runs the real program, not its shim).
      const argv = example.argv;
      const plain = argv !== undefined && argv.join(" ") === example.command && !argv[0]!.includes("/");
      const allowedAsWritten = plain && controlAllow.some((r) => matchesArgv(r.pattern, argv!));
      if (allowedAsWritten && analyse(example.command, { tripwires: [tripwire] }).decision === "deny") {
        expect(reachedProgram(control.shims.ranAt(i), tripwire), `${example.command}: ${result}`).toBe(true);
      }
    });
  });

  it("a hook that cannot start refuses the call: with its bundle gone, even `git status` does not run", () => {
    const { broken } = runs.get(tool.id)!;
    expect(broken.shims.ranAt(0).filter((l) => l.startsWith("git status"))).toEqual([]);
    expect(broken.results[0] ?? "").not.toContain("shim: git ran");
  });
});
