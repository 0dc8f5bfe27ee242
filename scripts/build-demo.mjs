// Builds the what-if demo page into demo/dist/: demo/main.ts bundled by esbuild with the
// fetch-the-kernel browser entry (bindings/browser-fetch.ts), the page, its stylesheet, the
// example portfolio, and the two kernel builds the entry fetches from next to the bundle
// (release.wasm, SIMD; scalar.wasm where the browser has no WebAssembly SIMD). Needs build/*.wasm
// (npm run asbuild).
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";

for (const kernel of ["build/release.wasm", "build/scalar.wasm"]) {
  if (!existsSync(kernel)) {
    console.error(`build-demo: ${kernel} is missing; build the kernel first (npm run build)`);
    process.exit(1);
  }
}
mkdirSync("demo/dist", { recursive: true });
await build({
  entryPoints: ["demo/main.ts"],
  outfile: "demo/dist/main.js",
  bundle: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  sourcemap: true,
  logLevel: "warning",
});
const copies = [
  ["demo/index.html", "index.html"],
  ["demo/style.css", "style.css"],
  ["examples/portfolio.json", "portfolio.json"],
  ["build/release.wasm", "release.wasm"],
  ["build/scalar.wasm", "scalar.wasm"],
];
for (const [from, to] of copies) copyFileSync(from, `demo/dist/${to}`);
