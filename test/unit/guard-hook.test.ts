// Issue 11: the guard hook as each tool runs it: the rendered command line, through a shell, with the
// tool's own hook input on stdin. It denies with the tool's blocking code, or has no opinion; it never
// answers "allow"; any failure, a missing bundle or Node included, blocks.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GUARD_HOOK_MARK, guardHookCommand } from "../../src/guard/command.js";
import { serialize } from "../../src/sink/formats.js";
import { runCli } from "./helpers.js";
import { tmpdir } from "node:os";
import { loadProfile } from "../../src/profile/load.js";
import { loadDrivers } from "../../src/tools/driver.js";
import { TOOL_IDS, TOOLS } from "../../src/tools/index.js";
import type { AgentTool } from "../../src/tools/types.js";

const profile = loadProfile("interactive");

const drivers = await loadDrivers(TOOL_IDS);

function hook(tool: AgentTool, input: unknown, command = guardHookCommand(tool.id, tool.hook.blockingExitCode, profile, "host"), env = process.env) {
  const r = spawnSync("/bin/sh", ["-c", command], { input: typeof input === "string" ? input : JSON.stringify(input), encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(TOOLS.map((t) => [t.id, t] as const))("%s: the rendered hook command", (id, tool) => {
  const input = drivers[id].hookInput;
  const blocked = tool.hook.blockingExitCode;

  it("denies a tripwire command an agent writes, with the tripwire's reason (control: the near-miss gets no opinion)", () => {
    const denied = hook(tool, input.shell("cd /work && git -C app push -uf origin main"));
    expect(denied.code).toBe(blocked);
    expect(denied.stderr).toContain("perimeter tripwire git-force-push: Force-pushing rewrites history");
    const control = hook(tool, input.shell("git -C app push origin agent/x"));
    expect(control).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("never answers allow: no opinion is exit 0 with nothing printed", () => {
    for (const command of ["ls", "npm publish --dry-run", "gh -R o/r pr create"]) {
      const r = hook(tool, input.shell(command));
      expect(r, command).toEqual({ code: 0, stdout: "", stderr: "" });
    }
  });

  it("denies edits to any tool's own settings and hook files, by file tool and by shell (control: another file)", () => {
    // Every tool's own files, in a home and in a workspace: an agent in one tool may not rewrite another's.
    const own = TOOLS.map((t) => drivers[t.id].hookInput.ownFile);
    for (const path of own.flatMap((f) => [`/home/u/${f}`, `/work/app/${f}`])) {
      const r = hook(tool, input.write(path));
      expect(r.code, path).toBe(blocked);
      expect(r.stderr).toContain("own settings or hook file");
    }
    for (const file of own) {
      expect(hook(tool, input.shell(`echo '{}' > ${file}`)).code, file).toBe(blocked);
      expect(hook(tool, input.shell(`cp /tmp/x ~/${file}`)).code, file).toBe(blocked);
      expect(hook(tool, input.shell(`sed -i s/x/y/ "$HOME/${file}"`)).code, file).toBe(blocked);
      expect(hook(tool, input.shell(`cat ${file}`)).code, file).toBe(0);
    }
    expect(hook(tool, input.write("/work/app/src/index.ts")).code).toBe(0);
  });

  it("any failure denies: input it cannot read, an event it does not know", () => {
    for (const bad of ["not json", "{}", JSON.stringify({ hook_event_name: "Nope", tool_input: {} })]) {
      const r = hook(tool, bad);
      expect(r.code, bad).toBe(blocked);
      expect(r.stderr).toContain("perimeter guard failed");
    }
  });

  it("a missing bundle or a missing Node blocks too (control: the same command with the bundle runs and has no opinion)", () => {
    const command = guardHookCommand(tool.id, blocked, profile, "host");
    expect(hook(tool, input.shell("ls"), command).code).toBe(0);
    const noBundle = command.replace("/dist/perimeter.cjs", "/dist/removed.cjs");
    expect(noBundle).not.toBe(command);
    expect(hook(tool, input.shell("ls"), noBundle).code).toBe(blocked);
    const noNode = hook(tool, input.shell("ls"), command, { PATH: "/nonexistent" });
    expect(noNode.code).toBe(blocked);
  });
});

it("render adds the guard's hook beside the user's own hooks, keeps theirs, and a second render changes nothing", async () => {
  const home = mkdtempSync(join(tmpdir(), "perimeter-hooks-"));
  const mine = "/usr/local/bin/my-logger";
  // The user's own hook in each tool's hook list, written the way the tool reads it.
  for (const tool of TOOLS) {
    const rendered = tool.render(profile, "host").files.find((f) => f.body.format !== "text" && (f.body.ownedEntries ?? []).length > 0)!;
    if (rendered.body.format === "text") throw new Error("unreachable");
    const path = rendered.body.ownedEntries![0]!.path.map(String);
    const theirs: Record<string, unknown> = {};
    let node = theirs;
    path.slice(0, -1).forEach((key) => (node = (node[key] = {}) as Record<string, unknown>));
    node[path.at(-1)!] = [{ matcher: "x", hooks: [{ type: "command", command: mine }] }];
    mkdirSync(join(home, rendered.path, ".."), { recursive: true });
    writeFileSync(join(home, rendered.path), serialize({ format: rendered.body.format, value: theirs }, false));
  }
  expect((await runCli(["render", "--home", home])).code).toBe(0);
  for (const tool of TOOLS) {
    const files = tool.render(profile, "host").files.filter((f) => f.body.format !== "text" && (f.body.ownedEntries ?? []).length > 0);
    for (const f of files) {
      const text = readFileSync(join(home, f.path), "utf8");
      expect(text, f.path).toContain(mine);
      expect(text, f.path).toContain(GUARD_HOOK_MARK);
    }
  }
  const again = await runCli(["check", "--home", home]);
  expect(again.code, again.stdout + again.stderr).toBe(0);
});

it("generic guard code names no tool: each tool's hook knowledge lives in src/tools/<tool>/", () => {
  const dir = join(import.meta.dirname, "../../src/guard");
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : files.push(join(d, f));
  };
  walk(dir);
  for (const file of [...files, join(dir, "../cli/commands/hook.ts")]) {
    const text = readFileSync(file, "utf8");
    for (const tool of TOOLS) expect(new RegExp(`\\b${tool.id}\\b`, "i").test(text), `${file} names ${tool.id}`).toBe(false);
  }
});
