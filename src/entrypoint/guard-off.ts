// E_GUARD_OFF: a settings file the agent or its repository can write switches the guard hook off
// (each tool module names such switches in its launch: Gemini unions `hooksConfig.disabled` over
// every settings layer, so a cloned `.gemini/settings.json` listing the hook disables it). Checked
// just before the tool starts, once the clone is in place, and failing closed on a file it cannot
// read: the tool might read it.
import { posix } from "node:path";
import { parse as parseToml } from "smol-toml";
import { switchHolds } from "../tools/guard-off.js";
import type { GuardOffSwitch } from "../tools/types.js";

/** JSON with `//` and block comments as the tools read their settings (strings left as they are), or TOML. */
function parseSettings(text: string, format: GuardOffSwitch["format"]): unknown {
  if (format === "toml") return parseToml(text);
  return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, string: string | undefined) => string ?? ""));
}

/** The switch's file in each folder it may be read from; a `$NAME/` file only when NAME is set. */
function pathsOf(s: GuardOffSwitch, workdirs: readonly string[], homes: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const variable = /^\$([A-Z_][A-Z0-9_]*)\/(.*)$/.exec(s.file);
  if (variable) return env[variable[1]!]?.startsWith("/") ? [posix.join(env[variable[1]!]!, variable[2]!)] : [];
  if (s.file.startsWith("~/")) return homes.map((h) => posix.join(h, s.file.slice(2)));
  return workdirs.map((w) => posix.join(w, s.file));
}

/**
 * Why the guard would be off, or undefined when no switch holds. Every folder the tool may take as
 * its workspace (the image's workdir, the start's own) and home (the image user's, HOME) is read.
 */
export function guardSwitchedOff(
  switches: readonly GuardOffSwitch[],
  readText: (path: string) => string | undefined,
  workdirs: readonly string[],
  homes: readonly string[],
  env: NodeJS.ProcessEnv = {},
): string | undefined {
  const paths = switches.flatMap((s) => [...new Set(pathsOf(s, workdirs, homes, env))].map((path) => ({ s, path })));
  for (const { s, path } of paths) {
    const text = readText(path);
    if (text === undefined) continue;
    let settings: unknown;
    try {
      settings = parseSettings(text, s.format);
    } catch {
      return `${path} cannot be read as settings, and it may switch the guard hook off (${s.key.join(".")})`;
    }
    if (!switchHolds(s, settings)) continue;
    const says = "contains" in s.is ? `lists "${s.is.contains}" in ${s.key.join(".")}` : `sets ${s.key.join(".")} = ${JSON.stringify(s.is.equals)}`;
    return `${path} ${says}, which switches the guard hook off`;
  }
  return undefined;
}
