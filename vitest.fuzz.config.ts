import { defineConfig } from "vitest/config";

// `npm run fuzz`: the property-based tests at full size (not part of CI, whose vitest.config.ts
// runs the same files at FUZZ_RUNS = 300 with a fixed seed). FUZZ_RUNS cases per property
// (default 1e6) with a fresh seed per run unless FUZZ_SEED is given; KERNEL_FUZZ_RUNS corrupted
// memory images per entry point and build (default 20000). The two file-level suites run in
// parallel workers; each prints its count and time.
export default defineConfig({
  test: {
    include: ["test/fuzz-valid.test.ts", "test/fuzz-mutations.test.ts", "test/kernel-status.test.ts"],
    testTimeout: 7 * 24 * 3600 * 1000,
    env: {
      FUZZ_RUNS: process.env.FUZZ_RUNS ?? "1000000",
      KERNEL_FUZZ_RUNS: process.env.KERNEL_FUZZ_RUNS ?? "20000",
      FUZZ_RANDOM_SEED: "1",
    },
  },
});
