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
export const HF_VSF_TENOR_EXPONENT = 1;
export const HEADER_F64_OFFSET = 128;
export const HEADER_BYTES = 144;

// strides
export const CURVE_STRIDE = 3;
export const OUT_ACC_STRIDE = 2;
export const OUT_PAIR_FIXED = 4;
export const FILL_SETS = 3;
export const ATTR_STRIDE = 6;

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

// implied vols of option marks: header slots, per-mark status codes, domain
export const IV_COUNT = 0;
export const IV_PRICE = 1;
export const IV_FORWARD = 2;
export const IV_STRIKE = 3;
export const IV_TENOR = 4;
export const IV_DISCOUNT = 5;
export const IV_RIGHT = 6;
export const IV_VOL = 7;
export const IV_MARK_STATUS = 8;
export const IV_ITERATIONS = 9;
export const IV_HEADER_SLOTS = 10;
export const IV_HEADER_BYTES = 40;
export const IV_OK = 0;
export const IV_BELOW_INTRINSIC = 1;
export const IV_ABOVE_BOUND = 2;
export const IV_BAD_INPUT = 3;
export const IV_OUT_OF_DOMAIN = 4;
export const IV_MAX_LOG_MONEYNESS = 700;

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

/** Rows of a PV accumulator: grid rows plus the base, rounded up to even (16-byte aligned blocks). */
export function paddedRows(rows: number): number {
  return (rows + 2) & ~1;
}

/** The kernel's per-call cache of tenor terms (carry, discount, sqrt T, surface bracket) in scratch. */
export const TENOR_CACHE_ENTRIES = 1024;
export const TENOR_ENTRY_F64 = 9;

/**
 * Scratch f64s: 1 spare for 16-byte alignment, PV accumulators, deltas and counts, row inputs and
 * workspace, level inputs, requirements, the tenor cache.
 */
export function scratchF64(pairs: number, rows: number, levelStride: number): number {
  const slots = pairs * FILL_SETS;
  const even = (slots + 1) & ~1;
  return 1 + slots * paddedRows(rows) + 2 * even + 7 * paddedRows(rows) + 3 * levelStride + pairs +
    TENOR_CACHE_ENTRIES * TENOR_ENTRY_F64;
}

// covariance (OPNX correlation) margin: header slots, strides, codes (assembly/layout.ts)
export const CV_MARKETS = 0;
export const CV_FACTORS = 1;
export const CV_ACCOUNTS = 2;
export const CV_ROWS = 3;
export const CV_ASSETS = 4;
export const CV_PATH = 5;
export const CV_FAIL_ACCOUNT = 6;
export const CV_MARKET_KIND = 7;
export const CV_MARKET_FACTOR = 8;
export const CV_MARKET_MARK = 9;
export const CV_MARKET_LEVERAGE = 10;
export const CV_CORR = 11;
export const CV_ROW_MARKET = 12;
export const CV_ROW_TAG = 13;
export const CV_ROW_SIZE = 14;
export const CV_ROW_ENTRY = 15;
export const CV_ACC_START = 16;
export const CV_ACC_END = 17;
export const CV_ACC_BALANCE = 18;
export const CV_ASSET_PRICE = 19;
export const CV_ASSET_LTV = 20;
export const CV_OUT_ACC = 21;
export const CV_OUT_ROW = 22;
export const CV_SCRATCH = 23;
export const CV_HEADER_I32_SLOTS = 24;
export const CV_HEADER_BYTES = 96;
export const CV_OUT_ACC_STRIDE = 5;
export const CV_PATH_AUTO = 0;
export const CV_PATH_SPARSE = 1;
export const CV_PATH_DENSE = 2;

/** Covariance scratch f64s: 1 spare for 16-byte alignment, 4 per-market and 6 per-factor f64 blocks, the slot maps. */
export function cvScratchF64(markets: number, factors: number): number {
  const em = (markets + 1) & ~1;
  const ec = (factors + 1) & ~1;
  return 1 + 5 * em + 7 * ec;
}
