// The tools' own settings and hook files: no edit by the agent, by shell or by file tool. Each tool
// names its files (src/tools/<tool>/hook.ts); this module only matches paths against them.

export function protectedReason(path: string): string {
  return `perimeter guard: ${path} is an agent tool's own settings or hook file; an agent may not change it (a workspace or home edit needs no prompt and could turn the guard off)`;
}

/** True when the path (absolute, relative, or with `~` or `$HOME` in it) names a protected file. */
export function protectedPath(path: string, patterns: readonly RegExp[]): boolean {
  const normal = path.replace(/["']/g, "").replace(/\/+/g, "/").replace(/(^|\/)\.\//g, "$1");
  return patterns.some((p) => p.test(normal));
}
