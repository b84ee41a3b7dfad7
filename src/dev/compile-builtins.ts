// Run by build.mjs: loads every built-in profile with the full loader, renders it, and writes the
// compiled form into the folder given (dist/compiled/).
import { compileBuiltins } from "../compiled/compile.js";
import { writeCompiled } from "../compiled/store.js";
import { listProfiles, loadProfile } from "../profile/load.js";

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: compile-builtins OUT_DIR");
writeCompiled(dir, compileBuiltins((name) => loadProfile(name), listProfiles()));
