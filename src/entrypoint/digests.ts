// The sha256 of every file `perimeter bake` put into the image beside the entrypoint, baked into the
// entrypoint's own bundle: a file mounted over one of them (a root-owned, read-only, different file
// passes every owner and mode check) no longer matches. The list is what bake wrote, so a file that
// bake starts shipping (the guard's hooks) is covered without a change here.

/**
 * `perimeter bake` replaces this string literal, quotes included, with the JSON of
 * `{ "/abs/path": "sha256 hex", ... }` in the copy of the bundle it ships (src/image/bake.ts,
 * DIGESTS_PLACEHOLDER). An entrypoint that was not baked keeps it and refuses to start.
 */
const BAKED_DIGESTS: string = "@@perimeter-policy-digests@@";

export type PolicyDigests = Record<string, string>;

export function bakedDigests(): PolicyDigests | undefined {
  return BAKED_DIGESTS.startsWith("@@") ? undefined : (JSON.parse(BAKED_DIGESTS) as PolicyDigests);
}

/** The files whose content is not what bake wrote (missing ones are reported elsewhere). */
export function tamperedFiles(digests: PolicyDigests, sha256: (path: string) => string | undefined): string[] {
  return Object.entries(digests)
    .filter(([path, digest]) => {
      const actual = sha256(path);
      return actual !== undefined && actual !== digest;
    })
    .map(([path]) => path);
}

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/**
 * Mounts that add to the folders bake's files live in (an extra admin policy, a managed-settings.d
 * file): the tools read every file there, so a mounted one changes the policy without changing a
 * digested file. A mount exactly on a digested file is judged by its digest instead.
 */
export function mountsIntoPolicy(digests: PolicyDigests, mountPoints: readonly string[]): string[] {
  const folders = [...new Set(Object.keys(digests).map((f) => f.slice(0, f.lastIndexOf("/")) || "/"))].filter((d) => d !== "/");
  return mountPoints.filter((m) => !(m in digests) && folders.some((d) => under(m, d)));
}
