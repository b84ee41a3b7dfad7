// Bundles the CLI and the container entrypoint. The CLI is split: each command's code loads only
// when that command runs, and the Codex template is precompiled so only Handlebars' runtime ships
// (start-up time, see README "Performance"). The entrypoint is one self-contained file, because
// the image carries exactly that file.
import { build } from "esbuild";
import Handlebars from "handlebars";
import { chmodSync, readFileSync, rmSync } from "node:fs";

const precompiledRulesTemplate = {
  name: "precompiled-rules-template",
  setup(b) {
    b.onLoad({ filter: /src[\\/]tools[\\/]codex[\\/]rules-template\.ts$/ }, () => {
      const source = readFileSync("templates/codex/perimeter.rules.hbs", "utf8");
      const spec = Handlebars.precompile(source, { noEscape: true, strict: true });
      return {
        loader: "ts",
        resolveDir: "src/tools/codex",
        contents: `import Handlebars from "handlebars/runtime";
import { registerRulesHelpers } from "./rules-helpers.js";
const hbs = Handlebars.create();
registerRulesHelpers(hbs);
const template = hbs.template(${spec});
export function rulesTemplate() { return template; }`,
      };
    });
  },
};

const banner = { js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" };
const common = { bundle: true, platform: "node", format: "esm", target: "node20", minify: true, legalComments: "none", banner };

rmSync("dist", { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { perimeter: "src/cli/bin.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  plugins: [precompiledRulesTemplate],
});
await build({ ...common, entryPoints: ["src/entrypoint/main.ts"], outfile: "dist/entrypoint.mjs" });
for (const file of ["dist/perimeter.mjs", "dist/entrypoint.mjs"]) chmodSync(file, 0o755);
