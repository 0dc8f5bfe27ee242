/**
 * Loading the WebAssembly kernel and the pointer-level wrapper over its exports.
 *
 * The module is compiled once per process and cached (one shared promise); each engine gets its
 * own instance, and so its own linear memory. Node reads `build/release.wasm` next to this module
 * (`../build/` from both `bindings/` and `dist/`); a browser passes the bytes, a URL, a Response
 * or a compiled module in `source`. Instantiation goes through @assemblyscript/loader.
 */
import { instantiate } from "@assemblyscript/loader";
import { ErrorCode, MarginError } from "./errors.js";

/** The kernel's exported functions (the layout constants are exported too, as globals). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  marginAccounts(header: number): number;
  normCdf(x: number): number;
}

/** Where the kernel's bytes come from; default: the release build next to this module. */
export type KernelSource = BufferSource | WebAssembly.Module | Response | URL;

const DEFAULT_WASM = new URL("../build/release.wasm", import.meta.url);
let defaultModule: Promise<WebAssembly.Module> | null = null;

function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

async function readDefault(): Promise<WebAssembly.Module> {
  if (isNode()) {
    const { readFile } = await import("node:fs/promises");
    return WebAssembly.compile(await readFile(DEFAULT_WASM));
  }
  return WebAssembly.compileStreaming(fetch(DEFAULT_WASM));
}

async function compileSource(source: KernelSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof URL) {
    if (isNode() && source.protocol === "file:") {
      const { readFile } = await import("node:fs/promises");
      return WebAssembly.compile(await readFile(source));
    }
    return WebAssembly.compileStreaming(fetch(source));
  }
  if (typeof Response !== "undefined" && source instanceof Response) {
    return WebAssembly.compileStreaming(source);
  }
  return WebAssembly.compile(source as BufferSource);
}

/** Compile the kernel (cached for the default source). */
export function compileKernel(source?: KernelSource): Promise<WebAssembly.Module> {
  if (typeof WebAssembly === "undefined") {
    return Promise.reject(new MarginError(ErrorCode.NO_WASM, "", "WebAssembly is not available in this runtime"));
  }
  if (source !== undefined) return compileSource(source);
  if (defaultModule === null) {
    defaultModule = readDefault();
    defaultModule.catch(() => {
      defaultModule = null; // let a later call retry after a failed read
    });
  }
  return defaultModule;
}

const PAGE_BYTES = 65536;

/**
 * One kernel instance and typed views over its memory. All memory above `heapBase` belongs to
 * the caller; `reserve()` grows it (once per larger size) and rebuilds the views, because growing
 * detaches the old ArrayBuffer.
 */
export class Kernel {
  readonly exports: KernelExports;
  /** first byte the bindings may use, 16-aligned */
  readonly base: number;
  f64!: Float64Array;
  i32!: Int32Array;
  private buffer!: ArrayBuffer;

  private constructor(exports: KernelExports) {
    this.exports = exports;
    this.base = (exports.heapBase() + 15) & ~15;
    this.refreshViews();
  }

  static async create(source?: KernelSource): Promise<Kernel> {
    const module = await compileKernel(source);
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

  /** Make sure `bytes` bytes from `base` exist; grows memory only when they do not. */
  reserve(bytes: number): void {
    const needed = this.base + bytes;
    const have = this.exports.memory.buffer.byteLength;
    if (needed > have) this.exports.memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
    if (this.exports.memory.buffer !== this.buffer) this.refreshViews();
  }

  private refreshViews(): void {
    this.buffer = this.exports.memory.buffer;
    this.f64 = new Float64Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }
}
