// The `perimeter` command's process entry (bundled to dist/perimeter.cjs). It runs one of two CLI
// bundles from the V8 code cache the build made for it, so a run does not compile its JavaScript
// again (README "Performance"): `perimeter hook`, which every tool runs before every tool call, runs
// dist/hook.cjs (the guard and the policy lookup, nothing else); every other command dist/cli.cjs.
// A cache from another Node or V8 build is rejected and the bundle compiles from source.
//
// CommonJS, not ESM: Node 20's ESM loader alone costs about 5 ms per start.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { compileBundle, runBundle, writeCacheAtExit } from "./code-cache.js";

/**
 * Build only (build.mjs): write the bundle's code cache at the end of this run. The cache a run
 * before it wrote is read first, so runs of several commands add up to one cache.
 */
const building = process.env.PERIMETER_BUILD_CODE_CACHE === "1";

const name = process.argv[2] === "hook" ? "hook" : "cli";
const bundle = join(__dirname, `${name}.cjs`);
const cache = join(__dirname, `${name}.v8cache`);
const script = compileBundle(bundle, building && !existsSync(cache) ? undefined : cache);
runBundle(script, bundle, require);
if (building) writeCacheAtExit(script, cache);
