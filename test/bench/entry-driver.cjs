// Benchmark driver for case 4 (test/bench/run.ts): runs the image's bundled entrypoint the way its
// own last lines do (`main(process.argv.slice(2))`, then exit with its code), with one difference:
// every path the entrypoint reads (the image spec, the policy files, /proc, /dev, the mounts) is read
// under ROOT, an unpacked baked layer with a container's /proc texts (container-proc.ts), since the
// host is no container and would be refused. The uid and the environment are the real ones, so every
// sandbox check runs for real, over a container's inputs. CommonJS, like the entrypoint, so the
// driver adds no ESM loader to what is timed.
//   node entry-driver.cjs ENTRYPOINT.cjs ROOT SPEC.json [TOOL PROMPT...]   (SPEC.json: a path under ROOT)
// (This file's name must not end in "entrypoint.cjs", or the required module would start itself.)
const [entrypoint, root, specPath, ...args] = process.argv.slice(2);
const { main, realEnvironment } = require(entrypoint);
main(args, realEnvironment(root), specPath).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`entry-driver: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(70);
  },
);
