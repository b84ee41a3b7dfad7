// Gemini CLI's own rules for the profile's secrets, in a policy file of their own (one bad rule
// drops a whole policy file, and the tripwires must not go with it). Gemini's policy engine matches
// `argsPattern` against the JSON text of a tool call's arguments, so one regex per secret path holds
// the file tools (a path argument) and the shell (the command text) alike. What a regex over the
// text cannot say (a path built from `..`, `$HOME`, `cd`, globs; exceptions such as ".env.example")
// is left to the guard hook.
import type { SecretPattern } from "../../profile/secret-paths.js";
import { nativeSecretPaths, secretCommands, type Secrets } from "../../profile/secret-classes.js";
import type { CommandRule } from "../../profile/types.js";

/** Gemini 0.61's tools that take a path or a glob; `search_file_content` is grep_search's old name. */
export const FILE_TOOLS = ["read_file", "read_many_files", "glob", "grep_search", "search_file_content", "list_directory", "write_file", "replace"] as const;
const SHELL_TOOL = "run_shell_command";

/** Below the tripwires (950), above every ask and allow. */
const PRIORITY = 940;

/** A character that can be part of a file name: what may not touch either end of a match. */
const NAME_CHAR = "[A-Za-z0-9_.-]";

const escape = (c: string) => c.replace(/[.+^${}()|[\]\\/]/g, "\\$&");

/**
 * The pattern as a regex over JSON text. `*` stays within one name and `**` within one string; no
 * quantified group, which the engine refuses as a ReDoS risk.
 */
function pathRegex(pattern: SecretPattern): string {
  const body = pattern.rest
    .split("/")
    .map((segment) => (segment === "**" ? '[^"\\s]*' : segment.split("").map((c) => (c === "*" ? '[^/"\\s]*' : c === "?" ? '[^/"\\s]' : escape(c))).join("")))
    .join("/");
  // Home and absolute paths are matched from their first "/" on: the home is not known here, and
  // any user's home is as secret. A workspace name is matched as a whole name anywhere.
  const start = pattern.base === "workspace" ? `(?<!${NAME_CHAR})` : "/";
  return `${start}${body}(?!${NAME_CHAR})`;
}

export interface SecretPolicyRule {
  toolName: string | string[];
  decision: "deny";
  priority: number;
  argsPattern?: string;
  commandRegex?: string;
  denyMessage: string;
}

/** The secrets policy file's rules; `shellDeny` is the tool's own command-pattern rule builder. */
export function secretsPolicy(secrets: Secrets, shellDeny: (rule: CommandRule) => { commandRegex?: string; commandPrefix?: string }): { rule: SecretPolicyRule[] } {
  const message = (title: string) => `perimeter secrets: ${title} stay out of the model's context`;
  const files = nativeSecretPaths(secrets).map(({ path, secret }) => ({
    toolName: [...FILE_TOOLS, SHELL_TOOL],
    decision: "deny" as const,
    priority: PRIORITY,
    argsPattern: pathRegex(path.pattern),
    denyMessage: message(secret.title),
  }));
  const commands = secretCommands(secrets).map(({ rule, secret }) => ({
    toolName: SHELL_TOOL,
    decision: "deny" as const,
    priority: PRIORITY,
    ...shellDeny(rule),
    denyMessage: message(secret.title),
  }));
  return { rule: [...files, ...commands] };
}
