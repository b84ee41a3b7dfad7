// The `perimeter` command's process entry (bundled to dist/perimeter.cjs). It runs the CLI bundle
// (dist/cli.cjs) from the V8 code cache the build made for it (dist/cli.v8cache), so a run does not
// compile ~350 KB of JavaScript again: about a third of what the CLI adds to Node's own start-up
// (README "Performance"). V8 rejects a cache made by another Node or V8 build, or with other
// flags; the bundle then compiles as usual, only slower.
//
// CommonJS, not ESM: Node 20's ESM loader alone costs about 5 ms per start.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";

/** Build only (build.mjs): where to write the code cache once this run is over. */
const CACHE_OUT = "PERIMETER_BUILD_CODE_CACHE";

const bundle = join(__dirname, "cli.cjs");
const cacheFile = join(__dirname, "cli.v8cache");

function readCache(): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

// Node's own CommonJS wrapper, so the bundle runs exactly as `require(bundle)` would run it.
const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`;
const produce = process.env[CACHE_OUT];
const script = new Script(source, { filename: bundle, cachedData: produce ? undefined : readCache() });
const cliModule = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(cliModule.exports, createRequire(bundle), cliModule, bundle, dirname(bundle));
// After the run, so the cache holds every function the run compiled, not only the top level.
if (produce) process.on("exit", () => writeFileSync(produce, script.createCachedData()));
