// Every command of the perimeter CLI (dist/cli.cjs). Each command's module is imported, and in the
// bundle initialized, only when it runs: a render does not set up check's, bake's or the hook's code.
import { Command, Option } from "commander";
import { addHookCommand } from "./hook-command.js";
import type { Write } from "./output.js";
import { newProgram, profileOption, profilesDirOption, type BuildProgram, type RunCommand } from "./program.js";
import { TOOL_IDS } from "../tools/index.js";

// The ids are the registry's (src/tools/index.ts); an unknown one is refused with the list of choices.
const toolsOption = () => new Option("--tools <list>", "comma-separated tool ids (default: all)");

function hostCommand(program: Command, name: string, summary: string) {
  return program
    .command(name)
    .description(summary)
    .addOption(profileOption("interactive"))
    .addOption(toolsOption())
    .option("--home <dir>", "home folder to write into (default: $HOME)")
    .option("--project <dir>", "project folder whose tool settings are judged too (default: the current folder)")
    .addOption(profilesDirOption())
    .option("--dry-run", "write nothing")
    .option("--diff", "show a unified diff of what would change (writes nothing)")
    .option("--json", "machine-readable output");
}

type AddCommand = (program: Command, run: RunCommand, write: Write) => void;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Every command, in the order help lists them. */
const COMMANDS: Record<string, AddCommand> = {
  render: (program, run) =>
    hostCommand(program, "render", "write the host files of a profile into a home folder").action((flags) =>
      run(async () => (await import("./commands/render.js")).render(flags)),
    ),
  check: (program, run) =>
    hostCommand(program, "check", "exit 1 when the host files differ from the profile (drift)").action((flags) =>
      run(async () => (await import("./commands/check.js")).check(flags)),
    ),
  show: (program, run) =>
    program
      .command("show")
      .description("print the resolved profile")
      .addOption(profileOption("interactive"))
      .addOption(profilesDirOption())
      .option("--json", "machine-readable output")
      .action((flags) => run(async () => (await import("./commands/show.js")).show(flags))),
  hook: (program, run) => addHookCommand(program, run),
  schema: (program, run) =>
    program
      .command("schema")
      .description("print the JSON Schema of the profile file format")
      .option("--tripwires", "the schema of tripwires.toml instead")
      .option("--secrets", "the schema of secrets.toml instead")
      .action((flags) => run(async () => (await import("./commands/schema.js")).schema(flags))),
  bake: (program, run) =>
    program
      .command("bake")
      .description("write the agent image's policy layer (an OCI layer tar) for a no-prompt profile")
      .requiredOption("--profile <name>", "autonomous, ci, or a profile of yours that never prompts")
      .requiredOption("--out <file.tar>", "where to write the layer")
      .option("--egress-wall <who>", "network (default): the entrypoint refuses any way out but the gateway; orchestrator: the Kubernetes variant, whose wall is a NetworkPolicy (README)")
      .addOption(profilesDirOption())
      .option("--json", "machine-readable output")
      .action((flags) => run(async () => (await import("./commands/bake.js")).bake(flags))),
  gateway: (program, run, write) =>
    program
      .command("gateway")
      .description("serve the profile's gateway (the agent container's proxy) until SIGTERM")
      .requiredOption("--profile <name>", "a profile with a [network] section (autonomous, ci or your own)")
      .addOption(profilesDirOption())
      .requiredOption("--listen <host:port>", "address to listen on (port 0: any free port, printed when ready)")
      .requiredOption("--ca-dir <dir>", "folder the run's CA certificate (ca.pem) and bundle (ca-bundle.pem) are written to; never the key")
      .option("--log <file>", "JSON-lines record of every request (appended)")
      .option("--hosts <file>", "hosts-file map of names to addresses; a mapped name never falls back to DNS")
      .option("--upstream-ca <file>", "PEM certificate(s) trusted for upstreams in addition to the system store")
      .option("--usage <file>", "file rewritten with the run's model usage totals after each model call")
      .option("--git-repo <host/owner/name>", "a repository pushes and API ref writes may go to (repeatable); with none given, any the token reaches", collect)
      .option("--json", "machine-readable output: one JSON event per line (ready, budget-warn, budget-stop, stopped)")
      .action((flags) => run(async () => (await import("./commands/gateway.js")).gateway(flags, write))),
  run: (program, run, write) =>
    program
      .command("run")
      .description("run an agent on a fresh clone behind the gateway, inside the profile's limits; the result is a pull request and a manifest")
      .argument("[prompt]", "the task (or --prompt-file)")
      .option("--tool <tool>", `the agent: ${TOOL_IDS.join(", ")}`)
      .option("--repo <url>", "the repository to clone, https://HOST/OWNER/NAME")
      .addOption(profileOption("autonomous"))
      .addOption(profilesDirOption())
      .option("--image <ref>", "the agent image (default: perimeter-agent:0.1.0-<profile>)")
      .option("--engine <engine>", "podman or docker (default: $PERIMETER_ENGINE, else the first on PATH)")
      .option("--out <dir>", "where the manifest goes (default: $XDG_STATE_HOME/perimeter/runs/<run-id>)")
      .option("--print", "print the engine commands and the manifest's planned fields as JSON; run nothing")
      .option("--emit <target>", "k8s: print the run as Kubernetes objects (Job, gateway Deployment and Service, NetworkPolicies) instead of running it")
      .option("--k8s-secret <name>", "with --emit k8s: the Secret holding the credentials (default: perimeter-credentials)")
      .option("--runtime-class <name>", "with --emit k8s: the agent pod's runtimeClassName (e.g. gvisor)")
      .option("--cleanup", "remove what runs whose launcher is gone left behind, then exit")
      .option("--wall-clock <seconds>", "override [limits].wall_clock_seconds")
      .option("--memory <size>", "override [limits].memory")
      .option("--cpus <n>", "override [limits].cpus")
      .option("--pids <n>", "override [limits].pids")
      .option("--hosts <file>", "hosts file for the gateway's upstream names (tests)")
      .option("--upstream-ca <file>", "a CA the gateway trusts besides the system store (tests)")
      .option("--egress-network <name>", "the network the gateway reaches the upstreams on (default: the engine's default)")
      .option("--github-api <url>", "the GitHub REST API for the pull request (default: from the repository's host)")
      .option("--engine-arg <arg>", "one more flag for the agent container (repeatable); the entrypoint still refuses an unsafe one, and --entrypoint, --rootfs and perimeter's own labels are refused here", collect)
      .option("--name-prefix <prefix>", "prefix of every engine object's name (default: perimeter-)")
      .option("--run-id <id>", "the run id (default: the time and a random suffix)")
      .option("--prompt-file <file>", "read the prompt from a file")
      .option("--record-prompt", "keep the prompt's text in the manifest (default: its digest only)")
      .option("--json", "print the manifest at the end, and no progress")
      .action((prompt: string | undefined, flags) =>
        run(async () => (await import("./commands/run.js")).run(prompt, flags, { progress: (line) => write(2, `${line}\n`) })),
      ),
  runs: (program, run) =>
    program
      .command("runs")
      .description("list the manifests of past runs, or show one")
      .argument("[run-id]", "the run to show (or its folder)")
      .option("--dir <dir>", "the runs folder (default: $XDG_STATE_HOME/perimeter/runs)")
      .option("--json", "machine-readable output")
      .action((runId: string | undefined, flags) => run(async () => (await import("./commands/runs.js")).runs(runId, flags))),
  finish: (program, run) =>
    program
      .command("finish", { hidden: true })
      .description("in a cluster run's agent pod, after the agent: scan, commit, push, pull request (the Job's last container; --emit k8s)")
      .option("--json", "machine-readable output (the default: one JSON line)")
      .action(() => run(async () => (await import("./commands/finish.js")).finish())),
};

/**
 * The whole CLI (dist/cli.cjs). Setting up a command's options is most of commander's start-up
 * cost, so a run that names its command sets up that one alone; any other (help, a mistyped name)
 * sets up every command, as their help and suggestions need.
 */
export const buildProgram: BuildProgram = (run, write, argv) => {
  const program = newProgram(write);
  const named = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? argv[0] : undefined;
  for (const [name, add] of Object.entries(COMMANDS)) if (named === undefined || name === named) add(program, run, write);
  return program;
};
