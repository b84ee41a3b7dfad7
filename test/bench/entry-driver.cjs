// Benchmark driver for case 4 (test/bench/run.ts): runs the image's bundled entrypoint the way its
// own last lines do (`main(process.argv.slice(2))`, then exit with its code), with one difference:
// the image spec is read from the path given here instead of /etc/perimeter/image.json, which the
// host does not have. The environment is the entrypoint's own default (realEnvironment): the real
// uid, process.env and /proc, so every sandbox check runs for real. CommonJS, like the entrypoint,
// so the driver adds no ESM loader to what is timed.
//   node entry-driver.cjs ENTRYPOINT.cjs SPEC.json [TOOL PROMPT...]
// (This file's name must not end in "entrypoint.cjs", or the required module would start itself.)
const [entrypoint, specPath, ...args] = process.argv.slice(2);
const { main } = require(entrypoint);
main(args, undefined, specPath).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`entry-driver: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(70);
  },
);
