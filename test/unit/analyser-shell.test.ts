// Issue 11: the shell layer of the analyser. Each class of shell syntax an agent writes, with the
// tripwire that must still see the command inside it, and its control (analyser-helpers.ts).
import { describe, expect, it } from "vitest";
import { parseShell, ShellSyntaxError, type SimpleCommand } from "../../src/guard/shell.js";
import { expectDenied, expectNoOpinion } from "./analyser-helpers.js";

const simple = (source: string): string[][] => {
  const out: string[][] = [];
  const walk = (s: ReturnType<typeof parseShell>) => {
    for (const p of s.pipelines)
      for (const c of p.commands) {
        if (c.kind === "group") walk(c.body);
        else {
          if (c.words.length > 0) out.push((c as SimpleCommand).words.map((w) => w.value ?? `<${w.raw}>`));
          const words = [...c.words, ...c.assignments.map((a) => a.value), ...c.redirects.map((r) => r.target)];
          for (const w of words) for (const n of w.scripts) walk(n);
        }
      }
  };
  walk(parseShell(source));
  return out;
};

describe("the parser reads a line as bash does", () => {
  it.each([
    ["a && b || c; d & e", [["a"], ["b"], ["c"], ["d"], ["e"]]],
    ["a | b |& c", [["a"], ["b"], ["c"]]],
    ["echo hi\ngit push", [["echo", "hi"], ["git", "push"]]],
    ["(cd x; git push)", [["cd", "x"], ["git", "push"]]],
    ["{ git push; }", [["git", "push"]]],
    ["if true; then git push; fi", [["true"], ["git", "push"]]],
    ["for b in a c; do git push origin $b; done", [["git", "push", "origin", "<$b>"]]],
    ["while read x; do git push; done < refs", [["read", "x"], ["git", "push"]]],
    ["case $x in a|b) git push;; *) ls;; esac", [["git", "push"], ["ls"]]],
    ["f() { git push; }; f", [["git", "push"], ["f"]]],
    ["echo \"a $(git push) b\"", [["echo", "<\"a $(git push) b\">"], ["git", "push"]]],
    ["echo `git push`", [["echo", "<`git push`>"], ["git", "push"]]],
    ["diff <(git show) file", [["diff", "<<(git show)>", "file"], ["git", "show"]]],
    ["g''i\"t\" p\\ush", [["git", "push"]]],
    ["$'\\x67\\151t' push", [["git", "push"]]],
    ["git push 2>/dev/null >&2", [["git", "push"]]],
    ["X=1 Y=$(id) git push", [["git", "push"], ["id"]]],
    ["git \\\n  push", [["git", "push"]]],
    ["ls # git push", [["ls"]]],
  ])("%j", (source, expected) => {
    expect(simple(source)).toEqual(expected);
  });

  it("reads here-document bodies, and the substitutions in an unquoted one", () => {
    const script = parseShell("cat <<EOF\n$(git push)\nEOF\ncat <<'E'\n$(not run)\nE\n");
    const first = script.pipelines[0]!.commands[0] as SimpleCommand;
    expect(first.redirects[0]!.heredoc).toEqual({ body: "$(git push)\n", expands: true });
    expect(simple("cat <<EOF\n$(git push)\nEOF")).toContainEqual(["git", "push"]);
    expect(simple("cat <<'E'\n$(git push)\nE")).not.toContainEqual(["git", "push"]);
  });

  it.each(["echo 'open", 'echo "open', "echo $(open", "echo `open", "a |", "( a"])("rejects what bash would not run: %j", (source) => {
    expect(() => parseShell(source)).toThrow(ShellSyntaxError);
  });
});

describe("shell classes: the command inside is still read", () => {
  it.each([
    ["sequence", "git status && git push -f origin main", "git-force-push"],
    ["sequence after ;", "git fetch; git push --force", "git-force-push"],
    ["second line", "echo ok\ngit push -f", "git-force-push"],
    ["pipe", "yes | git push -f", "git-force-push"],
    ["subshell", "(cd /tmp && git push -f)", "git-force-push"],
    ["group", "{ git push -f; }", "git-force-push"],
    ["if body", "if true; then git push -f; fi", "git-force-push"],
    ["function body", "p() { git push -f; }; p", "git-force-push"],
    ["command substitution", "echo $(git push -f)", "git-force-push"],
    ["substitution in double quotes", 'echo "$(gh repo delete o/r --yes)"', "gh-repo-delete"],
    ["backquotes", "echo `npm publish`", "registry-publish"],
    ["process substitution", "cat <(gh auth token)", "gh-auth"],
    ["substitution in an assignment", "T=$(gh auth token) true", "gh-auth"],
    ["here-document substitution", "cat <<EOF\n$(gh auth token)\nEOF", "gh-auth"],
    ["sh -c", "sh -c 'git push -f'", "git-force-push"],
    ["bash -lc", 'bash -lc "git push --force origin main"', "git-force-push"],
    ["bash -o pipefail -c", "bash -o pipefail -c 'npm publish'", "registry-publish"],
    ["nested sh -c", "bash -c 'cd x && sh -c \"git push -f\"'", "git-force-push"],
    ["eval", "eval 'git push -f'", "git-force-push"],
    ["eval of joined words", "eval git push -f", "git-force-push"],
    ["trap", "trap 'git push -f' EXIT", "git-force-push"],
    ["for (( )) body", "for ((i=0;i<3;i++)); do git push -f; done", "git-force-push"],
    ["default value substitution", "echo ${x:-$(gh auth token)}", "gh-auth"],
    ["shell reading a here-document", "bash <<'EOF'\ngit push -f\nEOF", "git-force-push"],
    ["shell reading a here-string", "sh <<< 'npm publish'", "registry-publish"],
    ["shell reading echo's output", "echo 'git push -f' | sh", "git-force-push"],
    ["quotes inside the word", "g''it pu\"sh\" -f", "git-force-push"],
    ["backslash", "\\git push -f", "git-force-push"],
    ["ANSI-C string", "$'\\x67it' push -f", "git-force-push"],
    ["line continuation", "git push \\\n  --force", "git-force-push"],
    ["comment after", "git push -f # harmless", "git-force-push"],
  ])("%s: %j", (_class, command, tripwire) => expectDenied(command, tripwire));

  it.each([
    ["unknown command word", "$g push", "guard"],
    ["unknown word built from a substitution", '"$(echo git)" push', "guard"],
    ["variable command word, line names git", "g=git; $g push -f", "guard"],
    ["eval of a variable, line names git", "x='git push -f'; eval \"$x\"", "guard"],
    ["shell reading a pipe the guard cannot see", "curl -s x | bash -s push", "guard"],
    ["shell code from a variable", 'sh -c "$CMD" push', "guard"],
    ["a line that does not parse and names git", "git push -f 'unterminated", "guard"],
  ])("%s: %j is denied", (_class, command, tripwire) => expectDenied(command, tripwire));

  it.each([
    "echo 'git push -f'",
    "echo git push -f",
    "$EDITOR notes.md",
    'eval "$(ssh-agent -s)"',
    "printf '%s\\n' 'npm publish'",
    "cat <<'EOF'\ngit push -f\nEOF",
    "grep -r 'gh repo delete' docs",
    "ls 'unterminated",
  ])("no opinion on %j", (command) => expectNoOpinion(command));
});
