// The path and variable-name patterns of secrets, and the one matcher every layer shares: the
// tools' emitters translate the patterns, the guard matches real paths against them.
//
//   "~/.ssh/id_*"      under the home
//   "/proc/*/environ"  absolute
//   ".env.*"           a file name (no "/"): at any depth of the workspace (the guard: anywhere)
// "*" matches within one name, "**" any number of names, "?" one character. A pattern also covers
// everything beneath what it names, so "~/.gnupg" holds the whole keyring.
import { isAbsolute, relative, sep } from "node:path";

export type SecretBase = "home" | "root" | "workspace";

export interface SecretPattern {
  /** As written in the profile. */
  text: string;
  base: SecretBase;
  /** The pattern below its base, "/"-separated, no leading "/" (for "workspace": one file name). */
  rest: string;
}

/** An error message, or the parsed pattern. */
export function parseSecretPath(text: string): SecretPattern | string {
  if (/[\s\\[\]{}$`"']/.test(text)) return `"${text}" has a character a secret path cannot hold (spaces, quotes, brackets, braces, "$")`;
  if (text.startsWith("~/")) return checked({ text, base: "home", rest: trimSlashes(text.slice(2)) });
  if (text.startsWith("/")) return checked({ text, base: "root", rest: trimSlashes(text.slice(1)) });
  if (text.includes("/")) return `"${text}": write "~/..." for the home, "/..." for an absolute path, or a bare file name for the workspace`;
  return checked({ text, base: "workspace", rest: text });
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, "");
}

function checked(p: SecretPattern): SecretPattern | string {
  if (p.rest === "" || p.rest.split("/").some((s) => s === "" || s === "." || s === "..")) return `"${p.text}" is not a usable path`;
  return p;
}

const segmentRegex = (segment: string): string =>
  segment
    .split("")
    .map((c) => (c === "*" ? "[^/]*" : c === "?" ? "[^/]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");

/** A regex over a "/"-separated relative path; `beneath` also matches anything inside what it names. */
export function restRegex(rest: string, beneath = true): RegExp {
  const segments = rest.split("/");
  const body = segments
    .map((s, i) => {
      const last = i === segments.length - 1;
      if (s === "**") return last ? "[^/]+(?:/[^/]+)*" : "(?:[^/]+/)*";
      return segmentRegex(s) + (last ? "" : "/");
    })
    .join("");
  return new RegExp(`^${body}${beneath ? "(?:/.*)?" : ""}$`, "is");
}

export interface SecretContext {
  home: string;
  /** The workspace root (the agent's project folder). */
  workspace: string;
}

const toPosix = (p: string) => p.split(sep).join("/");

/** The path below `root`, "/"-separated, or undefined when it is not inside. */
function below(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return toPosix(rel);
}

/**
 * Does this absolute, normalized path fall under the pattern? Without regard to case: on the disks of
 * macOS and Windows `.ENV` and `~/.SSH/id_rsa` are the same files as `.env` and `~/.ssh/id_rsa`, and
 * a file named so on Linux is no loss to hold too. Exceptions (`.env.EXAMPLE`) match the same way.
 */
export function matchesSecretPattern(pattern: SecretPattern, path: string, ctx: SecretContext): boolean {
  path = path.toLowerCase();
  ctx = { home: ctx.home.toLowerCase(), workspace: ctx.workspace.toLowerCase() };
  switch (pattern.base) {
    case "home": {
      const rel = below(ctx.home, path);
      return rel !== undefined && restRegex(pattern.rest).test(rel);
    }
    case "root":
      return restRegex(pattern.rest).test(toPosix(path).replace(/^\/+/, ""));
    case "workspace": {
      // A file name at any depth: any path component. Outside the workspace too: another
      // project's `.env` (`cat ~/work/other/.env`) is no less a secret, and the workspace a hook is
      // told may be a symlink's path while a command names the real one.
      const name = new RegExp(`^${segmentRegex(pattern.rest)}$`, "is");
      return toPosix(path).split("/").some((part) => name.test(part));
    }
  }
}

/** The absolute path a home or root pattern names when it has no glob; undefined otherwise. */
export function literalPath(pattern: SecretPattern, home: string): string | undefined {
  if (/[*?]/.test(pattern.rest) || pattern.base === "workspace") return undefined;
  return pattern.base === "home" ? `${home.replace(/\/+$/, "")}/${pattern.rest}` : `/${pattern.rest}`;
}

/** Environment variable name patterns ("*_TOKEN", "AWS_*"), matched case-sensitively as shells do. */
export function envNameRegex(patterns: readonly string[]): RegExp {
  if (patterns.length === 0) return /(?!)/;
  const alternatives = patterns.map((p) => p.split("*").map((s) => s.replace(/[.+^${}()|[\]\\?]/g, "\\$&")).join("[A-Za-z0-9_]*"));
  return new RegExp(`^(?:${alternatives.join("|")})$`);
}
