/**
 * The linear-memory layout of assembly/layout.ts, mirrored field by field (see that file for the
 * meaning of every region and slot). test/layout.test.ts checks each value against the globals
 * the compiled kernel exports, so the two cannot drift apart silently.
 */

// header: i32 slots
export const H_PAIRS = 0;
export const H_ROWS = 1;
export const H_LEVEL_STRIDE = 2;
export const H_ACCOUNTS = 3;
export const H_POSITIONS = 4;
export const H_CURVE_NODES = 5;
export const H_COIN_POLICY = 6;
export const H_HAS_CORR = 7;
export const H_FAIL_ACCOUNT = 8;
export const H_PAIR_SPOT = 9;
export const H_PAIR_CURVE_START = 10;
export const H_PAIR_CURVE_COUNT = 11;
export const H_PAIR_SURFACE = 12;
export const H_PAIR_SURFACE_TENORS = 13;
export const H_PAIR_SURFACE_NODES = 14;
export const H_CURVE = 15;
export const H_GRID = 16;
export const H_POS_KIND = 17;
export const H_POS_PAIR = 18;
export const H_POS_TAG = 19;
export const H_POS_SIZE = 20;
export const H_POS_STRIKE = 21;
export const H_POS_TENOR = 22;
export const H_POS_ENTRY = 23;
export const H_ACC_START = 24;
export const H_ACC_END = 25;
export const H_ACC_USD = 26;
export const H_ACC_COINS = 27;
export const H_CORR = 28;
export const H_OUT_ACC = 29;
export const H_OUT_PAIR = 30;
export const H_SCRATCH = 31;
export const HEADER_I32_SLOTS = 32;
// header: f64 slots
export const HF_USD_RATE = 0;
export const HEADER_F64_OFFSET = 128;
export const HEADER_BYTES = 144;

// strides
export const CURVE_STRIDE = 3;
export const OUT_ACC_STRIDE = 2;
export const OUT_PAIR_FIXED = 4;
export const FILL_SETS = 3;

// codes
export const KIND_SPOT = 0;
export const KIND_PERPETUAL = 1;
export const KIND_FUTURE = 2;
export const KIND_CALL = 3;
export const KIND_PUT = 4;

export const TAG_POSITION = 0;
export const TAG_BID = 1;
export const TAG_ASK = 2;

export const COIN_CAPPED = 0;
export const COIN_FULL = 1;
export const COIN_NONE = 2;

export const STATUS_OK = 0;
export const STATUS_BAD_HEADER = 1;
export const STATUS_BAD_INDEX = 2;
export const STATUS_NON_FINITE = 3;

/** What each kernel status means; the engine raises MarginError(E_KERNEL) with this text. */
export const KERNEL_STATUS_MESSAGES: Readonly<Record<number, string>> = {
  [STATUS_BAD_HEADER]: "kernel rejected the memory layout (a count or address out of range)",
  [STATUS_BAD_INDEX]: "kernel found an index out of range (pair, kind, fill set or spot level)",
  [STATUS_NON_FINITE]: "kernel produced a non-finite result",
};

export function gridPairF64(levelStride: number, rows: number): number {
  return 1 + 2 * levelStride + 3 * rows;
}

export function outPairStride(rows: number): number {
  return OUT_PAIR_FIXED + rows;
}

export function scratchF64(pairs: number, rows: number, levelStride: number): number {
  return pairs * FILL_SETS * (rows + 3) + 3 * levelStride + pairs;
}
