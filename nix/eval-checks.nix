# Checks that need no more than evaluation (plus one bake): `nix flake check` fails on any of them.
{
  lib,
  pkgs,
  perimeter,
  agentImage,
  agentImageK8s,
  homeManagerModule,
}:
let
  ok = name: pkgs.runCommand "perimeter-check-${name}" { } "touch $out";

  # The module as Home Manager would call it: option defaults, then the settings given. (Only what
  # this module uses of Home Manager's lib is provided: hm.dag.entryAfter.)
  hmLib = lib // {
    hm.dag.entryAfter = after: data: {
      inherit after data;
      before = [ ];
    };
  };
  callModule =
    settings:
    homeManagerModule {
      config.programs.perimeter = settings;
      lib = hmLib;
      inherit pkgs;
    };
  hmDefaults = lib.mapAttrs (_: option: option.default or null) (callModule { }).options.programs.perimeter;
  evalHm = settings: (callModule (hmDefaults // settings)).config.content;
  hmOutput =
    settings:
    let
      c = evalHm settings;
    in
    c.home.activation.perimeter.data + "\n" + c.programs.perimeter.profileText;

  # Words that turn an agent's prompts off; none may appear in what the host side writes or runs.
  bypassWords = [
    "bypassPermissions"
    "danger-full-access"
    "dangerously"
    "--yolo"
    "yolo"
    "--profile autonomous"
    "--profile ci"
    "extends = \"autonomous\""
    "extends = \"ci\""
  ];
  clean = text: !(lib.any (word: lib.hasInfix word text) bypassWords);
  refuses = settings: !(builtins.tryEval (builtins.deepSeq (hmOutput settings) true)).success;

  sample = {
    enable = true;
    extraAllow = [ "terraform plan" ];
    extraDeny = [ "aws s3 rm" ];
  };

  inherit (agentImage.passthru) spec policyLayer imageConfig;
  envList = lib.mapAttrsToList (name: value: "${name}=${value}") spec.env;
in
{
  # The Home Manager module renders through perimeter, from an interactive-based profile, and never
  # lets a no-prompt profile onto the host.
  hm-module =
    assert lib.assertMsg (lib.hasInfix "/bin/perimeter render" (hmOutput sample)) "hm module: no perimeter render";
    assert lib.assertMsg (lib.hasInfix "extends = \"interactive\"" (hmOutput sample)) "hm module: profile does not extend interactive";
    assert lib.assertMsg (clean (hmOutput sample)) "hm module: output names a prompt-bypass setting or profile";
    assert lib.assertMsg (refuses (sample // { profile = "autonomous"; })) "hm module accepts profile = autonomous";
    assert lib.assertMsg (refuses (sample // { profile = "ci"; })) "hm module accepts profile = ci";
    assert lib.assertMsg (refuses (sample // { profile = "interactive"; })) "hm module accepts profile = interactive";
    ok "hm-module";

  # The committed nix/image-spec.json is the spec perimeter bakes today (builds perimeter, runs bake).
  image-spec = pkgs.runCommand "perimeter-check-image-spec" { } ''
    if ! cmp ${./image-spec.json} ${policyLayer}/image.json; then
      diff -u ${./image-spec.json} ${policyLayer}/image.json || true
      echo "nix/image-spec.json is stale: node build.mjs && node nix/update-image-spec.mjs" >&2
      exit 1
    fi
    touch $out
  '';

  # The Kubernetes variant bakes the same spec plus "egressWall": "orchestrator", and nothing else.
  image-spec-k8s = pkgs.runCommand "perimeter-check-image-spec-k8s" { } ''
    ${agentImageK8s.passthru.checkSpec "${agentImageK8s.passthru.policyLayer}/image.json"}
    touch $out
  '';

  # The image runs what the spec says, as the spec's user.
  image-config =
    assert lib.assertMsg (imageConfig.User == "${toString spec.user.uid}:${toString spec.user.gid}") "image: User is not the spec's user";
    assert lib.assertMsg (spec.user.uid != 0) "image spec: agent user is root";
    assert lib.assertMsg (imageConfig.Entrypoint == spec.entrypoint) "image: Entrypoint is not the spec's";
    assert lib.assertMsg (imageConfig.WorkingDir == spec.workdir) "image: WorkingDir is not the spec's";
    assert lib.assertMsg (lib.all (e: lib.elem e imageConfig.Env) envList) "image: Env lacks some of the spec's env";
    assert lib.assertMsg (lib.elem "AGENT_SANDBOX=1" imageConfig.Env) "image: AGENT_SANDBOX is not 1";
    ok "image-config";
}
