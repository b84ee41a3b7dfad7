// RubyGems and Bundler: gem accepts any unique prefix of a command (`gem pu` is `gem push`), and
// `bundle exec` runs another command.
import { isKnown, type Arg } from "../argv.js";
import type { Grammar, Reading } from "./types.js";

const GEM_COMMANDS = [
  "build", "cert", "check", "cleanup", "contents", "dependency", "environment", "exec", "fetch", "generate_index", "help", "info",
  "install", "list", "lock", "mirror", "open", "outdated", "owner", "pristine", "push", "query", "rdoc", "rebuild", "search", "signin",
  "signout", "sources", "specification", "stale", "uninstall", "unpack", "update", "which", "yank",
];

export const gem: Grammar = {
  programs: ["gem"],
  read(argv): Reading {
    const i = argv.findIndex((a, k) => k > 0 && !(isKnown(a) && a.startsWith("-")));
    if (i < 0) return { forms: [[...argv]] };
    const word = argv[i]!;
    if (!isKnown(word)) return { forms: [["gem", word, ...argv.slice(i + 1)]] };
    const hits = GEM_COMMANDS.filter((c) => c.startsWith(word));
    const command = GEM_COMMANDS.includes(word) ? word : hits.length === 1 ? hits[0]! : word;
    return { forms: [["gem", command, ...argv.slice(i + 1)]] };
  },
};

export const bundle: Grammar = {
  programs: ["bundle", "bundler"],
  read(argv): Reading {
    const exec = argv.findIndex((a) => a === "exec" || a === "ex" || a === "e");
    if (exec < 0) return { forms: [[...argv]] };
    const inner: Arg[] = argv.slice(exec + 1).filter((a, k) => !(k === 0 && isKnown(a) && a.startsWith("--")));
    return { forms: [[...argv]], runs: inner.length > 0 ? [inner] : [] };
  },
};
