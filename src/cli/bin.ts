// The process entry of the `perimeter` command (bundled to dist/perimeter.mjs).
import module from "node:module";

// Node 22.1+ can keep the bundle's compiled code between runs; older Node lacks the function and
// compiles as before. It must run before the CLI's modules load, hence the import().
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runMain } = await import("./main.js");

runMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`perimeter: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 70;
  },
);
