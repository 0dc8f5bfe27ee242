/**
 * The browser entry that fetches the kernel instead of inlining it: dist/browser-fetch.js loads
 * `release.wasm` (SIMD) from next to itself (`new URL("./release.wasm", import.meta.url)`; the
 * build copies build/release.wasm and build/scalar.wasm into dist/), validates it, and fetches
 * `scalar.wasm` instead where the browser lacks WebAssembly SIMD. No Node built-ins: it works from
 * any static file server. Same API as browser.ts; `createEngine({ wasm })` still takes other bytes,
 * a URL, a Response or a compiled module.
 */
import { once, selectKernel } from "./kernel.js";
import { createEngineWith, type Engine, type EngineOptions } from "./engine.js";
import { ErrorCode, MarginError } from "./errors.js";

const RELEASE_WASM = new URL("./release.wasm", import.meta.url);
const SCALAR_WASM = new URL("./scalar.wasm", import.meta.url);

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new MarginError(ErrorCode.NO_WASM, "", `cannot fetch the kernel ${url.href}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

const fetchedKernel = once(async () => selectKernel(await fetchBytes(RELEASE_WASM), () => fetchBytes(SCALAR_WASM)));

/**
 * Fetch and compile the kernel (once per page: the SIMD build where the browser supports it, else
 * the scalar one) and instantiate it; each engine has its own memory.
 */
export function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return createEngineWith(fetchedKernel, options);
}

// the API every entry shares; each entry adds its own createEngine
export * from "./api.js";
