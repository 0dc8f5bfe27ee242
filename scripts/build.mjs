// Bundles the TypeScript bindings with esbuild: dist/index.js (the library, ESM, no Node
// built-ins at load time; Node reads ../build/release.wasm relative to the module),
// dist/browser.js (the same API with the .wasm inlined, for browsers), dist/browser-fetch.js
// (the same API fetching dist/release.wasm or dist/scalar.wasm next to it), dist/pool.js with
// dist/pool-worker.js (bulk margin across worker threads, Node) and dist/cli.js (the
// margin-kernel command). Declarations come from tsc (tsconfig.build.json).
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const common = {
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: ["bindings/index.ts"],
  outfile: "dist/index.js",
  platform: "neutral",
  mainFields: ["module", "main"],
  external: ["node:*"],
});

await build({
  ...common,
  entryPoints: ["bindings/browser.ts"],
  outfile: "dist/browser.js",
  platform: "browser",
  loader: { ".wasm": "binary" },
});

await build({
  ...common,
  entryPoints: ["bindings/browser-fetch.ts"],
  outfile: "dist/browser-fetch.js",
  platform: "browser",
});
mkdirSync("dist", { recursive: true });
for (const name of ["release.wasm", "scalar.wasm"]) copyFileSync(`build/${name}`, `dist/${name}`);

await build({
  ...common,
  entryPoints: ["bindings/pool.ts", "bindings/pool-worker.ts"],
  outdir: "dist",
  platform: "node",
  external: ["piscina"],
});

await build({
  ...common,
  entryPoints: ["bindings/cli.ts"],
  outfile: "dist/cli.js",
  platform: "node",
});
