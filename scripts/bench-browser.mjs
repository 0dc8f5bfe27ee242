// Bundles bench/browser.ts (the what-if page's per-edit benchmark in headless Chromium) into
// build/bench/browser.mjs and runs it. `npm run bench:browser` builds the kernel, dist/ and
// demo/dist/ first.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";

await build({
  entryPoints: ["bench/browser.ts"],
  outfile: "build/bench/browser.mjs",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  external: ["playwright-core"],
  logLevel: "warning",
});
const run = spawnSync(process.execPath, ["build/bench/browser.mjs", ...process.argv.slice(2)], { stdio: "inherit" });
process.exitCode = run.status ?? 1;
