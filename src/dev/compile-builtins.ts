// Run by build.mjs: loads every built-in profile with the full loader and prints the compiled form.
import { compileBuiltins } from "../compiled/builtins.js";
import { listProfiles, loadProfile } from "../profile/load.js";

process.stdout.write(JSON.stringify(compileBuiltins((name) => loadProfile(name), listProfiles())));
