// Path globs of wire rules and ref globs of [git]: "*" within one segment, "**" any number of
// segments (none included). Compared segment by segment, so "*" never crosses a "/".

const segmentRegex = (glob: string) =>
  new RegExp(`^${glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);

export type Matcher = (path: string) => boolean;

export function compileGlob(glob: string, caseless = false): Matcher {
  const parts = (caseless ? glob.toLowerCase() : glob).split("/");
  const regexes = parts.map((p) => (p === "**" ? undefined : segmentRegex(p)));
  const match = (segs: readonly string[], i: number, j: number): boolean => {
    if (i === parts.length) return j === segs.length;
    const re = regexes[i];
    if (re === undefined) {
      for (let k = j; k <= segs.length; k++) if (match(segs, i + 1, k)) return true;
      return false;
    }
    return j < segs.length && re.test(segs[j]!) && match(segs, i + 1, j + 1);
  };
  return (path) => match((caseless ? path.toLowerCase() : path).split("/"), 0, 0);
}

/**
 * The path a server would route: no query, percent-escapes decoded, "//", "." and ".." resolved,
 * no trailing slash, lower case. Rules match this form, so "/Repos/o/r/", "/repos//o/r" and
 * "/repos/o/%72" all meet "DELETE /repos/*\/*".
 */
export function normalPath(target: string): string {
  const raw = target.split(/[?#]/, 1)[0]!;
  // Escape by escape, not all or nothing: one invalid "%zz" must not leave "%73ecrets" undecoded
  // beside it (a lenient server decodes what it can).
  const decoded = raw.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return Buffer.from(run.replace(/%/g, ""), "hex").toString("latin1");
    }
  });
  const out: string[] = [];
  for (const seg of decoded.replace(/\\/g, "/").split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`.toLowerCase();
}
