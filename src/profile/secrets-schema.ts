// The file formats of secrets: a profile's `[secrets]` section and the built-in list
// (profiles/secrets.toml). Kept apart from schema.ts so each new section stays in its own file.
// No tool names belong here.
import * as z from "zod/mini";

const described = <T extends z.ZodMiniType>(schema: T, text: string): T => schema.check(z.describe(text)) as T;

/** `~/x`, `/x`, or a file name without `/` that matches at any depth of the workspace; `*`, `**` and `?` are globs. */
export const SECRET_PATH =
  'A path: "~/..." under the home, "/..." absolute, or a file name without "/" matched at any depth of the workspace (".env"). "*" matches within a name, "**" any depth, "?" one character.';

const pathList = (what: string) => z.optional(described(z.array(z.string().check(z.minLength(1))), `${what} ${SECRET_PATH}`));
const envList = z.optional(
  described(
    z.array(z.string().check(z.regex(/^[A-Za-z0-9_*]+$/, 'a variable name pattern: letters, digits, "_" and "*"'))),
    'Environment variables that hold secrets, as name patterns ("*_TOKEN", "AWS_*"): never printed to the agent.',
  ),
);
const commandList = z.optional(
  described(
    z.array(z.string()),
    "Commands that print secrets, denied in every tool (command patterns as in [commands]).",
  ),
);

/** A profile's own additions; the built-in list always applies and cannot be shrunk. */
export const SecretsSectionSchema = described(
  z.strictObject({
    files: pathList("Credential locations the agent must not read, added to the built-in list."),
    env: envList,
    commands: commandList,
  }),
  "Secrets the agent must never read, added to the built-in list (profiles/secrets.toml), which cannot be shrunk.",
);

export const SecretClassSchema = z.strictObject({
  id: described(
    z.string().check(z.regex(/^[a-z0-9][a-z0-9-]*$/, "use lower-case letters, digits and dashes")),
    "Stable identifier, used in reports and the coverage table.",
  ),
  title: described(z.string().check(z.minLength(1)), "What these secrets are, for people."),
  files: pathList("Where they live."),
  except: pathList("Files the patterns above match that hold no secret (templates such as .env.example). Only the built-in list may say this."),
  env: envList,
  commands: commandList,
});

export const SecretsFileSchema = described(
  z.strictObject({
    $schema: z.optional(z.string()),
    secret: described(z.array(SecretClassSchema), "Classes of secrets every profile keeps from the agent."),
  }),
  "perimeter secrets (profiles/secrets.toml).",
);

export type SecretsSection = z.infer<typeof SecretsSectionSchema>;
export type SecretsFile = z.infer<typeof SecretsFileSchema>;
