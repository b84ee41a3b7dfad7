# The three agent CLIs at exactly the versions of image/clients/package-lock.json: every tarball is
# fetched from the npm registry by the lockfile's own integrity hash (see npm-lock.nix), not taken
# from nixpkgs' claude-code / codex / gemini-cli, so the image runs what the conformance suite tested.
# Each CLI is its own store path, so the image puts each in its own layer.
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
{
  # @anthropic-ai/claude-code: a wrapper package whose postinstall (install.cjs) copies the native
  # binary of @anthropic-ai/claude-code-linux-<cpu> over its bin/claude.exe placeholder. We do what
  # that script does, then patch the (Bun-built, glibc) ELF for the Nix store as nixpkgs' claude-code-bin
  # does: autoPatchelf, and no strip (stripping drops the appended JavaScript payload).
  claude =
    let
      name = "@anthropic-ai/claude-code";
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
    };

  # @openai/codex: a node launcher (bin/codex.js) that runs the static musl binary of its optional
  # dependency @openai/codex-linux-<cpu> (an npm alias of @openai/codex@<version>-linux-<cpu>),
  # found by require.resolve from the launcher's own node_modules tree.
  codex =
    let
      name = "@openai/codex";
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
    };

  # @google/gemini-cli: a JavaScript bundle on node. Of its optional dependencies only the prebuilt
  # PTY (@lydell/node-pty + @lydell/node-pty-linux-<cpu>) works without a compiler; node-pty and
  # @github/keytar need node-gyp and are not built by `npm ci` either (allowScripts: false), and nan /
  # node-addon-api are C++ headers. The bundle falls back to child_process without a PTY.
  gemini =
    let
      name = "@google/gemini-cli";
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
    };
}
