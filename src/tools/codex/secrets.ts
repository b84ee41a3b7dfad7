// Codex CLI's own rules for the profile's secrets. Codex can deny reads only in a permission profile
// (`default_permissions` and `[permissions.<name>.filesystem]`, "none" for a path or glob), which
// replaces the older `sandbox_mode`: so on a host perimeter selects its own profile, built on the
// same built-in sandbox `sandbox_mode` named before, with the secret paths denied. Its shell
// environment leaves out the secret variables. What a sandbox path cannot say is left to the guard.
// Checked with 0.169.0 (bubblewrap on Linux): a denied path reads "Permission denied", also for a
// command a prefix rule allows. A denied path that does not exist is created on the host as an
// empty read-only file (so a later `~/.gnupg` directory could not be made), and one whose parent
// does not exist fails every command; a glob only masks what exists when the sandbox starts. So
// every entry is a glob: a literal path `P` is written `P*` (itself, plus look-alikes such as
// backups) and `P/**` (what is inside it). A glob under /proc fails the whole sandbox (it cannot
// enumerate /proc), so absolute globs are left out.
import type { SecretPattern } from "../../profile/secret-paths.js";
import { allSecretVariables, nativeSecretPaths, type Secrets } from "../../profile/secret-classes.js";
import type { JsonObject } from "../types.js";

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
