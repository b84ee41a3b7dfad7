# @anthropic-ai/claude-code: a wrapper package whose postinstall (install.cjs) copies the native
# binary of @anthropic-ai/claude-code-linux-<cpu> over its bin/claude.exe placeholder. We do what
# that script does, then patch the (Bun-built, glibc) ELF for the Nix store as nixpkgs' claude-code-bin
# does: autoPatchelf, and no strip (stripping drops the appended JavaScript payload).
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
  pname = "claude-code";
  version = pinned name;
  dontUnpack = true;
  dontStrip = true;
  nativeBuildInputs = [ autoPatchelfHook ];
  installPhase = ''
    runHook preInstall
    ${unpackInto name srcs.wrapper}
    ${unpackInto native srcs.native}
    pkg="$out/lib/node_modules/${name}"
    # install.cjs: the platform binary replaces the placeholder (npm hard-links it; one copy here).
    mv "$out/lib/node_modules/${native}/claude" "$pkg/bin/claude.exe"
    chmod 0755 "$pkg/bin/claude.exe"
    mkdir -p "$out/bin"
    ln -s "$pkg/bin/claude.exe" "$out/bin/claude"
    runHook postInstall
  '';
  passthru = {
    npmPackage = name;
    inherit srcs;
  };
  inherit meta;
}
