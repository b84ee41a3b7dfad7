# @google/gemini-cli: a JavaScript bundle on node. Of its optional dependencies only the prebuilt
# PTY (@lydell/node-pty + @lydell/node-pty-linux-<cpu>) works without a compiler; node-pty and
# @github/keytar need node-gyp and are not built by `npm ci` either (allowScripts: false), and nan /
# node-addon-api are C++ headers. The bundle falls back to child_process without a PTY.
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
  pty = "@lydell/node-pty";
  ptyNative = "${pty}-linux-${cpu}";
  srcs = {
    cli = fetch "node_modules/${name}";
    pty = fetch "node_modules/${pty}";
    ptyNative = fetch "node_modules/${ptyNative}";
  };
in
stdenv.mkDerivation {
  pname = "gemini-cli";
  version = pinned name;
  dontUnpack = true;
  nativeBuildInputs = [ autoPatchelfHook ];
  buildInputs = [
    nodejs
    stdenv.cc.cc.lib # libstdc++ for pty.node
  ];
  installPhase = ''
    runHook preInstall
    ${unpackInto name srcs.cli}
    ${unpackInto pty srcs.pty}
    ${unpackInto ptyNative srcs.ptyNative}
    chmod 0755 "$out/lib/node_modules/${name}/bundle/gemini.js"
    mkdir -p "$out/bin"
    ln -s "$out/lib/node_modules/${name}/bundle/gemini.js" "$out/bin/gemini"
    runHook postInstall
  '';
  passthru = {
    npmPackage = name;
    inherit srcs;
  };
  inherit meta;
}
