// The guard hook's secrets check, for any tool: a shell command line goes to the analyser
// (secret-reads.ts); a file tool call is turned into the paths it reads by the tool's own module
// (AgentTool.fileAccess) and checked the same way. The hook adds this verdict to the tripwires'.
import { dirname, join, resolve } from "node:path";
import { builtinProfilesDir, packageRoot } from "../profile/builtin.js";
import type { Secrets } from "../profile/secrets.js";
import type { AgentTool, JsonObject } from "../tools/types.js";
import { analyseSecretFileAccess, analyseSecretReads, sceneFor, type SecretVerdict } from "./secret-reads.js";

export interface HookCall {
  tool: AgentTool;
  /** The hook input's tool name (`Bash`, `Read`, `read_file`, ...). */
  toolName: string;
  input: JsonObject;
  /** The shell command line, when the call is the tool's shell (the hook knows which tool that is). */
  command?: string;
  /** The agent's working folder, from the hook input. */
  cwd: string;
  /** The project folder, when the tool names it apart from the cwd (Claude's CLAUDE_PROJECT_DIR). */
  workspace?: string;
  home?: string;
}

export function secretsVerdict(call: HookCall, secrets: Secrets): SecretVerdict {
  const scene = { ...sceneFor(call.cwd, call.home), ...(call.workspace ? { workspace: call.workspace } : {}) };
  if (call.command !== undefined) return analyseSecretReads(call.command, secrets, scene);
  const access = call.tool.fileAccess?.(call.toolName, call.input);
  if (access === undefined) return { decision: "none" };
  return analyseSecretFileAccess(access, secrets, scene);
}

/** What the hook prints and how it exits. */
export interface HookAnswer {
  exitCode: number;
  stdout: string;
  stderr?: string;
}

/** One tool's hook plumbing for the secrets check (src/tools/<tool>/secrets-hook.ts). */
export interface SecretsHookIO {
  /** The tool's `hooks` settings value that runs `command` before the calls the check reads. */
  settings(command: string): JsonObject;
  /** The shell command line of a call of the tool's shell; undefined for other tools. */
  shellCommand(toolName: string, input: JsonObject): string | undefined;
  /** The project folder, when the tool tells its hooks apart from the cwd. */
  workspace(): string | undefined;
  answer(verdict: SecretVerdict): HookAnswer;
  /** Any failure of the hook blocks: a broken guard must not open the way. */
  failure(reason: string): HookAnswer;
}

/**
 * The hook command written into the tool's settings: this Node and this package's bundle. `|| exit 2`
 * makes a missing Node or bundle, or any crash, block the call instead of letting it through.
 */
export function secretsHookCommand(tool: string, profile: { name: string; files: readonly string[] }, node = process.execPath): string {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const own = profilesDirOf(profile.files[0]);
  const dir = own === undefined ? "" : ` --profiles-dir ${q(own)}`;
  return `${q(node)} ${q(join(packageRoot(), "dist", "perimeter.cjs"))} secrets-hook ${tool} --profile ${q(profile.name)}${dir} || exit 2`;
}

/** The profiles folder a profile came from, unless it is the built-in one. */
function profilesDirOf(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const dir = dirname(resolve(file));
  return dir === builtinProfilesDir() ? undefined : dir;
}

/** The hook's whole run: the tool's input (JSON) in, its answer out. Never throws. */
export function runSecretsHook(tool: AgentTool, io: SecretsHookIO, stdin: string, secrets: () => Secrets): HookAnswer {
  try {
    const input = JSON.parse(stdin) as { tool_name?: unknown; tool_input?: unknown; cwd?: unknown };
    const toolName = typeof input.tool_name === "string" ? input.tool_name : "";
    const toolInput = (typeof input.tool_input === "object" && input.tool_input !== null ? input.tool_input : {}) as JsonObject;
    const cwd = typeof input.cwd === "string" && input.cwd !== "" ? input.cwd : process.cwd();
    const verdict = secretsVerdict({ tool, toolName, input: toolInput, command: io.shellCommand(toolName, toolInput), cwd, workspace: io.workspace() }, secrets());
    return io.answer(verdict);
  } catch (error) {
    return io.failure(`the secrets check failed, so the call is refused: ${error instanceof Error ? error.message : String(error)}`);
  }
}
