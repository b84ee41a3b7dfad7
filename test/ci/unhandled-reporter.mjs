// A vitest reporter that writes down the run's unhandled errors (vitest's JSON report leaves them out)
// to $PERIMETER_CI_UNHANDLED, for test/ci/count.mjs.
import { writeFileSync } from "node:fs";

export default class UnhandledErrorsReporter {
  onFinished(_files, errors = []) {
    const file = process.env.PERIMETER_CI_UNHANDLED;
    if (!file) return;
    const messages = errors.map((e) => String(e?.stack ?? e?.message ?? e));
    writeFileSync(file, `${JSON.stringify({ count: errors.length, messages }, null, 2)}\n`);
  }
}
