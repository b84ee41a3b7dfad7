# Home Manager module: perimeter's interactive profile, plus your own additions, rendered into the
# agents' settings in your home folder on every `home-manager switch`.
#
# It writes one profile file (extends = "interactive") into the Nix store and runs
#   perimeter render --profile <name> --profiles-dir <that folder> --home $HOME
# so the renderer is perimeter itself: no settings are written by Nix. The profiles that never prompt
# belong in the agent image only; this module offers no way to pick them, and refuses their names.
{ self }:
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.programs.perimeter;
  inherit (lib) mkIf mkOption types;

  # The registry's tools, as image/clients/package.json lists them (id -> npm package).
  toolIds = builtins.attrNames (lib.importJSON ../image/clients/package.json).perimeter.tools;
  # The built-in profiles that never prompt: agent image only (`perimeter render` refuses them too).
  refusedNames = [
    "autonomous"
    "ci"
  ];
  namePattern = "[A-Za-z0-9][A-Za-z0-9_-]*";

  profileName =
    if lib.elem cfg.profile refusedNames then
      throw "programs.perimeter.profile = \"${cfg.profile}\": that profile never prompts and exists only inside the agent image; pick a name of your own (your profile always extends \"interactive\")"
    else if cfg.profile == "interactive" then
      throw "programs.perimeter.profile = \"interactive\": your profile extends the built-in interactive profile and needs a name of its own"
    else if builtins.match namePattern cfg.profile == null then
      throw "programs.perimeter.profile = \"${cfg.profile}\": use letters, digits, '-' and '_'"
    else
      cfg.profile;

  tools =
    if cfg.tools == [ ] then
      throw "programs.perimeter.tools is empty: name at least one of ${lib.concatStringsSep ", " toolIds}"
    else
      cfg.tools;

  # TOML basic strings and JSON strings share their escapes, so a JSON array of strings is a TOML array.
  tomlList = list: builtins.toJSON list;

  profileText = ''
    # Written by the perimeter Home Manager module (programs.perimeter). Edit your Nix configuration,
    # not this file.
    description = ${builtins.toJSON cfg.description}
    extends = "interactive"

    [commands]
    allow = ${tomlList cfg.extraAllow}
    ask = ${tomlList cfg.extraAsk}
    deny = ${tomlList cfg.extraDeny}
  '';

  # A folder holding just this profile, for --profiles-dir (the built-in profiles stay searched after it).
  profilesDir = pkgs.writeTextFile {
    name = "perimeter-profiles";
    destination = "/${profileName}.toml";
    text = profileText;
  };

  commandList =
    what:
    mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "terraform plan" ];
      description = ''
        Command patterns ${what}, added to those of the interactive profile (words, "*" for any
        arguments, "*" inside a word as a glob). The tripwires stay denied whatever you add.
      '';
    };
in
{
  options.programs.perimeter = {
    enable = lib.mkEnableOption "perimeter: render an agent permission profile into Claude Code, Codex CLI and Gemini CLI settings";

    package = mkOption {
      type = types.package;
      default = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      defaultText = lib.literalExpression "perimeter.packages.\${system}.default";
      description = "The perimeter package that renders the profile.";
    };

    profile = mkOption {
      type = types.strMatching namePattern;
      default = "home-manager";
      description = ''
        Name of the profile this module writes. It always extends the built-in "interactive"
        profile: the agent asks before anything not allowed.
      '';
    };

    description = mkOption {
      type = types.str;
      default = "Interactive profile with additions from Home Manager.";
      description = "One line describing the profile (shown by `perimeter show`).";
    };

    extraAllow = commandList "that run without a prompt";
    extraAsk = commandList "that always ask first";
    extraDeny = commandList "that are refused outright";

    tools = mkOption {
      type = types.listOf (types.enum toolIds);
      default = toolIds;
      description = "Which agents' settings to write.";
    };

    profileText = mkOption {
      type = types.lines;
      internal = true;
      readOnly = true;
      description = "The profile file this module writes (for inspection and tests).";
    };
  };

  config = mkIf cfg.enable {
    programs.perimeter.profileText = profileText;

    home.packages = [ cfg.package ];

    home.activation.perimeter = lib.hm.dag.entryAfter [ "writeBoundary" ] ''
      run ${cfg.package}/bin/perimeter render \
        --profile ${lib.escapeShellArg profileName} \
        --profiles-dir ${profilesDir} \
        --tools ${lib.escapeShellArg (lib.concatStringsSep "," tools)} \
        --home "$HOME"
    '';
  };
}
