// Where things sit inside the run's containers. One place, so scripts and mounts cannot disagree.
export interface ContainerPaths {
  /** The agent's working copy (the work volume). */
  work: string;
  /** The pristine bare clone and the staged tree (the base volume); never mounted into the agent. */
  base: string;
  /** The CA volume: the gateway writes the run's CA certificate there; every other container reads it. */
  ca: string;
  /** System roots plus the run's CA, written by the gateway beside its certificate (ca.pem). */
  caBundle: string;
  /** The gateway's request log (its own volume; only the gateway mounts it). */
  gatewayLog: string;
  /** Read-only inputs of the gateway from the host (tests: --hosts, --upstream-ca; --profiles-dir). */
  gatewayInputs: string;
}

export const CONTAINER_PATHS: ContainerPaths = {
  work: "/work",
  base: "/perimeter/base",
  ca: "/perimeter/ca",
  caBundle: "/perimeter/ca/ca-bundle.pem",
  gatewayLog: "/perimeter/gateway-log",
  gatewayInputs: "/perimeter/gateway-inputs",
};
