// How to ask each REAL client, offline, whether it accepts a rendered file: the check its driver
// (src/tools/<tool>/driver.ts) names, run with a private HOME so nothing of this machine leaks in.
import { execa } from "execa";
import type { ClientOutput } from "../../src/tools/driver.js";
import type { ToolId } from "../../src/tools/types.js";
import { DRIVERS, clientBin } from "./agents.js";

/** Runs the pinned client with exactly this environment (and PATH), never rejecting. */
export async function runClient(tool: ToolId, args: readonly string[], env: Record<string, string>, cwd?: string): Promise<ClientOutput> {
  const r = await execa(clientBin(tool), args, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: 90_000,
    cwd,
  });
  return { exitCode: typeof r.exitCode === "number" ? r.exitCode : -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

/** Runs `once` again, twice at most, while the client failed on a race of its own (ConfigCheck.raced). */
export async function unlessRaced(once: () => Promise<ClientOutput>, raced: ((out: ClientOutput) => boolean) | undefined): Promise<ClientOutput> {
  let out = await once();
  for (let again = 0; again < 2 && raced?.(out); again++) out = await once();
  return out;
}

/** The tool's offline check of the files rendered into `home`: its output and what it found wrong. */
export async function checkHostFiles(tool: ToolId, home: string): Promise<{ out: ClientOutput; problems: string | undefined }> {
  const check = DRIVERS[tool].hostCheck(home);
  const out = await unlessRaced(() => runClient(tool, check.args, { HOME: home, ...check.env }, home), check.raced);
  return { out, problems: check.problems(out) };
}
