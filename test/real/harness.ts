// Shared pieces of the real-agent suites: homes rendered by perimeter's own pipeline, the control
// profile, and PATH shims that record which commands an agent really ran (so a "blocked" command is
// one that never reached the shim, and a force-push never touches a real remote).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { guardHookCommand } from "../../src/guard/command.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePattern } from "../../src/profile/pattern.js";
import type { CommandRule, Profile } from "../../src/profile/types.js";
import { renderProfile } from "../../src/render.js";
import { guardHost, planHost, writeHost } from "../../src/sink/host.js";
import { TOOLS } from "../../src/tools/index.js";
import type { AgentTool as ToolModule } from "../../src/tools/types.js";
import type { AgentMode, AgentRun, AgentTool } from "./agents.js";
import { clientBin, denialReported, DRIVERS, runAgent } from "./agents.js";
import { startFakeModel } from "./fake-model.js";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `perimeter-${prefix}-`));
}

/** A fresh home with the profile written by the same plan/guard/write path `perimeter render` uses. */
export function renderHome(profile: Profile, tools: readonly ToolModule[] = TOOLS): string {
  const home = tempDir("home");
  const plan = planHost(renderProfile(profile, tools, "host"), home);
  guardHost(plan, tools);
  writeHost(plan);
  return home;
}

/**
 * A home whose guard hook has no opinion on anything (its command replaced by `true`): the control
 * that shows a refusal came from the guard.
 */
export function withoutGuardHook(home: string, profile: Profile, tools: readonly ToolModule[] = TOOLS): void {
  const commands = tools.map((t) => JSON.stringify(guardHookCommand(t.id, t.hook.blockingExitCode, profile, "host")).slice(1, -1));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile()) {
        const text = readFileSync(file, "utf8");
        const next = commands.reduce((t, c) => t.replaceAll(c, "true"), text);
        if (next !== text) writeFileSync(file, next);
      }
    }
  };
  walk(home);
}

/** The literal words a rule starts with: what the control allows so the same command can run. */
function leadingWords(rule: CommandRule): string {
  const words: string[] = [];
  for (const token of rule.pattern.tokens) {
    if (token.kind !== "word") break;
    words.push(token.text);
  }
  return words.join(" ");
}

/**
 * The control for a host profile: the same profile with its tripwires removed and their commands
 * allowed (on a host, a command nothing allows is refused too, which would hide a missing rule).
 */
export function controlProfile(profile: Profile): Profile {
  const prefixes = [...new Set(profile.tripwires.flatMap((t) => t.rules.map(leadingWords)))];
  const allow: CommandRule[] = prefixes.map((text) => {
    const pattern = parsePattern(text);
    if (typeof pattern === "string") throw new Error(pattern);
    return { pattern, origin: { file: "(control)", key: text } };
  });
  const overlaps = (rule: CommandRule) => prefixes.some((p) => rule.pattern.text === p || rule.pattern.text.startsWith(`${p} `));
  return {
    ...profile,
    name: `${profile.name}-control`,
    tripwires: [],
    allow: [...profile.allow.filter((r) => !prefixes.includes(r.pattern.text)), ...allow],
    ask: profile.ask.filter((r) => !overlaps(r)),
    deny: profile.deny.filter((r) => !overlaps(r)),
  };
}

export interface Shims {
  dir: string;
  log: string;
  /** Holds the number of the script turn the fake model offered last (see runScript). */
  turnFile: string;
  /** Command lines the shims ran, in order ("gh repo delete octo/app --yes"). */
  ran(): string[];
  /** Command lines the shims ran during script turn N, each shell-quoted as bash's %q writes it. */
  ranAt(turn: number): string[];
}

/** Stand-ins for each command name: they log their argv and print a line, nothing else. */
export function createShims(names: readonly string[]): Shims {
  const root = tempDir("shims");
  const dir = join(root, "bin");
  mkdirSync(dir);
  const log = join(root, "ran.log");
  const quoted = join(root, "ran-quoted.log");
  const turnFile = join(root, "turn");
  for (const file of [log, quoted, turnFile]) {
    writeFileSync(file, "");
    chmodSync(file, 0o666);
  }
  chmodSync(root, 0o777);
  for (const name of new Set(names)) {
    const file = join(dir, name);
    writeFileSync(
      file,
      `#!/bin/bash\nprintf '%s\\n' "${name} $*" >> '${log}'\n` +
        `{ printf '%s\\t' "$(cat '${turnFile}' 2>/dev/null)"; printf '%q ' ${name} "$@"; printf '\\n'; } >> '${quoted}'\n` +
        `echo "shim: ${name} ran"\n`,
    );
    chmodSync(file, 0o755);
  }
  const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
  return {
    dir,
    log,
    turnFile,
    ran: () => lines(log).map((l) => l.trimEnd()),
    ranAt: (turn) => lines(quoted).filter((l) => l.split("\t")[0] === String(turn)).map((l) => l.slice(l.indexOf("\t") + 1).trimEnd()),
  };
}

/** Codex runs commands in a login shell, which resets PATH from /etc/profile; the home's profile puts the shims back in front. */
export function putShimsFirst(home: string, shims: Shims): void {
  const profile = join(home, ".bash_profile");
  const existing = existsSync(profile) ? readFileSync(profile, "utf8") : "";
  writeFileSync(profile, `${existing}export PATH='${shims.dir}':"$PATH"\n`);
}

export interface ScriptRun {
  run: AgentRun;
  /** The tool result of commands[i], as the CLI sent it to the model. */
  results: string[];
  /** Per command: did the shim record it? */
  ran: boolean[];
  /** Per command: did the tool report a refusal for it? */
  denied: boolean[];
}

/** One agent process that tries each command in turn (one per model turn). */
export async function runScript(
  tool: AgentTool,
  opts: {
    home: string;
    mode: AgentMode;
    commands: readonly string[];
    shims: Shims;
    cwd?: string;
    json?: boolean;
    extraArgs?: string[];
    env?: Record<string, string>;
    /** Do first what a person does once before the tool runs hooks from the user's settings. */
    trustHooks?: boolean;
  },
): Promise<ScriptRun> {
  const cwd = opts.cwd ?? tempDir(`${tool}-cwd`);
  putShimsFirst(opts.home, opts.shims);
  if (opts.trustHooks) await DRIVERS[tool].trustHostHooks?.(clientBin(tool), opts.home, cwd);
  const before = opts.shims.ran().length;
  let turn = -1;
  const model = await startFakeModel({
    commands: opts.commands,
    // Only forward: a side request (a title, a summary) restarts no turn.
    onTurn: (n) => {
      if (n > turn) writeFileSync(opts.shims.turnFile, String((turn = n)));
    },
  });
  try {
    const run = await runAgent(tool, {
      home: opts.home,
      cwd,
      model,
      mode: opts.mode,
      json: opts.json ?? true,
      extraArgs: opts.extraArgs,
      timeoutMs: 240_000,
      env: { ...opts.env, PATH: `${opts.shims.dir}:${process.env.PATH}` },
    });
    const ranLines = opts.shims.ran().slice(before);
    const results = [...model.turnResults];
    return {
      run,
      results,
      ran: opts.commands.map((c) => ranLines.includes(normalizeCommand(c))),
      denied: opts.commands.map((_, i) => denialReported(tool, { stdout: "", stderr: "" }, [results[i] ?? ""])),
    };
  } finally {
    await model.close();
  }
}

/** How a shim logs a command line: its words, single-spaced, quotes removed. */
export function normalizeCommand(command: string): string {
  return command.replace(/["']/g, "").split(/\s+/).filter((w) => w !== "").join(" ");
}
