/**
 * The browser entry: the same API as the package's main entry, with the release kernel inlined
 * into the bundle (esbuild `loader: { ".wasm": "binary" }`), so it needs no path to the .wasm and
 * no Node built-ins. `createEngine({ wasm })` still accepts other bytes, a URL or a module.
 */
import releaseWasm from "../build/release.wasm";
import { compileKernel, once } from "./kernel.js";
import { createEngineWith, type Engine, type EngineOptions } from "./engine.js";

const inlineKernel = once(() => compileKernel(releaseWasm));

/** Compile the inlined kernel (once per page) and instantiate it; each engine has its own memory. */
export function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return createEngineWith(inlineKernel, options);
}

export { normalize } from "./validate.js";
export { MarginError, ErrorCode, type ErrorCodeValue } from "./errors.js";
export type { Engine, EngineOptions } from "./engine.js";
export type * from "./model/types.js";
export type * from "./model/book.js";
