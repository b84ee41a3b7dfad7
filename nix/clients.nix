# The agent CLIs at exactly the versions of image/clients/package-lock.json: every tarball is fetched
# from the npm registry by the lockfile's own integrity hash (see npm-lock.nix), not taken from nixpkgs,
# so the image runs what the conformance suite tested. Each CLI is its own store path, so the image puts
# each in its own layer. Which tools: image/clients/package.json "perimeter.tools" (id -> npm package);
# how each is packaged: src/tools/<id>/client.nix, beside the rest of that tool's knowledge.
{
  lib,
  stdenv,
  stdenvNoCC,
  fetchurl,
  autoPatchelfHook,
  nodejs,
}:
let
  npmLock = import ./npm-lock.nix { inherit lib; };
  manifest = lib.importJSON ../image/clients/package.json;
  lock = lib.importJSON ../image/clients/package-lock.json;

  system = stdenv.hostPlatform.system;
  # npm's `os-cpu` suffix of the per-platform packages. The lockfile (v3) lists the optional platform
  # packages of every platform, not only the one it was written on, so both are pinned there.
  cpu =
    {
      x86_64-linux = "x64";
      aarch64-linux = "arm64";
    }
    .${system} or (throw "perimeter agent clients: unsupported system ${system}");

  fetch = key: npmLock.fetchLocked fetchurl lock key;

  # The version of a top-level client: the lockfile's, which must be the one package.json pins.
  pinned =
    name:
    let
      locked = lock.packages."node_modules/${name}".version;
      wanted = manifest.dependencies.${name} or (throw "image/clients/package.json does not pin ${name}");
    in
    assert lib.assertMsg (locked == wanted)
      "image/clients: package.json pins ${name}@${wanted} but package-lock.json has ${locked}; run npm install there";
    locked;

  # Unpacks an npm tarball (top folder `package/`) into $out/lib/node_modules/<name>.
  unpackInto = name: src: ''
    mkdir -p "$out/lib/node_modules/${name}"
    tar -xzf ${src} --strip-components=1 --no-same-owner -C "$out/lib/node_modules/${name}"
  '';

  meta = {
    platforms = [
      "x86_64-linux"
      "aarch64-linux"
    ];
  };
in
lib.mapAttrs (
  id: name:
  import ../src/tools/${id}/client.nix {
    inherit
      name
      lib
      stdenv
      stdenvNoCC
      autoPatchelfHook
      nodejs
      cpu
      fetch
      pinned
      unpackInto
      meta
      ;
  }
) manifest.perimeter.tools
