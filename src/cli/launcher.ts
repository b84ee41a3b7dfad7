// The `perimeter` command's process entry (bundled to dist/perimeter.cjs). It runs the CLI bundle
// (dist/cli.cjs) from the V8 code cache the build made for it (dist/cli.v8cache), so a run does not
// compile ~220 KB of JavaScript again: about a third of what the CLI adds to Node's own start-up
// (README "Performance"). A cache from another Node or V8 build is rejected and the bundle compiles.
//
// CommonJS, not ESM: Node 20's ESM loader alone costs about 5 ms per start.
import { join } from "node:path";
import { compileBundle, runBundle, writeCacheAtExit } from "./code-cache.js";

/** Build only (build.mjs): make the code cache, at this path, from this run. */
const cacheOut = process.env.PERIMETER_BUILD_CODE_CACHE;

const bundle = join(__dirname, "cli.cjs");
const script = compileBundle(bundle, cacheOut ? undefined : join(__dirname, "cli.v8cache"));
runBundle(script, bundle);
if (cacheOut) writeCacheAtExit(script, cacheOut);
