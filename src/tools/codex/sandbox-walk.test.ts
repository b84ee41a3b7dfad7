// Codex CLI only, against the real client: the flaky CI failure of the offline check ("failed to
// enumerate unreadable glob paths under ~/.aws: No such file or directory"). Codex 0.171 expands each
// deny glob at every sandbox start (several per run) by walking the folder before its first wildcard,
// and aborts when an entry vanishes during the walk. Run in the home (as configs.test.ts runs it),
// Codex makes `.aws` and `.agents` there itself while a sandbox starts and removes them after, so a
// concurrent walk of `~/.aws` (for `~/.aws/credentials*`) or of the home (for `~/.netrc*`) can lose
// them. The host sink now makes both folders once; strace shows which folders Codex makes itself.
// (Injecting ENOENT into Codex's open() of ~/.aws reproduces the CI error, but only when the folder
// existed at Codex's look, which is the race itself: not a test that can be made steady.)
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../profile/load.js";
import { clientBin } from "../../../test/real/agents.js";
import { renderHome } from "../../../test/real/harness.js";
import { runCli } from "../../../test/unit/helpers.js";

const SCRATCH = [".aws", ".agents"];

/** The native binary the npm bin starts: strace must see its syscalls, not node's. */
function nativeCodex(): string {
  const vendor = join(realpathSync(clientBin("codex")), "..", "..", "..", "codex-linux-x64", "vendor");
  const found = execFileSync("find", [vendor, "-type", "f", "-name", "codex", "-perm", "-u+x"], { encoding: "utf8" }).trim().split("\n")[0];
  if (!found) throw new Error(`no native codex binary under ${vendor}`);
  return found;
}

/** The processes a tracer holds (TracerPid in /proc): killed with it, or they sleep on detached. */
function tracees(tracer: number): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      return new RegExp(`^TracerPid:\\s+${tracer}$`, "m").test(readFileSync(`/proc/${entry}/status`, "utf8")) ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

const ATTEMPT_MS = 30_000;

/**
 * `codex debug prompt-input` (the offline check) run in `home`, under strace with these options.
 * Under `strace -f`, Codex's bwrap sandbox helper (its own PID 1) now and then waits forever for a
 * child the tracer already reaped (seen once in CI: the run never ended). That is the tracer's doing,
 * not Codex's: such an attempt is killed, tracees included, and run again; an answer is never retried.
 */
async function checkUnderStrace(home: string, strace: string[]) {
  let last = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const child = execa("strace", ["-f", "-qq", ...strace, nativeCodex(), "debug", "prompt-input", "hi"], {
      cwd: home,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, CODEX_HOME: join(home, ".codex") },
      extendEnv: false,
      reject: false,
      stdin: "ignore",
    });
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      for (const pid of child.pid === undefined ? [] : tracees(child.pid)) process.kill(pid, "SIGKILL");
      child.kill("SIGKILL");
    }, ATTEMPT_MS);
    const r = await child;
    clearTimeout(timer);
    last = `${r.stdout}\n${r.stderr}`;
    if (!hung) return { exitCode: r.exitCode, output: last };
  }
  return { exitCode: -1, output: `three runs under strace never ended: ${last}` };
}

/** The folders of the home Codex made itself during one offline check run in the home. */
async function foldersCodexMakes(home: string): Promise<string[]> {
  const log = join(home, "..", `${home.split("/").pop()}.strace`);
  const out = await checkUnderStrace(home, ["-o", log, "-e", "trace=mkdir,mkdirat", "-e", "status=successful"]);
  expect(out.exitCode, out.output.slice(-1500)).toBe(0);
  const text = readFileSync(log, "utf8");
  rmSync(log, { force: true });
  // bwrap makes its mount points under /newroot, which is the home itself for a writable root.
  return SCRATCH.filter((name) => text.includes(`"/newroot${home}/${name}"`));
}

const rendered = () => renderHome(loadProfile("interactive"));

describe("Codex run in the home: the folders it makes and removes there", () => {
  it("the host sink makes them, empty and private", () => {
    const home = rendered();
    for (const name of SCRATCH) {
      const stat = statSync(join(home, name));
      expect(stat.isDirectory(), name).toBe(true);
      expect(stat.mode & 0o777, name).toBe(0o700);
      expect(readdirSync(join(home, name)), name).toEqual([]);
    }
  });

  it("so Codex makes none of them itself while its sandboxes start", async () => {
    expect(await foldersCodexMakes(rendered())).toEqual([]);
  }, 4 * ATTEMPT_MS);

  it("control: in a home without them (before the fix), Codex makes them itself", async () => {
    const home = rendered();
    for (const name of SCRATCH) rmSync(join(home, name), { recursive: true });
    expect(await foldersCodexMakes(home)).toEqual(SCRATCH);
  }, 4 * ATTEMPT_MS);

  it("`perimeter check` names a missing one and `perimeter render` makes it again", async () => {
    const home = rendered();
    rmSync(join(home, ".aws"), { recursive: true });
    const checked = await runCli(["check", "--home", home]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain("missing: ~/.aws/");
    expect((await runCli(["render", "--home", home])).code).toBe(0);
    expect(statSync(join(home, ".aws")).mode & 0o777).toBe(0o700);
    expect((await runCli(["check", "--home", home])).code).toBe(0);
  });
});
