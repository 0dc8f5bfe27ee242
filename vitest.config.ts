import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/browser/ drives Chromium: `npm run test:browser` (vitest.browser.config.ts)
    exclude: [...configDefaults.exclude, "test/browser/**"],
    testTimeout: 60_000,
  },
});
