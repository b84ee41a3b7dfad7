// Bundles the CLI and the container entrypoint into single files: one file loads faster than
// a tree of node_modules (see README "Performance"), and the image needs one self-contained entrypoint.
import { build } from "esbuild";
import { chmodSync, existsSync } from "node:fs";

const entries = [
  { in: "src/cli/bin.ts", out: "dist/perimeter.mjs" },
  { in: "src/entrypoint/main.ts", out: "dist/entrypoint.mjs" },
].filter((e) => existsSync(e.in));

for (const entry of entries) {
  await build({
    entryPoints: [entry.in],
    outfile: entry.out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    legalComments: "none",
    banner: { js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  });
  chmodSync(entry.out, 0o755);
}
