// vitest globalSetup: gives the run its own folder of coverage observations (so concurrent or earlier
// runs never mix), and at the end of the run (after every worker) merges them and rewrites the README
// table if, and only if, every row x column cell was observed. Runs against other clients (PERIMETER_CLIENTS_DIR, npm run
// clients:latest) never rewrite a committed file.
import { loadProfile } from "../../src/profile/load.js";
import { endRun, readObservations, startRun, writeCoverageIntoReadme } from "./coverage.js";
import { readSecretObservations, writeSecretsIntoReadme } from "./secrets-coverage.js";

let dir: string;

export function setup(): void {
  dir = startRun();
}

export function teardown(): void {
  const observed = readObservations(dir);
  secretsTeardown(readSecretObservations(dir));
  endRun(dir);
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

/** The secrets table (test/report/secrets-coverage.ts), under the same rules. */
function secretsTeardown(observed: ReturnType<typeof readSecretObservations>): void {
  if (observed.length === 0 || process.env.PERIMETER_CLIENTS_DIR) return;
  const missing = writeSecretsIntoReadme(observed);
  if (missing.length > 0) console.log(`[secrets] README table left alone: not observed for ${missing.join(", ")}`);
}
