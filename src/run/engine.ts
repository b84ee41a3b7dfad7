// What differs between the engines a run can use. Both take the same `run` flags; they differ in
// how a container joins two networks and how a volume comes to belong to the container's user.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { UsageError } from "../errors.js";

export type EngineId = "podman" | "docker";
export const ENGINE_IDS: readonly EngineId[] = ["podman", "docker"];

export interface Engine {
  id: EngineId;
  /**
   * `-v` for a volume the container's (non-root) user writes. podman chowns it on mount (`:U`);
   * docker has no such option, so a first root step (`prepareVolumes`) chowns them once.
   */
  volume(name: string, path: string, mode: "rw" | "ro" | "owned"): string;
  /** `--tmpfs` options for a tmpfs the container's user owns (a home on a read-only root). */
  ownedTmpfs(path: string, uid: number, size: string): string;
  /** Docker needs a step that makes the run's volumes belong to the agent user. */
  chownsVolumesInAStep: boolean;
  /** Starts a detached container on two networks: one command for podman, create/connect/start for docker. */
  startOnTwoNetworks(runArgs: readonly string[], name: string, first: string, second: string): string[][];
  /** Removes containers (running or not), then the network, then the volumes; absent ones are no error. */
  removeAll(containers: readonly string[], network: string, volumes: readonly string[]): string[][];
}

const podman: Engine = {
  id: "podman",
  volume: (name, path, mode) => `${name}:${path}${mode === "ro" ? ":ro" : mode === "owned" ? ":U" : ""}`,
  chownsVolumesInAStep: false,
  // podman 4 refuses uid=/gid= on --tmpfs; its U option chowns the tmpfs to the container's user.
  ownedTmpfs: (path, _uid, size) => `${path}:rw,nosuid,nodev,size=${size},U`,
  startOnTwoNetworks: (runArgs, _name, first, second) => [["podman", "run", "--detach", "--network", first, "--network", second, ...runArgs]],
  removeAll: (containers, network, volumes) => [
    ["podman", "rm", "--force", "--ignore", "--time", "0", ...containers],
    ["podman", "network", "rm", "--force", network],
    ["podman", "volume", "rm", "--force", ...volumes],
  ],
};

const docker: Engine = {
  id: "docker",
  volume: (name, path, mode) => `${name}:${path}${mode === "ro" ? ":ro" : ""}`,
  chownsVolumesInAStep: true,
  ownedTmpfs: (path, uid, size) => `${path}:rw,nosuid,nodev,size=${size},uid=${uid},gid=${uid},mode=0700`,
  startOnTwoNetworks: (runArgs, name, first, second) => [
    ["docker", "create", "--network", first, ...runArgs],
    ["docker", "network", "connect", second, name],
    ["docker", "start", name],
  ],
  removeAll: (containers, network, volumes) => [
    ["docker", "rm", "--force", ...containers],
    ["docker", "network", "rm", network],
    ["docker", "volume", "rm", "--force", ...volumes],
  ],
};

export function engineById(id: EngineId): Engine {
  return id === "podman" ? podman : docker;
}

function onPath(command: string, path: string | undefined): boolean {
  for (const dir of (path ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** `--engine`, else `PERIMETER_ENGINE`, else the first of podman and docker on PATH. */
export function detectEngine(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineId {
  const wanted = flag ?? env.PERIMETER_ENGINE;
  if (wanted !== undefined) {
    if (!ENGINE_IDS.includes(wanted as EngineId)) throw new UsageError(`--engine: unknown engine "${wanted}"; choose podman or docker`);
    return wanted as EngineId;
  }
  const found = ENGINE_IDS.find((id) => onPath(id, env.PATH));
  if (found === undefined) throw new UsageError("no container engine found: install podman or docker, or name one with --engine");
  return found;
}
