#!/usr/bin/env node
// Writes nix/image-spec.json: the /etc/perimeter/image.json that `perimeter bake` puts into the agent
// image's layer, byte for byte. The flake reads the image config (user, env, entrypoint, workdir) from
// this copy at evaluation time, and refuses to build an image whose baked spec differs from it.
//   node build.mjs && node nix/update-image-spec.mjs           rewrite the copy
//   node nix/update-image-spec.mjs --check                       exit 1 when it is stale
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SPEC_COPY = join(ROOT, "nix", "image-spec.json");
/** The profile baked into the agent image (the flake bakes the profile the copy names). */
export const IMAGE_PROFILE = "autonomous";
const SPEC_IN_LAYER = "etc/perimeter/image.json";
/** The one line the Kubernetes variant's spec adds (nix/image.nix's wallLine): it needs no copy of its own. */
export const EGRESS_WALL_LINE = '  "egressWall": "orchestrator",';

/** Bakes the layer with the built CLI (dist/perimeter.cjs) and returns its image.json bytes. */
export function bakedSpec(profile = IMAGE_PROFILE, egressWall = "network") {
  const cli = join(ROOT, "dist", "perimeter.cjs");
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`node build.mjs\` first`);
  const dir = mkdtempSync(join(tmpdir(), "perimeter-spec-"));
  try {
    const layer = join(dir, "layer.tar");
    execFileSync(process.execPath, [cli, "bake", "--profile", profile, "--egress-wall", egressWall, "--out", layer], { stdio: ["ignore", "ignore", "pipe"] });
    return execFileSync("tar", ["-xOf", layer, SPEC_IN_LAYER]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const baked = bakedSpec();
  const current = existsSync(SPEC_COPY) ? readFileSync(SPEC_COPY) : undefined;
  if (process.argv.includes("--check")) {
    if (current === undefined || !current.equals(baked)) {
      process.stderr.write("nix/image-spec.json is stale: run `node build.mjs && node nix/update-image-spec.mjs`\n");
      process.exit(1);
    }
    process.stdout.write("nix/image-spec.json is the baked spec\n");
  } else if (current !== undefined && current.equals(baked)) {
    process.stdout.write("nix/image-spec.json unchanged\n");
  } else {
    writeFileSync(SPEC_COPY, baked);
    process.stdout.write("wrote nix/image-spec.json\n");
  }
}
