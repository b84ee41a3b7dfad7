// The guard hook's bundle entry (dist/hook.cjs): dist/perimeter.cjs starts it instead of dist/cli.cjs
// for `perimeter hook`, which every tool runs before every tool call (see launcher.ts).
import { buildHookProgram } from "./hook-command.js";
import { start } from "./main.js";

start(buildHookProgram);
