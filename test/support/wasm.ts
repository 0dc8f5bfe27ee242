/** Raw access to the compiled kernel builds for tests that look below the engine. */
import { readFileSync } from "node:fs";

/** release: SIMD, optimized; scalar: the same without SIMD; debug: SIMD, unoptimized (asconfig.json). */
export type Build = "release" | "scalar" | "debug";

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

/** Bytes [0, n) of f64s at a 16-byte aligned address above the kernel's static data, growing memory as needed. */
export function scratchF64(instance: WebAssembly.Instance, n: number): { at: number; view: Float64Array } {
  const exports = instance.exports as { memory: WebAssembly.Memory; heapBase(): number };
  const at = (exports.heapBase() + 15) & ~15;
  const need = at + 8 * n;
  const have = exports.memory.buffer.byteLength;
  if (need > have) exports.memory.grow(Math.ceil((need - have) / 65536));
  return { at, view: new Float64Array(exports.memory.buffer, at, n) };
}
