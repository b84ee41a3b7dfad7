# @openai/codex: a node launcher (bin/codex.js) that runs the static musl binary of its optional
# dependency @openai/codex-linux-<cpu> (an npm alias of @openai/codex@<version>-linux-<cpu>),
# found by require.resolve from the launcher's own node_modules tree.
# Called by nix/clients.nix with these helpers; `name` is this tool's npm package
# (image/clients/package.json, "perimeter.tools").
{
  name,
  lib,
  stdenv,
  stdenvNoCC,
  autoPatchelfHook,
  nodejs,
  cpu,
  fetch,
  pinned,
  unpackInto,
  meta,
}:
let
  native = "${name}-linux-${cpu}";
  srcs = {
    wrapper = fetch "node_modules/${name}";
    native = fetch "node_modules/${native}";
  };
in
stdenvNoCC.mkDerivation {
  pname = "codex";
  version = pinned name;
  dontUnpack = true;
  # The vendored binaries are static (musl): nothing to patch, and stripping would change them.
  dontStrip = true;
  buildInputs = [ nodejs ]; # patchShebangs: `#!/usr/bin/env node` -> this node
  installPhase = ''
    runHook preInstall
    ${unpackInto name srcs.wrapper}
    ${unpackInto native srcs.native}
    chmod 0755 "$out/lib/node_modules/${name}/bin/codex.js"
    mkdir -p "$out/bin"
    ln -s "$out/lib/node_modules/${name}/bin/codex.js" "$out/bin/codex"
    runHook postInstall
  '';
  passthru = {
    npmPackage = name;
    inherit srcs;
  };
  inherit meta;
}
