// vitest globalSetup: forget the coverage observations of earlier runs at the start, and at the end of
// the run (after every worker) merge this run's and rewrite the README table if, and only if, every
// row x column cell was observed. Runs against other clients (PERIMETER_CLIENTS_DIR, npm run
// clients:latest) never rewrite a committed file.
import { loadProfile } from "../../src/profile/load.js";
import { clearObservations, readObservations, writeCoverageIntoReadme } from "./coverage.js";

export function setup(): void {
  clearObservations();
}

export function teardown(): void {
  const observed = readObservations();
  if (observed.size === 0) return; // no real-agent suite ran
  if (process.env.PERIMETER_CLIENTS_DIR) {
    console.log("[coverage] other clients under test (PERIMETER_CLIENTS_DIR): README table left alone");
    return;
  }
  const missing = writeCoverageIntoReadme(loadProfile("interactive"), observed);
  if (missing.length > 0) {
    console.log(`[coverage] README table left alone: ${missing.length} cells not observed in this run (e.g. ${missing[0]})`);
  }
}
