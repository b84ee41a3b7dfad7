// The built-in profiles and host renderings compiled into the bundle (src/compiled/builtins.ts)
// must be exactly what the full loader and the emitters give, and must be ignored as soon as a
// built-in file differs from what was compiled.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { CompiledBuiltins } from "../../src/compiled/types.js";
import type { SettledFile } from "../../src/sink/host.js";

// The CLI reads the compiled built-ins from the folder data.ts names; each test writes its own.
const data: { dir: string | undefined } = { dir: undefined };
vi.mock("../../src/compiled/data.js", () => ({
  get COMPILED_DIR() {
    return data.dir;
  },
}));

const { compileBuiltins } = await import("../../src/compiled/compile.js");
const { writeCompiled, openCompiled } = await import("../../src/compiled/store.js");
const { listProfiles, loadProfile } = await import("../../src/profile/load.js");
const { guardPartFrom, hostRenderingFrom, profileFrom } = await import("../../src/cli/options.js");
const { renderProfile } = await import("../../src/render.js");
const { guardHost, planHost, settledForHost } = await import("../../src/sink/host.js");
const { TOOLS, toolById } = await import("../../src/tools/index.js");
const { isShared } = await import("../../src/tools/types.js");
const { runCli } = await import("./helpers.js");

/** What the CLI uses: the compiled copy when it is fresh, else the full loader. */
const cliProfile = (name: string, profilesDir?: string) => profileFrom({ profile: name, profilesDir }, "interactive");
const cliRendering = (name: string, tools = TOOLS, profilesDir?: string) => hostRenderingFrom({ profile: name, profilesDir }, tools);

const plain = (value: unknown) => JSON.parse(JSON.stringify(value));
const compile = () => compileBuiltins((n) => loadProfile(n), listProfiles());
/** Every non-empty subset of the tools, in their order (as --tools gives them). */
const toolSets = TOOLS.flatMap((_, i) => TOOLS.map((__, j) => TOOLS.slice(i, j + 1))).filter((s) => s.length > 0);

// A compiled copy made once: the loader and three emitters per profile are slow to repeat per test.
const pristine = JSON.stringify(compile());
const fresh = (): CompiledBuiltins => JSON.parse(pristine) as CompiledBuiltins;

const home = mkdtempSync(join(tmpdir(), "perimeter-compiled-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
let stores = 0;
/** Writes `compiled` as the build does, into a folder of its own, and makes the CLI read it. */
const install = (compiled: CompiledBuiltins): void => {
  data.dir = join(home, `compiled-${stores++}`);
  writeCompiled(data.dir, compiled);
};
let homes = 0;
const tempDirIn = (root: string) => {
  const dir = join(root, `home-${homes++}`);
  mkdirSync(dir);
  return dir;
};

describe("compiled built-in profiles", () => {
  let fullLoad: Record<string, unknown>;
  beforeEach(() => {
    data.dir = undefined;
    fullLoad = Object.fromEntries(listProfiles().map((n) => [n, plain(loadProfile(n))]));
  });

  it("the source tree carries none, so tests exercise the full loader", async () => {
    const real = await vi.importActual<typeof import("../../src/compiled/data.js")>("../../src/compiled/data.js");
    expect(real.COMPILED_DIR).toBeUndefined();
  });

  it("give exactly what the full loader gives, for every built-in profile", async () => {
    install(fresh());
    for (const name of listProfiles()) {
      const viaCompiled = await cliProfile(name);
      expect(plain(viaCompiled)).toEqual(fullLoad[name]);
      // The guard hook's part, stored apart, is the same profile's tripwires and secrets.
      const { tripwires, secrets } = fullLoad[name] as { tripwires: unknown; secrets: unknown };
      expect(plain(await guardPartFrom({ profile: name }, "interactive"))).toEqual({ tripwires, secrets });
    }
  });

  it("give the guard hook its part from the compiled copy too, and not once the files changed (control)", async () => {
    for (const edited of [false, true]) {
      const compiled = fresh();
      compiled.profiles.interactive!.tripwires[0]!.reason = "from the compiled copy";
      if (edited) compiled.inputs["profiles/tripwires.toml"] = `${compiled.inputs["profiles/tripwires.toml"]}\n# edited since the build\n`;
      install(compiled);
      const reason = (await guardPartFrom({ profile: "interactive" }, "interactive")).tripwires[0]!.reason;
      if (edited) expect(reason).not.toBe("from the compiled copy");
      else expect(reason).toBe("from the compiled copy");
    }
  });

  it("give exactly the host rendering the emitters give, settled by the sink, for every built-in profile and set of tools", async () => {
    install(fresh());
    for (const name of listProfiles()) {
      const full = renderProfile(loadProfile(name), TOOLS, "host");
      for (const tools of toolSets) {
        const expected = renderProfile(loadProfile(name), tools, "host");
        const settled = { ...expected, files: expected.files.map((f) => settledForHost(f, toolById(f.tool))) };
        expect(plain(await cliRendering(name, tools))).toEqual(plain(settled));
      }
      // Byte for byte the same planned files, and the same guard verdict, as the full path.
      const viaCompiled = planHost(await cliRendering(name), home);
      const viaFull = planHost(full, home);
      expect(viaCompiled.files.map((f) => f.after)).toEqual(viaFull.files.map((f) => f.after));
      const verdict = (plan: typeof viaFull) => {
        try {
          guardHost(plan, TOOLS);
          return "passes";
        } catch (error) {
          return (error as Error).message;
        }
      };
      expect(verdict(viaCompiled)).toEqual(verdict(viaFull));
    }
  });

  it("read back from the folder exactly as they were written (texts kept as plain files)", () => {
    const compiled = fresh();
    const dir = join(home, "round-trip");
    writeCompiled(dir, compiled);
    const read = openCompiled(dir)!;
    expect(plain({ inputs: read.inputs, inputRoots: read.inputRoots, profiles: read.profiles, hostRenderings: read.hostRenderings })).toEqual(plain(compiled));
    expect(openCompiled(join(home, "no-such-folder"))).toBeUndefined();
  });

  it("carry text and the guard's findings for exactly the files perimeter owns whole", () => {
    const files = fresh().hostRenderings.interactive!.files;
    const emitted = renderProfile(loadProfile("interactive"), TOOLS, "host").files;
    const whole = emitted.filter((f) => !isShared(f.body)).map((f) => f.path);
    expect(whole.length).toBeGreaterThan(0);
    const settled = files.filter((f) => "guardFindings" in f);
    expect(settled.map((f) => f.path)).toEqual(whole);
    for (const f of settled) expect(f.body.format).toBe("text");
  });

  it("have the guard refuse on a finding compiled into a whole-owned file (control: without it, render passes)", async () => {
    const target = tempDirIn(home);
    install(fresh());
    expect((await runCli(["render", "--dry-run", "--home", target])).code).toBe(0);
    const compiled = fresh();
    const whole = compiled.hostRenderings.interactive!.files.find((f) => "guardFindings" in f) as SettledFile;
    whole.guardFindings = [`${whole.path}: a finding the build made`];
    install(compiled);
    const refused = await runCli(["render", "--dry-run", "--home", target]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("a finding the build made");
  });

  it("are used when the files match (control: a marker only the compiled copy carries shows up)", async () => {
    const compiled = fresh();
    compiled.profiles.interactive!.description = "from the compiled copy";
    compiled.hostRenderings.interactive!.files[0]!.path = "from-the-compiled-copy.json";
    install(compiled);
    expect((await cliProfile("interactive")).description).toBe("from the compiled copy");
    expect((await cliRendering("interactive")).files[0]!.path).toBe("from-the-compiled-copy.json");
  });

  it("are ignored once a built-in file differs from the text they were compiled from", async () => {
    const compiled = fresh();
    compiled.profiles.interactive!.description = "from the compiled copy";
    compiled.hostRenderings.interactive!.files[0]!.path = "from-the-compiled-copy.json";
    compiled.inputs["profiles/tripwires.toml"] = `${compiled.inputs["profiles/tripwires.toml"]}\n# edited since the build\n`;
    install(compiled);
    expect(plain(await cliProfile("interactive"))).toEqual(fullLoad.interactive);
    expect((await cliRendering("interactive")).files[0]!.path).not.toBe("from-the-compiled-copy.json");
  });

  it("are ignored once a template differs from the one they were rendered with (every input is in the key)", async () => {
    const compiled = fresh();
    const templates = Object.keys(compiled.inputs).filter((f) => f.startsWith("templates/"));
    expect(templates.length).toBeGreaterThan(0);
    compiled.hostRenderings.interactive!.files[0]!.path = "from-the-compiled-copy.json";
    compiled.inputs[templates[0]!] = `${compiled.inputs[templates[0]!]}{{! edited since the build }}`;
    install(compiled);
    expect((await cliRendering("interactive")).files[0]!.path).not.toBe("from-the-compiled-copy.json");
  });

  it("are ignored once a built-in file is added or removed", async () => {
    for (const change of ["add", "remove"] as const) {
      const compiled = fresh();
      compiled.profiles.interactive!.description = "from the compiled copy";
      compiled.hostRenderings.interactive!.files[0]!.path = "from-the-compiled-copy.json";
      if (change === "add") compiled.inputs["profiles/extra.toml"] = "description = 'x'";
      else delete compiled.inputs["profiles/ci.toml"];
      install(compiled);
      expect((await cliProfile("interactive")).description).not.toBe("from the compiled copy");
      expect((await cliRendering("interactive")).files[0]!.path).not.toBe("from-the-compiled-copy.json");
    }
  });

  it("are ignored once a built-in file differs in one byte, its size the same (the key compares bytes, not sizes)", async () => {
    const compiled = fresh();
    compiled.profiles.interactive!.description = "from the compiled copy";
    const text = compiled.inputs["profiles/ci.toml"]!;
    const at = text.indexOf("=");
    expect(at).toBeGreaterThan(0);
    compiled.inputs["profiles/ci.toml"] = `${text.slice(0, at + 2)}X${text.slice(at + 3)}`;
    expect(Buffer.byteLength(compiled.inputs["profiles/ci.toml"]!)).toBe(Buffer.byteLength(text));
    install(compiled);
    expect((await cliProfile("interactive")).description).not.toBe("from the compiled copy");
  });

  it("are ignored once a template or a template folder they were compiled from is gone", async () => {
    const template = Object.keys(fresh().inputs).find((f) => f.startsWith("templates/"))!;
    for (const gone of [join(dirname(template), "gone.hbs"), "templates/gone/perimeter.rules.hbs"]) {
      const compiled = fresh();
      compiled.hostRenderings.interactive!.files[0]!.path = "from-the-compiled-copy.json";
      compiled.inputs[gone] = "{{! compiled from, now gone }}";
      install(compiled);
      expect((await cliRendering("interactive")).files[0]!.path).not.toBe("from-the-compiled-copy.json");
    }
    // Control: the same copy, unchanged, is used.
    const compiled = fresh();
    compiled.hostRenderings.interactive!.files[0]!.path = "from-the-compiled-copy.json";
    install(compiled);
    expect((await cliRendering("interactive")).files[0]!.path).toBe("from-the-compiled-copy.json");
  });

  it("are never used for a profiles folder of the user's", async () => {
    const compiled = fresh();
    compiled.profiles.interactive!.description = "from the compiled copy";
    compiled.hostRenderings.interactive!.files[0]!.path = "from-the-compiled-copy.json";
    install(compiled);
    expect((await cliProfile("interactive", "profiles")).description).not.toBe("from the compiled copy");
    expect((await cliRendering("interactive", TOOLS, "profiles")).files[0]!.path).not.toBe("from-the-compiled-copy.json");
  });
});

describe("src/compiled/", () => {
  it("has no import cycle among its modules (types.ts holds the types both sides use)", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const dir = join(import.meta.dirname, "../../src/compiled");
    const modules = readdirSync(dir).filter((f) => f.endsWith(".ts"));
    const imports = Object.fromEntries(
      modules.map((m) => [m, [...readFileSync(join(dir, m), "utf8").matchAll(/from "\.\/([\w-]+)\.js"/g)].map((x) => `${x[1]}.ts`)]),
    );
    const visiting = new Set<string>();
    const cycle = (m: string, path: string[]): string[] | undefined => {
      if (visiting.has(m)) return [...path, m];
      visiting.add(m);
      for (const next of imports[m] ?? []) {
        const found = cycle(next, [...path, m]);
        if (found) return found;
      }
      visiting.delete(m);
      return undefined;
    };
    for (const m of modules) expect(cycle(m, []), m).toBeUndefined();
    // Control: the detector sees a cycle when there is one.
    imports["store.ts"] = [...imports["store.ts"]!, "builtins.ts"];
    expect(cycle("builtins.ts", [])).toEqual(["builtins.ts", "store.ts", "builtins.ts"]);
  });
});
