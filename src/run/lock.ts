// One launcher per run id at a time. Every name a run uses comes from its id: the engine objects
// (`<prefix><id>-net`...), the staging folder, the default manifest folder. A second run with the
// same id (a CI job re-run with a fixed --run-id) would fail to create them and then, in its cleanup,
// remove the first run's containers, network, volumes and staged credentials by those names. So a run
// takes its id first, with a lock file created exclusively; a lock whose launcher is gone is taken over.
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { UsageError } from "../errors.js";
import { isStale } from "./cleanup.js";
import { lockPath } from "./staging.js";

export { lockPath };

/** Takes the run id for this launcher (`host:pid`); returns the release. Throws when a live run holds it. */
export function takeRunLock(runId: string, launcher: string, dir: string = tmpdir()): () => void {
  const path = lockPath(runId, dir);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, launcher, { flag: "wx", mode: 0o644 });
      return () => {
        // Only our own lock: a stale-lock takeover by another launcher is theirs to remove.
        if (readText(path) === launcher) unlinkSync(path);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readText(path) ?? "";
    if (attempt === 0 && holder !== "" && isStale(holder, Number.NaN)) {
      unlinkSync(path);
      continue;
    }
    throw new UsageError(
      `--run-id: run ${runId} is already running (launcher ${holder || "unknown"}, ${path}); two runs with one id would share, and remove, each other's containers, network, volumes and staged files: pick another --run-id`,
    );
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
