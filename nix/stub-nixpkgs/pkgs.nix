# legacyPackages.<system> of the stub: every builder returns a record of the arguments it was given,
# shaped like a derivation (type = "derivation", outPath, name, passthru merged in) so the flake can
# interpolate and pass it around, and so tests can read back exactly what the flake passed. Nothing
# here builds or fetches anything.
{ lib, system }:
let
  fakeHash = seed: builtins.substring 0 32 (builtins.hashString "sha256" seed);

  # A stand-in derivation. `stubArgs` keeps the raw arguments (functions included) for tests.
  mkDrv =
    builder: args:
    let
      name = args.name or "${args.pname}-${args.version}";
      passthru = args.passthru or { };
      self =
        args
        // passthru
        // {
          type = "derivation";
          inherit name system passthru;
          stubBuilder = builder;
          stubArgs = args;
          outPath = "/nix/store/${fakeHash "${builder} ${system} ${name}"}-${name}";
          drvPath = "/nix/store/${fakeHash "drv ${builder} ${system} ${name}"}-${name}.drv";
          overrideAttrs = f: mkDrv builder (args // (if builtins.isFunction f then f args else f));
        };
    in
    self;

  # A package from nixpkgs: only its name and version matter to the flake.
  pkg = pname: version: extra: mkDrv "package" ({ inherit pname version; } // extra);

  callWith =
    scope: fn: overrides:
    let
      f = if builtins.isFunction fn then fn else import fn;
    in
    f (builtins.intersectAttrs (builtins.functionArgs f) scope // overrides);

  hostPlatform = {
    inherit system;
    isLinux = true;
    isx86_64 = system == "x86_64-linux";
    isAarch64 = system == "aarch64-linux";
  };

  mkStdenv =
    name:
    {
      inherit hostPlatform;
      buildPlatform = hostPlatform;
      mkDerivation = args: mkDrv "${name}.mkDerivation" (if builtins.isFunction args then lib.fix args else args);
    };

  pkgs = {
    inherit lib system;
    stdenv = mkStdenv "stdenv" // {
      cc.cc.lib = pkg "gcc-lib" "14" { };
    };
    stdenvNoCC = mkStdenv "stdenvNoCC";

    callPackage = callWith pkgs;
    callPackages = callWith pkgs;

    fetchurl =
      args:
      mkDrv "fetchurl" (
        {
          name = lib.last (lib.splitString "/" args.url);
        }
        // args
      );

    runCommand =
      name: env: buildCommand:
      mkDrv "runCommand" (env // { inherit name buildCommand; });
    writeText = name: text: mkDrv "writeText" { inherit name text; };
    writeTextDir =
      path: text:
      mkDrv "writeTextDir" {
        name = lib.last (lib.splitString "/" path);
        inherit path text;
      };
    writeTextFile = args: mkDrv "writeTextFile" args;
    writeShellScript = name: text: mkDrv "writeShellScript" { inherit name text; };
    symlinkJoin = args: mkDrv "symlinkJoin" args;
    buildEnv = args: mkDrv "buildEnv" args;

    buildNpmPackage = args: mkDrv "buildNpmPackage" (if builtins.isFunction args then lib.fix args else args);
    importNpmLock = {
      __functor =
        _: args:
        mkDrv "importNpmLock" (
          args
          // {
            name = "${args.package.name or "unknown"}-${args.package.version or "0.0.0"}-sources";
          }
        );
      npmConfigHook = pkg "npm-config-hook" "0" { };
    };

    dockerTools = {
      streamLayeredImage =
        args:
        mkDrv "dockerTools.streamLayeredImage" (
          args
          // {
            name = "stream-${args.name}";
            imageName = args.name;
            imageTag = args.tag or null;
            passthru = (args.passthru or { }) // {
              imageTag = args.tag or null;
              isExe = true;
            };
          }
        );
      caCertificates = pkg "ca-certificates" "0" { };
      usrBinEnv = pkg "usr-bin-env" "0" { };
      binSh = pkg "bin-sh" "0" { };
      fakeNss = pkg "fake-nss" "0" { };
    };

    autoPatchelfHook = pkg "auto-patchelf-hook" "0" { };
    makeWrapper = pkg "make-wrapper" "0" { };
    nodejs_22 = pkg "nodejs" "22.18.0" { };
    nodejs = pkgs.nodejs_22;
    bashInteractive = pkg "bash-interactive" "5.3" { };
    bash = pkg "bash" "5.3" { };
    coreutils = pkg "coreutils" "9.7" { };
    git = pkg "git" "2.50.1" { };
    gitMinimal = pkg "git-minimal" "2.50.1" { };
    gh = pkg "gh" "2.76.2" { };
    cacert = pkg "nss-cacert" "3.115" { };
    tini = pkg "tini" "0.19.0" { };
    gnutar = pkg "gnutar" "1.35" { };
    findutils = pkg "findutils" "4.10.0" { };
    gnugrep = pkg "gnugrep" "3.12" { };
    gnused = pkg "gnused" "4.9" { };
    gawk = pkg "gawk" "5.3.2" { };
    diffutils = pkg "diffutils" "3.12" { };
    gzip = pkg "gzip" "1.14" { };
    procps = pkg "procps" "4.0.4" { };
    less = pkg "less" "679" { };
    curl = pkg "curl" "8.14.1" { };
  };
in
pkgs
