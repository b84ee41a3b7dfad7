// Test driver for Codex CLI (see src/tools/driver.ts). Seen with 0.169.0 and 0.171.0, offline:
//   codex exec --skip-git-repo-check [--json] [--dangerously-bypass-approvals-and-sandbox]
//         -c model_provider="mock" -c model_providers.mock={...} ... go            ~0.4-0.6 s
// On a host the mock provider comes as `-c` overrides (the -c layer outranks every config file, so the
// home's config.toml stays perimeter's); in the image as a user-layer ~/.codex/config.toml, on top of
// the baked system layer. Every key used passes `--strict-config`.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import type { ClientOutput, ToolDriver } from "../driver.js";

const CONFIG = ".codex/config.toml";
const mockProvider = (url: string) => `{ name = "mock", base_url = "${url}/v1", wire_api = "responses" }`;

const failed = (out: ClientOutput) => (out.exitCode === 0 ? undefined : `exit ${out.exitCode}: ${`${out.stdout}\n${out.stderr}`.trim().slice(-800)}`);

/**
 * A person's one-time trust of the user-layer hooks, recorded as the TUI's "Trust all and continue"
 * records it: `[hooks.state."<key>"] trusted_hash = "<currentHash>"` in the user config, with key
 * and hash from the app-server's own `hooks/list` (run 2026-12-01 with 0.171.0).
 */
async function trustHostHooks(bin: string, home: string, cwd: string): Promise<void> {
  const child = spawn(bin, ["app-server"], { cwd, env: { PATH: process.env.PATH ?? "", HOME: home }, stdio: ["pipe", "pipe", "ignore"] });
  const lines = createInterface({ input: child.stdout! });
  const send = (message: object) => child.stdin!.write(`${JSON.stringify(message)}\n`);
  const answer = (id: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("codex app-server did not answer hooks/list")), 20_000);
      lines.on("line", (line) => {
        const message = JSON.parse(line) as { id?: number; result?: Record<string, unknown> };
        if (message.id === id) {
          clearTimeout(timer);
          resolve(message.result ?? {});
        }
      });
    });
  try {
    send({ id: 1, method: "initialize", params: { clientInfo: { name: "perimeter-test", version: "1" } } });
    await answer(1);
    send({ method: "initialized" });
    send({ id: 2, method: "hooks/list", params: { cwds: [cwd] } });
    const result = (await answer(2)) as { data?: { hooks: { key: string; currentHash: string }[] }[] };
    const hooks = (result.data ?? []).flatMap((d) => d.hooks);
    if (hooks.length === 0) throw new Error("codex app-server lists no hooks to trust");
    const file = join(home, CONFIG);
    const state = hooks.map((h) => `\n[hooks.state.${JSON.stringify(h.key)}]\ntrusted_hash = ${JSON.stringify(h.currentHash)}\n`).join("");
    writeFileSync(file, `${readFileSync(file, "utf8")}${state}`);
  } finally {
    child.kill();
  }
}

export const driver: ToolDriver = {
  trustHostHooks,
  hookInput: {
    shell: (command) => ({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command } }),
    write: (path) => ({ hook_event_name: "PreToolUse", tool_name: "apply_patch", tool_input: { command: `*** Begin Patch\n*** Update File: ${path}\n@@\n-a\n+b\n*** End Patch\n` } }),
    ownFile: ".codex/config.toml",
  },
  modelHost: "api.openai.com",
  modelEnv: () => ({}),
  hostArgs: (run) => [
    "exec",
    "--skip-git-repo-check",
    ...(run.json ? ["--json"] : []),
    ...(run.bypass ? ["--dangerously-bypass-approvals-and-sandbox"] : []),
    "-c",
    'model_provider="mock"',
    "-c",
    `model_providers.mock=${mockProvider(run.modelUrl)}`,
    "-c",
    "analytics.enabled=false",
    "-c",
    "check_for_update_on_startup=false",
    ...run.extra,
    run.prompt,
  ],
  imageHomeFiles: (url) => ({
    [CONFIG]: [
      'model_provider = "mock"',
      "check_for_update_on_startup = false",
      "",
      "[model_providers.mock]",
      'name = "mock"',
      `base_url = "${url}/v1"`,
      'wire_api = "responses"',
      "",
      "[analytics]",
      "enabled = false",
      "",
    ].join("\n"),
  }),

  handWrittenDeny: (word) => ({ ".codex/rules/x.rules": `prefix_rule(pattern=["${word}"], decision="forbidden")\n` }),

  // stderr "ERROR codex_core::tools::router: error=exec_command failed: CreateProcess { message:
  // \"Rejected(...)\" }" with "rejected: policy forbids commands starting with `touch`" (a forbidden
  // rule) or "approval required by policy, but AskForApproval is set to Never" (a prompt rule in exec).
  // A read-only sandbox refusal is NOT a denial: the command runs and fails ("Read-only file system").
  denied: (run, toolResults) => /Rejected\(|rejected: policy forbids|approval required by policy/.test(`${run.stderr}\n${toolResults.join("\n")}`),
  denialKind(text) {
    // A forbidden rule rejects with its justification, or "policy forbids commands ..." without one.
    if (/approval required by policy/.test(text)) return "approval";
    return /Rejected\(.*rejected: /.test(text) ? "rule" : undefined;
  },

  // `codex debug prompt-input`: exit 1 with file:line:col on a bad value, else the model's input.
  // Its deny globs are walked at every sandbox start while Codex makes and removes `.git` in its
  // working folder (src/tools/codex/secrets.ts): a vanished entry aborts the walk, a Codex bug.
  hostCheck: (home) => ({
    args: ["debug", "prompt-input", "hi"],
    env: { CODEX_HOME: join(home, ".codex") },
    problems: failed,
    raced: (out) => /failed to enumerate unreadable glob paths under .*No such file or directory/.test(`${out.stdout}\n${out.stderr}`),
  }),
  breakHostFiles(home) {
    const file = join(home, CONFIG);
    writeFileSync(file, readFileSync(file, "utf8").replace(/approval_policy = "[^"]+"/, 'approval_policy = "onrequest"'));
  },
  // In the image the system layer must give danger-full-access and approval never; an empty file
  // mounted over it falls back to Codex's own defaults.
  imageCheck: {
    args: ["debug", "prompt-input", "hi"],
    problems(out) {
      const bad = failed(out);
      if (bad) return bad;
      if (!out.stdout.includes("`sandbox_mode` is `danger-full-access`")) return "sandbox_mode is not danger-full-access";
      if (!out.stdout.includes("Approval policy is currently never")) return "approval policy is not never";
      return undefined;
    },
    broken: { path: "/etc/codex/config.toml", content: "" },
  },
  // `codex exec` prints its effective settings on stderr.
  launchProblems: (out) =>
    [/^provider: mock$/m, /^approval: never$/m, /^sandbox: danger-full-access$/m].filter((re) => !re.test(out.stderr)).map((re) => `stderr lacks ${re}`),
  jsonReportsSuccess(stdout) {
    try {
      const events = stdout.trim().split("\n").map((line) => JSON.parse(line) as { type: string; item?: { type?: string } });
      return events.some((e) => e.type === "turn.completed") && events.some((e) => e.item?.type === "command_execution");
    } catch {
      return false;
    }
  },
};
