// Writes profiles/*.schema.json from the zod schemas; test/profile/json-schema.test.ts fails when
// the committed copies are stale. Run: npm run gen:schema
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { builtinProfilesDir } from "../profile/builtin.js";
import { jsonSchemaOf, SCHEMA_FILES, type SchemaKind } from "../profile/json-schema.js";

for (const kind of Object.keys(SCHEMA_FILES) as SchemaKind[]) {
  const file = join(builtinProfilesDir(), SCHEMA_FILES[kind]);
  writeFileSync(file, `${JSON.stringify(jsonSchemaOf(kind), null, 2)}\n`);
  console.log(`wrote ${file}`);
}
