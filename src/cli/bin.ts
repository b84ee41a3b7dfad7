// The CLI bundle's entry (bundled to dist/cli.cjs, which dist/perimeter.cjs starts: see launcher.ts).
import { buildProgram } from "./commands.js";
import { start } from "./main.js";

start(buildProgram);
