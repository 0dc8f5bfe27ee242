/**
 * The browser entry: the same API as the package's main entry, with the release kernel inlined
 * into the bundle (esbuild `loader: { ".wasm": "binary" }`), so it needs no path to the .wasm and
 * no Node built-ins. `createEngine({ wasm })` still accepts other bytes, a URL or a module.
 */
import releaseWasm from "../build/release.wasm";
import scalarWasm from "../build/scalar.wasm";
import { once, selectKernel } from "./kernel.js";
import { createEngineWith, type Engine, type EngineOptions } from "./engine.js";

const inlineKernel = once(() => selectKernel(releaseWasm, () => scalarWasm));

/**
 * Compile the inlined kernel (once per page: the SIMD build where the browser supports it, else
 * the scalar one) and instantiate it; each engine has its own memory.
 */
export function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return createEngineWith(inlineKernel, options);
}

// the API every entry shares; each entry adds its own createEngine
export * from "./api.js";
