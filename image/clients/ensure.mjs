#!/usr/bin/env node
// Installs the pinned agent CLIs (this folder's package-lock.json) unless exactly those versions are
// already installed. The conformance and container suites run against them.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const wanted = manifest.dependencies;
/** Each tool's npm bin is named like its id (package.json "perimeter.tools": id -> npm package). */
const toolIds = Object.keys(manifest.perimeter.tools);

const installed = (name) => {
  const manifest = join(here, "node_modules", name, "package.json");
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, "utf8")).version : undefined;
};
const bins = toolIds.every((b) => existsSync(join(here, "node_modules", ".bin", b)));
const current = bins && Object.entries(wanted).every(([name, version]) => installed(name) === version);

if (current) {
  console.log(`agent CLIs up to date: ${Object.entries(wanted).map(([n, v]) => `${n}@${v}`).join(", ")}`);
} else {
  console.log("installing the pinned agent CLIs (image/clients/package-lock.json) ...");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: here, stdio: "inherit" });
}
