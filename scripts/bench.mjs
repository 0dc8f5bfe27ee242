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
// Each suite runs in a process of its own (`--only <suite>`, whose figures merge into the JSON), so
// that none is measured in the state another leaves: after the kernel suite's million-option
// files, the account suite's margin(file) measured p50 / p99 61 / 205 us in the same process,
// against 48 / 130 us in its own. `--only` given here runs just those suites, in one process.
const SUITES = ["kernel", "account", "bulk", "memory", "covariance"];
const args = process.argv.slice(2);
const runs = args.includes("--only") ? [args] : SUITES.map((suite) => [...args, "--only", suite]);
for (const runArgs of runs) {
  const run = spawnSync(process.execPath, ["build/bench/run.mjs", ...runArgs], { stdio: "inherit" });
  process.exitCode = run.status ?? 1;
  if (process.exitCode !== 0) break;
}
