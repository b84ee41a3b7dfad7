{
  description = "perimeter: one agent permission profile, rendered for Claude Code, Codex CLI and Gemini CLI";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});

      # Everything of one system, shared by packages, apps and checks.
      perSystem =
        system: pkgs:
        let
          perimeter = pkgs.callPackage ./nix/package.nix { };
          clients = pkgs.callPackages ./nix/clients.nix { nodejs = pkgs.nodejs_22; };
          agentImage = pkgs.callPackage ./nix/image.nix { inherit perimeter clients; };
          # The Kubernetes variant: the same image around `perimeter bake --egress-wall orchestrator`.
          agentImageK8s = pkgs.callPackage ./nix/image.nix {
            inherit perimeter clients;
            egressWall = "orchestrator";
          };
        in
        {
          inherit perimeter clients agentImage agentImageK8s;
          tests = pkgs.callPackage ./nix/package.nix { withTests = true; };
          evalChecks = import ./nix/eval-checks.nix {
            inherit lib pkgs perimeter agentImage agentImageK8s;
            homeManagerModule = self.homeManagerModules.default;
          };
        };
      bySystem = forAllSystems perSystem;
    in
    {
      packages = lib.mapAttrs (system: s: {
        default = s.perimeter;
        perimeter = s.perimeter;
        # `nix build .#agent-image && ./result | docker load`
        agent-image = s.agentImage;
        # The Kubernetes variant (README): its wall is the cluster's NetworkPolicy; only for `--emit k8s`.
        agent-image-k8s = s.agentImageK8s;
        # `perimeter bake --profile autonomous`, as built into the image.
        policy-layer = s.agentImage.passthru.policyLayer;
      }
      # Each agent CLI under its package name (claude-code, codex, gemini-cli, ...).
      // builtins.listToAttrs (map (client: { name = client.pname; value = client; }) (builtins.attrValues s.clients))
      ) bySystem;

      # The agent CLIs by tool id (`nix eval .#legacyPackages.x86_64-linux.clients.<id>.outPath`).
      legacyPackages = lib.mapAttrs (system: s: { inherit (s) clients; }) bySystem;

      # `nix run . -- render --profile interactive --dry-run`
      apps = lib.mapAttrs (system: s: {
        default = {
          type = "app";
          program = "${s.perimeter}/bin/perimeter";
          meta.description = "perimeter CLI";
        };
      }) bySystem;

      checks = lib.mapAttrs (
        system: s:
        {
          package = s.perimeter;
          # `npm test` (the unit suites) on the package built above.
          tests = s.tests;
        }
        // s.evalChecks
      ) bySystem;

      homeManagerModules.default = import ./nix/home-manager.nix { inherit self; };
      homeManagerModules.perimeter = self.homeManagerModules.default;
    };
}
