// Cases 6a-6d of `npm run bench` on their own (`npx tsx test/bench/gateway-only.ts`), for working on
// the gateway: prints the lines and the load averages, and leaves the README alone. GW_BENCH_CLI
// names another build's dist/perimeter.cjs, to compare two builds under the same load.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gatewayBench } from "./gateway.js";
import { formatLine } from "./lib.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = process.env.GW_BENCH_CLI ?? join(ROOT, "dist", "perimeter.cjs");
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
const tmp = mkdtempSync(join(tmpdir(), "perimeter-gw-bench-"));
try {
  const before = load();
  const { results, extra } = await gatewayBench(tmp, CLI, ROOT);
  console.log([`${CLI}: load average ${before} before, ${load()} after`, ...results.map(formatLine), ...extra].join("\n"));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
