#!/usr/bin/env bash
# A cold machine, first try: removes every package and cache the suites install or fill themselves,
# then runs .ci/run and prints how long it took. Packages the OS itself needs (node, npm, git, apt) stay.
#
#   sudo bash test/cold-ci.sh --yes       # purge, then run .ci/run
#   bash test/cold-ci.sh --dry-run        # only say what would be removed
#
# It purges machine-wide state (podman's perimeter storage, Debian packages, the npm cache), so it
# refuses without --yes: never run it on a machine where someone else is using podman or those caches.
set -uo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
if [ "$mode" != "--yes" ] && [ "$mode" != "--dry-run" ]; then
  echo "usage: $0 --yes | --dry-run  (--yes purges machine-wide caches and packages)" >&2
  exit 2
fi
[ "$mode" = "--yes" ] && [ "$(id -u)" != 0 ] && { echo "$0: run as root (it purges Debian packages)" >&2; exit 2; }

# Installed by test/container/podman.ts (podman, runc, the base image's packages that a minimal Debian
# lacks), test/nix/flake.test.ts (nix-bin) and .ci/run.
# gh: the container suites put it in the agent image; strace: the Codex sandbox-walk suite.
packages=(podman runc conmon crun netavark aardvark-dns golang-github-containers-common nix-bin tini gh strace)
# Caches and state the suites keep between runs.
dirs=(
  /tmp/perimeter-podman /var/lib/perimeter-podman /run/perimeter-podman   # test/container/podman.ts
  /run/perimeter-real-agents /root/.cache/perimeter-real-agents            # test/real/agents.ts (Gemini defaults)
  /nix /root/.cache/nix /root/.local/state/nix /root/.nix-defexpr /root/.nix-profile  # nix-bin's store and caches
  /tmp/perimeter-nix-store
  image/clients/node_modules node_modules dist test/.results               # this clone's installs and results
)
[ -n "${PERIMETER_PODMAN_DIR:-}" ] && dirs+=("$PERIMETER_PODMAN_DIR")          # a relocated podman state

run() {
  echo "+ $*"
  [ "$mode" = "--yes" ] && "$@"
  return 0
}

installed=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && installed+=("$p")
done

# Podman's perimeter storage holds overlay mounts: stop its containers, then unmount what is left.
if command -v podman >/dev/null && [ -f /tmp/perimeter-podman/storage.conf ]; then
  run env CONTAINERS_CONF=/tmp/perimeter-podman/containers.conf CONTAINERS_STORAGE_CONF=/tmp/perimeter-podman/storage.conf \
    podman --runtime runc rm --all --force
fi
for mnt in $(awk '$2 ~ /perimeter-podman/ {print $2}' /proc/mounts | sort -r); do run umount -l "$mnt"; done
[ ${#installed[@]} -gt 0 ] && run env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${installed[@]}"
run env DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -qq
for d in "${dirs[@]}"; do [ -e "$d" ] && run rm -rf "$d"; done
run npm cache clean --force
run rm -rf "${npm_config_cache:-$HOME/.npm}/_cacache"
# The suites' scratch folders (test homes, layers, shims) that were left behind.
run find /tmp -maxdepth 1 -name 'perimeter-*' -exec rm -rf {} +

if [ "$mode" = "--dry-run" ]; then
  echo "(dry run: nothing removed, .ci/run not started)"
  exit 0
fi

start=$(date +%s)
CI=true bash .ci/run
status=$?
elapsed=$(( $(date +%s) - start ))
printf 'cold .ci/run: exit %s in %dm%02ds\n' "$status" $((elapsed / 60)) $((elapsed % 60))
exit $status
