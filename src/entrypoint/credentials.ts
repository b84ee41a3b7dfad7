// Real credentials in the agent's environment, by the prefixes their issuers give them. Inside the
// image the agent gets placeholders only; the gateway adds the real value to the one header of the
// one host it belongs to. A real key in the environment is one the agent can print or post anywhere.

/** Issuer formats (the key's own prefix and shape): a match is a real key, not a placeholder. */
const KEY_FORMATS: readonly { issuer: string; pattern: RegExp }[] = [
  { issuer: "Anthropic API key", pattern: /^sk-ant-[A-Za-z0-9_-]{20,}$/ },
  { issuer: "OpenAI API key", pattern: /^sk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}$/ },
  { issuer: "GitHub token", pattern: /^(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})$/ },
  { issuer: "GitLab token", pattern: /^glpat-[A-Za-z0-9_-]{20,}$/ },
  { issuer: "Google API key", pattern: /^AIza[0-9A-Za-z_-]{35}$/ },
  { issuer: "AWS access key id", pattern: /^(AKIA|ASIA)[0-9A-Z]{16}$/ },
  { issuer: "Slack token", pattern: /^xox[abposr]-[A-Za-z0-9-]{10,}$/ },
  { issuer: "npm token", pattern: /^npm_[A-Za-z0-9]{36}$/ },
];

/** `NAME (issuer)` for each variable that holds a real key; the value itself is never named. */
export function realCredentials(env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const trimmed = value?.trim() ?? "";
    const format = KEY_FORMATS.find((f) => f.pattern.test(trimmed));
    if (format !== undefined) found.push(`${name} (${format.issuer})`);
  }
  return found.sort();
}
