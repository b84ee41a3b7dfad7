// The Nix flake, evaluated offline. nixpkgs cannot be fetched here, so flake.nix is evaluated with its
// nixpkgs input swapped for nix/stub-nixpkgs (`--override-input`), whose builders record the arguments
// they get instead of building. The tests read those arguments back: what the flake asks nixpkgs to
// build (the agent image, the CLI package, the clients, the app, the Home Manager module) is checked
// against the sources it must agree with (the baked image spec, the lockfiles). What only a real build
// shows (the image runs, the CLIs start) is .github/workflows/image.yml's job.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOL_IDS, toolById } from "../../src/tools/index.js";
import type { ToolId } from "../../src/tools/types.js";

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SYSTEMS = ["x86_64-linux", "aarch64-linux"] as const;
type System = (typeof SYSTEMS)[number];
const CPU: Record<System, string> = { "x86_64-linux": "x64", "aarch64-linux": "arm64" };

// ---------------------------------------------------------------------------------------------------
// Nix: present, or installed from Debian (nix-bin), or the reason it cannot be.

type NixStatus = { ok: true } | { ok: false; reason: string };

function hasNix(): boolean {
  return ["nix", "nix-instantiate"].every((cmd) => spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0);
}

function ensureNix(): NixStatus {
  if (hasNix()) return { ok: true };
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    return { ok: false, reason: "nix is not installed, and only root on Linux can install it here (apt-get install nix-bin)" };
  }
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) {
    return { ok: false, reason: "nix is not installed and there is no apt-get to install nix-bin with" };
  }
  const r = spawnSync("sh", ["-c", "apt-get install -y -qq nix-bin || { apt-get update -qq && apt-get install -y -qq nix-bin; }"], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    encoding: "utf8",
    timeout: 540_000,
  });
  if (hasNix()) return { ok: true };
  return { ok: false, reason: `apt-get could not install nix-bin (exit ${r.status}): ${(r.stderr ?? "").trim().slice(-300)}` };
}

const nix = ensureNix();
// In CI the suite must run: no nix there is a failure, not a skip.
const mustRun = process.env.CI === "true" || process.env.CI === "1";

// ---------------------------------------------------------------------------------------------------
// A copy of the flake: the files git would give a checkout (tracked and new, not ignored). Evaluating
// the working tree in place would either see only committed files (git+file:) or copy node_modules
// with the agent binaries into the store (path:).

function flakeFiles(): string[] {
  const git = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  if (git.status === 0) return git.stdout.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)));
  const skip = new Set(["node_modules", ".git", "dist", "coverage"]);
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      skip.has(e.name) ? [] : e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
    );
  return walk("");
}

let work = "";
let flake = "";
let stub = "";
let nixEnv: NodeJS.ProcessEnv = {};
let storeArgs: string[] = [];

function nixFlags(): string[] {
  return ["--extra-experimental-features", "nix-command flakes", "--option", "flake-registry", "", ...storeArgs];
}

interface NixResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

async function nixCmd(cmd: string, args: string[]): Promise<NixResult> {
  try {
    const { stdout, stderr } = await run(cmd, args, { env: nixEnv, maxBuffer: 64 << 20, timeout: 60_000 });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, stdout: e.stdout ?? "", stderr: e.stderr ?? String(error) };
  }
}

/** `nix eval --json <flake>#<attr> --override-input nixpkgs <stub> [--apply f]`, parsed. */
async function evalFlake(attr: string, apply?: string, extra: string[] = []): Promise<NixResult & { json?: unknown }> {
  const args = [...nixFlags(), "eval", "--json", `path:${flake}#${attr}`, "--override-input", "nixpkgs", `path:${stub}`, ...extra];
  if (apply !== undefined) args.push("--apply", apply);
  const r = await nixCmd("nix", args);
  return r.ok ? { ...r, json: JSON.parse(r.stdout) } : r;
}

async function evalJson<T>(attr: string, apply?: string, extra: string[] = []): Promise<T> {
  const r = await evalFlake(attr, apply, extra);
  if (!r.ok) throw new Error(`nix eval ${attr} failed:\n${r.stderr}`);
  return r.json as T;
}

// ---------------------------------------------------------------------------------------------------
// What the tests compare against.

interface Lock {
  packages: Record<string, { version?: string; integrity?: string; name?: string; resolved?: string }>;
}
const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(ROOT, file), "utf8")) as T;
const clientsLock = readJson<Lock>("image/clients/package-lock.json");
const clientsManifest = readJson<{ dependencies: Record<string, string> }>("image/clients/package.json");
const rootLock = readJson<Lock>("package-lock.json");

interface Spec {
  profile: string;
  user: { name: string; uid: number; gid: number; home: string };
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  policyFiles: string[];
  tools: Record<string, { package: string; version: string }>;
}
const specCopy = readJson<Spec>("nix/image-spec.json");

/** npm's URL for a lock entry when the lockfile omits `resolved` (the default registry). */
function registryUrl(key: string, entry: { name?: string; version?: string }): string {
  const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
  return `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
}

const BYPASS = [/bypassPermissions/, /danger-full-access/, /dangerously/i, /--yolo\b/, /\byolo\b/, /--profile[\s=]+['"]?(autonomous|ci)\b/, /extends\s*=\s*"(autonomous|ci)"/];
const bypassHits = (text: string) => BYPASS.filter((re) => re.test(text)).map(String);

// ---------------------------------------------------------------------------------------------------
// Evaluations, all started in beforeAll and run concurrently.

interface Src {
  url: string;
  hash: string;
  npmKey: string;
  version: string;
}
interface Client {
  name: string;
  version: string;
  npmPackage: string;
  path: string;
  srcs: Record<string, Src>;
}
interface ImageEval {
  builder: string;
  imageName: string;
  imageTag: string;
  maxLayers: number;
  config: { User: string; Env: string[]; Entrypoint: string[]; WorkingDir: string; Labels: Record<string, string> };
  contents: string[];
  fakeRootCommands: string;
  spec: Spec;
  policyLayer: { path: string; buildCommand: string; nativeBuildInputs: string[] };
  clients: Record<string, Client>;
}
interface PackageEval {
  builder: string;
  path: string;
  pname: string;
  version: string;
  nodejs: string;
  srcFiles: string[];
  npmDeps: { builder: string; resolved: Record<string, string | null>; integrity: Record<string, string | null> };
  hasNpmDepsHash: boolean;
  args: unknown;
}
interface ChecksEval {
  names: string[];
  drvNames: Record<string, string>;
  tests: { pname: string; doCheck: boolean; checkPhase: string; srcFiles: string[] };
}
interface HmEval {
  condition: boolean;
  activation: { after: string[]; data: string };
  profileText: string;
  packages: string[];
  options: Record<string, { description: string; default: unknown }>;
}

const PACKAGES_APPLY = `p: let
  d = p.default;
  drvOut = x: x.outPath;
  image = i: {
    builder = i.stubBuilder;
    inherit (i) imageName imageTag maxLayers config fakeRootCommands;
    contents = map drvOut i.contents;
    spec = i.passthru.spec;
    policyLayer = { path = i.passthru.policyLayer.outPath; inherit (i.passthru.policyLayer) buildCommand; nativeBuildInputs = map drvOut i.passthru.policyLayer.nativeBuildInputs; };
    clients = builtins.mapAttrs (_: c: {
      inherit (c) name version npmPackage;
      path = c.outPath;
      srcs = builtins.mapAttrs (_: s: { inherit (s) url hash npmKey version; }) c.srcs;
    }) i.passthru.clients;
  };
in {
  image = image p.agent-image;
  imageK8s = image p.agent-image-k8s;
  package = {
    builder = d.stubBuilder;
    path = d.outPath;
    inherit (d) pname version;
    nodejs = d.nodejs.outPath;
    srcFiles = d.src.files;
    npmDeps = {
      builder = d.npmDeps.stubBuilder;
      resolved = builtins.mapAttrs (_: e: e.resolved or null) d.npmDeps.packageLock.packages;
      integrity = builtins.mapAttrs (_: e: e.integrity or null) d.npmDeps.packageLock.packages;
    };
    hasNpmDepsHash = d.stubArgs ? npmDepsHash;
    args = builtins.removeAttrs d.stubArgs [ "src" "npmDeps" ];
  };
}`;

// Reading each check's name forces its evaluation, so the evaluation-time assertions of
// nix/eval-checks.nix (Home Manager module, image config) run here too.
const CHECKS_APPLY = `c: {
  names = builtins.attrNames c;
  drvNames = builtins.mapAttrs (_: d: d.name) c;
  tests = { inherit (c.tests) pname doCheck checkPhase; srcFiles = c.tests.src.files; };
}`;

/** Calls the Home Manager module as Home Manager would: option defaults, then the given settings. */
const hmApply = (settings: string) => `module: let
  lib = import ${stub}/lib.nix;
  pkgs = import ${stub}/pkgs.nix { inherit lib; system = "x86_64-linux"; };
  hmLib = lib // { hm.dag.entryAfter = after: data: { inherit after data; before = [ ]; }; };
  call = cfg: module { config.programs.perimeter = cfg; lib = hmLib; inherit pkgs; };
  options = (call { }).options.programs.perimeter;
  defaults = builtins.mapAttrs (_: o: o.default or null) options;
  result = call (defaults // ${settings});
in {
  inherit (result.config) condition;
  activation = { inherit (result.config.content.home.activation.perimeter) after data; };
  profileText = result.config.content.programs.perimeter.profileText;
  packages = map (p: p.outPath) result.config.content.home.packages;
  options = builtins.mapAttrs (_: o: { description = o.description or ""; default = let v = o.default or null; in if builtins.isAttrs v then v.outPath or "<attrs>" else v; }) options;
}`;

const HM_SETTINGS = `{ enable = true; extraAllow = [ "terraform plan" ]; extraAsk = [ "make deploy" ]; extraDeny = [ "aws s3 rm" ]; tools = [ "claude" "gemini" ]; }`;

const evals: {
  packages?: Record<System, Promise<{ image: ImageEval; imageK8s: ImageEval; package: PackageEval }>>;
  checks?: Record<System, Promise<ChecksEval>>;
  apps?: Promise<Record<System, { default: { type: string; program: string } }>>;
  hm?: Promise<HmEval>;
  hmRefused?: Record<string, Promise<NixResult>>;
} = {};

const skipReason = nix.ok ? undefined : nix.reason;
if (skipReason !== undefined) console.warn(`test/nix/flake.test.ts: skipped: ${skipReason}`);

describe.runIf(!nix.ok && mustRun)("Nix in CI", () => {
  it("is installed (CI installs nix-bin; the flake tests must run there)", () => {
    expect.fail(skipReason);
  });
});

describe.skipIf(!nix.ok)("flake.nix, evaluated against nix/stub-nixpkgs", () => {
  const started = Date.now();

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "perimeter-flake-"));
    flake = join(work, "src");
    for (const file of flakeFiles()) {
      mkdirSync(dirname(join(flake, file)), { recursive: true });
      cpSync(join(ROOT, file), join(flake, file));
    }
    stub = join(flake, "nix", "stub-nixpkgs");
    // Evaluation copies sources into a store: the system one for root or through a daemon,
    // otherwise a store of our own under the temp folder (no daemon runs on these machines).
    const daemon = existsSync("/nix/var/nix/daemon-socket/socket");
    storeArgs = process.getuid?.() === 0 || daemon ? [] : ["--store", `local?root=${join(tmpdir(), "perimeter-nix-store")}`];
    nixEnv = { ...process.env, XDG_CACHE_HOME: join(work, "cache"), NIX_CONFIG: "warn-dirty = false" };

    const bySystem = <T>(f: (s: System) => Promise<T>) => Object.fromEntries(SYSTEMS.map((s) => [s, f(s)])) as Record<System, Promise<T>>;
    evals.packages = bySystem((s) => evalJson<{ image: ImageEval; imageK8s: ImageEval; package: PackageEval }>(`packages.${s}`, PACKAGES_APPLY));
    evals.checks = bySystem((s) => evalJson<ChecksEval>(`checks.${s}`, CHECKS_APPLY));
    evals.apps = evalJson("apps");
    evals.hm = evalJson("homeManagerModules.default", hmApply(HM_SETTINGS), ["--impure"]);
    evals.hmRefused = Object.fromEntries(
      ["autonomous", "ci"].map((name) => [name, evalFlake("homeManagerModules.default", hmApply(`{ enable = true; profile = "${name}"; }`), ["--impure"])]),
    );
    // Each promise is awaited by a test, where a failure shows; this only keeps node from calling
    // an early rejection unhandled.
    const pending: Promise<unknown>[] = [...Object.values(evals.packages), ...Object.values(evals.checks), evals.apps, evals.hm];
    for (const p of pending) p.catch(() => undefined);
  });

  afterAll(() => {
    console.log(`test/nix/flake.test.ts: flake evaluations took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  it("every .nix file parses, and a broken one does not (the control)", async () => {
    const skip = new Set(["node_modules", ".git", "dist"]);
    const find = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        skip.has(e.name) ? [] : e.isDirectory() ? find(join(dir, e.name)) : e.name.endsWith(".nix") ? [join(dir, e.name)] : [],
      );
    const files = find(ROOT);
    expect(files.map((f) => f.slice(ROOT.length + 1))).toEqual(expect.arrayContaining(["flake.nix", "nix/stub-nixpkgs/flake.nix"]));
    const results = await Promise.all(files.map(async (f) => ({ f, r: await nixCmd("nix-instantiate", ["--parse", f]) })));
    expect(results.filter(({ r }) => !r.ok).map(({ f, r }) => `${f}: ${r.stderr}`)).toEqual([]);

    const broken = join(work, "broken.nix");
    writeFileSync(broken, "{ a = ; }\n");
    const control = await nixCmd("nix-instantiate", ["--parse", broken]);
    expect(control.ok).toBe(false);
    expect(control.stderr).toMatch(/syntax error/);
  });

  it("flake.lock pins nixpkgs, the only input, to a full revision with its narHash", () => {
    const lock = readJson<{ root: string; nodes: Record<string, { inputs?: Record<string, string>; locked?: Record<string, unknown> }> }>("flake.lock");
    expect(Object.keys(lock.nodes[lock.root]!.inputs ?? {})).toEqual(["nixpkgs"]);
    const locked = lock.nodes.nixpkgs!.locked!;
    expect(locked).toMatchObject({ type: "github", owner: "NixOS", repo: "nixpkgs" });
    expect(locked.rev).toMatch(/^[0-9a-f]{40}$/);
    expect(locked.narHash).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
    expect(locked.lastModified).toEqual(expect.any(Number));
  });

  describe.each(SYSTEMS)("%s", (system) => {
    const image = async () => (await evals.packages![system]).image;

    it("the agent image takes user, env, entrypoint and workdir from the baked spec", async () => {
      const { config, builder, spec } = await image();
      expect(builder).toBe("dockerTools.streamLayeredImage");
      expect(spec).toEqual(specCopy);
      expect(config.User).toBe(`${spec.user.uid}:${spec.user.gid}`);
      expect(config.User).toBe("1000:1000");
      expect(config.Env).toEqual(expect.arrayContaining(["AGENT_SANDBOX=1", "HOME=/home/agent"]));
      expect(config.Env).toEqual(expect.arrayContaining(Object.entries(spec.env).map(([k, v]) => `${k}=${v}`)));
      expect(config.Entrypoint).toEqual(spec.entrypoint);
      expect(config.Entrypoint.slice(0, 2)).toEqual(["tini", "--"]);
      expect(config.Entrypoint.slice(-2)).toEqual(["node", "/opt/perimeter/entrypoint.cjs"]);
      expect(config.WorkingDir).toBe(spec.workdir);
      expect(config.WorkingDir).toBe("/work");
    });

    it("the baked layer goes into the image as perimeter wrote it, checked against the spec", async () => {
      const { fakeRootCommands: cmds, policyLayer, spec } = await image();
      const pkg = (await evals.packages![system]).package;
      // The layer is `perimeter bake` by the package this flake builds, for the spec's profile.
      expect(policyLayer.nativeBuildInputs).toContain(pkg.path);
      expect(policyLayer.buildCommand).toMatch(/perimeter bake --profile autonomous --out "\$out\/layer\.tar"/);
      // ... unpacked keeping owners and modes (root-owned read-only policy files and entrypoint) ...
      expect(cmds).toContain(`tar --extract --file ${policyLayer.path}/layer.tar --same-owner --same-permissions --numeric-owner`);
      // ... and the build fails unless the committed spec is the baked one.
      expect(cmds).toMatch(/if ! cmp -s \/nix\/store\/[a-z0-9]{32}-image-spec\.json \.\/etc\/perimeter\/image\.json; then/);
      for (const f of spec.policyFiles) expect(cmds).toContain(f);
      expect(cmds).toContain(`chown ${spec.user.uid}:${spec.user.gid} .${spec.user.home} .${spec.workdir}`);
      expect(cmds).toContain(`${spec.user.name}:x:${spec.user.uid}:${spec.user.gid}:${spec.user.name}:${spec.user.home}:`);
      expect(cmds).toContain("-perm /6000"); // refuses setuid/setgid files
      expect(cmds).not.toMatch(/sudoers/); // no sudo configuration
    });

    it("the Kubernetes variant: the same image around the orchestrator layer, its spec checked against the same copy", async () => {
      const { image: standard, imageK8s: k8s } = await evals.packages![system];
      // The spec is the committed standard one plus the one key bake adds; nothing else differs.
      expect(k8s.spec).toEqual({ ...specCopy, egressWall: "orchestrator" });
      expect(standard.spec).not.toHaveProperty("egressWall");
      expect(k8s.policyLayer.buildCommand).toMatch(/perimeter bake --profile autonomous --egress-wall orchestrator --out "\$out\/layer\.tar"/);
      expect(standard.policyLayer.buildCommand).not.toContain("--egress-wall");
      expect(k8s.policyLayer.path).not.toBe(standard.policyLayer.path);
      // Tagged and labelled apart, so a plain run never takes it by accident.
      expect(k8s.imageName).toBe(standard.imageName);
      expect(k8s.imageTag).toBe(`${standard.imageTag}-k8s`);
      expect(k8s.config.Labels["dev.perimeter.egress-wall"]).toBe("orchestrator");
      expect(standard.config.Labels["dev.perimeter.egress-wall"]).toBe("network");
      // The build unpacks the variant's layer and fails unless its image.json is the committed copy
      // with exactly one egressWall line added (the line JSON.stringify writes).
      expect(k8s.fakeRootCommands).toContain(`tar --extract --file ${k8s.policyLayer.path}/layer.tar --same-owner`);
      expect(k8s.fakeRootCommands).toMatch(/grep -cxF '  "egressWall": "orchestrator",' \.\/etc\/perimeter\/image\.json\)" != 1/);
      expect(k8s.fakeRootCommands).toMatch(/grep -vxF '  "egressWall": "orchestrator",' \.\/etc\/perimeter\/image\.json \| cmp -s \/nix\/store\/[a-z0-9]{32}-image-spec\.json -/);
      // The rest of the image is the standard one: same contents, user, entrypoint, env.
      expect(k8s.contents).toEqual(standard.contents);
      expect({ ...k8s.config, Labels: undefined }).toEqual({ ...standard.config, Labels: undefined });
    });

    it("node and the CLIs are store paths with layers of their own; the policy layer is not one", async () => {
      const { contents, policyLayer, clients, maxLayers } = await image();
      const named = (suffix: string) => contents.filter((p) => new RegExp(`^/nix/store/[a-z0-9]{32}-${suffix}$`).test(p));
      for (const pkg of ["tini-", "bash-interactive-", "coreutils-", "git-\\d", "gh-", "nodejs-", "ca-certificates"]) {
        expect(named(`${pkg}.*`), pkg).toHaveLength(1);
      }
      for (const client of Object.values(clients)) expect(contents).toContain(client.path);
      expect(contents.join(" ")).not.toContain(policyLayer.path);
      expect(contents.join(" ")).not.toMatch(/sudo/);
      // One layer per store path while the closure is smaller than this; the customisation layer
      // (policy files, accounts) is always the last, separate one.
      expect(maxLayers).toBeGreaterThanOrEqual(100);
      expect(maxLayers).toBeLessThanOrEqual(125);
    });

    it("the CLIs are the versions of image/clients/package-lock.json, fetched by its integrity", async () => {
      const { clients, spec } = await image();
      expect(Object.keys(clients).sort()).toEqual([...TOOL_IDS].sort());
      for (const [id, client] of Object.entries(clients)) {
        const key = `node_modules/${client.npmPackage}`;
        expect(client.version).toBe(clientsLock.packages[key]!.version);
        expect(client.version).toBe(clientsManifest.dependencies[client.npmPackage]);
        expect(client.version).toBe(spec.tools[id]!.version);
        expect(client.npmPackage).toBe(toolById(id as ToolId).npmPackage);
        const srcs = Object.values(client.srcs);
        // The client's own tarball, and only this platform's native packages besides.
        expect(srcs.map((s) => s.npmKey)).toContain(key);
        for (const s of srcs.filter((s) => s.npmKey !== key)) expect(s.npmKey).not.toMatch(/-(darwin|win32|linux-(?!x64|arm64))/);
        for (const src of srcs) {
          const entry = clientsLock.packages[src.npmKey]!;
          expect(src.hash).toBe(entry.integrity);
          expect(src.hash).toMatch(/^sha512-/);
          expect(src.url).toBe(registryUrl(src.npmKey, entry));
          expect(src.version).toBe(entry.version);
        }
      }
    });

    it("checks: the package, npm test on it, and the evaluation checks", async () => {
      const checks = await evals.checks![system];
      expect(checks.names).toEqual(expect.arrayContaining(["package", "tests", "hm-module", "image-spec", "image-spec-k8s", "image-config"]));
      expect(checks.drvNames).toMatchObject({ "hm-module": "perimeter-check-hm-module", "image-config": "perimeter-check-image-config" });
      expect(checks.tests.doCheck).toBe(true);
      expect(checks.tests.checkPhase).toMatch(/npm test --ignore-scripts/);
      expect(checks.tests.srcFiles.some((f) => f.endsWith("/test"))).toBe(true);
    });
  });

  it("packages.default is perimeter, built with buildNpmPackage from package-lock.json", async () => {
    const pkg = (await evals.packages!["x86_64-linux"]).package;
    expect(pkg.builder).toBe("buildNpmPackage");
    expect(pkg.pname).toBe("perimeter");
    expect(pkg.version).toBe(readJson<{ version: string }>("package.json").version);
    expect(pkg.nodejs).toMatch(/-nodejs-22/);
    const files = pkg.srcFiles.map((f) => f.replace(/^\/nix\/store\/[a-z0-9]{32}-source\//, ""));
    expect(files).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "build.mjs", "profiles", "templates", "image/clients/package.json"]));
    // importNpmLock: one fetch per lock entry, by its integrity; no npmDepsHash, no fake hash.
    expect(pkg.npmDeps.builder).toBe("importNpmLock");
    expect(pkg.hasNpmDepsHash).toBe(false);
    for (const [key, entry] of Object.entries(rootLock.packages)) {
      if (key === "") continue;
      expect(pkg.npmDeps.integrity[key], key).toBe(entry.integrity);
      expect(pkg.npmDeps.resolved[key], key).toBe(entry.resolved ?? registryUrl(key, entry));
    }
    expect(JSON.stringify(pkg.args)).not.toMatch(/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/);
  });

  it("nix run: the app runs the perimeter CLI of the package", async () => {
    const apps = await evals.apps!;
    for (const system of SYSTEMS) {
      const pkg = (await evals.packages![system]).package;
      expect(apps[system].default).toMatchObject({ type: "app", program: `${pkg.path}/bin/perimeter` });
    }
  });

  it("the Home Manager module renders through perimeter, from a profile that extends interactive", async () => {
    const hm = await evals.hm!;
    const pkg = (await evals.packages!["x86_64-linux"]).package;
    expect(hm.condition).toBe(true);
    expect(hm.activation.after).toEqual(["writeBoundary"]);
    expect(hm.activation.data).toMatch(
      new RegExp(
        `^run ${pkg.path}/bin/perimeter render \\\\\\n\\s+--profile home-manager \\\\\\n\\s+--profiles-dir /nix/store/[a-z0-9]{32}-perimeter-profiles \\\\\\n\\s+--tools claude,gemini \\\\\\n\\s+--home "\\$HOME"\\n$`,
      ),
    );
    expect(hm.packages).toEqual([pkg.path]);
    expect(hm.profileText).toMatch(/^extends = "interactive"$/m);
    expect(hm.profileText).toMatch(/^allow = \["terraform plan"\]$/m);
    expect(hm.profileText).toMatch(/^ask = \["make deploy"\]$/m);
    expect(hm.profileText).toMatch(/^deny = \["aws s3 rm"\]$/m);

    // The one renderer accepts the profile the module writes (dry run into a scratch home).
    const cli = join(ROOT, "dist", "perimeter.cjs");
    if (!existsSync(cli)) execFileSync(process.execPath, [join(ROOT, "build.mjs")], { cwd: ROOT });
    const dir = join(work, "hm");
    mkdirSync(join(dir, "profiles"), { recursive: true });
    mkdirSync(join(dir, "home"));
    writeFileSync(join(dir, "profiles", "home-manager.toml"), hm.profileText);
    const render = spawnSync(
      process.execPath,
      [cli, "render", "--profile", "home-manager", "--profiles-dir", join(dir, "profiles"), "--tools", "claude,gemini", "--home", join(dir, "home"), "--dry-run"],
      { encoding: "utf8" },
    );
    expect(render.stderr.split("\n").filter((l) => l.startsWith("perimeter:"))).toEqual([]);
    expect(render.status).toBe(0);
  });

  it("packages.default, the app and the Home Manager module carry no prompt-bypass setting", async () => {
    const hm = await evals.hm!;
    const apps = await evals.apps!;
    for (const system of SYSTEMS) {
      expect(bypassHits(JSON.stringify((await evals.packages![system]).package)), `packages.${system}.default`).toEqual([]);
    }
    expect(bypassHits(JSON.stringify(apps)), "apps").toEqual([]);
    expect(bypassHits(JSON.stringify(hm)), "homeManagerModules.default").toEqual([]);
    // The module offers no no-prompt profile: not as a default, not in any option's description.
    expect(JSON.stringify(hm.options)).not.toMatch(/\b(autonomous|ci)\b/);
    // The control: the image, which is meant to run without prompts, does trip the same search.
    expect(bypassHits(JSON.stringify((await evals.packages!["x86_64-linux"]).image.spec))).not.toEqual([]);
  });

  it.each(["autonomous", "ci"])("the Home Manager module refuses profile = %s", async (name) => {
    const r = await evals.hmRefused![name]!;
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain(`programs.perimeter.profile = "${name}": that profile never prompts and exists only inside the agent image`);
  });
});

// Needs only node: the committed copy the flake reads is what `perimeter bake` writes today.
describe("nix/image-spec.json", () => {
  it("is byte-identical to the image.json perimeter bakes into the layer", async () => {
    if (!existsSync(join(ROOT, "dist", "perimeter.cjs"))) execFileSync(process.execPath, [join(ROOT, "build.mjs")], { cwd: ROOT });
    const { bakedSpec, SPEC_COPY } = await import("../../nix/update-image-spec.mjs");
    const baked = bakedSpec().toString("utf8");
    expect(readFileSync(SPEC_COPY, "utf8"), "nix/image-spec.json is stale: run `node build.mjs && node nix/update-image-spec.mjs`").toBe(baked);
  });

  it("is the Kubernetes variant's baked image.json less its one egressWall line (what nix/image.nix checks)", async () => {
    if (!existsSync(join(ROOT, "dist", "perimeter.cjs"))) execFileSync(process.execPath, [join(ROOT, "build.mjs")], { cwd: ROOT });
    const { bakedSpec, SPEC_COPY, EGRESS_WALL_LINE } = await import("../../nix/update-image-spec.mjs");
    const lines = bakedSpec(undefined, "orchestrator").toString("utf8").split("\n");
    expect(lines.filter((l) => l === EGRESS_WALL_LINE)).toHaveLength(1);
    expect(lines.filter((l) => l !== EGRESS_WALL_LINE).join("\n")).toBe(readFileSync(SPEC_COPY, "utf8"));
    // The control: the standard layer has no such line, so dropping it there changes nothing.
    expect(bakedSpec().toString("utf8").split("\n")).not.toContain(EGRESS_WALL_LINE);
  });
});
