// The grammars of the programs the guard reads closely. A program without one is read as written.
import { programName } from "../argv.js";
import { cargo } from "./cargo.js";
import { bundle, gem } from "./gem.js";
import { gh } from "./gh.js";
import { git } from "./git.js";
import { npm, npx, pnpm, runnersJs, yarn } from "./node.js";
import { python, runners, twine } from "./python.js";
import { awk, emacs, make, scripting, vim } from "./interpreters.js";
import type { Grammar } from "./types.js";

export const GRAMMARS: readonly Grammar[] = [git, gh, npm, npx, pnpm, yarn, cargo, python, twine, runners, gem, bundle, runnersJs, scripting, awk, vim, emacs, make];

export function grammarFor(word: string): Grammar | undefined {
  const name = programName(word);
  return GRAMMARS.find((g) => (Array.isArray(g.programs) ? g.programs.includes(name) : (g.programs as RegExp).test(name)));
}
