// E_GUARD_OFF: a settings file the agent or its repository can write switches the guard hook off
// (each tool module names such switches in its launch: Gemini unions `hooksConfig.disabled` over
// every settings layer, so a cloned `.gemini/settings.json` listing the hook disables it). Checked
// just before the tool starts, once the clone is in place, and failing closed on a file it cannot
// read: the tool might read it.
import { posix } from "node:path";
import type { GuardOffSwitch } from "../tools/types.js";

/** JSON with `//` and block comments, as the tools read their settings (strings left as they are). */
function parseSettings(text: string): unknown {
  return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, string: string | undefined) => string ?? ""));
}

function valueAt(value: unknown, key: readonly string[]): unknown {
  let at = value;
  for (const k of key) at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[k] : undefined;
  return at;
}

/**
 * Why the guard would be off, or undefined when no switch holds. Every folder the tool may take as
 * its workspace (the image's workdir, the start's own) and home (the image user's, HOME) is read.
 */
export function guardSwitchedOff(switches: readonly GuardOffSwitch[], readText: (path: string) => string | undefined, workdirs: readonly string[], homes: readonly string[]): string | undefined {
  const paths = switches.flatMap((s) => [...new Set(s.file.startsWith("~/") ? homes.map((h) => posix.join(h, s.file.slice(2))) : workdirs.map((w) => posix.join(w, s.file)))].map((path) => ({ s, path })));
  for (const { s, path } of paths) {
    const text = readText(path);
    if (text === undefined) continue;
    let settings: unknown;
    try {
      settings = parseSettings(text);
    } catch {
      return `${path} cannot be read as settings, and it may switch the guard hook off (${s.key.join(".")})`;
    }
    const list = valueAt(settings, s.key);
    if (Array.isArray(list) && list.includes(s.entry)) return `${path} lists "${s.entry}" in ${s.key.join(".")}, which switches the guard hook off`;
  }
  return undefined;
}
