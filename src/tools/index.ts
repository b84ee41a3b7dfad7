// The registry of supported tools: the one list every other tool list derives from (ToolId, the CLI's
// --tools, the test drivers, and through image/clients/package.json the Nix build and the scripts).
// Adding a tool: README "Adding a tool".
import { claude } from "./claude/index.js";
import { codex } from "./codex/index.js";
import { gemini } from "./gemini/index.js";
import type { AgentTool, ToolId } from "./types.js";

/** The ids, in the registry's order (a literal list, so ToolId is a union of them). */
export const TOOL_IDS = ["claude", "codex", "gemini"] as const;

/** The modules, in the same order (test/unit/registry.test.ts holds the two lists together). */
export const TOOLS: readonly AgentTool[] = [claude, codex, gemini];

export function toolById(id: ToolId): AgentTool {
  const tool = TOOLS.find((t) => t.id === id);
  if (!tool) throw new Error(`no tool module for ${id}`);
  return tool;
}
