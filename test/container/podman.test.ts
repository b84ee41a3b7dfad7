// Proves the container test infrastructure: a local image built without any registry runs as the
// non-root `agent`, carries a root-owned read-only layer the agent can't touch, runs node and the three
// pinned agent CLIs, has no setuid binaries or sudo, and with host networking reaches a host loopback server.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pinnedClientVersions } from "../../src/image/spec.js";
import { TOOLS } from "../../src/tools/index.js";
import { WORK_DIR, buildTestImage, ensureBaseRootfs, ensurePodman, runContainer, writeLayerTar } from "./podman.js";

const POLICY = JSON.stringify({ probe: true, deny: ["Bash(rm *)"] }) + "\n";

function ms(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

describe("podman agent test image", () => {
  let image: string;
  let server: Server;
  let port: number;
  const layerTar = path.join(WORK_DIR, `probe-layer-${process.pid}.tar`);

  beforeAll(async () => {
    let t0 = performance.now();
    await ensurePodman();
    const timings = [`ensurePodman ${ms(t0)}`];
    t0 = performance.now();
    await ensureBaseRootfs();
    timings.push(`base rootfs (built or cached) ${ms(t0)}`);
    await writeLayerTar(layerTar, [
      { path: "/etc/probe", mode: 0o755, uid: 0, gid: 0 },
      { path: "/etc/probe/policy.json", content: POLICY, mode: 0o444, uid: 0, gid: 0 },
    ]);
    t0 = performance.now();
    image = await buildTestImage({
      name: "perimeter-podman-selftest",
      layers: [layerTar],
      config: { user: "1000:1000", workdir: "/work", env: { PERIMETER_PROBE: "1" } },
    });
    timings.push(`image assembly ${ms(t0)}`);
    t0 = performance.now();
    await runContainer(image, { args: ["true"] });
    timings.push(`container run (true) ${ms(t0)}`);
    console.log(`[podman.test] ${timings.join(", ")}`);

    server = createServer((req, res) => res.end(`hello from host ${req.method} ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  }, 900_000);

  afterAll(async () => {
    server?.close();
    await fs.rm(layerTar, { force: true });
  });

  it("runs as uid 1000 by default and with --user 1000 / agent, and as root with --user 0", async () => {
    const byDefault = await runContainer(image, { args: ["sh", "-c", 'id -u; id -g; id -un; echo "$HOME"; pwd; echo "$PERIMETER_PROBE"'] });
    expect(byDefault).toMatchObject({ exitCode: 0, stderr: "" });
    expect(byDefault.stdout.split("\n")).toEqual(["1000", "1000", "agent", "/home/agent", "/work", "1"]);

    expect((await runContainer(image, { user: "1000", args: ["id", "-u"] })).stdout).toBe("1000");
    expect((await runContainer(image, { user: "agent", args: ["id", "-u"] })).stdout).toBe("1000");
    const root = await runContainer(image, { user: "0", args: ["id", "-u"] });
    expect(root).toMatchObject({ exitCode: 0, stdout: "0" });

    // agent's own places are writable
    const writes = await runContainer(image, { user: "1000", args: ["sh", "-c", "touch /home/agent/x /work/x /tmp/x && echo ok"] });
    expect(writes.stdout).toBe("ok");
  });

  it("keeps the extra layer's root-owned read-only file out of the agent's reach", async () => {
    const st = await runContainer(image, { args: ["stat", "-c", "%u:%g %a %n", "/etc/probe", "/etc/probe/policy.json"] });
    expect(st.stdout.split("\n")).toEqual(["0:0 755 /etc/probe", "0:0 444 /etc/probe/policy.json"]);

    const script = [
      "f=/etc/probe/policy.json",
      'if echo x > "$f"; then echo WRITE-OK; else echo write-denied; fi',
      'if echo x >> "$f"; then echo APPEND-OK; else echo append-denied; fi',
      'if rm -f "$f"; then echo RM-OK; else echo rm-denied; fi',
      'if mv "$f" /tmp/p; then echo MV-OK; else echo mv-denied; fi',
      'if chmod 666 "$f"; then echo CHMOD-OK; else echo chmod-denied; fi',
      'if touch /etc/probe/new; then echo CREATE-OK; else echo create-denied; fi',
      'cat "$f"',
    ].join("\n");
    const r = await runContainer(image, { user: "1000", args: ["bash", "-c", script] });
    expect(r.stdout).toBe(
      ["write-denied", "append-denied", "rm-denied", "mv-denied", "chmod-denied", "create-denied", POLICY.trimEnd()].join("\n"),
    );
    expect(r.stderr).toMatch(/Permission denied|Operation not permitted/);
  });

  it("runs node with the host's major version", async () => {
    const r = await runContainer(image, { args: ["node", "-e", "console.log(process.version, 6 * 7)"] });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${process.version} 42`);
    expect(process.version.split(".")[0]).toBe("v20");
  });

  it("has bash, coreutils, git, tini and CA certificates", async () => {
    const r = await runContainer(image, {
      args: [
        "bash",
        "-c",
        "git --version && tini --version && ls --version | head -1 && bash --version | head -1 && " +
          "test -s /etc/ssl/certs/ca-certificates.crt && cd /work && git init -q r && cd r && " +
          "git -c user.name=a -c user.email=a@b commit -q --allow-empty -m m && git log --format=%s",
      ],
    });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^git version 2\.\d+/m);
    expect(r.stdout).toMatch(/^tini version 0\.19/m);
    expect(r.stdout).toMatch(/^ls \(GNU coreutils\)/m);
    expect(r.stdout).toMatch(/^GNU bash/m);
    expect(r.stdout.split("\n").at(-1)).toBe("m");
  });

  it.each(TOOLS.map((t) => [t.id, t.npmPackage] as const))("runs the pinned %s CLI as uid 1000", async (id, pkg) => {
    const r = await runContainer(image, { user: "1000", args: [id, "--version"] });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(pinnedClientVersions()[pkg]);
  }, 120_000);

  it("has no setuid binaries and no sudo", async () => {
    const r = await runContainer(image, {
      user: "0",
      args: ["sh", "-c", "find / -xdev -perm -4000; echo find-exit=$?; command -v sudo || echo no-sudo; ls /usr/bin/sudo 2>&1 | head -1"],
    });
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["find-exit=0", "no-sudo"]);
    expect(r.stdout).toContain("No such file");
  });

  it("reaches a server on the host's 127.0.0.1 with --network host, and nothing with --network none", async () => {
    const url = `http://127.0.0.1:${port}/probe`;
    const viaCurl = await runContainer(image, { network: "host", args: ["curl", "-sS", "--max-time", "5", url] });
    expect(viaCurl).toMatchObject({ exitCode: 0, stdout: "hello from host GET /probe" });
    const viaNode = await runContainer(image, {
      network: "host",
      args: ["node", "-e", `fetch(${JSON.stringify(url)}).then((r) => r.text()).then(console.log)`],
    });
    expect(viaNode).toMatchObject({ exitCode: 0, stdout: "hello from host GET /probe" });

    const isolated = await runContainer(image, { network: "none", args: ["curl", "-sS", "--max-time", "5", url] });
    expect(isolated.exitCode).not.toBe(0);
  });

  it("mounts volumes, overrides the entrypoint and enforces the timeout", async () => {
    const dir = await fs.mkdtemp(path.join(WORK_DIR, "vol-"));
    try {
      await fs.writeFile(path.join(dir, "in.txt"), "from host");
      const r = await runContainer(image, {
        user: "0",
        volumes: [`${dir}:/mnt/vol`],
        entrypoint: ["/usr/bin/tini", "--", "cat"],
        args: ["/mnt/vol/in.txt"],
      });
      expect(r).toMatchObject({ exitCode: 0, stdout: "from host" });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    await expect(runContainer(image, { args: ["sleep", "30"], timeoutMs: 1500 })).rejects.toThrow(/timed out/);
  });
});
