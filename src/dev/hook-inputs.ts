// Run by build.mjs: prints hook inputs, one JSON line `{ "tool", "input" }` per call, of every
// registered tool (as its test driver writes them), for the runs that make the hook bundle's code
// cache: the calls a guard hook decides every day, denied and let through.
import type { ToolDriver } from "../tools/driver.js";
import { TOOL_IDS } from "../tools/index.js";

const COMMANDS = ["git -C app push --force origin main", "npm run build && git status", "cat .env | head -n 1"];

async function main(): Promise<void> {
  for (const tool of TOOL_IDS) {
    // A pattern esbuild bundles: every src/tools/<tool>/driver.ts.
    const { driver } = (await import(`../tools/${tool}/driver.ts`)) as { driver: ToolDriver };
    const inputs = [...COMMANDS.map((command) => driver.hookInput.shell(command)), driver.hookInput.write(driver.hookInput.ownFile)];
    for (const input of inputs) process.stdout.write(`${JSON.stringify({ tool, input })}\n`);
  }
}

void main();
