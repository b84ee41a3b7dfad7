# Reading npm lockfiles (lockfileVersion 3) without network or extra hashes.
#
# Our lockfiles carry an `integrity` (SRI sha512) for every package but no `resolved` URL: they are
# written with npm's `omit-lockfile-registry-resolved`, which tells npm to rebuild the URL from the
# registry at install time. We rebuild it the same way, for the default registry:
#   https://registry.npmjs.org/<name>/-/<basename>-<version>.tgz
# where <name> is the entry's real package name (its `name` field for an npm alias such as
# "@openai/codex-linux-x64" -> "@openai/codex", otherwise the last `node_modules/` segment of its
# key) and <basename> is <name> without its scope. The integrity is the fixed-output hash, so a wrong
# URL or a changed tarball fails the fetch instead of changing what is built.
{ lib }:
let
  registry = "https://registry.npmjs.org";

  # "node_modules/a/node_modules/@s/b" -> "@s/b"
  nameFromKey = key: lib.last (lib.splitString "node_modules/" key);

  packageName = key: entry: entry.name or (nameFromKey key);

  registryUrl =
    key: entry:
    let
      name = packageName key entry;
      base = lib.last (lib.splitString "/" name);
    in
    "${registry}/${name}/-/${base}-${entry.version}.tgz";

  # A lock entry that npm fetched from a registry (not the root, a link or a git/file dependency).
  fromRegistry =
    key: entry: key != "" && !(entry.link or false) && entry ? version && entry ? integrity;
in
{
  inherit registry registryUrl packageName;

  # The lockfile with `resolved` filled in for every registry entry, for `importNpmLock`, which only
  # fetches entries that have a `resolved` URL (and fails on a dependency of package.json without).
  withRegistryUrls =
    lock:
    lock
    // {
      packages = lib.mapAttrs (
        key: entry:
        if fromRegistry key entry && !(entry ? resolved) then
          entry // { resolved = registryUrl key entry; }
        else
          entry
      ) lock.packages;
    };

  # fetchurl of one lock entry, hashed by the lockfile's own integrity.
  fetchLocked =
    fetchurl: lock: key:
    let
      entry = lock.packages.${key} or (throw "npm lockfile has no entry ${key}");
    in
    assert lib.assertMsg (fromRegistry key entry) "npm lockfile entry ${key} is not a registry package with an integrity hash";
    fetchurl {
      url = entry.resolved or (registryUrl key entry);
      hash = entry.integrity;
      passthru = {
        npmKey = key;
        npmName = packageName key entry;
        inherit (entry) version integrity;
      };
    };
}
