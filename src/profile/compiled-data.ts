// The built-in profiles compiled by build.mjs (see compiled.ts). In the source tree there are none:
// the tests always exercise the full loader; the bundle gets this module generated.
import type { CompiledBuiltins } from "./compiled.js";

export const COMPILED_BUILTINS: CompiledBuiltins | undefined = undefined;
