// The Codex `.rules` template (templates/codex/perimeter.rules.hbs), compiled on first use.
// build.mjs swaps this module for a precompiled one, so the bundled CLI loads only Handlebars'
// small runtime; the helpers come from one place for both.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import { templatesDir } from "../../profile/builtin.js";
import { registerRulesHelpers } from "./rules-helpers.js";

export const RULES_TEMPLATE = ["codex", "perimeter.rules.hbs"] as const;

let compiled: Handlebars.TemplateDelegate | undefined;

export function rulesTemplate(): Handlebars.TemplateDelegate {
  if (compiled) return compiled;
  const hbs = Handlebars.create();
  registerRulesHelpers(hbs);
  compiled = hbs.compile(readFileSync(join(templatesDir(), ...RULES_TEMPLATE), "utf8"), { noEscape: true, strict: true });
  return compiled;
}
