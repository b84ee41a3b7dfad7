// The contract `perimeter run` relies on: flags, a ready line once the CA is in --ca-dir, 403 for a
// host outside [network], usage totals on SIGTERM, exit 0.
import { execa } from "execa";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl, SECRETS, startWorld, type World } from "./harness.js";

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterAll(async () => world?.close());

describe("perimeter gateway (the command)", () => {
  it("serves until SIGTERM: ready line, refusals, usage totals, exit 0", async () => {
    const hosts = join(world.dir, "hosts");
    const upstreamCa = join(world.dir, "upstream.pem");
    writeFileSync(hosts, world.hostsText);
    writeFileSync(upstreamCa, world.ca.caPem);
    const caDir = join(world.dir, "cli-ca");
    const log = join(world.dir, "cli.log");
    const child = execa(
      "node_modules/.bin/tsx",
      ["src/cli/bin.ts", "gateway", "--profile", "gw", "--profiles-dir", world.profilesDir, "--listen", "127.0.0.1:0", "--ca-dir", caDir, "--log", log, "--hosts", hosts, "--upstream-ca", upstreamCa, "--usage", join(world.dir, "cli-usage.json"), "--json"],
      { env: { ...SECRETS }, reject: false },
    );
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const line = out.split("\n").find((l) => l.includes('"ready"'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      });
      child.once("exit", () => reject(new Error(`exited before ready: ${out}`)));
    });
    expect(ready).toMatchObject({ event: "ready", profile: "gw", ca: join(caDir, "ca.pem"), credentials: ["anthropic", "github-api", "github-git"], missing: [] });
    expect(existsSync(join(caDir, "ca.pem"))).toBe(true);
    const port = Number(String(ready.listen).split(":").pop());
    const denied = await curl({ port }, join(caDir, "ca-bundle.pem"), ["http://denied.test/"]);
    expect(denied.status).toBe(403);
    const ok = await curl({ port }, join(caDir, "ca-bundle.pem"), ["-X", "POST", "-d", '{"model":"claude-sonnet-4","messages":[]}', "https://api.anthropic.com/v1/messages"]);
    expect(ok.status).toBe(200);
    child.kill("SIGTERM");
    const done = await child;
    expect(done.exitCode).toBe(0);
    const stopped = JSON.parse(done.stdout.trim().split("\n").pop()!) as { event: string; totals: { calls: number } };
    expect(stopped).toMatchObject({ event: "stopped", totals: { calls: 1 } });
    const text = readFileSync(log, "utf8");
    expect(text).toContain('"rule":"network.allow"');
    for (const s of Object.values(SECRETS)) expect(text + done.stdout + done.stderr).not.toContain(s);
  });

  it("a profile without [network] is refused with a clear error", async () => {
    const r = await execa("node_modules/.bin/tsx", ["src/cli/bin.ts", "gateway", "--profile", "interactive", "--listen", "127.0.0.1:0", "--ca-dir", join(world.dir, "x")], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/interactive\.toml.*no \[network\] section/);
  });
});
