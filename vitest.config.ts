import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Tests of one tool live beside its module (src/tools/<tool>/*.test.ts).
    include: ["test/**/*.test.ts", "src/tools/*/*.test.ts"],
    // Merges the host and image suites' coverage observations once, at the end (test/report/coverage.ts).
    globalSetup: ["test/report/global-setup.ts"],
    // The real-agent, container and Nix suites start processes that take seconds each.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Two cores: the heavy suites compete for them, so files run two at a time.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
