// How to ask each REAL client, offline, whether it accepts a rendered file: the validators from
// ../shared/TOOLS.md, each run with a private HOME so nothing of this machine's own settings leaks in.
import { execa } from "execa";
import { clientBin } from "./agents.js";

export interface ClientOutput {
  exitCode: number;
  output: string;
}

async function run(file: string, args: string[], env: Record<string, string>, cwd?: string): Promise<ClientOutput> {
  const r = await execa(file, args, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: 90_000,
    cwd,
  });
  return { exitCode: typeof r.exitCode === "number" ? r.exitCode : -1, output: `${r.stdout}\n${r.stderr}` };
}

/** `claude --settings F doctor`: exits 0 either way; problems show as text. */
export function claudeDoctor(home: string, settingsFile: string): Promise<ClientOutput> {
  return run(clientBin("claude"), ["--settings", settingsFile, "doctor"], { HOME: home, DISABLE_AUTOUPDATER: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" }, home);
}

export const claudeProblems = (output: string) => /Invalid settings|may not work as written/.test(output);

/** `codex debug prompt-input`: exit 1 with file:line:col on a bad value, else the model input with the effective policies. */
export function codexPromptInput(home: string): Promise<ClientOutput> {
  return run(clientBin("codex"), ["debug", "prompt-input", "hi"], { HOME: home, CODEX_HOME: `${home}/.codex` }, home);
}

/** `codex execpolicy check`: JSON decision for one argv; exit 1 when the rules file does not load. */
export function codexExecpolicy(rulesFile: string, argv: readonly string[]): Promise<ClientOutput> {
  return run(clientBin("codex"), ["execpolicy", "check", "--rules", rulesFile, ...argv], {});
}

/** Gemini loads settings and policy files at start-up; `--list-extensions` stops before any model call. */
export function geminiStartup(home: string): Promise<ClientOutput> {
  return run(clientBin("gemini"), ["--list-extensions"], { HOME: home, GEMINI_API_KEY: "fake-key", GEMINI_CLI_NO_RELAUNCH: "true" }, home);
}

export const geminiProblems = (output: string) => /Invalid configuration|Policy file error/.test(output);
