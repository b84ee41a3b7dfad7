# The perimeter CLI, built from this repository with buildNpmPackage.
#
# Dependencies come from package-lock.json through importNpmLock: one fetchurl per lock entry, hashed
# by the entry's `integrity`, so there is no separate npmDepsHash to keep in step with the lockfile.
# The lockfile has no `resolved` URLs (it is written with omit-lockfile-registry-resolved);
# npm-lock.nix puts back the registry URL npm itself would use.
#
# `withTests = true` gives the test derivation of `checks`: the same build, then `npm test` on it.
{
  lib,
  buildNpmPackage,
  importNpmLock,
  nodejs_22,
  git,
  withTests ? false,
}:
let
  root = ../.;
  npmLock = import ./npm-lock.nix { inherit lib; };
  package = lib.importJSON ../package.json;
  packageLock = lib.importJSON ../package-lock.json;

  # Only what the build reads: editing nix/, docs or tests does not rebuild the CLI.
  buildFiles = [
    ../package.json
    ../package-lock.json
    ../build.mjs
    ../tsconfig.json
    ../src
    ../profiles
    ../templates
    ../image/clients/package.json
  ];
  testFiles = [
    (lib.fileset.maybeMissing ../test)
    (lib.fileset.maybeMissing ../vitest.config.ts)
    (lib.fileset.maybeMissing ../image/clients/package-lock.json)
  ];

  build = {
    pname = package.name;
    inherit (package) version;
    nodejs = nodejs_22;

    src = lib.fileset.toSource {
      inherit root;
      fileset = lib.fileset.unions (buildFiles ++ lib.optionals withTests testFiles);
    };

    npmDeps = importNpmLock {
      npmRoot = root;
      inherit package;
      packageLock = npmLock.withRegistryUrls packageLock;
    };
    npmConfigHook = importNpmLock.npmConfigHook;

    # `npm run build`: esbuild bundles dist/perimeter.cjs and dist/entrypoint.cjs.
    npmBuildScript = "build";
    # The install step lists the package's files with `npm pack`, which would run `prepare` (the
    # same build) a second time.
    npmPackFlags = [ "--ignore-scripts" ];

    # `perimeter bake` reads the pinned client versions from image/clients/package.json under the
    # package root, which package.json "files" does not ship: install it beside dist/.
    postInstall = ''
      install -Dm444 image/clients/package.json "$out/lib/node_modules/${package.name}/image/clients/package.json"
    '';

    meta = {
      inherit (package) description;
      license = lib.licenses.asl20;
      mainProgram = "perimeter";
      platforms = [
        "x86_64-linux"
        "aarch64-linux"
      ];
    };
  };

  # The unit suites, on the package just built. `--ignore-scripts` skips the pretest hook (it
  # installs the agent CLIs from the network and rebuilds: neither possible nor needed in the build
  # sandbox). The container, real-agent and Nix suites need podman, the agents and nix; they run in
  # CI (.ci/run) and in .github/workflows/image.yml.
  tests = {
    pname = "${package.name}-tests";
    doCheck = true;
    nativeCheckInputs = [ git ];
    checkPhase = ''
      runHook preCheck
      export HOME="$TMPDIR"
      npm test --ignore-scripts -- --passWithNoTests \
        --exclude 'test/container/**' --exclude 'test/real/**' --exclude 'test/nix/**' --exclude 'src/tools/*/real.test.ts'
      runHook postCheck
    '';
    dontNpmInstall = true;
    postInstall = "";
    installPhase = ''
      runHook preInstall
      touch "$out"
      runHook postInstall
    '';
  };
in
buildNpmPackage (build // lib.optionalAttrs withTests tests)
