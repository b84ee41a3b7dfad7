// Which files may name a tool id, and how the scan reads a file (test/unit/tool-knowledge.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
/** Files that may name tool ids, and why (a fourth tool touches only the first group). */
export const ALLOWED: Record<string, string> = {
  // The registry and the files generated from it or pinned with it: what "Adding a tool" in the README lists.
  "src/tools/index.ts": "the registry itself",
  "image/clients/package.json": "the pins and the id -> npm package map that scripts and Nix read",
  "image/clients/package-lock.json": "the pins' lockfile",
  "nix/image-spec.json": "generated (nix/update-image-spec.mjs): the image spec the flake compares with",
  // Tests about concrete behaviour of today's tools, not loops over the registry: a new tool never edits them.
  "test/unit/emit.test.ts": "unit tests of each tool module's rendered output",
  "test/unit/guard.test.ts": "host-guard cases written in one tool's format each",
  "test/unit/entrypoint.test.ts": "entrypoint cases with a fixed example spec",
  "test/unit/host-sink.test.ts": "the host sink on concrete shared files of two formats",
  "test/unit/toml-edit.test.ts": "line edits of a concrete TOML config",
  "test/unit/bake.test.ts": "the baked layer's concrete files",
  "test/unit/check.test.ts": "drift reports on concrete files",
  "test/unit/guard-hook.test.ts": "the guard hook's cases on each tool's own protected files and hook events",
  "test/container/gateway.test.ts": "a profile whose credential is named after the Gemini API (a model API, not the tool)",
  "test/nix/flake.test.ts": "the Home Manager module run with a concrete --tools choice",
  "test/bench/run.ts": "benchmark cases fixed in the README (rulesync comparison, one tool's start)",
  "test/bench/agent-start.ts": "benchmark of the real agents' start, per tool",
  "test/unit/tool-knowledge.test.ts": "the scan's own control",
  // The secrets list names the agents' own login files (~/.codex/auth.json, ~/.claude/.credentials.json):
  // data a test plants and expects held, not knowledge of how a tool works.
  "test/unit/secrets.test.ts": "expects the built-in list to hold the agents' own login files",
  "test/unit/secret-reads.test.ts": "plants the agents' own login files among the secrets",
  "test/real/host-secrets.test.ts": "plants the agents' own login files among the secrets",
  "test/unit/effective-config.test.ts": "host-guard cases on each tool's own bypass keys, hooks and location variables",
  "test/unit/host-links.test.ts": "planted links at one tool's concrete settings path",
  "test/container/walls.test.ts": "entrypoint refusals for files mounted over concrete baked paths",
  "test/run/run.test.ts": "perimeter run of each concrete tool against the fake internet: its own key variable and model host",
  "test/bench/run-start.ts": "benchmark of one tool's run start, fixed in the README",
  "test/unit/run-plan.test.ts": "run plans for concrete tools (their branch names, their key variables)",
  "test/unit/run-k8s.test.ts": "Kubernetes objects of a run of one concrete tool",
  "test/unit/run-runs.test.ts": "manifests of a concrete tool's runs",
  "test/unit/run-stop.test.ts": "an entrypoint record line of a concrete tool",
  "test/unit/entrypoint-wall-clock.test.ts": "the entrypoint's clock on a fixed example spec",
  ".github/workflows/agent.yml": "the example workflow's choice of agent (an Actions choice input lists its options)",
};

/** The code of a file with its comments removed (line comments, block comments, # comments). */
export function codeOf(file: string, text: string): string {
  if (/\.(nix|ya?ml|sh)$|(^|\/)run$/.test(file)) return text.replace(/(^|\s)#.*$/gm, "$1");
  if (/\.(ts|mts|cts|mjs|cjs|js)$/.test(file)) return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  return text;
}

/** Where `code` names one of `ids` as a word (a string, an identifier, a path segment). */
export function toolMentions(code: string, ids: readonly string[]): string[] {
  // A word of its own: not part of a longer name such as a model's ("claude-sonnet-4") or a package's.
  const re = new RegExp(`(?<![\\w-])(${ids.join("|")})(?![\\w-])`);
  return code.split("\n").flatMap((line, i) => (re.test(line) ? [`${i + 1}: ${line.trim().slice(0, 120)}`] : []));
}

/**
 * The repository's files under `paths` (git's list when there is a repository; else a walk that skips
 * installs and build output, as in the Nix build's sandbox, which has the source but no .git).
 */
export function repoFiles(root: string, paths: readonly string[]): string[] {
  try {
    return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", ...paths], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")
      .filter((f) => f !== "" && existsSync(join(root, f)));
  } catch {
    const out: string[] = [];
    const walk = (p: string) => {
      if (!existsSync(p)) return;
      const entries = readdirSync(p, { withFileTypes: true });
      for (const e of entries) {
        if (["node_modules", "dist", ".git", ".results"].includes(e.name)) continue;
        const full = join(p, e.name);
        if (e.isDirectory()) walk(full);
        else out.push(relative(root, full));
      }
    };
    for (const p of paths) {
      const full = join(root, p);
      if (existsSync(full) && readdirSync(join(full, ".."), { withFileTypes: true }).find((e) => e.name === p.split("/").at(-1))?.isDirectory()) walk(full);
      else if (existsSync(full)) out.push(p);
    }
    return out.sort();
  }
}
