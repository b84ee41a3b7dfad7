// The process entry of the `perimeter` command (bundled to dist/perimeter.mjs).
import { runMain } from "./main.js";

runMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`perimeter: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 70;
  },
);
