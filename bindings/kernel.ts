/**
 * Compiling and instantiating the WebAssembly kernel, and the pointer-level wrapper over its
 * exports. Where the default kernel comes from is each entry point's business: index.ts reads
 * `build/release.wasm` next to the package (Node) or fetches it; browser.ts inlines the bytes.
 * Each compiles once per process (`once`); each engine gets its own instance and linear memory.
 * Instantiation goes through @assemblyscript/loader.
 */
import { instantiate } from "@assemblyscript/loader";
import { ErrorCode, MarginError } from "./errors.js";
import { RegionAllocator } from "./memory.js";

/** The kernel's exported functions (the layout constants are exported too, as globals). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  marginAccounts(header: number): number;
  marginAccountRange(header: number, first: number, end: number, reuseRisk: number, pairMask: number): number;
  attributePositions(header: number, out: number): number;
  normCdf(x: number): number;
}

/** The kernel's bytes, a compiled module, a fetch Response or a URL to fetch (index.ts reads file: URLs). */
export type KernelSource = BufferSource | WebAssembly.Module | Response | URL;

/** Compile a kernel from any source; fails fast with E_NO_WASM where WebAssembly is missing. */
export async function compileKernel(source: KernelSource): Promise<WebAssembly.Module> {
  if (typeof WebAssembly === "undefined") {
    throw new MarginError(ErrorCode.NO_WASM, "", "WebAssembly is not available in this runtime");
  }
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof URL) return WebAssembly.compileStreaming(fetch(source));
  if (typeof Response !== "undefined" && source instanceof Response) return WebAssembly.compileStreaming(source);
  return WebAssembly.compile(source as BufferSource);
}

/** Which kernel build an engine runs: the SIMD release build, its scalar twin, or one the caller passed. */
export type KernelBuild = "simd" | "scalar" | "custom";

export interface SelectedKernel {
  module: WebAssembly.Module;
  build: KernelBuild;
}

/**
 * Pick the SIMD build when this runtime validates its bytes (the most precise feature test: it
 * checks every instruction the kernel uses), else compile the scalar build.
 */
export async function selectKernel(
  simdBytes: Uint8Array,
  scalarBytes: () => Promise<Uint8Array> | Uint8Array,
): Promise<SelectedKernel> {
  if (typeof WebAssembly === "undefined") {
    throw new MarginError(ErrorCode.NO_WASM, "", "WebAssembly is not available in this runtime");
  }
  const simd = simdBytes as Uint8Array<ArrayBuffer>;
  if (WebAssembly.validate(simd)) return { module: await WebAssembly.compile(simd), build: "simd" };
  return { module: await WebAssembly.compile((await scalarBytes()) as Uint8Array<ArrayBuffer>), build: "scalar" };
}

/** Memoize an async load: one shared promise, forgotten on failure so a later call can retry. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    if (pending === null) {
      pending = load();
      pending.catch(() => {
        pending = null;
      });
    }
    return pending;
  };
}

const PAGE_BYTES = 65536;

/**
 * One kernel instance and typed views over its memory. Memory above the kernel's heap base is
 * handed out in regions (`alloc` / `release`, see memory.ts); growing memory detaches the old
 * ArrayBuffer, so the views are rebuilt after every grow and must be re-read (`kernel.f64`) after
 * any call that may allocate.
 */
export class Kernel {
  readonly exports: KernelExports;
  f64!: Float64Array;
  i32!: Int32Array;
  private buffer!: ArrayBuffer;
  private readonly regions: RegionAllocator;

  private constructor(exports: KernelExports) {
    this.exports = exports;
    this.refreshViews();
    const base = (exports.heapBase() + 15) & ~15;
    this.regions = new RegionAllocator(base, (end) => this.reach(end));
  }

  static async create(module: WebAssembly.Module): Promise<Kernel> {
    const { exports } = await instantiate<Record<string, unknown>>(module, {
      env: {
        abort(_msg: number, _file: number, line: number, column: number): never {
          throw new MarginError(ErrorCode.KERNEL, "", `kernel aborted at ${line}:${column}`);
        },
      },
    });
    return new Kernel(exports as unknown as KernelExports);
  }

  /** Bytes of linear memory now. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** A 16-aligned region of linear memory for the caller's columns. */
  alloc(bytes: number): number {
    return this.regions.alloc(bytes);
  }

  release(at: number): void {
    this.regions.release(at);
  }

  /** Grow memory so that byte `end` exists, and rebuild the views. */
  private reach(end: number): void {
    const have = this.exports.memory.buffer.byteLength;
    if (end > have) this.exports.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    if (this.exports.memory.buffer !== this.buffer) this.refreshViews();
  }

  private refreshViews(): void {
    this.buffer = this.exports.memory.buffer;
    this.f64 = new Float64Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }
}
