/**
 * Implied vols of Black-76 option marks in the kernel (assembly/implied.ts: Jaeckel's "Let's Be
 * Rational" method, machine precision wherever the mark determines the vol; the method, source
 * and error bound are in that file's header and in docs/surface-construction.md). This lays the
 * marks out as the IV_* columns of bindings/layout.ts, calls `impliedVols` once and copies the
 * results out; the memory is the kernel's region allocator's and is given back before returning.
 */
import type { Kernel } from "./kernel.js";
import * as L from "./layout.js";

/** One column per field, all of the same length. */
export interface MarkColumns {
  /** the mark: discounted USD per unit of the underlying (a contract of multiplier 1), >= 0 */
  mark: ArrayLike<number>;
  /** F(T), USD, > 0 */
  forward: ArrayLike<number>;
  /** K, USD, > 0 */
  strike: ArrayLike<number>;
  /** T, ACT/365 years, > 0 */
  tenorYears: ArrayLike<number>;
  /** DF = exp(-r T), > 0 */
  discountFactor: ArrayLike<number>;
  isCall: ArrayLike<boolean>;
}

export interface ImpliedVols {
  /** annualised implied vol per mark; 0 unless its status is IV_OK */
  vols: Float64Array;
  /** IV_OK, IV_BELOW_INTRINSIC, IV_ABOVE_BOUND, IV_BAD_INPUT or IV_OUT_OF_DOMAIN per mark */
  statuses: Int32Array;
  /** Householder steps and bisections the kernel took per mark */
  iterations: Int32Array;
}

interface ImpliedExports {
  impliedVols(header: number): number;
}

const ALIGN = 16;
const F64_INPUTS = 5; // mark, forward, strike, tenor, discount

function aligned(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/** The kernel's implied vol of every mark, with a per-mark status (never throws for a bad mark). */
export function kernelImpliedVols(kernel: Kernel, marks: MarkColumns): ImpliedVols {
  const n = marks.mark.length;
  for (const column of [marks.forward, marks.strike, marks.tenorYears, marks.discountFactor, marks.isCall]) {
    if (column.length !== n) throw new RangeError(`kernelImpliedVols: columns of different lengths (${column.length} and ${n})`);
  }
  const headerBytes = aligned(L.IV_HEADER_BYTES);
  const f64Bytes = aligned(8 * n);
  const i32Bytes = aligned(4 * n);
  const base = kernel.alloc(headerBytes + (F64_INPUTS + 1) * f64Bytes + 3 * i32Bytes);
  try {
    const { f64, i32 } = kernel; // after alloc: it may have grown memory
    let cursor = base + headerBytes;
    const column = (bytes: number): number => {
      const at = cursor;
      cursor += bytes;
      return at;
    };
    const addresses: [number, number][] = [
      [L.IV_PRICE, column(f64Bytes)],
      [L.IV_FORWARD, column(f64Bytes)],
      [L.IV_STRIKE, column(f64Bytes)],
      [L.IV_TENOR, column(f64Bytes)],
      [L.IV_DISCOUNT, column(f64Bytes)],
      [L.IV_VOL, column(f64Bytes)],
      [L.IV_RIGHT, column(i32Bytes)],
      [L.IV_MARK_STATUS, column(i32Bytes)],
      [L.IV_ITERATIONS, column(i32Bytes)],
    ];
    const h = base >> 2;
    i32.fill(0, h, h + L.IV_HEADER_SLOTS);
    i32[h + L.IV_COUNT] = n;
    const at = new Map(addresses);
    for (const [slot, address] of addresses) i32[h + slot] = address;
    const put = (slot: number, values: ArrayLike<number>): void => {
      const start = at.get(slot)! / 8;
      for (let j = 0; j < n; j++) f64[start + j] = values[j];
    };
    put(L.IV_PRICE, marks.mark);
    put(L.IV_FORWARD, marks.forward);
    put(L.IV_STRIKE, marks.strike);
    put(L.IV_TENOR, marks.tenorYears);
    put(L.IV_DISCOUNT, marks.discountFactor);
    const right = at.get(L.IV_RIGHT)! / 4;
    for (let j = 0; j < n; j++) i32[right + j] = marks.isCall[j] ? L.KIND_CALL : L.KIND_PUT;

    const status = (kernel.exports as unknown as ImpliedExports).impliedVols(base);
    if (status !== L.STATUS_OK) {
      throw L.kernelStatusError(status, "");
    }
    const out = kernel; // the call allocates nothing, but read the views afresh all the same
    const vol = at.get(L.IV_VOL)! / 8;
    const markStatus = at.get(L.IV_MARK_STATUS)! / 4;
    const iterations = at.get(L.IV_ITERATIONS)! / 4;
    return {
      vols: out.f64.slice(vol, vol + n),
      statuses: out.i32.slice(markStatus, markStatus + n),
      iterations: out.i32.slice(iterations, iterations + n),
    };
  } finally {
    kernel.release(base);
  }
}
