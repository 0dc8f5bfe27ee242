/**
 * margin-kernel: portfolio margin for crypto derivatives with a WebAssembly hot loop.
 *
 *   import { createEngine } from "margin-kernel";
 *   const engine = await createEngine();
 *   const report = engine.margin(file);
 *
 * This entry reads the release kernel next to the package in Node (and fetches it elsewhere);
 * `margin-kernel/browser` has it inlined.
 */
import { once, selectKernel } from "./kernel.js";
import { createEngineWith, type Engine, type EngineOptions } from "./engine.js";

const RELEASE_WASM = new URL("../build/release.wasm", import.meta.url);
const SCALAR_WASM = new URL("../build/scalar.wasm", import.meta.url);

/** The bytes behind a URL: read from disk for file: URLs (Node), fetched otherwise. */
async function bytesOf(url: URL): Promise<Uint8Array> {
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`margin-kernel: cannot fetch ${url.href}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

const releaseKernel = once(async () => selectKernel(await bytesOf(RELEASE_WASM), () => bytesOf(SCALAR_WASM)));

/**
 * Compile the kernel (once per process: the SIMD build where supported, else the scalar one) and
 * instantiate it; each engine has its own memory. `options.wasm` replaces the kernel (a file: URL
 * is read from disk).
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const wasm = options.wasm instanceof URL && options.wasm.protocol === "file:" ? await bytesOf(options.wasm) : options.wasm;
  return createEngineWith(releaseKernel, { ...options, wasm });
}

// the API every entry shares; each entry adds its own createEngine
export * from "./api.js";
