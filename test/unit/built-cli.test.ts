// The built CLI as it ships (dist/): its code cache, its compiled built-ins and its output, checked on
// a private build so other suites that rebuild dist/ cannot change it halfway.
import { execa } from "execa";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileBundle } from "../../src/cli/code-cache.js";
import { loadDrivers } from "../../src/tools/driver.js";
import { TOOLS } from "../../src/tools/index.js";
import { copyPackageSource } from "../package-source.js";
import { snapshot, tempDir } from "./helpers.js";

const work = tempDir("perimeter-built-");
const PKG = join(work, "package");
const dist = (dir: string, file: string) => join(dir, "dist", file);

/** A copy of the built package whose dist/ can be changed (a cache removed or spoilt). */
function packageCopy(name: string): string {
  const copy = join(work, name);
  cpSync(PKG, copy, { recursive: true, dereference: false });
  return copy;
}

const cli = (pkg: string, args: string[], input?: string) => execa(process.execPath, [dist(pkg, "perimeter.cjs"), ...args], { cwd: work, reject: false, input });
/** One guard-hook decision on a force-push, in the hook protocol of the registry's first tool. */
const FORCE_PUSH = "git -C app push --force origin main";
const [TOOL] = TOOLS;
const DRIVER = (await loadDrivers([TOOL!.id]))[TOOL!.id];
const hook = (pkg: string) => cli(pkg, ["hook", TOOL!.id], JSON.stringify(DRIVER.hookInput.shell(FORCE_PUSH)));

beforeAll(async () => {
  copyPackageSource(PKG);
  await execa(process.execPath, ["build.mjs"], { cwd: PKG });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the built CLI", () => {
  it("comes with a code cache per bundle that this Node accepts (control: a cut-short cache is rejected)", () => {
    for (const bundle of ["cli", "hook"]) {
      const cache = dist(PKG, `${bundle}.v8cache`);
      expect(compileBundle(dist(PKG, `${bundle}.cjs`), cache).cachedDataRejected).toBe(false);
      const spoilt = join(work, `spoilt-${bundle}.v8cache`);
      writeFileSync(spoilt, readFileSync(cache).subarray(0, 1000));
      expect(compileBundle(dist(PKG, `${bundle}.cjs`), spoilt).cachedDataRejected).toBe(true);
    }
  });

  it("runs `perimeter hook` from the hook's own bundle, every other command from the CLI's", async () => {
    const home = tempDir();
    const withoutCli = packageCopy("hook-bundle-only");
    rmSync(dist(withoutCli, "cli.cjs"));
    const denied = await hook(withoutCli);
    expect(denied.exitCode, denied.stderr).toBe(TOOL!.hook.blockingExitCode);
    expect(denied.stderr).toContain("perimeter tripwire git-force-push");
    expect((await cli(withoutCli, ["render", "--dry-run", "--home", home])).exitCode).not.toBe(0);
    // Control: without the hook's bundle the hook cannot answer (the rendered `|| exit N` then blocks), render still works.
    const withoutHook = packageCopy("cli-bundle-only");
    rmSync(dist(withoutHook, "hook.cjs"));
    expect((await hook(withoutHook)).exitCode).not.toBe(0);
    expect((await hook(withoutHook)).stderr).not.toContain("perimeter tripwire");
    expect((await cli(withoutHook, ["render", "--dry-run", "--home", home])).exitCode).toBe(0);
  });

  it("comes with a code cache of the gateway's bundle that this Node accepts (it starts on every run's critical path)", () => {
    const cache = dist(PKG, "gateway.v8cache");
    expect(compileBundle(dist(PKG, "gateway.cjs"), cache).cachedDataRejected).toBe(false);
    // The control: the CLI's cache does not fit the gateway's source.
    expect(compileBundle(dist(PKG, "gateway.cjs"), dist(PKG, "cli.v8cache")).cachedDataRejected).toBe(true);
  });

  it("prints the same without its code cache, or with a spoilt one", async () => {
    const home = tempDir();
    const expected = await cli(PKG, ["render", "--dry-run", "--home", home]);
    expect(expected.exitCode, expected.stderr).toBe(0);
    const expectedHook = await hook(PKG);
    const missing = packageCopy("no-cache");
    const spoilt = packageCopy("spoilt-cache");
    for (const bundle of ["cli", "hook"]) {
      rmSync(dist(missing, `${bundle}.v8cache`));
      writeFileSync(dist(spoilt, `${bundle}.v8cache`), "not a code cache");
    }
    for (const pkg of [missing, spoilt]) {
      const run = await cli(pkg, ["render", "--dry-run", "--home", home]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect([run.stdout, run.stderr]).toEqual([expected.stdout, expected.stderr]);
      const decision = await hook(pkg);
      expect([decision.exitCode, decision.stdout, decision.stderr]).toEqual([expectedHook.exitCode, expectedHook.stdout, expectedHook.stderr]);
    }
  });

  it("writes, from its compiled built-ins, exactly the files the full loader and emitters write", async () => {
    const viaCompiled = tempDir();
    const viaFull = tempDir();
    // The same profile in a folder of one's own is never taken from dist/compiled/ (the built-in
    // tripwires apply to it all the same).
    const own = join(work, "own-profiles");
    mkdirSync(own);
    cpSync(join(PKG, "profiles", "interactive.toml"), join(own, "interactive.toml"));
    expect(readdirSync(join(PKG, "dist", "compiled")).length).toBeGreaterThan(0);
    expect((await cli(PKG, ["render", "--home", viaCompiled])).exitCode).toBe(0);
    const full = await cli(PKG, ["render", "--home", viaFull, "--profiles-dir", own]);
    expect(full.exitCode, full.stderr).toBe(0);
    const bytes = (home: string) => Object.fromEntries(Object.entries(snapshot(home)).map(([file, state]) => [file, state.bytes]));
    expect(Object.keys(bytes(viaCompiled)).length).toBe(6);
    // The one intended difference: the guard hook of a profile from an own folder reads that folder.
    const ownFolder = ` --profiles-dir '${own}'`;
    expect(JSON.stringify(bytes(viaFull))).toContain(ownFolder);
    const withoutOwnFolder = Object.fromEntries(Object.entries(bytes(viaFull)).map(([file, text]) => [file, String(text).replaceAll(ownFolder, "")]));
    expect(bytes(viaCompiled)).toEqual(withoutOwnFolder);
  });

  it("takes a built-in profile from dist/compiled/ only while the profile files are unchanged", async () => {
    const pkg = packageCopy("marked");
    const compiled = join(pkg, "dist", "compiled");
    const text = readdirSync(compiled).find((f) => f.startsWith("interactive.host.") && f.endsWith(".txt"))!;
    writeFileSync(join(compiled, text), `${readFileSync(join(compiled, text), "utf8")}# marker only the compiled copy has\n`);
    const written = async () => {
      const home = tempDir();
      expect((await cli(pkg, ["render", "--home", home])).exitCode).toBe(0);
      return Object.values(snapshot(home)).map((f) => f.bytes).join("");
    };
    expect(await written()).toContain("marker only the compiled copy has");
    // Control: the same package once a built-in file is edited takes the full path.
    writeFileSync(join(pkg, "profiles", "interactive.toml"), `${readFileSync(join(pkg, "profiles", "interactive.toml"), "utf8")}\n# edited\n`);
    expect(await written()).not.toContain("marker only the compiled copy has");
  });

  it("runs every command from the bundle, the parts loaded on demand included (diff, loader, schema, bake)", async () => {
    const home = tempDir();
    const own = join(work, "own-for-commands");
    mkdirSync(own);
    cpSync(join(PKG, "profiles", "interactive.toml"), join(own, "mine.toml"));
    const runs = [
      ["render", "--diff", "--home", home],
      ["check", "--profile", "mine", "--profiles-dir", own, "--home", home],
      ["show", "--profile", "mine", "--profiles-dir", own],
      ["schema", "--tripwires"],
      ["bake", "--profile", "ci", "--out", join(work, "layer.tar")],
    ];
    for (const args of runs) {
      const run = await cli(PKG, args);
      // check exits 1 here: the home is empty, so every file has drifted.
      expect(run.exitCode, `${args.join(" ")}: ${run.stderr}`).toBe(args[0] === "check" ? 1 : 0);
      expect(run.stdout.length, args.join(" ")).toBeGreaterThan(0);
    }
  });

  it("starts the gateway from its own bundle (dist/gateway.cjs): ready, then stopped on SIGTERM", async () => {
    const caDir = join(work, "gateway-ca");
    const child = execa(process.execPath, [dist(PKG, "perimeter.cjs"), "gateway", "--profile", "ci", "--listen", "127.0.0.1:0", "--ca-dir", caDir, "--json"], { cwd: work, reject: false, env: { ANTHROPIC_API_KEY: "" } });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (c: Buffer) => (c.toString().includes('"event":"ready"') ? resolve() : undefined));
      child.once("exit", () => reject(new Error("the gateway exited before it was ready")));
    });
    expect(readFileSync(join(caDir, "ca.pem"), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
    child.kill("SIGTERM");
    const done = await child;
    expect(done.exitCode, done.stderr).toBe(0);
    expect(done.stdout).toContain('"event":"stopped"');
    expect(readFileSync(dist(PKG, "cli.cjs"), "utf8")).not.toContain("X509CertificateGenerator");
  });

  it("stops quietly when its reader goes away (perimeter show --json | head -1)", async () => {
    // pipefail: the pipeline's status is perimeter's, not head's.
    const run = await execa("bash", ["-c", `set -o pipefail; "${process.execPath}" "${dist(PKG, "perimeter.cjs")}" show --json | head -1`], { cwd: work, reject: false });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe("{");
    expect(run.stderr).toBe("");
  });
});
