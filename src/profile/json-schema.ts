// JSON Schemas of the profile file formats, generated from the zod schemas so they cannot drift.
import * as z from "zod/mini";
import { ProfileFileSchema, TripwiresFileSchema } from "./schema.js";
import { SecretsFileSchema } from "./secrets-schema.js";

export type SchemaKind = "profile" | "tripwires" | "secrets";

export function jsonSchemaOf(kind: SchemaKind): object {
  const schema = kind === "profile" ? ProfileFileSchema : kind === "tripwires" ? TripwiresFileSchema : SecretsFileSchema;
  return z.toJSONSchema(schema, { target: "draft-7", io: "input" });
}

/** File names of the committed copies in profiles/, which the built-in profiles point editors at. */
export const SCHEMA_FILES: Record<SchemaKind, string> = {
  profile: "profile.schema.json",
  tripwires: "tripwires.schema.json",
  secrets: "secrets.schema.json",
};
