{
  # An evaluation-only stand-in for nixpkgs, for tests: `nix eval --override-input nixpkgs
  # path:./nix/stub-nixpkgs .#...`. Its builders record the arguments the perimeter flake passes
  # (see pkgs.nix) instead of building; its lib holds the functions the flake uses (see lib.nix).
  description = "stub nixpkgs for evaluating the perimeter flake offline";

  outputs =
    { self }:
    let
      lib = import ./lib.nix;
    in
    {
      inherit lib;
      legacyPackages = lib.genAttrs [
        "x86_64-linux"
        "aarch64-linux"
      ] (system: import ./pkgs.nix { inherit lib system; });
    };
}
