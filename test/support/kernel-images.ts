/**
 * Valid memory images for the kernel's header-driven entry points, laid out in a raw instance from
 * bindings/layout.ts alone, for tests that then corrupt them (test/kernel-status.test.ts):
 *   - scenarioImage: a normalized random book through test/support/marshal.ts (marginAccounts);
 *   - engineScenarioImage: the same from the engine's own layout (a prepared book's memory);
 *   - covarianceImage: a random covariance header and columns (covarianceAccounts);
 *   - impliedImage: a random batch of option marks (impliedVols).
 * Each reports the header address and where every column is, with its element type and length,
 * so a test can pick any column entry to overwrite.
 */
import * as L from "../../bindings/layout.js";
import { normalize } from "../../bindings/validate.js";
import type { Book } from "../../bindings/model/book.js";
import { createEngine } from "../../bindings/index.js";
import { kernelImage } from "../../bindings/engine.js";
import { layoutBook } from "./marshal.js";
import { Gen, randomFile } from "./random.js";

export interface Column {
  name: string;
  /** byte address */
  at: number;
  type: "i32" | "f64";
  length: number;
  /** an index column: its values select rows, pairs, levels, markets, ... */
  index: boolean;
}

export interface KernelImage {
  header: number;
  /** i32 header slots */
  slots: number;
  /** byte offset of the header's f64 slots, and their count (0 when the header has none) */
  f64Offset: number;
  f64Slots: number;
  columns: Column[];
  /** the output byte ranges [at, at + bytes) the kernel writes */
  outputs: { at: number; bytes: number }[];
}

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
}

function i32View(instance: WebAssembly.Instance): Int32Array {
  return new Int32Array((instance.exports as unknown as Exports).memory.buffer);
}

/** A random scenario-model book with options, futures marks and orders on every pair. */
export function scenarioBook(seed: number, accounts = 5): Book {
  return normalize(randomFile(seed, { accounts, positions: [3, 10], randomParams: true }));
}

/** marginAccounts' image of `book` by test/support/marshal.ts; the columns are read back from its header. */
export function scenarioImage(instance: WebAssembly.Instance, book: Book): KernelImage {
  return imageFromHeader(instance, layoutBook(instance, book).header, book);
}

/**
 * marginAccounts' image of `file` as the engine itself lays it out (a prepared book: its header,
 * market, book columns and, when it prices shared instruments once, the row-to-instrument column),
 * copied into `instance` (a raw instance of the same build: the same static data below the heap).
 */
export async function engineScenarioImage(instance: WebAssembly.Instance, wasm: Uint8Array, file: unknown): Promise<{ image: KernelImage; book: Book }> {
  const engine = await createEngine({ wasm });
  const prepared = engine.prepare(file);
  const { memory, header } = kernelImage(prepared);
  const target = (instance.exports as unknown as Exports).memory;
  const need = memory.buffer.byteLength - target.buffer.byteLength;
  if (need > 0) target.grow(need / 65536);
  new Uint8Array(target.buffer).set(new Uint8Array(memory.buffer));
  const book = prepared.book;
  return { image: imageFromHeader(instance, header, book), book };
}

function imageFromHeader(instance: WebAssembly.Instance, header: number, book: Book): KernelImage {
  const i32 = i32View(instance);
  const h = header >> 2;
  const P = i32[h + L.H_PAIRS];
  const G = i32[h + L.H_ROWS];
  const LS = i32[h + L.H_LEVEL_STRIDE];
  const A = i32[h + L.H_ACCOUNTS];
  const N = i32[h + L.H_POSITIONS];
  const nodes = i32[h + L.H_CURVE_NODES];
  const slot = (s: number): number => i32[h + s];
  const col = (name: string, s: number, type: "i32" | "f64", length: number, index = false): Column => ({
    name, at: slot(s), type, length, index,
  });
  const columns: Column[] = [
    col("pairSpot", L.H_PAIR_SPOT, "f64", P),
    col("pairCurveStart", L.H_PAIR_CURVE_START, "i32", P, true),
    col("pairCurveCount", L.H_PAIR_CURVE_COUNT, "i32", P, true),
    col("pairSurface", L.H_PAIR_SURFACE, "i32", P, true),
    col("pairSurfaceTenors", L.H_PAIR_SURFACE_TENORS, "i32", P, true),
    col("pairSurfaceNodes", L.H_PAIR_SURFACE_NODES, "i32", P, true),
    col("curve", L.H_CURVE, "f64", nodes * L.CURVE_STRIDE),
    col("posKind", L.H_POS_KIND, "i32", N, true),
    col("posPair", L.H_POS_PAIR, "i32", N, true),
    col("posTag", L.H_POS_TAG, "i32", N, true),
    col("posSize", L.H_POS_SIZE, "f64", N),
    col("posStrike", L.H_POS_STRIKE, "f64", N),
    col("posTenor", L.H_POS_TENOR, "f64", N),
    col("posEntry", L.H_POS_ENTRY, "f64", N),
    col("posTenorSlot", L.H_POS_TENOR_SLOT, "i32", N, true),
    col("posLogStrike", L.H_POS_LOG_STRIKE, "f64", N),
    col("accStart", L.H_ACC_START, "i32", A, true),
    col("accEnd", L.H_ACC_END, "i32", A, true),
    col("accUsd", L.H_ACC_USD, "f64", A),
    col("accCoins", L.H_ACC_COINS, "f64", A * P),
  ];
  if (i32[h + L.H_HAS_CORR] !== 0) columns.push(col("corr", L.H_CORR, "f64", P * P));
  if (i32[h + L.H_INSTRUMENTS] > 0) columns.push(col("posInstrument", L.H_POS_INSTRUMENT, "i32", N, true));
  // the surfaces' nodes (f64) of every pair, and the grid blocks: level count and row levels are
  // i32s in the low half of f64 slots (index), the level multipliers, vol shocks and weights f64s
  book.pairs.forEach((pair, p) => {
    const surfaceAt = i32[slot(L.H_PAIR_SURFACE) / 4 + p];
    const s = pair.surface;
    if (s !== null) {
      columns.push({
        name: `surface[${p}]`, at: surfaceAt, type: "f64", index: false,
        length: s.tenors.length + s.logMoneyness.length + s.tenors.length * s.logMoneyness.length,
      });
    }
    const block = slot(L.H_GRID) + 8 * p * L.gridPairF64(LS, G);
    columns.push({ name: `grid[${p}].levelCount`, at: block, type: "i32", length: 1, index: true });
    columns.push({ name: `grid[${p}].levelMult`, at: block + 8, type: "f64", length: LS, index: false });
    for (let s = 0; s < G; s++) {
      columns.push({ name: `grid[${p}].rowLevel[${s}]`, at: block + 8 * (1 + 2 * LS + s), type: "i32", length: 1, index: true });
    }
    columns.push({ name: `grid[${p}].volShock`, at: block + 8 * (1 + 2 * LS + G), type: "f64", length: G, index: false });
    columns.push({ name: `grid[${p}].weight`, at: block + 8 * (1 + 2 * LS + 2 * G), type: "f64", length: G, index: false });
  });
  return {
    header,
    slots: L.HEADER_I32_SLOTS,
    f64Offset: L.HEADER_F64_OFFSET,
    f64Slots: (L.HEADER_BYTES - L.HEADER_F64_OFFSET) / 8,
    columns,
    outputs: [
      { at: slot(L.H_OUT_ACC), bytes: 8 * A * L.OUT_ACC_STRIDE },
      { at: slot(L.H_OUT_PAIR), bytes: 8 * A * P * L.outPairStride(G) },
    ],
  };
}

/** Bytes laid out 16-aligned from the heap base; grows memory to fit. */
class Cursor {
  at: number;
  constructor(private readonly instance: WebAssembly.Instance) {
    this.at = ((instance.exports as unknown as Exports).heapBase() + 15) & ~15;
  }
  take(bytes: number): number {
    const at = this.at;
    this.at += Math.ceil(Math.max(bytes, 16) / 16) * 16;
    const memory = (this.instance.exports as unknown as Exports).memory;
    const have = memory.buffer.byteLength;
    if (this.at > have) memory.grow(Math.ceil((this.at - have) / 65536));
    return at;
  }
}

/**
 * A random covariance-model image: M markets of random kinds on C factors (a correlation matrix
 * of unit diagonal with a few off-diagonal pairs at +-0.5, symmetric), A accounts of positions and
 * orders, K assets.
 */
export function covarianceImage(instance: WebAssembly.Instance, seed: number): KernelImage {
  const g = new Gen(seed);
  const C = g.int(1, 5);
  const M = g.int(C, 10);
  const A = g.int(1, 6);
  const K = g.int(1, 4);
  const rowsPer = Array.from({ length: A }, () => g.int(0, 6));
  const N = rowsPer.reduce((s, n) => s + n, 0);
  const c = new Cursor(instance);
  const header = c.take(L.CV_HEADER_BYTES);
  const at: Record<number, number> = {};
  at[L.CV_MARKET_KIND] = c.take(4 * M);
  at[L.CV_MARKET_FACTOR] = c.take(4 * M);
  at[L.CV_MARKET_MARK] = c.take(8 * M);
  at[L.CV_MARKET_LEVERAGE] = c.take(8 * M);
  at[L.CV_CORR] = c.take(8 * C * C);
  at[L.CV_ROW_MARKET] = c.take(4 * N);
  at[L.CV_ROW_TAG] = c.take(4 * N);
  at[L.CV_ROW_SIZE] = c.take(8 * N);
  at[L.CV_ROW_ENTRY] = c.take(8 * N);
  at[L.CV_ACC_START] = c.take(4 * A);
  at[L.CV_ACC_END] = c.take(4 * A);
  at[L.CV_ACC_BALANCE] = c.take(8 * A * K);
  at[L.CV_ASSET_PRICE] = c.take(8 * K);
  at[L.CV_ASSET_LTV] = c.take(8 * K);
  at[L.CV_OUT_ACC] = c.take(8 * A * L.CV_OUT_ACC_STRIDE);
  at[L.CV_OUT_ROW] = c.take(8 * N);
  at[L.CV_SCRATCH] = c.take(8 * L.cvScratchF64(M, C));
  const buffer = (instance.exports as unknown as Exports).memory.buffer;
  const i32 = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  const h = header >> 2;
  i32.fill(0, h, h + L.CV_HEADER_I32_SLOTS);
  i32[h + L.CV_MARKETS] = M;
  i32[h + L.CV_FACTORS] = C;
  i32[h + L.CV_ACCOUNTS] = A;
  i32[h + L.CV_ROWS] = N;
  i32[h + L.CV_ASSETS] = K;
  i32[h + L.CV_PATH] = g.pick([L.CV_PATH_AUTO, L.CV_PATH_SPARSE, L.CV_PATH_DENSE]);
  i32[h + L.CV_FAIL_ACCOUNT] = -1;
  for (const [s, address] of Object.entries(at)) i32[h + Number(s)] = address;
  for (let m = 0; m < M; m++) {
    i32[at[L.CV_MARKET_KIND] / 4 + m] = g.int(L.KIND_SPOT, L.KIND_PUT);
    i32[at[L.CV_MARKET_FACTOR] / 4 + m] = m < C ? m : g.int(0, C - 1);
    f64[at[L.CV_MARKET_MARK] / 8 + m] = g.uniform(1, 100_000);
    f64[at[L.CV_MARKET_LEVERAGE] / 8 + m] = g.pick([1, 5, 20, 50]);
  }
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) f64[at[L.CV_CORR] / 8 + i * C + j] = i === j ? 1 : 0;
  }
  for (let i = 0; i + 1 < C; i += 2) {
    const rho = g.chance(0.5) ? 0.5 : -0.5;
    f64[at[L.CV_CORR] / 8 + i * C + i + 1] = rho;
    f64[at[L.CV_CORR] / 8 + (i + 1) * C + i] = rho;
  }
  let row = 0;
  for (let a = 0; a < A; a++) {
    i32[at[L.CV_ACC_START] / 4 + a] = row;
    for (let r = 0; r < rowsPer[a]; r++) {
      const tag = g.pick([L.TAG_POSITION, L.TAG_POSITION, L.TAG_BID, L.TAG_ASK]);
      i32[at[L.CV_ROW_MARKET] / 4 + row] = g.int(0, M - 1);
      i32[at[L.CV_ROW_TAG] / 4 + row] = tag;
      f64[at[L.CV_ROW_SIZE] / 8 + row] = (tag === L.TAG_ASK ? -1 : tag === L.TAG_BID ? 1 : g.chance(0.5) ? -1 : 1) * g.uniform(0.1, 10);
      f64[at[L.CV_ROW_ENTRY] / 8 + row] = g.chance(0.5) ? NaN : g.uniform(1, 100_000);
      row++;
    }
    i32[at[L.CV_ACC_END] / 4 + a] = row;
    for (let k = 0; k < K; k++) f64[at[L.CV_ACC_BALANCE] / 8 + a * K + k] = g.uniform(-1000, 100_000);
  }
  for (let k = 0; k < K; k++) {
    f64[at[L.CV_ASSET_PRICE] / 8 + k] = k === 0 ? 1 : g.uniform(1, 100_000);
    f64[at[L.CV_ASSET_LTV] / 8 + k] = g.uniform(0.5, 1);
  }
  const col = (name: string, s: number, type: "i32" | "f64", length: number, index = false): Column => ({
    name, at: at[s], type, length, index,
  });
  return {
    header,
    slots: L.CV_HEADER_I32_SLOTS,
    f64Offset: 0,
    f64Slots: 0,
    columns: [
      col("marketKind", L.CV_MARKET_KIND, "i32", M, true),
      col("marketFactor", L.CV_MARKET_FACTOR, "i32", M, true),
      col("marketMark", L.CV_MARKET_MARK, "f64", M),
      col("marketLeverage", L.CV_MARKET_LEVERAGE, "f64", M),
      col("corr", L.CV_CORR, "f64", C * C),
      col("rowMarket", L.CV_ROW_MARKET, "i32", N, true),
      col("rowTag", L.CV_ROW_TAG, "i32", N, true),
      col("rowSize", L.CV_ROW_SIZE, "f64", N),
      col("rowEntry", L.CV_ROW_ENTRY, "f64", N),
      col("accStart", L.CV_ACC_START, "i32", A, true),
      col("accEnd", L.CV_ACC_END, "i32", A, true),
      col("accBalance", L.CV_ACC_BALANCE, "f64", A * K),
      col("assetPrice", L.CV_ASSET_PRICE, "f64", K),
      col("assetLtv", L.CV_ASSET_LTV, "f64", K),
    ].filter((column) => column.length > 0),
    outputs: [
      { at: at[L.CV_OUT_ACC], bytes: 8 * A * L.CV_OUT_ACC_STRIDE },
      { at: at[L.CV_OUT_ROW], bytes: 8 * N },
    ],
  };
}

/** A random batch of 1 to 12 option marks (calls and puts, some deep in or out of the money). */
export function impliedImage(instance: WebAssembly.Instance, seed: number): KernelImage {
  const g = new Gen(seed);
  const n = g.int(1, 12);
  const c = new Cursor(instance);
  const header = c.take(L.IV_HEADER_BYTES);
  const at: Record<number, number> = {};
  for (const s of [L.IV_PRICE, L.IV_FORWARD, L.IV_STRIKE, L.IV_TENOR, L.IV_DISCOUNT, L.IV_VOL]) at[s] = c.take(8 * n);
  for (const s of [L.IV_RIGHT, L.IV_MARK_STATUS, L.IV_ITERATIONS]) at[s] = c.take(4 * n);
  const buffer = (instance.exports as unknown as Exports).memory.buffer;
  const i32 = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  const h = header >> 2;
  i32.fill(0, h, h + L.IV_HEADER_SLOTS);
  i32[h + L.IV_COUNT] = n;
  for (const [s, address] of Object.entries(at)) i32[h + Number(s)] = address;
  for (let j = 0; j < n; j++) {
    const forward = g.uniform(10, 100_000);
    const strike = forward * Math.exp(g.uniform(-1, 1));
    const isCall = g.chance(0.5);
    const discount = Math.exp(-g.uniform(0, 0.1));
    const intrinsic = discount * Math.max((isCall ? 1 : -1) * (forward - strike), 0);
    const bound = discount * (isCall ? forward : strike);
    f64[at[L.IV_PRICE] / 8 + j] = intrinsic + g.uniform(0.01, 0.9) * (bound - intrinsic);
    f64[at[L.IV_FORWARD] / 8 + j] = forward;
    f64[at[L.IV_STRIKE] / 8 + j] = strike;
    f64[at[L.IV_TENOR] / 8 + j] = g.uniform(0.01, 3);
    f64[at[L.IV_DISCOUNT] / 8 + j] = discount;
    i32[at[L.IV_RIGHT] / 4 + j] = isCall ? L.KIND_CALL : L.KIND_PUT;
  }
  const col = (name: string, s: number, type: "i32" | "f64", index = false): Column => ({ name, at: at[s], type, length: n, index });
  return {
    header,
    slots: L.IV_HEADER_SLOTS,
    f64Offset: 0,
    f64Slots: 0,
    columns: [
      col("price", L.IV_PRICE, "f64"),
      col("forward", L.IV_FORWARD, "f64"),
      col("strike", L.IV_STRIKE, "f64"),
      col("tenor", L.IV_TENOR, "f64"),
      col("discount", L.IV_DISCOUNT, "f64"),
      col("right", L.IV_RIGHT, "i32", true),
    ],
    outputs: [
      { at: at[L.IV_VOL], bytes: 8 * n },
      { at: at[L.IV_MARK_STATUS], bytes: 4 * n },
      { at: at[L.IV_ITERATIONS], bytes: 4 * n },
    ],
  };
}
