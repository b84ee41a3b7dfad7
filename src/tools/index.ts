// The supported tools. Adding one is adding its folder and one line here.
import { claude } from "./claude/index.js";
import { codex } from "./codex/index.js";
import { gemini } from "./gemini/index.js";
import type { AgentTool, ToolId } from "./types.js";

export const TOOLS: readonly AgentTool[] = [claude, codex, gemini];

export const TOOL_IDS = TOOLS.map((t) => t.id);

export function toolById(id: ToolId): AgentTool {
  return TOOLS.find((t) => t.id === id)!;
}
