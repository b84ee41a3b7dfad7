// A guard-off switch (LaunchSpec.guardOff) read against one settings value: the one reading the
// image's entrypoint (E_GUARD_OFF) and each tool module's host findings share.
import type { GuardOffSwitch } from "./types.js";

/** A switch without its file: what a settings value says that turns the guard hook off. */
export type GuardOffSetting = Omit<GuardOffSwitch, "file">;

function valueAt(value: unknown, key: readonly string[]): unknown {
  let at = value;
  for (const k of key) at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[k] : undefined;
  return at;
}

export function switchHolds(setting: GuardOffSetting, settings: unknown): boolean {
  const value = valueAt(settings, setting.key);
  if ("contains" in setting.is) return Array.isArray(value) && value.includes(setting.is.contains);
  return value === setting.is.equals;
}
