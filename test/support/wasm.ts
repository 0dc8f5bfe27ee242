/** Raw access to the compiled kernel builds for tests that look below the engine. */
import { readFileSync } from "node:fs";

export type Build = "release" | "debug";

export function kernelInstance(build: Build = "release"): WebAssembly.Instance {
  const bytes = readFileSync(new URL(`../../build/${build}.wasm`, import.meta.url));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: {
      abort() {
        throw new Error("kernel abort");
      },
    },
  });
}
