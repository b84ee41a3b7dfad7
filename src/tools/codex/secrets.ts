// Codex CLI's own rules for the profile's secrets. Codex can deny reads only in a permission profile
// (`default_permissions` and `[permissions.<name>.filesystem]`, "none" for a path or glob), which
// replaces the older `sandbox_mode`: so on a host perimeter selects its own profile, built on the
// same built-in sandbox `sandbox_mode` named before, with the secret paths denied. Its shell
// environment leaves out the secret variables. What a sandbox path cannot say is left to the guard.
// Checked with 0.169.0 and 0.171.0 (bubblewrap on Linux): a denied path reads "Permission denied",
// also for a command a prefix rule allows. A denied literal path that does not exist gets an empty
// read-only placeholder file on the host, which 0.171 often leaves behind (a file at ~/.gnupg would
// stop gpg from making its folder), and one whose folder does not exist fails every command. So
// every entry is a glob: a literal path `P` is written `P*` (itself, plus look-alikes such as
// backups) and `P/**` (what is inside it); a glob masks only what exists when a sandbox starts.
// A glob under /proc fails the whole sandbox (it cannot enumerate /proc), so absolute globs are
// left out.
// A glob is expanded at every sandbox start (several per run) by walking, to any depth, the folder
// before its first wildcard, and the run aborts when an entry vanishes during the walk ("failed to
// enumerate unreadable glob paths under F"). Codex itself makes and removes `.git`, `.agents`, `.aws`
// and `.codex` in its working folder while its sandboxes start, so when it runs in the home, `~/.aws`
// (the folder `~/.aws/credentials*` walks) and the entries of the home (which `~/.netrc*` walks) can
// vanish under a walk: the host sink makes `~/.aws` and `~/.agents` once (SCRATCH_FOLDERS).
import { join } from "node:path";
import type { SecretPattern } from "../../profile/secret-paths.js";
import { allSecretVariables, nativeSecretPaths, type Secrets } from "../../profile/secret-classes.js";
import type { FileBody, JsonObject } from "../types.js";

/** The permission profile perimeter selects on a host. */
export const PERMISSION_PROFILE = "perimeter";

/** Codex's names for the project folders inside a filesystem table. */
const PROJECT_ROOTS = ":project_roots";

/** Where a pattern goes: the top filesystem table (home, absolute) or the project roots' table. */
function entries(pattern: SecretPattern): { table: "top" | "project"; key: string }[] {
  const globbed = (path: string) => [/[*?]/.test(path.split("/").pop()!) ? path : `${path}*`, `${path}/**`];
  switch (pattern.base) {
    case "home":
      return globbed(`~/${pattern.rest}`).map((key) => ({ table: "top", key }));
    case "root":
      return /[*?]/.test(pattern.rest) ? [] : globbed(`/${pattern.rest}`).map((key) => ({ table: "top", key }));
    case "workspace":
      return [{ table: "project", key: `**/${pattern.rest}` }];
  }
}

/** Paths the sandbox can deny; the others are only the guard's. */
export function codexDeniable(pattern: SecretPattern): boolean {
  return entries(pattern).length > 0;
}

/** `[permissions.perimeter]`: the built-in sandbox `base` with every secret path unreadable. */
export function permissionProfile(secrets: Secrets, base: ":workspace" | ":read-only"): JsonObject {
  const top: JsonObject = {};
  const project: JsonObject = {};
  for (const { path } of nativeSecretPaths(secrets)) {
    for (const at of entries(path.pattern)) (at.table === "top" ? top : project)[at.key] = "none";
  }
  const filesystem: JsonObject = { ...top };
  if (Object.keys(project).length > 0) filesystem[PROJECT_ROOTS] = project;
  return { extends: base, filesystem };
}

/** Variable name patterns for `shell_environment_policy.exclude` (globs, as Codex reads them). */
export function environmentExclude(secrets: Secrets): string[] {
  return allSecretVariables(secrets);
}

/**
 * The folders Codex makes and removes in its working folder (0.171) that a walk of the home meets:
 * made once, empty, they cannot vanish. `.git` is left out (it would make the home look like a
 * repository) and `.codex` is Codex's own folder, there already.
 */
const SCRATCH_FOLDERS = [".agents", ".aws"];

/** Folders the host sink makes before Codex runs with this config: none unless it denies a home path. */
export function scratchFolders(body: FileBody, home: string): string[] {
  if (body.format !== "toml") return [];
  const permissions = (body.value as { permissions?: Record<string, { filesystem?: Record<string, unknown> }> }).permissions;
  const keys = Object.keys(permissions?.[PERMISSION_PROFILE]?.filesystem ?? {});
  return keys.some((k) => k.startsWith("~/")) ? SCRATCH_FOLDERS.map((f) => join(home, f)) : [];
}
