// The file formats of profiles/*.toml and profiles/tripwires.toml. No tool names belong here:
// a profile says what should happen, each tool's emitter says how its tool does it.
// zod/mini: the same validation as classic zod at a fraction of the start-up cost (README "Performance").
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { LimitsFileSchema } from "./limits.js";

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
    limits: z.optional(LimitsFileSchema),
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
  blocks: described(
    z.array(z.string()).check(z.minLength(1, "a tripwire needs at least one example it must block")),
    "Example command lines it must stop; checked at load time and against the real agents.",
  ),
  allows: z.optional(described(z.array(z.string()), "Example command lines it must leave alone.")),
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
