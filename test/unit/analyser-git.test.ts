// Issue 11: git's own grammar in the analyser, class by class, each with its control.
import { describe, it } from "vitest";
import { expectDenied, expectNoOpinion } from "./analyser-helpers.js";

describe("git: global options before the subcommand", () => {
  it.each([
    ["-C DIR", "git -C /work/app push --force"],
    ["-c key=value", "git -c user.name=x push -f origin main"],
    ["--git-dir and --work-tree", "git --git-dir=.git --work-tree . push -f"],
    ["--no-pager and -P", "git --no-pager -P push -f"],
    ["--namespace with a separate value", "git --namespace ns push -f"],
    ["config from the environment", "GIT_CONFIG_PARAMETERS=x git push origin main"],
    ["--config-env", "git --config-env=remote.origin.mirror=M push origin"],
    ["mirror from -c", "git -c remote.origin.mirror=true push origin"],
    ["alias defined with -c", "git -c alias.p='push -f' p origin main"],
    ["shell alias defined with -c", "git -c 'alias.p=!git push -f' p"],
  ])("%s: %j", (_c, command) => expectDenied(command, "git-force-push"));

  it("a +refspec from -c remote.*.push", () => expectDenied("git -c 'remote.origin.push=+refs/heads/*' push origin", "git-force-refspec"));
  it("an unknown global option fails closed", () => expectDenied("git --frobnicate push origin main", "guard"));
  it.each(["git -C /work/app status", "git -c core.pager=cat log", "git --no-pager diff", "git -C /work/app push origin agent/x"])(
    "must run: %j",
    (command) => expectNoOpinion(command),
  );
});

describe("git push: its options as parse-options reads them", () => {
  it.each([
    ["--force", "git push --force"],
    ["-f", "git push -f origin main"],
    ["after the refspec", "git push origin main --force"],
    ["bundled -uf", "git push -uf origin main"],
    ["bundled -fu", "git push -fu origin main"],
    ["bundled with a value -fo", "git push -fo ci.skip origin main"],
    ["unique prefix --force-w", "git push --force-w origin main"],
    ["unique prefix --mirr", "git push --mirr backup"],
    ["--force-with-lease", "git push --force-with-lease origin main"],
    ["--force-with-lease=ref:sha", "git push --force-with-lease=main:abc origin main"],
    ["--force-if-includes", "git push --force-if-includes origin main"],
    ["--mirror", "git push --mirror backup"],
    ["send-pack", "git send-pack --force origin main"],
    ["negation then force", "git push --no-force --force origin main"],
    ["a variable argument may be --force", 'git push origin "$BRANCH"'],
    ["a glob may expand to --force", "git push origin *"],
  ])("%s: %j", (_c, command) => expectDenied(command, "git-force-push"));

  it("an ambiguous prefix fails closed (git itself refuses it too)", () => expectDenied("git push --forc origin main", "guard"));
  it("an unknown option fails closed", () => expectDenied("git push --frob origin main", "guard"));

  it.each([
    ["+refspec", "git push origin +main"],
    ["+HEAD:ref", "git push origin +HEAD:main"],
    ["after --", "git push origin -- +main"],
  ])("%s: %j", (_c, command) => expectDenied(command, "git-force-refspec"));

  it.each([
    ["--delete", "git push --delete origin feature"],
    ["-d", "git push -d origin feature"],
    ["bundled -qd", "git push -qd origin feature"],
    ["prefix --del", "git push --del origin feature"],
    [":ref", "git push origin :feature"],
    ["--prune", "git push --prune origin 'refs/heads/*:refs/heads/*'"],
  ])("%s: %j", (_c, command) => expectDenied(command, "git-delete-remote-branch"));

  it.each([
    "git push origin main",
    "git push origin agent/x",
    "git push -u origin agent/x",
    "git push --follow-tags origin main",
    "git push origin HEAD:main",
    "git push --no-force origin main",
    "git push --force --no-force origin main",
    "git push -o ci.skip origin main",
    "git log --force",
    "git status",
  ])("must run: %j", (command) => expectNoOpinion(command));
});
