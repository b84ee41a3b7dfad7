// `perimeter schema`: the JSON Schema of the profile (or tripwires) file format.
import { jsonSchemaOf } from "../../profile/json-schema.js";
import type { CommandResult } from "../result.js";

export function schema(flags: { tripwires?: boolean }): CommandResult {
  return { exitCode: 0, stdout: `${JSON.stringify(jsonSchemaOf(flags.tripwires ? "tripwires" : "profile"), null, 2)}\n` };
}
