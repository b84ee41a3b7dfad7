// What a Claude Code file tool call reads, for the guard's secrets check (src/guard/secret-hook.ts):
// the hook input's `tool_name` and `tool_input` as Claude sends them to a PreToolUse hook. Glob only
// lists names, so it reads nothing; Grep reads every file under its path.
import type { FileAccess, JsonObject } from "../types.js";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export function claudeFileAccess(toolName: string, input: JsonObject): FileAccess[] | undefined {
  switch (toolName) {
    case "Read":
    case "Edit":
    case "MultiEdit":
    case "Write":
    case "NotebookEdit": {
      const path = str(input.file_path) ?? str(input.notebook_path);
      return path === undefined ? [] : [{ path }];
    }
    case "Grep": {
      const path = str(input.path) ?? ".";
      const glob = str(input.glob);
      return [{ path, recursive: true }, ...(glob ? [{ path: `${path}/${glob}` }] : [])];
    }
    default:
      return undefined;
  }
}
