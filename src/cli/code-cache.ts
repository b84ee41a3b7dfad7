// Runs a CommonJS bundle from a V8 code cache (see launcher.ts), and makes that cache.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Script } from "node:vm";

function readCache(cacheFile: string): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/**
 * The bundle compiled from its cache. V8 checks the cache against the source, its own version and
 * its flags, and rejects one that does not fit (`cachedDataRejected`); the bundle then compiles from
 * source as usual.
 */
export function compileBundle(bundle: string, cacheFile: string | undefined): Script {
  // Node's own CommonJS wrapper, so the bundle runs exactly as `require(bundle)` would run it.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`;
  return new Script(source, { filename: bundle, cachedData: cacheFile === undefined ? undefined : readCache(cacheFile) });
}

/**
 * Runs the bundle with `require`: the launcher's own, which resolves exactly as the bundle's would,
 * as both sit in dist/ and ask only for Node's modules and their siblings by absolute path (and
 * Node's `module` facade that createRequire needs is not loaded at every start for it).
 */
export function runBundle(script: Script, bundle: string, require: NodeJS.Require): void {
  const bundleModule = { exports: {} };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper(bundleModule.exports, require, bundleModule, bundle, dirname(bundle));
}

/** Writes the cache once the process is over, so it holds every function the run compiled. */
export function writeCacheAtExit(script: Script, cacheFile: string): void {
  process.on("exit", () => writeFileSync(cacheFile, script.createCachedData()));
}

/**
 * `require(bundle)` for a bundle loaded later in a run (the gateway's), from its own code cache;
 * with `cacheOut` (the build only) that cache is written at exit instead.
 */
export function requireWithCodeCache(bundle: string, cacheFile: string, cacheOut: string | undefined, require: NodeJS.Require): Record<string, unknown> {
  const script = compileBundle(bundle, cacheOut ? undefined : cacheFile);
  const bundleModule = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper(bundleModule.exports, require, bundleModule, bundle, dirname(bundle));
  if (cacheOut) writeCacheAtExit(script, cacheOut);
  return bundleModule.exports;
}
