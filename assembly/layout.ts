// Linear-memory layout: the one definition that bindings/layout.ts mirrors field by field
// (test/layout.test.ts reads these exported globals from the compiled module and compares).
//
// The TS side owns allocation: the kernel allocates nothing (runtime stub, no managed objects).
// The bindings write a header of i32 slots at `header`: counts, and the byte address of every
// column (8-byte aligned). Columns are struct-of-arrays, grouped in regions so that a book of
// positions stays resident while only the market region is rewritten on a tick:
//
//   MARKET   per pair p < P: spot f64[P], curveStart i32[P] (index of the pair's first curve
//            node), curveCount i32[P], surface i32[P] (byte address of the pair's nodes),
//            surfaceTenors i32[P], surfaceNodes i32[P];
//            CURVE: futures marks, per node tenorYears f64, mark f64, and the funding rate
//            b_j = ln(mark / spot) / tenorYears that the kernel derives each call
//            (CURVE_STRIDE f64s), ascending tenor within a pair, pairs back to back;
//            SURFACE: per pair tenors f64[nT], logMoneyness f64[nK], vols f64[nT * nK] row-major
//   GRID     per pair p a block of gridPairF64(LS, G) f64s: levelCount (i32 in an f64 slot),
//            levelMult f64[LS] (1 + spotShock of each distinct spot level; level 0 is always the
//            unshocked 1.0), levelLog f64[LS] (ln levelMult, derived by the kernel each call),
//            rowLevel i32[G] (each in an f64 slot), rowVolMult f64[G] (1 + volShock, floored at
//            0 by the kernel), rowWeight f64[G]
//   POS      N rows (a working order is a row too, tagged with its fill set): kind i32[N],
//            pair i32[N], tag i32[N], size f64[N] (qty * multiplier, signed), strike f64[N],
//            tenorYears f64[N], entry f64[N] (futures/perpetuals; NaN = at the mark)
//   ACC      A accounts: posStart i32[A], posEnd i32[A] (rows [start, end) are the account's,
//            grouped by account), usd f64[A], coins f64[A * P]
//   CORR     pair correlation f64[P * P] (read only when H_HAS_CORR = 1)
//   OUT      per account OUT_ACC_STRIDE f64s: equity, initialMargin; per (account, pair)
//            outPairStride(G) f64s: requirement, worstScenario (1-based), fillSet (0 none,
//            1 bids, 2 asks), basePV, scenarioPV[G]
//   SCRATCH  kernel workspace, scratchF64(P, G, LS) f64s

// ---- header: i32 slots (byte offset slot * 4) ----
export const H_PAIRS: i32 = 0; // P
export const H_ROWS: i32 = 1; // G, grid rows
export const H_LEVEL_STRIDE: i32 = 2; // LS, max distinct spot levels of any pair's grid
export const H_ACCOUNTS: i32 = 3; // A
export const H_POSITIONS: i32 = 4; // N
export const H_CURVE_NODES: i32 = 5; // total futures marks over all pairs
export const H_COIN_POLICY: i32 = 6; // COIN_*
export const H_HAS_CORR: i32 = 7; // 1 = combine pair requirements with CORR
export const H_FAIL_ACCOUNT: i32 = 8; // out: the account at which the kernel stopped, else -1
export const H_PAIR_SPOT: i32 = 9;
export const H_PAIR_CURVE_START: i32 = 10;
export const H_PAIR_CURVE_COUNT: i32 = 11;
export const H_PAIR_SURFACE: i32 = 12;
export const H_PAIR_SURFACE_TENORS: i32 = 13;
export const H_PAIR_SURFACE_NODES: i32 = 14;
export const H_CURVE: i32 = 15;
export const H_GRID: i32 = 16;
export const H_POS_KIND: i32 = 17;
export const H_POS_PAIR: i32 = 18;
export const H_POS_TAG: i32 = 19;
export const H_POS_SIZE: i32 = 20;
export const H_POS_STRIKE: i32 = 21;
export const H_POS_TENOR: i32 = 22;
export const H_POS_ENTRY: i32 = 23;
export const H_ACC_START: i32 = 24;
export const H_ACC_END: i32 = 25;
export const H_ACC_USD: i32 = 26;
export const H_ACC_COINS: i32 = 27;
export const H_CORR: i32 = 28;
export const H_OUT_ACC: i32 = 29;
export const H_OUT_PAIR: i32 = 30;
export const H_SCRATCH: i32 = 31;
export const HEADER_I32_SLOTS: i32 = 32;
// ---- header: f64 slots after the i32 slots (byte offset HEADER_F64_OFFSET + slot * 8) ----
export const HF_USD_RATE: i32 = 0; // r, continuously compounded
export const HEADER_F64_OFFSET: i32 = 128;
export const HEADER_BYTES: i32 = 144;

// ---- strides ----
export const CURVE_STRIDE: i32 = 3; // tenorYears, mark (written by the bindings), rate b_j (written by the kernel)
export const OUT_ACC_STRIDE: i32 = 2; // equity, initialMargin
export const OUT_PAIR_FIXED: i32 = 4; // requirement, worstScenario, fillSet, basePV
export const FILL_SETS: i32 = 3; // none, bids, asks

// ---- codes ----
export const KIND_SPOT: i32 = 0;
export const KIND_PERPETUAL: i32 = 1;
export const KIND_FUTURE: i32 = 2;
export const KIND_CALL: i32 = 3;
export const KIND_PUT: i32 = 4;

export const TAG_POSITION: i32 = 0; // in every fill set
export const TAG_BID: i32 = 1; // a buy order, in the `bids` set only
export const TAG_ASK: i32 = 2; // a sell order, in the `asks` set only

export const COIN_CAPPED: i32 = 0;
export const COIN_FULL: i32 = 1;
export const COIN_NONE: i32 = 2;

// Kernel status codes (bindings/layout.ts maps each to a MarginError message).
export const STATUS_OK: i32 = 0;
export const STATUS_BAD_HEADER: i32 = 1; // counts or addresses out of range
export const STATUS_BAD_INDEX: i32 = 2; // a pair/kind/tag/level index out of range
export const STATUS_NON_FINITE: i32 = 3; // a result was NaN or infinite

// ---- derived sizes (f64 counts) ----
// @ts-ignore: decorator
@inline export function gridPairF64(levelStride: i32, rows: i32): i32 {
  return 1 + 2 * levelStride + 3 * rows;
}

// @ts-ignore: decorator
@inline export function outPairStride(rows: i32): i32 {
  return OUT_PAIR_FIXED + rows;
}

// Scratch, reused for every account: per pair and fill-set tag, (rows + 1) PVs (the last is
// the base PV), the base delta and a derivative count; per spot level of the current position
// its forward, ln(F/K) and surface vol; per pair the requirement.
// @ts-ignore: decorator
@inline export function scratchF64(pairs: i32, rows: i32, levelStride: i32): i32 {
  return pairs * FILL_SETS * (rows + 3) + 3 * levelStride + pairs;
}
