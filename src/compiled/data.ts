// Where the build put the compiled built-ins (see builtins.ts and store.ts). The source tree has
// none, so the tests always exercise the full loader and emitters; build.mjs gives the bundle a
// version of this module that names dist/compiled/.
export const COMPILED_DIR: string | undefined = undefined;
