// What a Gemini CLI file tool call reads, for the guard's secrets check (src/guard/secret-hook.ts):
// `tool_name` and `tool_input` as Gemini sends them to a BeforeTool hook (0.61). glob and
// list_directory only list names; grep_search reads every file under its folder.
import type { FileAccess, JsonObject } from "../types.js";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);

export function geminiFileAccess(toolName: string, input: JsonObject): FileAccess[] | undefined {
  switch (toolName) {
    case "read_file":
    case "write_file":
    case "replace": {
      const path = str(input.file_path) ?? str(input.absolute_path);
      return path === undefined ? [] : [{ path }];
    }
    case "read_many_files":
      // Paths and globs relative to the workspace; a folder is read whole.
      return [...list(input.include), ...list(input.paths)].map((path) => ({ path, recursive: !/[*?[]/.test(path) }));
    case "grep_search":
    case "search_file_content": {
      const path = str(input.dir_path) ?? str(input.path) ?? ".";
      const include = str(input.include_pattern) ?? str(input.include);
      return [{ path, recursive: true }, ...(include ? [{ path: `${path}/${include}` }] : [])];
    }
    default:
      return undefined;
  }
}
