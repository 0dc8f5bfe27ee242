/**
 * The linear-memory layout of assembly/layout.ts, mirrored field by field (see that file for the
 * meaning of every region and slot). test/layout.test.ts checks each value against the globals
 * the compiled kernel exports, so the two cannot drift apart silently.
 */
import { ErrorCode, MarginError, type ErrorCodeValue } from "./errors.js";

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
export const H_INSTRUMENTS = 32;
export const H_POS_INSTRUMENT = 33;
export const H_INS_RISK = 34;
export const H_TENORS = 35;
export const H_TENOR_TABLE = 36;
export const H_POS_TENOR_SLOT = 37;
export const H_POS_LOG_STRIKE = 38;
export const HEADER_I32_SLOTS = 39;
// header: f64 slots
export const HF_USD_RATE = 0;
export const HF_VSF_TENOR_EXPONENT = 1;
export const HEADER_F64_OFFSET = 160;
export const HEADER_BYTES = 176;

// strides
export const CURVE_STRIDE = 3;
export const OUT_ACC_STRIDE = 2;
export const OUT_PAIR_FIXED = 5;
export const OUT_PAIR_EQUITY = 4;
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
/** most tenors or log-moneyness nodes of one surface the kernel accepts (2^29 f64s fill a 4 GiB memory) */
export const MAX_SURFACE_NODES = 1 << 29;

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

/**
 * Every kernel status, in one table: the batch statuses (STATUS_*) that marginAccounts,
 * attributePositions, covarianceAccounts and impliedVols return, and the per-mark statuses (IV_*)
 * that impliedVols writes for each option mark; each with what it means and the MarginError code
 * the bindings raise for it (null: success). docs/errors.md lists them for users.
 */
export interface KernelStatusEntry {
  /** the constant's name in assembly/layout.ts */
  name: string;
  scope: "batch" | "mark";
  value: number;
  code: ErrorCodeValue | null;
  /** mark statuses: the field of the mark the error names (`mark`, `instrument`), "" for the mark itself */
  field: string;
  meaning: string;
}

export const KERNEL_STATUSES: readonly KernelStatusEntry[] = [
  { name: "STATUS_OK", scope: "batch", value: STATUS_OK, code: null, field: "", meaning: "every account (or mark) was processed" },
  {
    name: "STATUS_BAD_HEADER", scope: "batch", value: STATUS_BAD_HEADER, code: ErrorCode.KERNEL, field: "",
    meaning: "kernel rejected the memory layout (a count or address out of range, or a region it writes overlapping one it reads)",
  },
  {
    name: "STATUS_BAD_INDEX", scope: "batch", value: STATUS_BAD_INDEX, code: ErrorCode.KERNEL, field: "",
    meaning: "kernel found an index out of range (pair, kind, fill set, spot level, market or row range), an option on a pair without a surface, or a position whose value is not a number",
  },
  {
    name: "STATUS_NON_FINITE", scope: "batch", value: STATUS_NON_FINITE, code: ErrorCode.KERNEL, field: "",
    meaning: "kernel produced a non-finite result (an account's numbers overflow double precision)",
  },
  { name: "IV_OK", scope: "mark", value: IV_OK, code: null, field: "", meaning: "the mark was inverted to an implied vol" },
  {
    name: "IV_BELOW_INTRINSIC", scope: "mark", value: IV_BELOW_INTRINSIC, code: ErrorCode.ARBITRAGE, field: "mark",
    meaning: "the mark is below the option's discounted intrinsic value DF max(w (F - K), 0)",
  },
  {
    name: "IV_ABOVE_BOUND", scope: "mark", value: IV_ABOVE_BOUND, code: ErrorCode.ARBITRAGE, field: "mark",
    meaning: "the mark is at or above its no-arbitrage bound DF F (call) or DF K (put)",
  },
  {
    name: "IV_BAD_INPUT", scope: "mark", value: IV_BAD_INPUT, code: ErrorCode.KERNEL, field: "",
    meaning: "a mark, forward, strike, tenor or discount factor that is not finite and positive, or a right that is neither call nor put",
  },
  {
    name: "IV_OUT_OF_DOMAIN", scope: "mark", value: IV_OUT_OF_DOMAIN, code: ErrorCode.RANGE, field: "instrument",
    meaning: `|ln(F/K)| above ${IV_MAX_LOG_MONEYNESS}, beyond what double precision can invert`,
  },
];

const batchStatuses = KERNEL_STATUSES.filter((s) => s.scope === "batch" && s.code !== null);

/** What each non-OK batch status means (from KERNEL_STATUSES). */
export const KERNEL_STATUS_MESSAGES: Readonly<Record<number, string>> = Object.fromEntries(
  batchStatuses.map((s) => [s.value, s.meaning]),
);

/** The MarginError for a non-OK batch status; `path` names the account where the kernel stopped, or "". */
export function kernelStatusError(status: number, path: string): MarginError {
  const entry = batchStatuses.find((s) => s.value === status);
  return new MarginError(entry?.code ?? ErrorCode.KERNEL, path, entry?.meaning ?? `kernel returned an unknown status ${status}`);
}

/** The table entry of a per-mark status (IV_*), or undefined for a value the kernel never writes. */
export function markStatusEntry(status: number): KernelStatusEntry | undefined {
  return KERNEL_STATUSES.find((s) => s.scope === "mark" && s.value === status);
}

export function gridPairF64(levelStride: number, rows: number): number {
  return 1 + 2 * levelStride + 3 * rows;
}

export const RISK_DELTA = 0;
export const RISK_DERIV = 1;
export const RISK_MARK = 2;
export const RISK_DONE = 3;

export function instrumentRiskF64(rows: number): number {
  return paddedRows(rows) + 4;
}

export function outPairStride(rows: number): number {
  return OUT_PAIR_FIXED + rows;
}

/** Rows of a PV accumulator: grid rows plus the base, rounded up to even (16-byte aligned blocks). */
export function paddedRows(rows: number): number {
  return (rows + 2) & ~1;
}

/** f64s per entry of the tenor table (per (pair, tenor) terms the kernel fills each call). */
export const TENOR_ENTRY_F64 = 11;

/**
 * Scratch f64s: 1 spare for 16-byte alignment, PV accumulators, deltas and counts, row inputs and
 * workspace, level inputs, per pair the requirement and ln spot.
 */
export function scratchF64(pairs: number, rows: number, levelStride: number): number {
  const slots = pairs * FILL_SETS;
  const even = (slots + 1) & ~1;
  return 1 + slots * paddedRows(rows) + 2 * even + 7 * paddedRows(rows) + 3 * levelStride + 2 * pairs;
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

/** The kernel's KIND_* code of an instrument (calls and puts are kinds of their own). */
export function kindCode(instrument: { kind: "spot" | "perpetual" | "future" | "option"; isCall: boolean }): number {
  switch (instrument.kind) {
    case "spot":
      return KIND_SPOT;
    case "perpetual":
      return KIND_PERPETUAL;
    case "future":
      return KIND_FUTURE;
    case "option":
      return instrument.isCall ? KIND_CALL : KIND_PUT;
  }
}

type TenorRow = { instrument: { kind: "spot" | "perpetual" | "future" | "option"; pairIndex: number; tenorYears: number } };

/**
 * The tenor table of a book's rows (each account's positions, then its orders, as they are laid
 * out): each option and future row with a tenor > 0 gets the index of its (pair, tenor) entry, the
 * others -1 (H_POS_TENOR_SLOT). `count` is the number of entries (H_TENORS).
 */
export function tenorSlots(accounts: readonly { positions: readonly TenorRow[]; orders: readonly TenorRow[] }[]): { slots: number[]; count: number } {
  const byPair: Map<number, number>[] = [];
  const slots: number[] = [];
  let count = 0;
  const add = (rows: readonly TenorRow[]): void => {
    for (let r = 0; r < rows.length; r++) {
      const { kind, pairIndex, tenorYears } = rows[r].instrument;
      if ((kind !== "option" && kind !== "future") || !(tenorYears > 0)) {
        slots.push(-1);
        continue;
      }
      const byTenor = (byPair[pairIndex] ??= new Map());
      let slot = byTenor.get(tenorYears);
      if (slot === undefined) byTenor.set(tenorYears, (slot = count++));
      slots.push(slot);
    }
  };
  for (let a = 0; a < accounts.length; a++) {
    add(accounts[a].positions);
    add(accounts[a].orders);
  }
  return { slots, count };
}

/** H_POS_LOG_STRIKE of a row: ln strike for an option (V8's Math.log, fdlibm: < 1 ulp), else 0. */
export function logStrike(instrument: { kind: "spot" | "perpetual" | "future" | "option"; strike: number }): number {
  return instrument.kind === "option" ? Math.log(instrument.strike) : 0;
}
