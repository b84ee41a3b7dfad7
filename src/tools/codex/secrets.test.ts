// Issue 15: Codex CLI's own rules for the secrets, as rendered, and its side of the guard hook.
// Whether the real clients accept them
// and hold is proven in test/real/ (configs.test.ts, host-secrets.test.ts).
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../profile/load.js";
import { renderProfile } from "../../render.js";
import { TOOLS, toolById } from "../../tools/index.js";
import type { EmittedFile, Scope } from "../types.js";

const profile = loadProfile("interactive");
const files = (scope: Scope) => renderProfile(profile, TOOLS, scope).files;
const file = (scope: Scope, path: string): EmittedFile | undefined => files(scope).find((f) => f.path === path);
const json = (f: EmittedFile | undefined) => (f?.body.format === "text" ? parse(f.body.text) : f?.body.value) as Record<string, any>;

describe("Codex CLI", () => {
  const config = json(file("host", ".codex/config.toml"));
  const fs = config.permissions.perimeter.filesystem;

  it("selects its own permission profile with every secret path unreadable, as globs (a literal would be created on the host)", () => {
    expect(config.default_permissions).toBe("perimeter");
    expect(config.sandbox_mode).toBeUndefined();
    expect(fs["~/.ssh/id_*"]).toBe("none");
    expect(fs["~/.aws/credentials*"]).toBe("none");
    expect(fs["~/.gnupg/**"]).toBe("none");
    expect(fs[":project_roots"]["**/.env"]).toBe("none");
    expect(Object.keys(fs).filter((k) => k !== ":project_roots").every((k) => /[*?]/.test(k))).toBe(true);
    // An absolute glob under /proc fails Codex's whole sandbox: the guard holds /proc/*/environ.
    expect(Object.keys(fs).some((k) => k.startsWith("/proc"))).toBe(false);
  });

  it("leaves the secret variables out of the shell's environment", () => {
    expect(config.shell_environment_policy.exclude).toEqual(expect.arrayContaining(["*_TOKEN", "*_KEY", "*_SECRET", "AWS_*"]));
  });

  it("forbids the commands that print secrets", () => {
    const rules = file("host", ".codex/rules/perimeter.rules")!;
    expect(rules.body.format === "text" && rules.body.text).toMatch(/pattern = \["git", "credential-store"\],\s*decision = "forbidden",\s*justification = "perimeter secrets: GitHub and GitLab CLI tokens/);
  });

  it("flags a permission profile with full access as a bypass", () => {
    const body = { format: "toml" as const, value: { approval_policy: "on-request", default_permissions: ":danger-full-access" }, ownedKeys: [] };
    expect(toolById("codex").bypassFindings(".codex/config.toml", body)).toHaveLength(1);
    const own = { format: "toml" as const, value: { approval_policy: "on-request", default_permissions: "x", permissions: { x: { extends: ":danger-full-access" } } }, ownedKeys: [] };
    // The profile itself, and default_permissions naming it.
    expect(toolById("codex").bypassFindings(".codex/config.toml", own).length).toBeGreaterThan(0);
  });
});
