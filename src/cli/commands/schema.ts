// `perimeter schema`: the JSON Schema of the profile (or tripwires, or secrets) file format.
import { jsonSchemaOf } from "../../profile/json-schema.js";
import type { CommandResult } from "../result.js";

export function schema(flags: { tripwires?: boolean; secrets?: boolean }): CommandResult {
  const kind = flags.tripwires ? "tripwires" : flags.secrets ? "secrets" : "profile";
  return { exitCode: 0, stdout: `${JSON.stringify(jsonSchemaOf(kind), null, 2)}\n` };
}
