import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { extract, type Header } from "tar-stream";
import { beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/profile/builtin.js";
import { DIGESTS_PLACEHOLDER } from "../../src/image/bake.js";
import { imageSpec, type ImageSpec } from "../../src/image/spec.js";
import { loadProfile } from "../../src/profile/load.js";
import { TOOLS } from "../../src/tools/index.js";
import { runCli, tempDir } from "./helpers.js";

interface TarEntry {
  header: Header;
  body: Buffer;
}

async function readTar(file: string): Promise<TarEntry[]> {
  const ex = extract();
  createReadStream(file).pipe(ex);
  const entries: TarEntry[] = [];
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ header: entry.header, body: Buffer.concat(chunks) });
  }
  return entries;
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

async function bake(profile: string, out: string, ...extra: string[]) {
  return runCli(["bake", "--profile", profile, "--out", out, ...extra]);
}

const POLICY_FILES = [
  "etc/claude-code/managed-settings.json",
  "etc/codex/config.toml",
  "etc/codex/rules/perimeter.rules",
  "etc/gemini-cli/settings.json",
  "etc/gemini-cli/policies/perimeter.toml",
  "etc/perimeter/image.json",
];

let layer: TarEntry[];
let ciLayer: TarEntry[];
let layerFile: string;
let ciFile: string;

beforeAll(async () => {
  // The layer carries dist/entrypoint.cjs: build it from the current source.
  execFileSync(process.execPath, ["build.mjs"], { cwd: packageRoot(), stdio: "pipe" });
  const dir = tempDir("perimeter-bake-");
  layerFile = join(dir, "autonomous.tar");
  const result = await bake("autonomous", layerFile);
  expect(result.code, result.stderr).toBe(0);
  layer = await readTar(layerFile);
  ciFile = join(dir, "ci.tar");
  expect((await bake("ci", ciFile)).code).toBe(0);
  ciLayer = await readTar(ciFile);
}, 120_000);

const entry = (entries: TarEntry[], name: string) => {
  const found = entries.find((e) => e.header.name === name);
  if (!found) throw new Error(`${name} not in the layer: ${entries.map((e) => e.header.name).join(", ")}`);
  return found;
};
const specOf = (entries: TarEntry[]) => JSON.parse(entry(entries, "etc/perimeter/image.json").body.toString("utf8")) as ImageSpec;

describe("perimeter bake", () => {
  it("twice gives byte-identical layers (same sha256), and prints that sha256", async () => {
    const dir = tempDir("perimeter-bake-");
    const a = join(dir, "a.tar");
    const b = join(dir, "b.tar");
    const first = await bake("autonomous", a);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a clock-dependent layer would now differ
    const second = await bake("autonomous", b);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(sha256(a)).toBe(sha256(b));
    expect(first.stdout).toContain(`wrote ${a} (sha256 ${sha256(a)})`);
    // and a different profile gives a different layer (control: the comparison can fail)
    expect(sha256(a)).not.toBe(sha256(ciFile));
  }, 30_000);

  it("entries are sorted by name", () => {
    const names = layer.map((e) => e.header.name);
    expect(names).toEqual([...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    expect(new Set(names).size).toBe(names.length);
  });

  it("every entry has mtime 0", () => {
    for (const e of layer) expect(e.header.mtime?.getTime(), e.header.name).toBe(0);
  });

  it("policy files are root-owned (uid/gid 0) regular files with mode 0444", () => {
    for (const name of POLICY_FILES) {
      const { header } = entry(layer, name);
      expect(header.type, name).toBe("file");
      expect(header.uid, name).toBe(0);
      expect(header.gid, name).toBe(0);
      expect((header.mode ?? 0) & 0o7777, name).toBe(0o444);
    }
  });

  it("the spec's policyFiles are exactly the policy files in the layer", () => {
    const spec = specOf(layer);
    expect(spec.policyFiles).toEqual(POLICY_FILES.map((p) => `/${p}`).sort());
  });

  it("contains the five tool files, the image spec, the entrypoint and the CLI package the guard hooks run", () => {
    const names = layer.filter((e) => e.header.type === "file").map((e) => e.header.name);
    const cli = names.filter((n) => n.startsWith("opt/perimeter/package/"));
    expect(names.filter((n) => !cli.includes(n)).sort()).toEqual([...POLICY_FILES, "opt/perimeter/entrypoint.cjs"].sort());
    for (const file of ["package.json", "profiles/tripwires.toml", "dist/perimeter.cjs", "dist/cli.cjs", "dist/cli.v8cache", "dist/hook.cjs", "dist/hook.v8cache", "dist/gateway.cjs", "dist/run.cjs", "dist/compiled/index.json"]) {
      expect(cli).toContain(`opt/perimeter/package/${file}`);
    }
    // Every file of it is root-owned and nobody can write it.
    for (const e of layer.filter((x) => x.header.name.startsWith("opt/perimeter/package/") && x.header.type === "file")) {
      expect([e.header.uid, e.header.gid, (e.header.mode ?? 0) & 0o222]).toEqual([0, 0, 0]);
    }
  });

  it("carries every file the compiled built-ins were compiled from, so the image's hook takes the compiled path", () => {
    const index = JSON.parse(entry(layer, "opt/perimeter/package/dist/compiled/index.json").body.toString("utf8")) as { files: [string, number][]; folders: Record<string, string[]> };
    expect(index.files.length).toBeGreaterThan(0);
    const names = new Set(layer.map((e) => e.header.name.replace(/\/$/, "")));
    for (const [file, size] of index.files) {
      expect(names, file).toContain(`opt/perimeter/package/${file}`);
      expect(entry(layer, `opt/perimeter/package/${file}`).body.length).toBe(size);
    }
    // Each input folder holds exactly the entries the key lists: nothing more (the check compares them).
    for (const [folder, entries] of Object.entries(index.folders)) {
      const inFolder = [...names].filter((n) => n.startsWith(`opt/perimeter/package/${folder}/`) && !n.slice(`opt/perimeter/package/${folder}/`.length).includes("/"));
      expect(inFolder.map((n) => n.slice(`opt/perimeter/package/${folder}/`.length)).sort(), folder).toEqual(entries);
    }
  });

  it("managed settings run the guard hook (PreToolUse and PreSkillShellCommand) and allow managed hooks only", () => {
    const settings = JSON.parse(entry(layer, "etc/claude-code/managed-settings.json").body.toString("utf8")) as {
      allowManagedHooksOnly?: boolean;
      hooks: Record<string, { hooks: { command: string }[] }[]>;
    };
    expect(settings.allowManagedHooksOnly).toBe(true);
    for (const event of ["PreToolUse", "PreSkillShellCommand"]) {
      expect(settings.hooks[event]![0]!.hooks[0]!.command).toBe("node '/opt/perimeter/package/dist/perimeter.cjs' hook claude --profile 'autonomous' || exit 2");
    }
  });

  it("managed-settings.json sets allowManagedPermissionRulesOnly and denies the tripwires", () => {
    const settings = JSON.parse(entry(layer, "etc/claude-code/managed-settings.json").body.toString("utf8")) as {
      allowManagedPermissionRulesOnly?: boolean;
      permissions: { deny: string[]; defaultMode: string };
    };
    expect(settings.allowManagedPermissionRulesOnly).toBe(true);
    expect(settings.permissions.deny).toContain("Bash(gh secret)");
    expect(settings.permissions.defaultMode).toBe("bypassPermissions");
  });

  it("the codex config, codex rules and gemini files are the image's versions", () => {
    const config = parseToml(entry(layer, "etc/codex/config.toml").body.toString("utf8")) as Record<string, unknown>;
    expect({ ...config, hooks: undefined }).toEqual({ approval_policy: "never", sandbox_mode: "danger-full-access", hooks: undefined });
    // The guard hook runs the CLI the layer carries, and a failure before it answers still blocks.
    expect(JSON.stringify(config.hooks)).toContain("node '/opt/perimeter/package/dist/perimeter.cjs' hook codex --profile 'autonomous' || exit 2");
    expect(entry(layer, "etc/codex/rules/perimeter.rules").body.toString("utf8")).toContain('decision = "forbidden"');
    const policy = parseToml(entry(layer, "etc/gemini-cli/policies/perimeter.toml").body.toString("utf8")) as { rule: { decision: string }[] };
    expect(policy.rule.length).toBeGreaterThan(0);
    expect(policy.rule.every((r) => r.decision === "deny")).toBe(true);
    const settings = JSON.parse(entry(layer, "etc/gemini-cli/settings.json").body.toString("utf8")) as Record<string, unknown>;
    expect(settings.general).toEqual({ defaultApprovalMode: "auto_edit" });
  });

  it("/etc/perimeter/image.json: agent user uid 1000, AGENT_SANDBOX \"1\", a launch argv per tool", () => {
    const spec = specOf(layer);
    expect(spec.profile).toBe("autonomous");
    expect(spec.user.name).toBe("agent");
    expect(spec.user.uid).toBe(1000);
    expect(spec.user.gid).toBe(1000);
    expect(spec.env.AGENT_SANDBOX).toBe("1");
    expect(Object.keys(spec.tools).sort()).toEqual(["claude", "codex", "gemini"]);
    const pinned = JSON.parse(readFileSync(join(packageRoot(), "image", "clients", "package.json"), "utf8")) as { dependencies: Record<string, string> };
    for (const tool of Object.values(spec.tools)) expect(tool.version).toBe(pinned.dependencies[tool.package]);
    expect(spec.output).toBe("text");
    // autonomous prints text: no JSON output flags
    expect(spec.tools.claude.argv).not.toContain("--output-format");
    expect(spec.tools.codex.argv).not.toContain("--json");
    expect(spec.tools.gemini.argv).not.toContain("--output-format");
  });

  it("the spec says whether the agent's way out is the gateway: autonomous and ci have [network], a profile without it does not", () => {
    expect(specOf(layer).network).toBe("gateway");
    expect(specOf(ciLayer).network).toBe("gateway");
    const { network: _dropped, ...open } = loadProfile("autonomous");
    expect(imageSpec(open, TOOLS, []).network).toBe("direct");
  });

  it("--egress-wall orchestrator bakes the Kubernetes variant: the spec says so, the entrypoint carries that spec's digest", async () => {
    const dir = tempDir("perimeter-bake-k8s-");
    const file = join(dir, "k8s.tar");
    const r = await bake("autonomous", file, "--egress-wall", "orchestrator");
    expect(r.code, r.stderr).toBe(0);
    const k8s = await readTar(file);
    expect(specOf(k8s).egressWall).toBe("orchestrator");
    const specBody = entry(k8s, "etc/perimeter/image.json").body;
    expect(entry(k8s, "opt/perimeter/entrypoint.cjs").body.toString("utf8")).toContain(createHash("sha256").update(specBody).digest("hex"));
    // The standard layer says nothing of it (its spec, and nix/image-spec.json, unchanged), and differs.
    expect("egressWall" in specOf(layer)).toBe(false);
    expect(sha256(file)).not.toBe(sha256(layerFile));
    expect((await bake("autonomous", join(dir, "same.tar"), "--egress-wall", "network")).code).toBe(0);
    expect(sha256(join(dir, "same.tar"))).toBe(sha256(layerFile));
  }, 30_000);

  it("--egress-wall: an unknown value, or orchestrator for a profile with no gateway, is a usage error and writes nothing", async () => {
    const dir = tempDir("perimeter-bake-k8s-");
    const bad = await bake("autonomous", join(dir, "bad.tar"), "--egress-wall", "cluster");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--egress-wall: "cluster" is not one of network, orchestrator');
    expect(existsSync(join(dir, "bad.tar"))).toBe(false);
    const { network: _dropped, ...open } = loadProfile("autonomous");
    expect(() => imageSpec(open, TOOLS, [], { egressWall: "orchestrator" })).toThrow(/no \[network\] section/);
  });

  it("ci's launch argv includes each tool's JSON output flag", () => {
    const spec = specOf(ciLayer);
    expect(spec.output).toBe("json");
    const pairAt = (argv: string[], flag: string, value: string) => argv.findIndex((a, i) => a === flag && argv[i + 1] === value) >= 0;
    expect(pairAt(spec.tools.claude.argv, "--output-format", "json")).toBe(true);
    expect(spec.tools.codex.argv).toContain("--json");
    expect(pairAt(spec.tools.gemini.argv, "--output-format", "json")).toBe(true);
  });

  it("/opt/perimeter/entrypoint.cjs is the built entrypoint with the sha256 of every other file baked in", () => {
    const e = entry(layer, "opt/perimeter/entrypoint.cjs");
    expect(e.header.uid).toBe(0);
    expect((e.header.mode ?? 0) & 0o7777).toBe(0o555);
    const built = readFileSync(join(packageRoot(), "dist", "entrypoint.cjs"), "utf8");
    expect(built.split(DIGESTS_PLACEHOLDER)).toHaveLength(2);
    const [before, after] = built.split(DIGESTS_PLACEHOLDER) as [string, string];
    const shipped = e.body.toString("utf8");
    expect(shipped.startsWith(before) && shipped.endsWith(after)).toBe(true);
    const digests = JSON.parse(JSON.parse(shipped.slice(before.length, shipped.length - after.length)) as string) as Record<string, string>;
    const others = layer.filter((x) => x.header.type === "file" && x.header.name !== "opt/perimeter/entrypoint.cjs");
    expect(Object.keys(digests).sort()).toEqual(others.map((x) => `/${x.header.name}`).sort());
    for (const x of others) expect(digests[`/${x.header.name}`], x.header.name).toBe(createHash("sha256").update(x.body).digest("hex"));
  });

  it("every directory is root-owned; nothing lies under /home/agent and nothing belongs to the agent", () => {
    expect(layer.filter((e) => e.header.name.startsWith("home/") || e.header.name.startsWith("/"))).toEqual([]);
    for (const e of layer) expect(e.header.uid, e.header.name).toBe(0);
  });

  it("bake --profile interactive exits 3 and writes no layer", async () => {
    const out = join(tempDir("perimeter-bake-"), "interactive.tar");
    const result = await bake("interactive", out);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/prompts the user/);
    expect(existsSync(out)).toBe(false);
  });

  it("bake --json reports the files and the sha256", async () => {
    const out = join(tempDir("perimeter-bake-"), "x.tar");
    const result = await bake("autonomous", out, "--json");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { sha256: string; files: string[] };
    expect(report.sha256).toBe(sha256(out));
    expect(report.files).toContain("/etc/perimeter/image.json");
  });
});
