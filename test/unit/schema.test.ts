import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinProfilesDir } from "../../src/profile/builtin.js";
import { SCHEMA_FILES } from "../../src/profile/json-schema.js";
import { runCli } from "./helpers.js";

const dir = builtinProfilesDir();
const committed = (name: string) => readFileSync(join(dir, name), "utf8");

describe("perimeter schema", () => {
  it("the committed schema files exist", () => {
    expect(existsSync(join(dir, SCHEMA_FILES.profile))).toBe(true);
    expect(existsSync(join(dir, SCHEMA_FILES.tripwires))).toBe(true);
  });

  it("`perimeter schema` prints exactly profiles/profile.schema.json", async () => {
    const result = await runCli(["schema"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(committed("profile.schema.json"));
    const schema = JSON.parse(result.stdout) as { $schema: string; properties: Record<string, unknown>; additionalProperties?: unknown };
    expect(schema.$schema).toMatch(/draft-07/);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["description", "extends", "posture", "commands"]));
    expect(schema.additionalProperties).toBe(false);
  });

  it("`perimeter schema --tripwires` prints exactly profiles/tripwires.schema.json", async () => {
    const result = await runCli(["schema", "--tripwires"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(committed("tripwires.schema.json"));
    expect(result.stdout).not.toBe(committed("profile.schema.json"));
    const schema = JSON.parse(result.stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toContain("tripwire");
  });

  it("`perimeter schema --secrets` prints exactly profiles/secrets.schema.json", async () => {
    const result = await runCli(["schema", "--secrets"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(committed("secrets.schema.json"));
    expect(Object.keys((JSON.parse(result.stdout) as { properties: object }).properties)).toContain("secret");
  });

  it("each built-in profile starts with `#:schema ./profile.schema.json`, tripwires.toml with ./tripwires.schema.json", () => {
    const tomls = readdirSync(dir).filter((f) => f.endsWith(".toml"));
    expect(tomls).toEqual(expect.arrayContaining(["autonomous.toml", "ci.toml", "interactive.toml", "tripwires.toml"]));
    for (const file of tomls) {
      const firstLine = committed(file).split("\n")[0];
      const own = { "tripwires.toml": "./tripwires.schema.json", "secrets.toml": "./secrets.schema.json" }[file];
      const expected = `#:schema ${own ?? "./profile.schema.json"}`;
      expect(firstLine, file).toBe(expected);
    }
  });
});
