// Bundles bench/run.ts (with the bindings it imports) into build/bench/run.mjs and runs it,
// passing the command-line arguments through (`npm run bench -- --quick`).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";

await build({
  entryPoints: ["bench/run.ts"],
  outfile: "build/bench/run.mjs",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  external: ["tinybench", "piscina"],
  logLevel: "warning",
});
const run = spawnSync(process.execPath, ["build/bench/run.mjs", ...process.argv.slice(2)], { stdio: "inherit" });
process.exitCode = run.status ?? 1;
