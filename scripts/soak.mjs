// Bundles scripts/soak.ts (with the bindings and the random-file generator it imports) into
// build/reliability/soak.mjs and runs it under node --expose-gc, passing the command-line
// arguments through (`npm run soak -- --calls 20000`; default 1e6 calls).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";

await build({
  entryPoints: ["scripts/soak.ts"],
  outfile: "build/reliability/soak.mjs",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  logLevel: "warning",
});
const run = spawnSync(process.execPath, ["--expose-gc", "build/reliability/soak.mjs", ...process.argv.slice(2)], { stdio: "inherit" });
process.exitCode = run.status ?? 1;
