// Claude Code's own rules for the profile's secrets: Read and Edit denies (Claude applies Read
// denies to Grep and Glob too), the sandbox's read denies, and Bash denies for the commands that
// print secrets. What these cannot say (exceptions such as ".env.example", variables named in a
// command line) is left to the guard hook.
import type { SecretPattern } from "../../profile/secret-paths.js";
import { nativeSecretPaths, type Secrets } from "../../profile/secret-classes.js";

/** Claude's path syntax: "~/x" home, "//x" absolute, "**\/x" a name at any depth below the cwd. */
function claudePath(pattern: SecretPattern): string {
  switch (pattern.base) {
    case "home":
      return `~/${pattern.rest}`;
    case "root":
      return `//${pattern.rest}`;
    case "workspace":
      return `**/${pattern.rest}`;
  }
}

/** The path itself and everything beneath it (a directory entry covers its contents). */
function pathsOf(pattern: SecretPattern): string[] {
  const path = claudePath(pattern);
  return [path, `${path}/**`];
}

/** File-tool denies: reading, and editing (an edit shows the old text back). */
export function secretFileDenies(secrets: Secrets): string[] {
  const paths = nativeSecretPaths(secrets).flatMap(({ path }) => pathsOf(path.pattern));
  return [...new Set(paths.flatMap((p) => [`Read(${p})`, `Edit(${p})`]))];
}

/**
 * Sandbox read denies for sandboxed Bash, where the user turns the sandbox on. On Linux it binds
 * paths, not globs, so only literal home and absolute paths go here.
 */
export function secretSandboxDenyRead(secrets: Secrets): string[] {
  const literal = nativeSecretPaths(secrets)
    .map(({ path }) => path.pattern)
    .filter((p) => p.base !== "workspace" && !/[*?]/.test(p.rest))
    .map(claudePath);
  return [...new Set(literal)];
}
