// Issue 3: the tripwires hold in the REAL agents on a host rendered with `interactive`, and the
// same commands run when the tripwires are removed (the control). Observations feed the README table.
import { beforeAll, describe, expect, it } from "vitest";
import { matchesArgv } from "../../src/profile/pattern.js";
import { exampleArgv } from "../../src/profile/example.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS } from "../../src/tools/index.js";
import type { ToolId } from "../../src/tools/types.js";
import { expectedObservation, recordObservations, type Observed } from "../report/coverage.js";
import { denialKind } from "./agents.js";
import { controlProfile, createShims, renderHome, runScript, type ScriptRun } from "./harness.js";

const profile = loadProfile("interactive");
const examples = profile.tripwires.flatMap((tripwire) => tripwire.blocks.map((example) => ({ tripwire, example })));
/** Commands from the allow list that must run without a prompt. */
const allowed = ["git status", "gh pr view 12", "npm test"];
const commands = [...examples.map((e) => e.example.command), ...allowed];
const shimNames = commands.map((c) => c.split(" ")[0]!);

const runs = new Map<ToolId, { real: ScriptRun; control: ScriptRun }>();

beforeAll(async () => {
  await Promise.all(
    TOOLS.map(async (tool) => {
      const [real, control] = await Promise.all(
        [profile, controlProfile(profile)].map((p) =>
          runScript(tool.id, { home: renderHome(p), mode: "host", commands, shims: createShims(shimNames) }),
        ),
      );
      runs.set(tool.id, { real: real!, control: control! });
    }),
  );
});

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

  it("does not run any must-block example of any tripwire the tool checks, and reports each refusal", () => {
    const { real } = runs.get(tool.id)!;
    const observed = examples.map(({ tripwire, example }, i) => {
      const kind = denialKind(tool.id, real.results[i] ?? "");
      const seen: Observed = real.ran[i] ? "runs" : kind === "rule" ? "blocked" : kind === "approval" ? "asks" : "runs";
      return { tripwire: tripwire.id, example: example.command, observed: seen, ran: real.ran[i], result: real.results[i] };
    });
    recordObservations("host", tool.id, observed.map(({ tripwire, example, observed: o }) => ({ tripwire, example, observed: o })));
    for (const [i, { tripwire, example }] of examples.entries()) {
      const expected = expectedObservation(tool, tripwire, example, "host");
      // Only a command the tool never checks against rules may run (Codex and shell wildcards).
      expect(observed[i]!.ran, `${example.command} ran: ${real.results[i]}`).toBe(expected === "runs");
      expect(observed[i]!.observed, `${example.command}: ${real.results[i]}`).toBe(expected);
    }
  });

  it("runs commands on the allow list without a prompt", () => {
    const { real } = runs.get(tool.id)!;
    allowed.forEach((command, j) => {
      const i = examples.length + j;
      expect(real.ran[i], `${command}: ${real.results[i]}`).toBe(true);
    });
  });

  it("control: with the tripwires removed and their commands allowed, every example runs", () => {
    const { control } = runs.get(tool.id)!;
    examples.forEach(({ example }, i) => {
      // Codex never checks rules for wildcard commands, so those run either way; every other one
      // must run here, proving the refusal above came from the rules under test.
      expect(control.ran[i], `${example.command}: ${control.results[i]}`).toBe(true);
    });
  });
});
