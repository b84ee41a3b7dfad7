// The CLI bundle's entry (bundled to dist/cli.cjs, which dist/perimeter.cjs starts: see launcher.ts).
import { runMain } from "./main.js";
import { writeAll } from "./output.js";

runMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    writeAll(2, `perimeter: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 70;
  },
);
