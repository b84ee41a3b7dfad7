// Profile in, files out: asks each selected tool to render the profile for one scope.
import type { Profile } from "./profile/types.js";
import type { AgentTool, EmittedFile, Gap, Scope } from "./tools/types.js";

export interface Rendering {
  profile: Profile;
  /** The profile's name, which is all most runs print: with it the compiled path never unpacks the profile. */
  profileName: string;
  scope: Scope;
  files: EmittedFile[];
  gaps: Gap[];
}

export function renderProfile(profile: Profile, tools: readonly AgentTool[], scope: Scope): Rendering {
  const outputs = tools.map((tool) => tool.render(profile, scope));
  return {
    profile,
    profileName: profile.name,
    scope,
    files: outputs.flatMap((o) => o.files),
    gaps: outputs.flatMap((o) => o.gaps),
  };
}
