// Bundles the CLI and the container entrypoint, each one self-contained CommonJS file (the image
// carries exactly the entrypoint's file). For start-up time (README "Performance") the tools'
// templates are precompiled so only Handlebars' runtime ships, the built-in profiles and their host
// renderings are computed here, the guard hook gets a bundle of its own (dist/hook.cjs), and each CLI
// bundle gets a V8 code cache made by runs of it.
import { build } from "esbuild";
import Handlebars from "handlebars";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A tool's text template, precompiled: src/tools/<tool>/<kind>-template.ts is replaced by a module that
 * holds templates/<tool>/perimeter.<kind>.hbs compiled, with the helpers of ./<kind>-helpers.js.
 */
const precompiledTemplates = {
  name: "precompiled-templates",
  setup(b) {
    b.onLoad({ filter: /src[\\/]tools[\\/]\w+[\\/]\w+-template\.ts$/ }, (args) => {
      const [, tool, kind] = /src[\\/]tools[\\/](\w+)[\\/](\w+)-template\.ts$/.exec(args.path);
      const Kind = kind[0].toUpperCase() + kind.slice(1);
      const source = readFileSync(`templates/${tool}/perimeter.${kind}.hbs`, "utf8");
      const spec = Handlebars.precompile(source, { noEscape: true, strict: true });
      return {
        loader: "ts",
        resolveDir: `src/tools/${tool}`,
        // The runtime is required on first use: only commands that write this file pay for it.
        contents: `import { register${Kind}Helpers } from "./${kind}-helpers.js";
let template;
export function ${kind}Template() {
  if (template === undefined) {
    const runtime = require("handlebars/runtime");
    const hbs = (runtime.default ?? runtime).create();
    register${Kind}Helpers(hbs);
    template = hbs.template(${spec});
  }
  return template;
}`,
      };
    });
  },
};

/**
 * The built-in profiles and their host renderings, made once here by the real code and written to
 * dist/compiled/ (src/compiled/). The bundle's src/compiled/data.ts then names that folder.
 */
async function compileBuiltins(dir) {
  const script = `${dir}/compile-builtins.cjs`;
  await build({ ...common, entryPoints: ["src/dev/compile-builtins.ts"], outfile: script, minify: false });
  execFileSync(process.execPath, [script, `${dir}/compiled`], { stdio: ["ignore", "ignore", "inherit"] });
  rmSync(script);
}

const compiledDir = {
  name: "compiled-dir",
  setup(b) {
    b.onLoad({ filter: /src[\\/]compiled[\\/]data\.ts$/ }, () => ({
      loader: "js",
      contents: 'export const COMPILED_DIR = require("node:path").join(__dirname, "compiled");',
    }));
  },
};

// CommonJS, not ESM: Node 20's ESM loader alone costs about 5 ms per start (README "Performance").
// `import.meta.dirname` becomes the bundle's folder, and `import.meta.url` the bundle file's URL,
// made when first read (pathToFileURL costs about 0.3 ms, and most runs never ask).
const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  legalComments: "none",
  define: { "import.meta.url": "__bundleMeta.url", "import.meta.dirname": "__dirname" },
  banner: { js: 'var __bundleMeta={get url(){return require("node:url").pathToFileURL(__filename).href}};' },
};
const program = { banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } };

/**
 * commander requires child_process at load time, for subcommands that are separate programs, which
 * perimeter has none of; loading it costs about 3 ms per start. It is loaded on first use instead.
 */
const lazyChildProcessForCommander = {
  name: "lazy-child-process-for-commander",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: "child_process", namespace: "lazy-child-process" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-child-process" }, () => ({
      loader: "js",
      contents: 'module.exports = new Proxy({}, { get: (_, key) => require("node:child_process")[key] });',
    }));
  },
};

/**
 * commander also requires `node:process`, a module Node then loads just to hand back the `process`
 * global: it gets the global.
 */
const globalProcessForCommander = {
  name: "global-process-for-commander",
  setup(b) {
    b.onResolve({ filter: /^(node:)?process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: "process", namespace: "global-process" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "global-process" }, () => ({ loader: "js", contents: "module.exports = process;" }));
  },
};

/**
 * Runs of the built CLI whose code cache the launcher then writes (src/cli/launcher.ts), each run
 * adding the functions it compiled: for dist/cli.cjs a render of the default profile into an empty
 * home (writing included, as hooks and activations run), a check of that home and a dry run; for
 * dist/hook.cjs hook decisions of every tool (their inputs from src/dev/hook-inputs.ts).
 */
async function writeCodeCaches(dir) {
  const home = mkdtempSync(join(tmpdir(), "perimeter-build-"));
  const cli = (args, input) => {
    const r = spawnSync(process.execPath, [`${dir}/perimeter.cjs`, ...args], {
      // A minimal environment: a tool's location variable (CODEX_HOME ...) must not send these runs into a real home.
      env: { PATH: process.env.PATH, HOME: home, LANG: "C.UTF-8", PERIMETER_BUILD_CODE_CACHE: "1" },
      input,
      stdio: ["pipe", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (r.error !== undefined || r.signal !== null || r.status > 2) throw new Error(`perimeter ${args.join(" ")} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${r.stderr}`);
    return r.status;
  };
  try {
    // The project folder judged too is an empty one, not whatever folder the build runs in.
    const project = join(home, "project");
    mkdirSync(project);
    for (const command of ["render", "check"]) if (cli([command, "--home", join(home, "rendered"), "--project", project]) !== 0) throw new Error(`perimeter ${command} did not pass`);
    mkdirSync(join(home, "empty"));
    cli(["render", "--dry-run", "--home", join(home, "empty"), "--project", project]);
    const script = `${dir}/hook-inputs.cjs`;
    await build({ ...common, entryPoints: ["src/dev/hook-inputs.ts"], outfile: script, minify: false });
    const calls = execFileSync(process.execPath, [script], { encoding: "utf8" }).trim().split("\n").map((line) => JSON.parse(line));
    rmSync(script);
    for (const { tool, input } of calls) cli(["hook", tool], JSON.stringify(input));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The gateway (proxy, certificates, GraphQL: about 400 KB) is its own bundle, dist/gateway.cjs,
 * required only when `perimeter gateway` starts one, so no other command loads or compiles it. It
 * runs from a code cache of its own (dist/gateway.v8cache, made by one gateway start below): its
 * start is on the critical path of `perimeter run`.
 */
const separateGateway = {
  name: "separate-gateway",
  setup(b) {
    b.onResolve({ filter: /[\\/]gateway[\\/]server\.js$/ }, () => ({ path: "gateway-bundle", namespace: "separate-gateway" }));
    b.onLoad({ filter: /.*/, namespace: "separate-gateway" }, () => ({
      loader: "ts",
      resolveDir: "src/cli",
      contents: `import { join } from "node:path";
import { requireWithCodeCache } from "./code-cache.js";
const gateway = requireWithCodeCache(join(__dirname, "gateway.cjs"), join(__dirname, "gateway.v8cache"), process.env.PERIMETER_BUILD_GATEWAY_CODE_CACHE, require);
export const startGateway = gateway.startGateway;`,
    }));
  },
};

/**
 * One gateway start (listening on loopback, its CA into a scratch folder, stopped with SIGTERM once
 * ready), whose exit writes dist/gateway.v8cache with every function the start compiled.
 */
function writeGatewayCodeCache(dir) {
  const scratch = mkdtempSync(join(tmpdir(), "perimeter-build-gateway-"));
  try {
    const args = [`${dir}/perimeter.cjs`, "gateway", "--profile", "autonomous", "--listen", "127.0.0.1:0", "--ca-dir", scratch];
    const script = `const c=require("node:child_process").spawn(process.execPath,${JSON.stringify(args)},{stdio:["ignore","pipe","inherit"],env:{...process.env,PERIMETER_BUILD_GATEWAY_CODE_CACHE:${JSON.stringify(`${dir}/gateway.v8cache`)}}});
let out="",sent=false;c.stdout.on("data",(d)=>{out+=d;if(!sent&&out.includes("ready")){sent=true;c.kill("SIGTERM")}});
const t=setTimeout(()=>{c.kill("SIGKILL");process.exit(1)},60000);c.on("exit",()=>{clearTimeout(t)});`;
    execFileSync(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "inherit"] });
    // The gateway ends on SIGTERM as it does in a run; the cache is what its exit wrote.
    if (!existsSync(`${dir}/gateway.v8cache`)) throw new Error("the gateway's start wrote no code cache");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `perimeter run`'s executor and the secret scanner it loads (secretlint, about 170 KB) are their own
 * bundle too, dist/run.cjs, required only when a run starts: --print, --emit and every other command
 * never load them.
 */
const separateRun = {
  name: "separate-run",
  setup(b) {
    b.onResolve({ filter: /[\\/]run[\\/]execute\.js$/ }, () => ({ path: "run-bundle", namespace: "separate-run" }));
    b.onLoad({ filter: /.*/, namespace: "separate-run" }, () => ({
      loader: "js",
      contents: 'module.exports = require(require("node:path").join(__dirname, "run.cjs"));',
    }));
  },
};

// Build beside dist/ and swap it in, so a test that runs the CLI while another rebuilds never finds
// dist/ half-written.
const out = `dist.building-${process.pid}`;
mkdirSync(out);
await compileBuiltins(out);
await build({
  ...common,
  entryPoints: ["src/cli/bin.ts"],
  outfile: `${out}/cli.cjs`,
  plugins: [precompiledTemplates, compiledDir, lazyChildProcessForCommander, globalProcessForCommander, separateGateway, separateRun],
});
await build({
  ...common,
  entryPoints: ["src/cli/hook-bin.ts"],
  outfile: `${out}/hook.cjs`,
  plugins: [precompiledTemplates, compiledDir, lazyChildProcessForCommander, globalProcessForCommander, separateGateway, separateRun],
});
await build({ ...common, entryPoints: ["src/gateway/server.ts"], outfile: `${out}/gateway.cjs` });
await build({ ...common, entryPoints: ["src/run/execute.ts"], outfile: `${out}/run.cjs` });
await build({ ...common, entryPoints: ["src/cli/launcher.ts"], outfile: `${out}/perimeter.cjs`, ...program });
await build({ ...common, entryPoints: ["src/entrypoint/main.ts"], outfile: `${out}/entrypoint.cjs`, ...program });
for (const file of ["perimeter.cjs", "entrypoint.cjs"]) chmodSync(`${out}/${file}`, 0o755);
await writeCodeCaches(out);
writeGatewayCodeCache(out);
const old = `dist.old-${process.pid}`;
if (existsSync("dist")) renameSync("dist", old);
renameSync(out, "dist");
rmSync(old, { recursive: true, force: true });
