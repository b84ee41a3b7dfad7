// The profile digest of the manifest: sha256 over the bytes of every file the profile was read
// from (the named profile, what it extends, the tripwires), so two runs with the same digest had
// the same policy input, wherever the files sat.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { builtinProfilesDir } from "../profile/builtin.js";
import { TRIPWIRES_FILE } from "../profile/load.js";
import type { Profile } from "../profile/types.js";
import { sha256 } from "./plan.js";

export function profileDigest(profile: Profile, profilesDir?: string): string {
  const files = [...profile.files.map((f) => resolve(f)), join(builtinProfilesDir(), TRIPWIRES_FILE)];
  if (profilesDir !== undefined && existsSync(join(profilesDir, TRIPWIRES_FILE))) files.push(resolve(profilesDir, TRIPWIRES_FILE));
  return sha256([...new Set(files)].map((f) => `${sha256(readFileSync(f, "utf8"))}\n`).join(""));
}
