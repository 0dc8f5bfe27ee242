import { defineConfig } from "vitest/config";

// The browser tests: real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// on the demo page served by scripts/serve.mjs. `npm run test:browser` builds dist/ and demo/dist/
// first; `npm test` does not run these (vitest.config.ts excludes test/browser/).
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
