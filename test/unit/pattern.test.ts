import { describe, expect, it } from "vitest";
import {
  matchesArgv,
  optionalArgVariants,
  parsePattern,
  patternFromTokens,
  type CommandPattern,
} from "../../src/profile/pattern.js";
import { exampleArgv } from "../../src/profile/example.js";

function pattern(text: string): CommandPattern {
  const parsed = parsePattern(text);
  if (typeof parsed === "string") throw new Error(`test pattern "${text}" did not parse: ${parsed}`);
  return parsed;
}

function argv(command: string): string[] {
  const parsed = exampleArgv(command);
  if (parsed === undefined) throw new Error(`test command "${command}" is not one simple command`);
  return parsed;
}

describe("parsePattern", () => {
  it("normalizes whitespace to single spaces and drops trailing `*`", () => {
    const p = pattern("  gh   secret\tset  ");
    expect(p.text).toBe("gh secret set");
    expect(p.tokens).toEqual([
      { kind: "word", text: "gh" },
      { kind: "word", text: "secret" },
      { kind: "word", text: "set" },
    ]);
    expect(pattern("gh secret *").text).toBe("gh secret");
    expect(pattern("gh secret *").tokens).toHaveLength(2);
  });

  it("classifies `*` alone as any-args and `*` inside a word as a glob", () => {
    const p = pattern("git push * +*");
    expect(p.text).toBe("git push * +*");
    expect(p.tokens.map((t) => t.kind)).toEqual(["word", "word", "anyArgs", "glob"]);
    expect(p.tokens[3]).toEqual({ kind: "glob", text: "+*" });
  });

  it("rejects an empty pattern", () => {
    expect(parsePattern("")).toMatch(/empty/);
    expect(parsePattern("   \t ")).toMatch(/empty/);
  });

  it.each(["git status; rm -rf /", "a && b", "a|b", "echo $HOME", "echo `id`", "echo $(id)", "cat <file", "echo >out", "x 'y'", 'x "y"', "a\\ b", "f()", "{a,b}"])(
    "rejects shell syntax: %s",
    (source) => {
      const result = parsePattern(source);
      expect(typeof result).toBe("string");
      expect(result).toMatch(/shell syntax/);
    },
  );

  it("rejects a leading `*` or a leading glob: the first word must be a literal command", () => {
    expect(parsePattern("* rm")).toMatch(/first word must be a literal command name/);
    expect(parsePattern("*")).toMatch(/first word must be a literal command name/);
    expect(parsePattern("*sh -c")).toMatch(/first word must be a literal command name/);
  });

  it('rejects "* *" (both as a whole pattern and in the middle of one)', () => {
    expect(typeof parsePattern("* *")).toBe("string");
    expect(parsePattern("git push * * --force")).toMatch(/"\* \*" is redundant/);
  });
});

describe("matchesArgv", () => {
  it("matches as an argv prefix on whole words: `gh secret` vs `gh secrets`", () => {
    const p = pattern("gh secret");
    expect(matchesArgv(p, ["gh", "secret"])).toBe(true);
    expect(matchesArgv(p, ["gh", "secret", "set", "TOKEN"])).toBe(true);
    expect(matchesArgv(p, ["gh", "secrets"])).toBe(false);
    expect(matchesArgv(p, ["gh", "secret-list"])).toBe(false);
    expect(matchesArgv(p, ["gh"])).toBe(false);
    expect(matchesArgv(p, ["sudo", "gh", "secret"])).toBe(false);
    expect(matchesArgv(p, [])).toBe(false);
  });

  it("`*` stands for any number of arguments, none included", () => {
    const p = pattern("git push * --force");
    expect(matchesArgv(p, ["git", "push", "--force"])).toBe(true);
    expect(matchesArgv(p, ["git", "push", "origin", "--force"])).toBe(true);
    expect(matchesArgv(p, ["git", "push", "origin", "main", "--force"])).toBe(true);
    expect(matchesArgv(p, ["git", "push", "--force", "origin", "main"])).toBe(true);
    expect(matchesArgv(p, ["git", "push", "origin", "main"])).toBe(false);
    expect(matchesArgv(p, ["git", "push", "--force-with-lease"])).toBe(false);
    expect(matchesArgv(p, ["git", "pull", "--force"])).toBe(false);
  });

  it("a `*` inside a word globs within that one argument only", () => {
    const refspec = pattern("git push * +*");
    expect(matchesArgv(refspec, ["git", "push", "origin", "+main"])).toBe(true);
    expect(matchesArgv(refspec, ["git", "push", "+HEAD:main"])).toBe(true);
    expect(matchesArgv(refspec, ["git", "push", "origin", "main"])).toBe(false);
    expect(matchesArgv(refspec, ["git", "push", "origin", "main+"])).toBe(false);

    const lease = pattern("git push * --force-with-lease*");
    expect(matchesArgv(lease, ["git", "push", "--force-with-lease"])).toBe(true);
    expect(matchesArgv(lease, ["git", "push", "--force-with-lease=main:abc"])).toBe(true);
    expect(matchesArgv(lease, ["git", "push", "--force"])).toBe(false);

    // The glob does not reach across arguments.
    const mid = pattern("cmd b*c");
    expect(matchesArgv(mid, ["cmd", "bxc"])).toBe(true);
    expect(matchesArgv(mid, ["cmd", "bc"])).toBe(true);
    expect(matchesArgv(mid, ["cmd", "b", "c"])).toBe(false);
    expect(matchesArgv(mid, ["cmd", "bxcd"])).toBe(false);
  });

  it("treats regex characters in a glob word literally", () => {
    const p = pattern("cmd a.b*");
    expect(matchesArgv(p, ["cmd", "a.bc"])).toBe(true);
    expect(matchesArgv(p, ["cmd", "aXbc"])).toBe(false);
    const plus = pattern("cmd x+*");
    expect(matchesArgv(plus, ["cmd", "x+1"])).toBe(true);
    expect(matchesArgv(plus, ["cmd", "xx1"])).toBe(false);
  });
});

describe("exampleArgv", () => {
  it("splits like a POSIX shell: quotes and escapes group words", () => {
    expect(exampleArgv('git commit -m "fix: a b"')).toEqual(["git", "commit", "-m", "fix: a b"]);
    expect(exampleArgv("echo 'a b' c\\ d")).toEqual(["echo", "a b", "c d"]);
    expect(exampleArgv("  gh   secret   list ")).toEqual(["gh", "secret", "list"]);
  });

  it("keeps an unquoted glob as the literal argument", () => {
    expect(exampleArgv("twine upload dist/*")).toEqual(["twine", "upload", "dist/*"]);
  });

  it.each(["a && b", "a || b", "a | b", "a; b", "a > out", "a < in", "a &", "git status # comment"])(
    "has no argv for a line with shell operators: %s",
    (command) => {
      // Not one simple command: the native layer has no argv for it (the guard's analyser reads it).
      expect(exampleArgv(command)).toBeUndefined();
    },
  );

  it("rejects an empty example", () => {
    expect(exampleArgv("")).toBeUndefined();
    expect(exampleArgv("   ")).toBeUndefined();
  });
});

describe("optionalArgVariants", () => {
  const texts = (p: CommandPattern) => optionalArgVariants(p).map((tokens) => patternFromTokens(tokens).text);

  it("a pattern without `*` has exactly itself as its only variant", () => {
    expect(texts(pattern("gh repo delete"))).toEqual(["gh repo delete"]);
  });

  it("each `*` doubles the variants: absent or present", () => {
    expect(texts(pattern("git push * --force"))).toEqual(["git push --force", "git push * --force"]);
    expect(texts(pattern("a * b * c")).sort()).toEqual(["a * b * c", "a * b c", "a b * c", "a b c"].sort());
  });

  it("a glob word is not optional: it stays in every variant", () => {
    const variants = optionalArgVariants(pattern("git push * +*"));
    expect(variants).toHaveLength(2);
    for (const v of variants) expect(v[v.length - 1]).toEqual({ kind: "glob", text: "+*" });
  });

  it("every variant matches only argv the pattern matches (variants never widen it)", () => {
    const p = pattern("git push * --force");
    const samples = [argv("git push --force"), argv("git push origin --force"), argv("git push origin main"), argv("git push")];
    for (const tokens of optionalArgVariants(p)) {
      const v = patternFromTokens(tokens);
      for (const a of samples) if (matchesArgv(v, a)) expect(matchesArgv(p, a)).toBe(true);
    }
    // and together they cover what the pattern covers on these samples
    for (const a of samples) {
      const byVariants = optionalArgVariants(p).some((tokens) => matchesArgv(patternFromTokens(tokens), a));
      expect(byVariants).toBe(matchesArgv(p, a));
    }
  });
});
