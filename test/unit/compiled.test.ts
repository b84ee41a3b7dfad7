// The built-in profiles compiled into the bundle (src/profile/compiled.ts) must be exactly what the
// full loader returns, and must be ignored as soon as a built-in file differs from what was compiled.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CompiledBuiltins } from "../../src/profile/compiled.js";

const data: { value: CompiledBuiltins | undefined } = { value: undefined };
vi.mock("../../src/profile/compiled-data.js", () => ({
  get COMPILED_BUILTINS() {
    return data.value;
  },
}));

const { compileBuiltins } = await import("../../src/profile/compiled.js");
const { listProfiles, loadProfile } = await import("../../src/profile/load.js");
const { profileFrom } = await import("../../src/cli/options.js");
/** What the CLI uses: the compiled copy when it is fresh, else the full loader. */
const cliProfile = (name: string, profilesDir?: string) => profileFrom({ profile: name, profilesDir }, "interactive");

const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe("compiled built-in profiles", () => {
  let fullLoad: Record<string, unknown>;
  beforeEach(() => {
    data.value = undefined;
    fullLoad = Object.fromEntries(listProfiles().map((n) => [n, plain(loadProfile(n))]));
  });

  it("the source tree carries none, so tests exercise the full loader", async () => {
    const real = await vi.importActual<typeof import("../../src/profile/compiled-data.js")>("../../src/profile/compiled-data.js");
    expect(real.COMPILED_BUILTINS).toBeUndefined();
  });

  it("give exactly what the full loader gives, for every built-in profile", async () => {
    const compiled = compileBuiltins((n) => loadProfile(n), listProfiles());
    data.value = compiled;
    for (const name of listProfiles()) {
      const viaCompiled = await cliProfile(name);
      expect(plain(viaCompiled)).toEqual(fullLoad[name]);
    }
  });

  it("are used when the files match (control: a marker only the compiled copy carries shows up)", async () => {
    const compiled = compileBuiltins((n) => loadProfile(n), listProfiles());
    compiled.profiles.interactive!.description = "from the compiled copy";
    data.value = compiled;
    expect((await cliProfile("interactive")).description).toBe("from the compiled copy");
  });

  it("are ignored once a built-in file differs from the text they were compiled from", async () => {
    const compiled = compileBuiltins((n) => loadProfile(n), listProfiles());
    compiled.profiles.interactive!.description = "from the compiled copy";
    compiled.sources["tripwires.toml"] = `${compiled.sources["tripwires.toml"]}\n# edited since the build\n`;
    data.value = compiled;
    expect(plain(await cliProfile("interactive"))).toEqual(fullLoad.interactive);
  });

  it("are ignored once a built-in file is added or removed", async () => {
    const compiled = compileBuiltins((n) => loadProfile(n), listProfiles());
    compiled.profiles.interactive!.description = "from the compiled copy";
    compiled.sources["extra.toml"] = "description = 'x'";
    data.value = compiled;
    expect((await cliProfile("interactive")).description).not.toBe("from the compiled copy");
  });

  it("are never used for a profiles folder of the user's", async () => {
    const compiled = compileBuiltins((n) => loadProfile(n), listProfiles());
    compiled.profiles.interactive!.description = "from the compiled copy";
    data.value = compiled;
    expect((await cliProfile("interactive", "profiles")).description).not.toBe("from the compiled copy");
  });
});
