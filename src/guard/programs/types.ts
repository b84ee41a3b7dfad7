// What a program's grammar tells the analyser about one invocation.
import type { Arg } from "../argv.js";

export interface Reading {
  /**
   * Canonical spellings of what the invocation does, in the profile's own command-pattern terms
   * (`git -C d push -uf` is `git push --set-upstream --force`; a GraphQL deleteRepository mutation
   * is `gh repo delete`). Tripwire patterns are matched against these and against the argv as
   * written.
   */
  forms: Arg[][];
  /** Other command lines this invocation runs as argv (`npx npm publish` runs `npm publish`). */
  runs?: Arg[][];
  /** Shell code it runs (`npx -c '..'`, a git alias starting with `!`). */
  code?: { code: Arg; via: string }[];
  /**
   * HTTP requests it sends (`gh api`), matched against the tripwires' wire forms as the gateway
   * matches them, so a tripwire's one definition stops the call in the hook as well as on the wire.
   */
  requests?: WireRequest[];
  /** Why the grammar cannot read the invocation: the analyser then denies (fails closed). */
  unreadable?: string;
}

export type WireRequest =
  /** `methods` "any" when the method is not known (a variable); `path` in normalPath form. */
  | { kind: "http"; host: string; methods: readonly string[] | "any"; path: string }
  | { kind: "graphql"; host: string; fields: readonly string[] };

export interface Grammar {
  /** Program names (argv[0] without a directory) this grammar reads. */
  readonly programs: readonly string[] | RegExp;
  read(argv: readonly Arg[], env: Readonly<Record<string, Arg>>): Reading;
}

/** Long option `--name` given as a unique prefix of one of `names` (as git and nopt accept). */
export function expandPrefix(name: string, names: readonly string[]): string | undefined | "ambiguous" {
  if (names.includes(name)) return name;
  const hits = names.filter((n) => n.startsWith(name));
  if (hits.length === 1) return hits[0];
  return hits.length === 0 ? undefined : "ambiguous";
}
