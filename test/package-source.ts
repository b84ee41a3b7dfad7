// A private copy of what the build reads, for suites that build perimeter apart from the shared
// dist/ (which other suites rebuild at any moment). The list mirrors nix/package.nix "buildFiles".
import { cpSync, mkdirSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BUILD_INPUTS = ["package.json", "build.mjs", "tsconfig.json", "src", "profiles", "templates", "image/clients/package.json"];

/** Copies the build's inputs into `dest`, with the repository's node_modules linked in; then `node build.mjs` there. */
export function copyPackageSource(dest: string): void {
  for (const entry of BUILD_INPUTS) {
    mkdirSync(dirname(join(dest, entry)), { recursive: true });
    cpSync(join(ROOT, entry), join(dest, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(dest, "node_modules"));
}
