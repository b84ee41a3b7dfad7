// cargo's argv grammar: `+toolchain` first, global options before the subcommand, and an alias
// defined on the line with `--config alias.NAME=...` (which may stand for any subcommand).
import { isKnown, unknownArg, type Arg } from "../argv.js";
import type { Grammar, Reading } from "./types.js";

const VALUED = new Set(["-Z", "--config", "-C", "--color", "--explain", "--manifest-path"]);

export const cargo: Grammar = {
  programs: ["cargo"],
  read(argv): Reading {
    let i = 1;
    if (isKnown(argv[1]) && (argv[1] as string).startsWith("+")) i++;
    const aliases = new Set<string>();
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (!isKnown(a)) return { forms: [["cargo", unknownArg(a.raw, true), ...argv.slice(i + 1)]] };
      if (!a.startsWith("-")) break;
      const [name, attached] = a.split(/=(.*)/s);
      if (!VALUED.has(name!)) continue;
      const value = attached ?? argv[++i];
      if (name === "--config") {
        if (!isKnown(value)) return { forms: [["cargo", unknownArg("<config the guard cannot read>", true)]] };
        const alias = /^alias\.([^=\s]+)\s*=/.exec(value);
        if (alias) aliases.add(alias[1]!.replace(/^["']|["']$/g, ""));
      }
    }
    const sub = argv[i];
    if (sub === undefined) return { forms: [["cargo"]] };
    if (isKnown(sub) && aliases.has(sub)) return { forms: [["cargo", unknownArg(`<alias ${sub}>`, true), ...argv.slice(i + 1)]] };
    return { forms: [["cargo", sub, ...argv.slice(i + 1)]] };
  },
};
