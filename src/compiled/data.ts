// The built-in profiles and renderings compiled by build.mjs (see builtins.ts). In the source tree
// there are none: the tests always exercise the full loader and emitters; the bundle gets this
// module generated.
import type { CompiledBuiltins } from "./builtins.js";

export const COMPILED_BUILTINS: CompiledBuiltins | undefined = undefined;
