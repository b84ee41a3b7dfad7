// Issue 11: programs that run another program. Each wrapper around a tripwire command, with its
// control, and the same wrappers around harmless commands.
import { describe, it } from "vitest";
import { expectDenied, expectNoOpinion } from "./analyser-helpers.js";

describe("wrappers and prefixes", () => {
  it.each([
    ["assignment", "GIT_TRACE=1 git push -f"],
    ["env", "env git push -f"],
    ["env with assignments and -u", "env -u HOME X=1 git push -f"],
    ["env -S", "env -S 'git push -f'"],
    ["command", "command git push -f"],
    ["command -p", "command -p git push -f"],
    ["builtin exec", "exec git push -f"],
    ["time", "time git push -f"],
    ["time -p", "/usr/bin/time -p git push -f"],
    ["nice", "nice git push -f"],
    ["nice -n", "nice -n 10 git push -f"],
    ["nice -5", "nice -5 git push -f"],
    ["nohup", "nohup git push -f"],
    ["timeout", "timeout 30 git push -f"],
    ["timeout -s KILL", "timeout -s KILL 30s git push -f"],
    ["sudo", "sudo git push -f"],
    ["sudo -u", "sudo -u agent git push -f"],
    ["sudo -s", "sudo -s git push -f"],
    ["su -c", "su agent -c 'git push -f'"],
    ["stdbuf", "stdbuf -oL git push -f"],
    ["setsid", "setsid git push -f"],
    ["xargs", "echo main | xargs git push -f origin"],
    ["xargs may append --force", "echo --force | xargs git push origin"],
    ["find -exec", "find . -maxdepth 0 -exec git push -f \\;"],
    ["watch", "watch -n 5 git push -f"],
    ["flock -c", "flock /tmp/l -c 'git push -f'"],
    ["backslash", "\\git push -f"],
    ["absolute path", "/usr/bin/git push -f"],
    ["relative path", "./bin/git push -f"],
    ["wrappers stacked", "env X=1 nice -n 5 timeout 10 command git push -f"],
    ["busybox sh", "busybox sh -c 'git push -f'"],
  ])("%s: %j", (_c, command) => expectDenied(command, "git-force-push"));

  it.each(["env", "env git status", "command -v git", "time git push origin main", "xargs -0 rm -f", "sudo -l", "nice -n 5 npm test", "timeout 5 gh pr view 1"])(
    "must run: %j",
    expectNoOpinion,
  );
});
