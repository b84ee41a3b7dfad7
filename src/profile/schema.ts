// The file formats of profiles/*.toml and profiles/tripwires.toml. No tool names belong here:
// a profile says what should happen, each tool's emitter says how its tool does it.
// zod/mini: the same validation as classic zod at a fraction of the start-up cost (README "Performance").
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { RunLimitsShape } from "./limits.js";
import { SecretsSectionSchema } from "./secrets-schema.js";

// zod/mini ships without messages; the English ones say "expected array, received string".
z.config(en());

const described = <T extends z.ZodMiniType>(schema: T, text: string): T => schema.check(z.describe(text)) as T;

const commandList = (what: string) =>
  z.optional(
    described(
      z.array(z.string()),
      `${what}. Each entry is a command pattern: words, "*" for any arguments, "*" inside a word as a glob.`,
    ),
  );

export const PostureSchema = described(
  z.strictObject({
    prompts: z.optional(
      described(z.enum(["ask", "never"]), '"ask": the agent asks before anything not allowed. "never": no prompts at all (agent image only).'),
    ),
    edits: z.optional(
      described(z.enum(["auto", "ask"]), '"auto": file edits inside the workspace need no prompt. "ask": they are prompted like commands.'),
    ),
    output: z.optional(described(z.enum(["text", "json"]), '"json": the agent prints machine-readable output (CI).')),
  }),
  "How much the agent may do without asking.",
);


// --- What may leave the agent container: read by `perimeter gateway` (src/gateway/). ---

const hostPattern = (what: string) =>
  described(
    z.string().check(z.regex(/^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/, 'a host name in lower case, "*." in front for its subdomains, ":port" after (default 443)')),
    what,
  );

export const NetworkSchema = described(
  z.strictObject({
    allow: described(z.array(hostPattern("A host the agent may reach.")), 'Hosts the agent may reach, e.g. "api.anthropic.com", "*.githubusercontent.com", "proxy.example:8080"; everything else is refused.'),
    inspect: z.optional(
      described(
        z.array(hostPattern("A host whose TLS the gateway terminates.")),
        "Allowed hosts whose requests the gateway reads even without credentials or wire rules (it always reads those that have some).",
      ),
    ),
  }),
  "The hosts (and ports) the agent may reach through the gateway.",
);

export const CredentialSchema = described(
  z.strictObject({
    host: described(z.string().check(z.regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "one exact host name in lower case")), "The one host whose requests get the secret."),
    header: described(z.string().check(z.regex(/^[A-Za-z0-9-]+$/, "a header name")), 'The one header it goes into, e.g. "x-api-key" or "Authorization".'),
    scheme: z.optional(
      described(z.enum(["raw", "bearer", "basic"]), '"raw" (default): the secret as is; "bearer": "Bearer <secret>"; "basic": HTTP Basic with `username`.'),
    ),
    username: z.optional(described(z.string(), 'User name for scheme "basic" (e.g. "x-access-token").')),
    env: z.optional(described(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")), "Environment variable of the launcher that holds the secret.")),
    file: z.optional(described(z.string().check(z.minLength(1)), "File that holds the secret (read once at start; surrounding white space dropped).")),
    placeholder_env: z.optional(
      described(z.array(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name"))), "Variables set to a placeholder in the agent container, so its client starts without the secret."),
    ),
    required: z.optional(described(z.boolean(), "Refuse to start the gateway when the secret is missing (default false: requests go on without it).")),
  }),
  "A secret the gateway adds to one header of one host's requests; the agent never sees it.",
);

export const GitSchema = described(
  z.strictObject({
    hosts: z.optional(described(z.array(hostPattern("A git host.")), "Hosts the agent pushes to over smart HTTP; the gateway reads their ref updates.")),
    push: z.optional(
      described(
        z.array(z.string().check(z.regex(/^refs\/[A-Za-z0-9._\/*-]+$/, 'a ref glob such as "refs/heads/agent/**"'))),
        'Refs the agent may update ("*": within one path segment, "**": any depth). Deletions and tags are always refused.',
      ),
    ),
  }),
  "What the agent may push.",
);

const price = z.strictObject({
  input: described(z.number().check(z.nonnegative()), "US dollars per million input tokens."),
  output: described(z.number().check(z.nonnegative()), "US dollars per million output tokens."),
  cached_input: z.optional(described(z.number().check(z.nonnegative()), "US dollars per million cached input tokens (default: the input price).")),
});

export const LimitsSchema = described(
  z.strictObject({
    tokens: z.optional(described(z.number().check(z.positive()), "Model tokens (input plus output) the run may use.")),
    usd: z.optional(described(z.number().check(z.positive()), "US dollars the run may spend on model calls, priced from `prices`.")),
    warn_percent: z.optional(described(z.number().check(z.positive()), "Record a warning when a budget reaches this share (default 70).")),
    stop_percent: z.optional(described(z.number().check(z.positive()), "Refuse further model calls at this share (default 100).")),
    prices: z.optional(
      described(
        z.record(z.string(), price),
        'Price per model name glob, e.g. "gpt-5*". A model no entry matches is priced at the highest prices here.',
      ),
    ),
    // The clock and the container's resources, read by `perimeter run` (src/profile/limits.ts).
    ...RunLimitsShape,
  }),
  "The run's model budget (the gateway), its wall clock (the launcher and the entrypoint) and its container's resources (the engine).",
);

export const ProfileFileSchema = described(
  z.strictObject({
    $schema: z.optional(described(z.string(), "JSON Schema for editors; ignored by perimeter.")),
    description: described(z.string().check(z.minLength(1)), "One line: where this profile is meant to run."),
    extends: z.optional(described(z.string().check(z.minLength(1)), "Name of a profile whose settings this one starts from.")),
    posture: z.optional(PostureSchema),
    commands: z.optional(
      z.strictObject({
        allow: commandList("Commands that run without a prompt"),
        ask: commandList("Commands that always ask first, even where a broader allow would match"),
        deny: commandList("Commands refused outright, in addition to the tripwires"),
      }),
    ),
    network: z.optional(NetworkSchema),
    credentials: z.optional(described(z.record(z.string().check(z.regex(/^[a-z0-9][a-z0-9-]*$/, "use lower-case letters, digits and dashes")), CredentialSchema), "Secrets by name.")),
    git: z.optional(GitSchema),
    limits: z.optional(LimitsSchema),
    secrets: z.optional(SecretsSectionSchema),
  }),
  "A perimeter profile (profiles/<name>.toml).",
);

export const TripwireSchema = z.strictObject({
  id: described(
    z.string().check(z.regex(/^[a-z0-9][a-z0-9-]*$/, "use lower-case letters, digits and dashes")),
    "Stable identifier, used in reports and the coverage table.",
  ),
  reason: described(z.string().check(z.minLength(1)), "Why it is denied; shown to the agent where the tool supports a message."),
  commands: described(z.array(z.string()).check(z.minLength(1, "a tripwire needs at least one command pattern")), "Command patterns it stops."),
  except: z.optional(
    described(
      z.array(z.string()),
      "Command patterns it never stops, though one of its commands matches (`npm publish * --dry-run`). The guard hook enforces the exception; a tool whose native rules cannot say it leaves that command to the hook.",
    ),
  ),
  blocks: described(
    z.array(z.string()).check(z.minLength(1, "a tripwire needs at least one example it must block")),
    "Example command lines it must stop, written as an agent would (wrappers, `sh -c`, pipes included); the guard's analyser checks them at load time and the real agents try each one.",
  ),
  allows: z.optional(described(z.array(z.string()), "Example command lines it must leave alone (near-misses that must run).")),
  wire: z.optional(
    described(
      z.array(z.string()),
      'What it means on the wire, refused by the gateway: "METHOD host/path" ("*" one path segment, "**" any; METHOD may be "*"), or "GRAPHQL host mutationName".',
    ),
  ),
});

export const TripwiresFileSchema = described(
  z.strictObject({
    $schema: z.optional(z.string()),
    tripwire: described(z.array(TripwireSchema), "The residual deny list every profile carries."),
  }),
  "perimeter tripwires (profiles/tripwires.toml).",
);

export type ProfileFile = z.infer<typeof ProfileFileSchema>;
export type TripwiresFile = z.infer<typeof TripwiresFileSchema>;
