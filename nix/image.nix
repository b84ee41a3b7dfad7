# The agent image: dockerTools.streamLayeredImage around the layer that `perimeter bake` writes.
#
# One source of truth. Everything the image config says (user, env, entrypoint, workdir) is read at
# evaluation time from nix/image-spec.json, a committed copy of the /etc/perimeter/image.json that
# `perimeter bake` puts into its layer (src/image/spec.ts). Reading the baked file itself would be
# import-from-derivation: building perimeter during evaluation, which `nix flake check` and offline
# evaluation cannot do. Instead the copy is held to the original twice:
#   - at build time, below: the image does not build unless the committed file is byte-identical
#     to the image.json inside the freshly baked layer;
#   - in the tests: test/nix/flake.test.ts bakes with the current sources and compares
#     (`node nix/update-image-spec.mjs` rewrites the copy).
#
# Layers. Every store path of the closure (node, each agent CLI, git, gh, ...) is its own layer, as
# long as the closure has fewer than maxLayers - 1 paths; the policy files, accounts and folders
# are in the customisation layer, which dockerTools always puts last. The baked tar itself is not
# in the image closure (only its unpacked files are), so changing a tripwire rebuilds only that
# small top layer and every other layer keeps its digest.
{
  lib,
  dockerTools,
  runCommand,
  perimeter,
  clients,
  nodejs_22,
  bashInteractive,
  coreutils,
  git,
  gh,
  tini,
  findutils,
  gnugrep,
  gnused,
  gawk,
  diffutils,
  gnutar,
  gzip,
  procps,
  less,
  curl,
  specFile ? ./image-spec.json,
  # "orchestrator": the Kubernetes variant (`perimeter bake --egress-wall orchestrator`), whose wall is
  # the cluster's NetworkPolicy. Its baked spec is the committed standard one plus that one key, so
  # the variant needs no second committed copy: the check below drops the key's line and compares the
  # rest byte for byte.
  egressWall ? "network",
}:
let
  variant = egressWall == "orchestrator";
  standardSpec = lib.importJSON specFile;
  spec = standardSpec // lib.optionalAttrs variant { egressWall = "orchestrator"; };
  # The line JSON.stringify(spec, null, 2) gives the key in the variant's image.json.
  wallLine = "  \"egressWall\": \"orchestrator\",";
  inherit (spec) user;
  uid = toString user.uid;
  gid = toString user.gid;
  specPath = "/etc/perimeter/image.json";

  # What this file relies on the spec for.
  assertions = [
    (lib.assertMsg (user.uid != 0 && user.gid != 0) "image spec: the agent user must not be root")
    (lib.assertMsg (spec.env.AGENT_SANDBOX or null == "1") "image spec: env.AGENT_SANDBOX must be \"1\"")
    (lib.assertMsg (lib.elem specPath spec.policyFiles) "image spec: ${specPath} must be a policy file")
    (lib.assertMsg (lib.head spec.entrypoint == "tini") "image spec: PID 1 must be tini")
    (lib.assertMsg (lib.elem egressWall [ "network" "orchestrator" ]) "egressWall must be network or orchestrator, not ${egressWall}")
    (lib.assertMsg (!(standardSpec ? egressWall)) "${toString specFile} must be the standard spec (no egressWall)")
    (lib.assertMsg (!variant || spec.network == "gateway") "the orchestrator egress wall needs a profile with a gateway")
  ];

  # Shell: fails unless the baked image.json at $1 is the committed spec (the variant: plus exactly
  # its one egressWall line).
  checkSpec = baked: if variant then ''
    if [ "$(grep -cxF ${lib.escapeShellArg wallLine} ${baked})" != 1 ] \
      || ! grep -vxF ${lib.escapeShellArg wallLine} ${baked} | cmp -s ${specFile} -; then
      echo "${baked} is not ${specFile} plus the line ${wallLine}:" >&2
      grep -vxF ${lib.escapeShellArg wallLine} ${baked} | diff -u ${specFile} - >&2 || true
      echo "regenerate it: node build.mjs && node nix/update-image-spec.mjs" >&2
      exit 1
    fi
  '' else ''
    if ! cmp -s ${specFile} ${baked}; then
      echo "nix/image-spec.json differs from the ${baked} that perimeter bake wrote:" >&2
      diff -u ${specFile} ${baked} >&2 || true
      echo "regenerate it: node build.mjs && node nix/update-image-spec.mjs" >&2
      exit 1
    fi
  '';

  # The CLIs the spec names, at the versions it names (from image/clients/package.json) — which
  # clients.nix already checked against package-lock.json.
  agentClients = lib.mapAttrs (
    id: tool:
    let
      client = clients.${id} or (throw "image spec names tool ${id}, which nix/clients.nix does not build");
    in
    assert lib.assertMsg (client.npmPackage == tool.package && client.version == tool.version)
      "image spec wants ${tool.package}@${tool.version}, nix/clients.nix builds ${client.npmPackage}@${client.version}";
    client
  ) spec.tools;

  # `perimeter bake`, run by the perimeter package just built: the same layer a developer bakes.
  suffix = lib.optionalString variant "-k8s";
  policyLayer = runCommand "perimeter-policy-layer-${spec.profile}${suffix}" { nativeBuildInputs = [ perimeter ]; } ''
    export HOME="$TMPDIR"
    mkdir -p "$out"
    perimeter bake --profile ${lib.escapeShellArg spec.profile}${lib.optionalString variant " --egress-wall orchestrator"} --out "$out/layer.tar"
    tar -xOf "$out/layer.tar" ${lib.escapeShellArg (lib.removePrefix "/" specPath)} > "$out/image.json"
  '';

  passwd = ''
    root:x:0:0:root:/root:/bin/bash
    nobody:x:65534:65534:nobody:/nonexistent:/bin/false
    ${user.name}:x:${uid}:${gid}:${user.name}:${user.home}:${user.shell}
  '';
  group = ''
    root:x:0:
    nogroup:x:65534:
    ${user.name}:x:${gid}:
  '';

  # Runs under fakeroot in the customisation layer's tree (contents already linked in).
  fakeRootCommands = ''
    # A subshell: strict mode for these lines only, not for the layer tar dockerTools runs after;
    # its failure fails the layer.
    (
      set -euo pipefail
      # 1. The policy layer exactly as perimeter baked it: root-owned read-only policy files, the
      #    image spec and the entrypoint bundle with their sha256 baked in.
      tar --extract --file ${policyLayer}/layer.tar --same-owner --same-permissions --numeric-owner

      # 2. The config of this image came from nix/image-spec.json; it must be the baked spec.
      ${checkSpec ".${specPath}"}

      # 3. Accounts (no sudo, no password), home and work folders of the agent user.
      mkdir -p etc root tmp var/tmp .${user.home} .${spec.workdir}
      printf '%s' ${lib.escapeShellArg passwd} > etc/passwd
      printf '%s' ${lib.escapeShellArg group} > etc/group
      printf 'hosts: files dns\n' > etc/nsswitch.conf
      chmod 0644 etc/passwd etc/group etc/nsswitch.conf
      chmod 0700 root
      chmod 1777 tmp var/tmp
      chown ${uid}:${gid} .${user.home} .${spec.workdir}
      chmod 0755 .${user.home} .${spec.workdir}

      # 4. What the entrypoint will check, checked before the image exists.
      for f in ${lib.escapeShellArgs spec.policyFiles}; do
        if [ ! -f ".$f" ] || [ "$(stat -c '%u %a' ".$f")" != "0 444" ]; then
          echo "policy file $f is not a root-owned 0444 file in the image" >&2; exit 1
        fi
      done
      # No setuid/setgid file (the Nix store has none; this layer must not add one), no sudo.
      if [ -n "$(find . -xdev -perm /6000 -print -quit)" ]; then
        echo "setuid/setgid file in the image:" >&2; find . -xdev -perm /6000 >&2; exit 1
      fi
      if [ -e bin/sudo ] || [ -e usr/bin/sudo ]; then echo "sudo in the image" >&2; exit 1; fi
    ) || exit 1
  '';

  # Image-only additions the spec does not cover; the spec's own env wins on any clash.
  extraEnv = {
    SSL_CERT_FILE = "/etc/ssl/certs/ca-bundle.crt";
  };

  # The container config: every field from the spec.
  imageConfig = {
    User = "${uid}:${gid}";
    WorkingDir = spec.workdir;
    Entrypoint = spec.entrypoint;
    Env = lib.mapAttrsToList (name: value: "${name}=${value}") (extraEnv // spec.env);
    Labels = {
      "org.opencontainers.image.title" = "perimeter agent image";
      "org.opencontainers.image.version" = perimeter.version;
      "org.opencontainers.image.licenses" = "Apache-2.0";
      "dev.perimeter.profile" = spec.profile;
      "dev.perimeter.egress-wall" = egressWall;
    };
  };
in
assert lib.all (a: a) assertions;
dockerTools.streamLayeredImage {
  name = "perimeter-agent";
  # The variant trusts the cluster's NetworkPolicy: tagged apart, never the image a plain run takes.
  tag = "${perimeter.version}-${spec.profile}${suffix}";

  contents = [
    # PID 1, the shell the agent user logs in with, the basic tools.
    tini
    bashInteractive
    coreutils
    git
    gh
    nodejs_22
    # What agents' shell commands expect next to coreutils (as in the container suite's base image).
    findutils
    gnugrep
    gnused
    gawk
    diffutils
    gnutar
    gzip
    procps
    less
    curl
    # /etc/ssl/certs (from cacert), /usr/bin/env, /bin/sh.
    dockerTools.caCertificates
    dockerTools.usrBinEnv
    dockerTools.binSh
  ]
  ++ lib.attrValues agentClients;

  inherit fakeRootCommands;

  # Docker's limit is 127 layers; 125 leaves room and gives each store path its own layer.
  maxLayers = 125;

  config = imageConfig;

  passthru = {
    inherit spec policyLayer imageConfig checkSpec;
    clients = agentClients;
  };
}
