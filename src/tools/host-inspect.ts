// Host files for the guard, tool-neutral: the files of a folder, and what a hook command would run
// (the command text itself and every file it names that can be read: a script, a Node file). A hook
// that can answer "allow" skips every prompt the tool would show (README "What the host guard
// checks"). Tool modules say which events and which answer mean approval; this file gathers text.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { cliPath } from "../guard/command.js";

/** The files in `dir` whose names end in `suffix`, sorted; none when the folder cannot be read. */
export function filesIn(dir: string, suffix: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(suffix) && !name.startsWith("."))
      .sort()
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * perimeter's own guard hook, exactly as guardHookCommand writes it: it never answers "allow" (it
 * denies or has no opinion), and its bundle holds the words of every tool's protocol, so it is not read.
 */
function isGuardHook(command: string): boolean {
  const clis = [cliPath("host"), cliPath("image")].map((p) => escapeRegExp(`'${p}'`)).join("|");
  return new RegExp(`^node (${clis}) hook [a-z0-9-]+ --profile '[^']*'( --profiles-dir '[^']*')? \\|\\| exit \\d+$`).test(command);
}

/** True when a hook's text says it can answer with `answer` (a regular expression of the tool's). */
function hookCanAnswer(command: string, place: HookPlace, answer: RegExp): boolean {
  return !isGuardHook(command) && answer.test(hookText(command, place));
}

/**
 * One finding for each hook of `hooks` that runs on one of the tool's approving `events` and can answer
 * `answer`: such a hook skips every prompt. The events and the answer are the tool's own.
 */
export function approvingHookFindings(hooks: unknown, events: readonly string[], answer: RegExp, place: HookPlace, shownAs: string): string[] {
  return commandHooks(hooks)
    .filter((hook) => events.includes(hook.event) && hookCanAnswer(hook.command, place, answer))
    .map((hook) => `${shownAs}: hooks.${hook.event} runs "${hook.command}", which can answer "allow" and so skips every prompt`);
}

/** Larger files are not read: a hook script is small, a bundle is not worth the start-up time. */
const MAX_HOOK_FILE = 4 << 20;

export interface HookPlace {
  home: string;
  /** Where a relative path in the command is looked up (the project, or the config folder). */
  cwd: string;
  /** Variables the tool sets for its hooks (its project folder's, say), expanded in the command. */
  vars?: Record<string, string>;
}

/** Words of the command line that look like paths to files, with `~`, `$HOME` and the tool's variables expanded. */
function pathWords(command: string, place: HookPlace): string[] {
  const vars: Record<string, string> = { HOME: place.home, ...place.vars };
  const expanded = command.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, bare?: string) => vars[(braced ?? bare)!] ?? whole);
  // Quotes join, they do not split: "$DIR"/hook.sh is one path.
  const words = expanded.replace(/["']/g, "").split(/[\s`;|&()<>=]+/).filter((w) => w.includes("/"));
  return words.map((w) => {
    const path = w.replace(/^~(?=\/)/, place.home);
    return isAbsolute(path) ? path : join(place.cwd, path);
  });
}

/** The command text followed by the text of every file it names that can be read. */
export function hookText(command: string, place: HookPlace): string {
  const texts = [command];
  for (const file of pathWords(command, place)) {
    try {
      const stats = statSync(file);
      if (stats.isFile() && stats.size <= MAX_HOOK_FILE) texts.push(readFileSync(file, "latin1"));
    } catch {
      // not a file we can read: only the command text is judged
    }
  }
  return texts.join("\n");
}

export interface HookEntry {
  event: string;
  command: string;
}

/** `{ Event: [{ matcher, hooks: [{ type: "command", command }] }] }`, the shape all three tools share. */
function commandHooks(hooks: unknown): HookEntry[] {
  if (hooks === null || typeof hooks !== "object") return [];
  const entries: HookEntry[] = [];
  for (const [event, groups] of Object.entries(hooks as Record<string, unknown>)) {
    for (const group of Array.isArray(groups) ? groups : []) {
      const inner = (group as { hooks?: unknown })?.hooks;
      for (const hook of Array.isArray(inner) ? inner : []) {
        const command = (hook as { command?: unknown })?.command;
        if (typeof command === "string") entries.push({ event, command });
      }
    }
  }
  return entries;
}
