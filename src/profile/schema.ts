// The file formats of profiles/*.toml and profiles/tripwires.toml. No tool names belong here:
// a profile says what should happen, each tool's emitter says how its tool does it.
import { z } from "zod";

const commandList = (what: string) =>
  z
    .array(z.string())
    .optional()
    .describe(`${what}. Each entry is a command pattern: words, "*" for any arguments, "*" inside a word as a glob.`);

export const PostureSchema = z
  .strictObject({
    prompts: z
      .enum(["ask", "never"])
      .optional()
      .describe('"ask": the agent asks before anything not allowed. "never": no prompts at all (agent image only).'),
    edits: z
      .enum(["auto", "ask"])
      .optional()
      .describe('"auto": file edits inside the workspace need no prompt. "ask": they are prompted like commands.'),
    output: z.enum(["text", "json"]).optional().describe('"json": the agent prints machine-readable output (CI).'),
  })
  .describe("How much the agent may do without asking.");

export const ProfileFileSchema = z
  .strictObject({
    $schema: z.string().optional().describe("JSON Schema for editors; ignored by perimeter."),
    description: z.string().min(1).describe("One line: where this profile is meant to run."),
    extends: z.string().min(1).optional().describe("Name of a profile whose settings this one starts from."),
    posture: PostureSchema.optional(),
    commands: z
      .strictObject({
        allow: commandList("Commands that run without a prompt"),
        ask: commandList("Commands that always ask first, even where a broader allow would match"),
        deny: commandList("Commands refused outright, in addition to the tripwires"),
      })
      .optional(),
  })
  .describe("A perimeter profile (profiles/<name>.toml).");

export const TripwireSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "use lower-case letters, digits and dashes")
    .describe("Stable identifier, used in reports and the coverage table."),
  reason: z.string().min(1).describe("Why it is denied; shown to the agent where the tool supports a message."),
  commands: z.array(z.string()).min(1, "a tripwire needs at least one command pattern").describe("Command patterns it stops."),
  blocks: z
    .array(z.string())
    .min(1, "a tripwire needs at least one example it must block")
    .describe("Example command lines it must stop; checked at load time and against the real agents."),
  allows: z.array(z.string()).optional().describe("Example command lines it must leave alone."),
});

export const TripwiresFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    tripwire: z.array(TripwireSchema).describe("The residual deny list every profile carries."),
  })
  .describe("perimeter tripwires (profiles/tripwires.toml).");

export type ProfileFile = z.infer<typeof ProfileFileSchema>;
export type TripwiresFile = z.infer<typeof TripwiresFileSchema>;
