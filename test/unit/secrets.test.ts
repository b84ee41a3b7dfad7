// Issue 15: the secrets list in the profile format. The built-in list always applies; a profile, or a
// profiles folder's own secrets.toml, can add to it and never shrink it.
import { describe, expect, it } from "vitest";
import { ProfileError } from "../../src/errors.js";
import { loadProfile } from "../../src/profile/load.js";
import { parseSecretPath } from "../../src/profile/secret-paths.js";
import { secretClassOf, secretClassOfCommand, secretClassOfVariable } from "../../src/profile/secret-classes.js";
import { tempDir, writeFiles } from "./helpers.js";

const home = "/home/dev";
const workspace = "/work/app";
const ctx = { home, workspace };
const interactive = loadProfile("interactive");

function own(files: Record<string, string>) {
  const dir = tempDir("perimeter-secrets-");
  writeFiles(dir, files);
  return { profilesDir: dir };
}

describe("the built-in secrets list", () => {
  it.each([
    ["~/.ssh/id_ed25519", "ssh-keys"],
    ["~/.aws/credentials", "cloud-credentials"],
    ["~/.config/gcloud/application_default_credentials.json", "cloud-credentials"],
    ["~/.azure/msal_token_cache.json", "cloud-credentials"],
    ["~/.config/gh/hosts.yml", "forge-tokens"],
    ["~/.git-credentials", "forge-tokens"],
    ["~/.netrc", "forge-tokens"],
    ["~/.kube/config", "cluster-config"],
    ["~/.docker/config.json", "cluster-config"],
    ["~/.npmrc", "registry-tokens"],
    ["~/.pypirc", "registry-tokens"],
    ["~/.cargo/credentials.toml", "registry-tokens"],
    ["~/.gnupg/private-keys-v1.d/AB12.key", "gpg-keys"],
    ["~/.bash_history", "shell-history"],
    ["~/.zsh_history", "shell-history"],
    ["~/.codex/auth.json", "agent-credentials"],
    ["~/.claude/.credentials.json", "agent-credentials"],
    ["/proc/self/environ", "process-environment"],
    ["/proc/4242/environ", "process-environment"],
    [".env", "dotenv"],
    ["packages/api/.env.production", "dotenv"],
    [".env.local", "dotenv"],
    // Without case: on macOS and Windows disks these are the same files.
    ["~/.SSH/id_ed25519", "ssh-keys"],
    [".ENV", "dotenv"],
    ["/proc/self/task/77/environ", "process-environment"],
    ["~/.vault-token", "cloud-credentials"],
    ["~/.claude.json", "agent-credentials"],
    ["~/.config/hub", "forge-tokens"],
  ])("holds %s (%s)", (path, id) => {
    const abs = path.startsWith("~/") ? `${home}/${path.slice(2)}` : path.startsWith("/") ? path : `${workspace}/${path}`;
    expect(secretClassOf(interactive.secrets, abs, ctx)?.id).toBe(id);
  });

  it.each([".env.example", ".env.EXAMPLE", "web/.env.sample", ".env.template", ".env.production.example", "README.md", "src/env.ts", ".envrc"])(
    "leaves the workspace file %s alone (templates and look-alikes)",
    (path) => {
      expect(secretClassOf(interactive.secrets, `${workspace}/${path}`, ctx)).toBeUndefined();
    },
  );

  it("leaves other home files alone", () => {
    for (const path of ["~/.ssh/config", "~/.ssh/known_hosts", "~/.bashrc", "~/projects/x/README.md", "~/.aws"]) {
      expect(secretClassOf(interactive.secrets, `${home}/${path.slice(2)}`, ctx), path).toBeUndefined();
    }
    // A workspace name holds anywhere: another project's .env is as secret (its template is not).
    expect(secretClassOf(interactive.secrets, "/srv/other/.env", ctx)?.id).toBe("dotenv");
    expect(secretClassOf(interactive.secrets, "/srv/other/.env.example", ctx)).toBeUndefined();
  });

  it("names the variables and commands that print secrets", () => {
    for (const name of ["GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "OPENAI_API_KEY", "STRIPE_SECRET", "DB_PASSWORD", "NPM_TOKEN"]) {
      expect(secretClassOfVariable(interactive.secrets, name), name).toBeDefined();
    }
    for (const name of ["HOME", "PATH", "USER", "TOKENIZER", "KEYBOARD", "LANG"]) {
      expect(secretClassOfVariable(interactive.secrets, name), name).toBeUndefined();
    }
    expect(secretClassOfCommand(interactive.secrets, ["git", "credential", "fill"])?.id).toBe("forge-tokens");
    expect(secretClassOfCommand(interactive.secrets, ["printenv", "GITHUB_TOKEN"])?.id).toBe("process-environment");
    expect(secretClassOfCommand(interactive.secrets, ["git", "status"])).toBeUndefined();
  });

  it("every built-in profile carries the whole built-in list", () => {
    const ids = interactive.secrets.classes.map((c) => c.id);
    for (const name of ["autonomous", "ci"]) expect(loadProfile(name).secrets.classes.map((c) => c.id)).toEqual(ids);
  });
});

describe("a profile extends the list and cannot shrink it", () => {
  it("adds its own files, variables and commands", () => {
    const source = own({
      "mine.toml": 'description = "d"\nextends = "interactive"\n[secrets]\nfiles = ["~/.config/acme/token", "credentials.json"]\nenv = ["ACME_*"]\ncommands = ["acme token"]\n',
    });
    const profile = loadProfile("mine", source);
    expect(secretClassOf(profile.secrets, `${home}/.config/acme/token`, ctx)?.id).toBe("profile");
    expect(secretClassOf(profile.secrets, `${workspace}/deploy/credentials.json`, ctx)?.id).toBe("profile");
    expect(secretClassOfVariable(profile.secrets, "ACME_ID")?.id).toBe("profile");
    expect(secretClassOfCommand(profile.secrets, ["acme", "token"])?.id).toBe("profile");
    // ... and keeps every built-in one.
    expect(secretClassOf(profile.secrets, `${home}/.ssh/id_rsa`, ctx)?.id).toBe("ssh-keys");
  });

  it("an empty [secrets] section removes nothing", () => {
    const profile = loadProfile("mine", own({ "mine.toml": 'description = "d"\nextends = "interactive"\n[secrets]\nfiles = []\nenv = []\ncommands = []\n' }));
    expect(profile.secrets.classes.map((c) => c.id)).toEqual(interactive.secrets.classes.map((c) => c.id));
    expect(secretClassOf(profile.secrets, `${workspace}/.env`, ctx)?.id).toBe("dotenv");
  });

  it("a profile section has no key to make exceptions with", () => {
    const source = own({ "mine.toml": 'description = "d"\n[secrets]\nexcept = [".env"]\n[posture]\nprompts = "ask"\nedits = "auto"\noutput = "text"\n' });
    expect(() => loadProfile("mine", source)).toThrow(/secrets\.except|unknown key except/);
  });

  it("a profiles folder's own secrets.toml adds classes but may not make exceptions", () => {
    const profileText = 'description = "d"\nextends = "interactive"\n';
    const added = loadProfile("mine", own({ "mine.toml": profileText, "secrets.toml": '[[secret]]\nid = "acme"\ntitle = "Acme CLI token"\nfiles = ["~/.config/acme/token"]\n' }));
    expect(secretClassOf(added.secrets, `${home}/.config/acme/token`, ctx)?.id).toBe("acme");
    expect(secretClassOf(added.secrets, `${home}/.ssh/id_rsa`, ctx)?.id).toBe("ssh-keys");
    const shrink = own({ "mine.toml": profileText, "secrets.toml": '[[secret]]\nid = "x"\ntitle = "x"\nfiles = ["~/.x"]\nexcept = [".env"]\n' });
    const error = (() => {
      try {
        loadProfile("mine", shrink);
      } catch (e) {
        return e as ProfileError;
      }
      throw new Error("no error");
    })();
    expect(error).toBeInstanceOf(ProfileError);
    expect(error.message).toMatch(/secrets\.toml:5 secret\[0\]\.except: only the built-in secrets list may make exceptions/);
    // A class id that is already built in cannot be redefined (that would be a way to replace it).
    const redefine = own({ "mine.toml": profileText, "secrets.toml": '[[secret]]\nid = "ssh-keys"\ntitle = "mine"\nfiles = ["~/.x"]\n' });
    expect(() => loadProfile("mine", redefine)).toThrow(/secret class "ssh-keys" is already defined/);
  });

  it("rejects a path it cannot use, naming file, line and key", () => {
    const source = own({ "mine.toml": 'description = "d"\nextends = "interactive"\n[secrets]\nfiles = [\n  "config/token",\n]\n' });
    expect(() => loadProfile("mine", source)).toThrow(/mine\.toml:5 secrets\.files\[0\]: "config\/token": write "~\/\.\.\." for the home/);
  });

  it("a secret command that the profile also allows is a conflict", () => {
    const source = own({ "mine.toml": 'description = "d"\nextends = "interactive"\n[commands]\nallow = ["git credential fill"]\n' });
    expect(() => loadProfile("mine", source)).toThrow(/"git credential fill" is both allowed here and denied/);
  });
});

describe("secret path patterns", () => {
  it("parses home, absolute and workspace forms", () => {
    expect(parseSecretPath("~/.ssh/id_*")).toMatchObject({ base: "home", rest: ".ssh/id_*" });
    expect(parseSecretPath("/proc/*/environ")).toMatchObject({ base: "root", rest: "proc/*/environ" });
    expect(parseSecretPath(".env.*")).toMatchObject({ base: "workspace", rest: ".env.*" });
    expect(parseSecretPath("~/a/../b")).toMatch(/not a usable path/);
    expect(parseSecretPath("~/a b")).toMatch(/character/);
  });

  it("** matches any depth, * one name", () => {
    const secrets = loadProfile("mine", own({ "mine.toml": 'description = "d"\nextends = "interactive"\n[secrets]\nfiles = ["~/vault/**/token", "~/keys/*.key"]\n' })).secrets;
    expect(secretClassOf(secrets, `${home}/vault/token`, ctx)?.id).toBe("profile");
    expect(secretClassOf(secrets, `${home}/vault/a/b/token`, ctx)?.id).toBe("profile");
    expect(secretClassOf(secrets, `${home}/keys/a.key`, ctx)?.id).toBe("profile");
    expect(secretClassOf(secrets, `${home}/keys/sub/a.txt`, ctx)).toBeUndefined();
  });
});
