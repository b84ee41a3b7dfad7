// Real credentials in the agent's reach, by the prefixes their issuers give them: in a variable of
// its environment (whatever its name, and inside a longer value: a URL, a header) or in a tool's own
// credential file in its home. Inside the image the agent gets placeholders only; the gateway adds
// the real value to the one header of the one host it belongs to. A real key the agent can read is
// one it can print or post anywhere.

/** Before and after a key: not part of a longer token (`task-...` holds no `sk-` key). */
const EDGE_BEFORE = "(?<![A-Za-z0-9_-])";
const EDGE_AFTER = "(?![A-Za-z0-9_-])";

/** Issuer formats (the key's own prefix and shape): a match is a real key, not a placeholder. */
const KEY_FORMATS: readonly { issuer: string; pattern: RegExp }[] = [
  { issuer: "Anthropic API key", pattern: /sk-ant-[A-Za-z0-9_-]{20,}/ },
  { issuer: "OpenAI API key", pattern: /sk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/ },
  { issuer: "GitHub token", pattern: /(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { issuer: "GitLab token", pattern: /glpat-[A-Za-z0-9_-]{20,}/ },
  { issuer: "Google API key", pattern: /AIza[0-9A-Za-z_-]{35}/ },
  { issuer: "AWS access key id", pattern: /(AKIA|ASIA)[0-9A-Z]{16}/ },
  { issuer: "Slack token", pattern: /xox[abposr]-[A-Za-z0-9-]{10,}/ },
  { issuer: "npm token", pattern: /npm_[A-Za-z0-9]{36}/ },
].map(({ issuer, pattern }) => ({ issuer, pattern: new RegExp(`${EDGE_BEFORE}${pattern.source}${EDGE_AFTER}`) }));

/** The issuer of the first real key in the text, or undefined. */
function issuerIn(text: string): string | undefined {
  return KEY_FORMATS.find((f) => f.pattern.test(text))?.issuer;
}

/** An AWS secret key has no prefix; its variable's name and its shape say what it is. */
const AWS_SECRET = { name: /SECRET_ACCESS_KEY$/i, value: /^[A-Za-z0-9/+]{40}$/ };

/** `NAME (issuer)` for each variable that holds a real key; the value itself is never named. */
export function realCredentials(env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const trimmed = value?.trim() ?? "";
    const issuer = issuerIn(trimmed) ?? (AWS_SECRET.name.test(name) && AWS_SECRET.value.test(trimmed) ? "AWS secret access key" : undefined);
    if (issuer !== undefined) found.push(`${name} (${issuer})`);
  }
  return found.sort();
}

/**
 * The tools' own credential files under the home, and what in each is a stored secret beyond the
 * issuer formats: a password in a URL, a registry auth, an AWS secret. A home mounted from the
 * developer's machine brings these along.
 */
const CREDENTIAL_FILES: readonly { path: string; secret?: RegExp }[] = [
  { path: ".config/gh/hosts.yml", secret: /^\s*oauth_token:\s*\S{8,}/m },
  { path: ".npmrc", secret: /_(authToken|auth|password)\s*=\s*\S{8,}/ },
  { path: ".yarnrc.yml", secret: /npmAuthToken:\s*\S{8,}/ },
  { path: ".aws/credentials", secret: /^\s*aws_secret_access_key\s*=\s*\S{16,}/m },
  { path: ".git-credentials", secret: /:\/\/[^:/\s]+:[^@\s]{8,}@/ },
  { path: ".docker/config.json", secret: /"(auth|identitytoken)"\s*:\s*"[^"]{8,}"/ },
  { path: ".netrc", secret: /\bpassword\s+\S{8,}/ },
  { path: ".pypirc", secret: /^\s*password\s*[=:]\s*\S{8,}/m },
  { path: ".cargo/credentials.toml", secret: /^\s*token\s*=\s*"[^"]{8,}"/m },
  { path: ".kube/config", secret: /^\s*(token|client-key-data|password):\s*\S{8,}/m },
  { path: ".config/gcloud/application_default_credentials.json", secret: /"(refresh_token|private_key)"\s*:\s*"[^"]{8,}"/ },
  ...["id_rsa", "id_ecdsa", "id_ed25519", "id_dsa"].map((key) => ({ path: `.ssh/${key}`, secret: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ })),
];

/** Placeholders the launcher and the tests write: no credential. */
const PLACEHOLDER = /placeholder|fake|dummy/i;

/** A token or key in a tool's own login file (JSON): OAuth tokens, or an API key stored there. */
const LOGIN_SECRET = /"(access_?token|refresh_?token|id_?token|accessToken|refreshToken|idToken|[A-Z_]*API_KEY)"\s*:\s*"[^"]{8,}"/;

/**
 * `~/FILE (what)` for each credential file in the home that holds a real secret: the ones above and
 * the agents' own login files (`loginFiles`, each tool module names its own), which a developer's
 * home mounted "so the agent is logged in" brings along.
 */
export function credentialFiles(home: string, readText: (path: string) => string | undefined, loginFiles: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const file of [...CREDENTIAL_FILES, ...loginFiles.map((path) => ({ path, secret: LOGIN_SECRET }))]) {
    const text = readText(`${home.replace(/\/+$/, "")}/${file.path}`);
    if (text === undefined) continue;
    const issuer = issuerIn(text);
    const stored = file.secret?.exec(text)?.[0];
    if (issuer !== undefined) found.push(`~/${file.path} (${issuer})`);
    else if (stored !== undefined && !PLACEHOLDER.test(stored)) found.push(`~/${file.path} (a stored secret)`);
  }
  return found;
}

/** Where `--secret` (podman, docker) and compose put secrets: one file per secret. */
export const SECRETS_DIR = "/run/secrets";

/** `/run/secrets/NAME (issuer)` for each secret file there that holds a real key (the first 64 files). */
export function secretFiles(listDir: (path: string) => readonly { name: string; kind: string }[] | undefined, readText: (path: string) => string | undefined): string[] {
  const found: string[] = [];
  for (const entry of (listDir(SECRETS_DIR) ?? []).filter((e) => e.kind === "other").slice(0, 64)) {
    const issuer = issuerIn(readText(`${SECRETS_DIR}/${entry.name}`)?.slice(0, 65_536) ?? "");
    if (issuer !== undefined) found.push(`${SECRETS_DIR}/${entry.name} (${issuer})`);
  }
  return found;
}
