// Profile in, files out: asks each selected tool to render the profile for one scope.
import type { Profile } from "./profile/types.js";
import type { AgentTool, EmittedFile, Gap, Scope } from "./tools/types.js";

export interface Rendering {
  profile: Profile;
  scope: Scope;
  files: EmittedFile[];
  gaps: Gap[];
}

export function renderProfile(profile: Profile, tools: readonly AgentTool[], scope: Scope): Rendering {
  const outputs = tools.map((tool) => tool.render(profile, scope));
  return {
    profile,
    scope,
    files: outputs.flatMap((o) => o.files),
    gaps: outputs.flatMap((o) => o.gaps),
  };
}
