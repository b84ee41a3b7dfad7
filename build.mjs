// Bundles the CLI and the container entrypoint. The CLI is split: each command's code loads only
// when that command runs, and the Codex template is precompiled so only Handlebars' runtime ships
// (start-up time, see README "Performance"). The entrypoint is one self-contained file, because
// the image carries exactly that file.
import { build } from "esbuild";
import Handlebars from "handlebars";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";

const precompiledRulesTemplate = {
  name: "precompiled-rules-template",
  setup(b) {
    b.onLoad({ filter: /src[\\/]tools[\\/]codex[\\/]rules-template\.ts$/ }, () => {
      const source = readFileSync("templates/codex/perimeter.rules.hbs", "utf8");
      const spec = Handlebars.precompile(source, { noEscape: true, strict: true });
      return {
        loader: "ts",
        resolveDir: "src/tools/codex",
        // The runtime is required on first use: only commands that write Codex rules pay for it.
        contents: `import { registerRulesHelpers } from "./rules-helpers.js";
let template;
export function rulesTemplate() {
  if (template === undefined) {
    const runtime = require("handlebars/runtime");
    const hbs = (runtime.default ?? runtime).create();
    registerRulesHelpers(hbs);
    template = hbs.template(${spec});
  }
  return template;
}`,
      };
    });
  },
};

/** The built-in profiles, loaded and checked once here by the real loader (src/profile/compiled.ts). */
function compileBuiltinProfiles(dir) {
  const script = `${dir}/compile-builtins.mjs`;
  return build({ ...common, entryPoints: ["src/dev/compile-builtins.ts"], outfile: script, minify: false }).then(() => {
    const json = execFileSync(process.execPath, [script], { encoding: "utf8" });
    rmSync(script);
    return json;
  });
}

const compiledProfiles = (json) => ({
  name: "compiled-builtin-profiles",
  setup(b) {
    b.onLoad({ filter: /src[\\/]profile[\\/]compiled-data\.ts$/ }, () => ({
      loader: "ts",
      // JSON.parse of a string literal is faster for V8 than the same object literal.
      contents: `export const COMPILED_BUILTINS = JSON.parse(${JSON.stringify(json)});`,
    }));
  },
});

const banner = { js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" };
const common = { bundle: true, platform: "node", format: "esm", target: "node20", minify: true, legalComments: "none", banner };

// Build beside dist/ and swap it in, so a test that runs the CLI while another rebuilds never finds
// dist/ half-written.
const out = `dist.building-${process.pid}`;
mkdirSync(out);
const builtins = await compileBuiltinProfiles(out);
await build({
  ...common,
  entryPoints: { perimeter: "src/cli/bin.ts" },
  outdir: out,
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  plugins: [precompiledRulesTemplate, compiledProfiles(builtins)],
});
await build({ ...common, entryPoints: ["src/entrypoint/main.ts"], outfile: `${out}/entrypoint.mjs` });
for (const file of ["perimeter.mjs", "entrypoint.mjs"]) chmodSync(`${out}/${file}`, 0o755);
const old = `dist.old-${process.pid}`;
if (existsSync("dist")) renameSync("dist", old);
renameSync(out, "dist");
rmSync(old, { recursive: true, force: true });
