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
import { compileKernel, once, type KernelSource } from "./kernel.js";
import { createEngineWith, type Engine, type EngineOptions } from "./engine.js";

const RELEASE_WASM = new URL("../build/release.wasm", import.meta.url);

/** A file: URL is read from disk (Node); anything else is compiled as it is. */
async function readIfFile(source: KernelSource): Promise<KernelSource> {
  if (!(source instanceof URL) || source.protocol !== "file:") return source;
  const { readFile } = await import("node:fs/promises");
  return readFile(source);
}

const releaseKernel = once(async () => compileKernel(await readIfFile(RELEASE_WASM)));

/** Compile the kernel (once per process) and instantiate it; each engine has its own memory. */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const wasm = options.wasm === undefined ? undefined : await readIfFile(options.wasm);
  return createEngineWith(releaseKernel, { ...options, wasm });
}

export { normalize } from "./validate.js";
export { MarginError, ErrorCode, type ErrorCodeValue } from "./errors.js";
export type { Engine, EngineOptions } from "./engine.js";
export type * from "./model/types.js";
export type * from "./model/book.js";
