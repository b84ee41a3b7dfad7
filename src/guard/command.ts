// The command line a tool runs for the guard hook: the bundled CLI, one Node start. Written so that
// whatever goes wrong before perimeter can answer (no Node, no bundle, a crash) still exits with the
// tool's blocking code: `|| exit N` runs whenever the CLI did not exit 0, and a deny exits non-zero.
import { isAbsolute, join, resolve } from "node:path";
import { builtinProfilesDir, packageRoot } from "../profile/builtin.js";
import type { Profile } from "../profile/types.js";
import { CLI_PATH } from "../image/spec.js";
import type { Scope } from "../tools/types.js";

const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/** Where the CLI bundle is: fixed in the image; on a host, this installation's own. */
export function cliPath(scope: Scope): string {
  return scope === "image" ? CLI_PATH : join(packageRoot(), "dist", "perimeter.cjs");
}

/** Text every rendered guard-hook command holds, and no hook of the user's: how perimeter finds its own entries. */
export const GUARD_HOOK_MARK = "/dist/perimeter.cjs' hook ";

export function guardHookCommand(toolId: string, blockingExitCode: number, profile: Profile, scope: Scope): string {
  const args = ["node", quote(cliPath(scope)), "hook", toolId, "--profile", quote(profile.name)];
  // A profile from the user's own folder: the hook reads the same folder (its tripwires.toml too).
  const own = profile.files[0] === undefined ? undefined : resolve(profile.files[0], "..");
  if (own !== undefined && isAbsolute(own) && own !== builtinProfilesDir()) args.push("--profiles-dir", quote(own));
  return `${args.join(" ")} || exit ${blockingExitCode}`;
}
