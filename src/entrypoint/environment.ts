// Variables that undo the baked policy when set at the container's start, before the agent runs:
// a tool's own variable that moves its system layer away from the digested file (Gemini reads its
// system settings, the guard hook's registration included, from GEMINI_CLI_SYSTEM_SETTINGS_PATH),
// and the runtime's hooks into every process the tools start, the guard hook's `node` among them:
// code preloaded by NODE_OPTIONS or the dynamic loader, a bash startup file, and a PATH entry the
// agent can write, where it would plant its own `node` for the hook command to run.

/** NODE_OPTIONS flags that run code before a script's own (node --help). */
const NODE_CODE_FLAGS = /(^|\s)(-r|--require|--import|--loader|--experimental-loader)(\s|=|$)/;

/** The dynamic loader's and bash's variables that load or run code in every process. */
const CODE_VARIABLES = ["LD_PRELOAD", "LD_AUDIT", "BASH_ENV"] as const;

export interface EnvironmentIo {
  exists(path: string): boolean;
  /** True when the agent could write the path, or replace it in its folder. */
  writable(path: string): boolean;
}

/** The agent could make this folder its own: it, or the nearest folder above it that exists, is writable. */
function agentCanFill(dir: string, io: EnvironmentIo): boolean {
  for (let d = dir.replace(/\/+$/, "") || "/"; ; d = d.slice(0, d.lastIndexOf("/")) || "/") {
    if (io.exists(d)) return io.writable(d);
    if (d === "/") return false;
  }
}

/** Why each set variable undoes the policy, one reason per variable. */
export function policyVariables(env: NodeJS.ProcessEnv, toolVariables: readonly string[], io: EnvironmentIo): string[] {
  const found: string[] = [];
  for (const name of [...new Set(toolVariables)].sort()) {
    if ((env[name] ?? "") !== "") found.push(`${name} moves a tool's baked system settings to another file`);
  }
  if (NODE_CODE_FLAGS.test(env.NODE_OPTIONS ?? "")) found.push("NODE_OPTIONS loads code into every node process (the guard hook's too)");
  for (const name of CODE_VARIABLES) if ((env[name] ?? "") !== "") found.push(`${name} runs code in every process the tools start`);
  for (const name of ["PATH", "LD_LIBRARY_PATH"] as const) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    // An empty entry is the current folder, as any relative one.
    const open = value.split(":").filter((dir) => !dir.startsWith("/") || agentCanFill(dir, io));
    if (open.length > 0) found.push(`${name} has entries the agent can write or that are relative (${[...new Set(open)].map((d) => JSON.stringify(d)).join(", ")}): it would plant its own programs for the tools and the guard hook to run`);
  }
  return found;
}
