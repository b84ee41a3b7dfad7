// Builds the agent image's policy layer from a no-prompt profile: each tool's system/managed files,
// the image spec and the entrypoint bundle, all root-owned and read-only.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ProfilePlacementError } from "../errors.js";
import { packageRoot } from "../profile/builtin.js";
import { isContainerOnly, type Profile } from "../profile/types.js";
import { renderProfile } from "../render.js";
import { serialize } from "../sink/formats.js";
import { writeLayer, type LayerEntry } from "../sink/layer.js";
import type { AgentTool, Gap } from "../tools/types.js";
import { ENTRYPOINT_PATH, IMAGE_SPEC_PATH, imageSpec, PACKAGE_PATH, type ImageSpec, type ImageSpecOptions } from "./spec.js";

const READ_ONLY = 0o444;

export interface BakeResult {
  spec: ImageSpec;
  entries: LayerEntry[];
  gaps: Gap[];
}

/** Package-relative paths of the files under `folder`, sorted (none when it is not there). */
function filesUnder(root: string, folder: string): string[] {
  if (!existsSync(join(root, folder))) return [];
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

/**
 * The CLI the guard hooks run, as an installed package: its package.json, the built-in profiles and
 * templates, and dist/ (launcher, the CLI's and the hook's bundles with their code caches, compiled built-ins, and
 * the gateway's bundle: `perimeter run` starts the gateway container from this same image).
 * Root-owned and read-only like the rest.
 */
function cliPackage(): LayerEntry[] {
  const root = packageRoot();
  const dist = join(root, "dist");
  if (!existsSync(join(dist, "perimeter.cjs"))) throw new Error(`${dist}/perimeter.cjs is missing: run \`npm run build\` first`);
  const files = [
    "package.json",
    // All of profiles/ and templates/: the compiled built-ins are used only while every file they were
    // compiled from is there unchanged (src/compiled/store.ts), so without them each hook call in
    // the image would run the full loader.
    ...["profiles", "templates"].flatMap((folder) => filesUnder(root, folder)),
    // run.cjs: the cluster form's finisher (`perimeter finish`) runs in the image, with the scanner.
    ...["perimeter.cjs", "cli.cjs", "cli.v8cache", "hook.cjs", "hook.v8cache", "gateway.cjs", "gateway.v8cache", "run.cjs"].map((f) => `dist/${f}`),
    ...readdirSync(join(dist, "compiled")).map((f) => `dist/compiled/${f}`),
  ];
  return files.map((file) => ({
    path: `${PACKAGE_PATH}/${file}`,
    content: readFileSync(join(root, file)),
    mode: file === "dist/perimeter.cjs" ? 0o555 : READ_ONLY,
  }));
}

/** The string literal in the entrypoint bundle that bake replaces (src/entrypoint/digests.ts). */
export const DIGESTS_PLACEHOLDER = '"@@perimeter-policy-digests@@"';

/**
 * The entrypoint bundle with the sha256 of every other file in the layer baked in, so the entrypoint
 * can tell a file mounted over one of them. Whatever bake ships is covered, the guard's files included.
 */
function entrypointBundle(others: readonly LayerEntry[]): Buffer {
  const file = join(packageRoot(), "dist", "entrypoint.cjs");
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  const bundle = readFileSync(file, "utf8");
  const parts = bundle.split(DIGESTS_PLACEHOLDER);
  if (parts.length !== 2) throw new Error(`${file} must hold ${DIGESTS_PLACEHOLDER} exactly once (it holds it ${parts.length - 1} times)`);
  const digests = Object.fromEntries(others.map((e) => [e.path, createHash("sha256").update(e.content).digest("hex")]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  return Buffer.from(parts.join(JSON.stringify(JSON.stringify(digests))));
}

export function bakeEntries(profile: Profile, tools: readonly AgentTool[], options: ImageSpecOptions = {}): BakeResult {
  if (!isContainerOnly(profile)) {
    throw new ProfilePlacementError(
      `profile "${profile.name}" prompts the user (posture.prompts = "${profile.posture.prompts}"); only no-prompt profiles go into the agent image, interactive ones go on the host with \`perimeter render\``,
    );
  }
  const rendering = renderProfile(profile, tools, "image");
  const policy: LayerEntry[] = rendering.files.map((f) => ({ path: f.path, content: serialize(f.body, true), mode: READ_ONLY }));
  const spec = imageSpec(profile, tools, policy.map((p) => p.path), options);
  // Every file bake writes, the guard's CLI package included, is digested into the entrypoint.
  const others: LayerEntry[] = [...policy, { path: IMAGE_SPEC_PATH, content: `${JSON.stringify(spec, null, 2)}\n`, mode: READ_ONLY }, ...cliPackage()];
  const entries: LayerEntry[] = [...others, { path: ENTRYPOINT_PATH, content: entrypointBundle(others), mode: 0o555 }];
  return { spec, entries, gaps: rendering.gaps };
}

export async function bakeLayer(profile: Profile, tools: readonly AgentTool[], out: string, options: ImageSpecOptions = {}): Promise<BakeResult> {
  const result = bakeEntries(profile, tools, options);
  await writeLayer(out, result.entries);
  return result;
}
