// Handlebars helpers of the Codex `.rules` template.
import type Handlebars from "handlebars";

export function registerRulesHelpers(hbs: typeof Handlebars): void {
  // Starlark string and list literals; JSON's escapes are a subset Starlark reads the same way.
  hbs.registerHelper("starlark", (value: string | string[]) =>
    Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(", ")}]` : JSON.stringify(value),
  );
}
