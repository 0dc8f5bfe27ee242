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
//            rowLevel i32[G] (each in an f64 slot), rowVolShock f64[G] (the signed vol shock; a
//            position's vol is IV * max(0, 1 + volShock * scale), scale = (30 / max(1, DTE))^p
//            with p = HF_VSF_TENOR_EXPONENT, 1 when p = 0), rowWeight f64[G]
//   POS      N rows (a working order is a row too, tagged with its fill set): kind i32[N],
//            pair i32[N], tag i32[N], size f64[N] (qty * multiplier, signed), strike f64[N],
//            tenorYears f64[N], entry f64[N] (futures/perpetuals; NaN = at the mark),
//            tenorSlot i32[N] (the row's tenor table entry: options and futures with tenor > 0,
//            else -1), logStrike f64[N] (ln strike, options)
//   TENORS   the tenor table, T entries of TENOR_ENTRY_F64 f64s, rebuilt by the kernel each call
//   ACC      A accounts: posStart i32[A], posEnd i32[A] (rows [start, end) are the account's,
//            grouped by account), usd f64[A], coins f64[A * P]
//   CORR     pair correlation f64[P * P] (read only when H_HAS_CORR = 1)
//   OUT      per account OUT_ACC_STRIDE f64s: equity, initialMargin; per (account, pair)
//            outPairStride(G) f64s: requirement, worstScenario (1-based), fillSet (0 none,
//            1 bids, 2 asks), basePV, equity part (the pair's positions' marks and its coins at
//            spot: the account's equity is usd plus these, pair by pair), scenarioPV[G]
//   SCRATCH  kernel workspace, scratchF64(P, G, LS) f64s (8-byte aligned is enough; the kernel
//            aligns its f64x2 blocks to 16 inside it)

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
// instruments shared by many rows (0 = every row priced on its own): each row's instrument id,
// and per instrument a risk array priced once per call (instrumentRiskF64(G) f64s, 16-aligned;
// with 0 shared instruments one array, the row-by-row path's scratch)
export const H_INSTRUMENTS: i32 = 32;
export const H_POS_INSTRUMENT: i32 = 33;
export const H_INS_RISK: i32 = 34;
// terms shared by every row with one expiry on one pair, and the strike's log: the bindings give
// each option and future row (tenor > 0) the index of its (pair, tenor) in a table of T entries
// that the kernel fills on first use in each call (TENOR_ENTRY_F64 f64s each, see below; -1 for
// rows without one), and each option row ln(strike); both are fixed while the book is resident
export const H_TENORS: i32 = 35; // T
export const H_TENOR_TABLE: i32 = 36; // f64[T * TENOR_ENTRY_F64], written by the kernel
export const H_POS_TENOR_SLOT: i32 = 37; // i32[N]
export const H_POS_LOG_STRIKE: i32 = 38; // f64[N]
export const HEADER_I32_SLOTS: i32 = 39;
// ---- header: f64 slots after the i32 slots (byte offset HEADER_F64_OFFSET + slot * 8) ----
export const HF_USD_RATE: i32 = 0; // r, continuously compounded
export const HF_VSF_TENOR_EXPONENT: i32 = 1; // p of the tenor-scaled vol shock (30 / max(1, DTE))^p; 0 = unscaled
export const HEADER_F64_OFFSET: i32 = 160;
export const HEADER_BYTES: i32 = 176;

// ---- strides ----
export const CURVE_STRIDE: i32 = 3; // tenorYears, mark (written by the bindings), rate b_j (written by the kernel)
export const OUT_ACC_STRIDE: i32 = 2; // equity, initialMargin
export const OUT_PAIR_FIXED: i32 = 5; // requirement, worstScenario, fillSet, basePV, equity part
export const OUT_PAIR_EQUITY: i32 = 4; // the pair's part of the account's equity: its positions' marks, plus its coins at spot
export const FILL_SETS: i32 = 3; // none, bids, asks
export const ATTR_STRIDE: i32 = 6; // attributePositions: inWorstSet, worstPnL, delta, gamma, vega, theta

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
/** most tenors or log-moneyness nodes of one surface: 2^29 f64s fill a 4 GiB memory, and the
 * surface's byte size 8 (nT + nK + nT nK) stays far below 2^64 */
export const MAX_SURFACE_NODES: i32 = 1 << 29;

// ---- implied vols of option marks (implied.ts impliedVols): a header of its own ----
// i32 slots at `header` (byte offset slot * 4): the count, then the byte address of each column
// (8-byte aligned). In: price f64[n] (the mark, discounted USD per unit of the underlying),
// forward f64[n] (USD), strike f64[n] (USD), tenor f64[n] (years), discount f64[n] (DF), right
// i32[n] (KIND_CALL / KIND_PUT). Out: vol f64[n] (annualised; 0 unless the mark's status is
// IV_OK), markStatus i32[n] (IV_* below), iterations i32[n] (Householder steps and bisections).
export const IV_COUNT: i32 = 0;
export const IV_PRICE: i32 = 1;
export const IV_FORWARD: i32 = 2;
export const IV_STRIKE: i32 = 3;
export const IV_TENOR: i32 = 4;
export const IV_DISCOUNT: i32 = 5;
export const IV_RIGHT: i32 = 6;
export const IV_VOL: i32 = 7;
export const IV_MARK_STATUS: i32 = 8;
export const IV_ITERATIONS: i32 = 9;
export const IV_HEADER_SLOTS: i32 = 10;
export const IV_HEADER_BYTES: i32 = 40;
// per-mark status codes
export const IV_OK: i32 = 0;
export const IV_BELOW_INTRINSIC: i32 = 1; // mark < DF max(w (F - K), 0)
export const IV_ABOVE_BOUND: i32 = 2; // mark >= DF F (call) / DF K (put)
export const IV_BAD_INPUT: i32 = 3; // a non-finite or non-positive input, or a right that is not call/put
export const IV_OUT_OF_DOMAIN: i32 = 4; // |ln(F/K)| > IV_MAX_LOG_MONEYNESS
/** |ln(F/K)| beyond which the normalised price e^{-|x|/2} would leave the normal doubles */
export const IV_MAX_LOG_MONEYNESS: f64 = 700.0;

// ---- derived sizes (f64 counts) ----
// @ts-ignore: decorator
@inline export function gridPairF64(levelStride: i32, rows: i32): i32 {
  return 1 + 2 * levelStride + 3 * rows;
}

// A risk array: paddedRows(G) values (rows 0..G-1, the base at G, padding), then the unit delta,
// the derivative flag (1 for perpetuals, futures and options), the base mark, and a done flag.
export const RISK_DELTA: i32 = 0;
export const RISK_DERIV: i32 = 1;
export const RISK_MARK: i32 = 2;
export const RISK_DONE: i32 = 3;
// @ts-ignore: decorator
@inline export function instrumentRiskF64(rows: i32): i32 {
  return paddedRows(rows) + 4;
}

// @ts-ignore: decorator
@inline export function outPairStride(rows: i32): i32 {
  return OUT_PAIR_FIXED + rows;
}

// Rows of a PV accumulator: the G grid rows plus the base, rounded up to an even count so that
// every accumulator (and every per-row input array) is 16-byte aligned for f64x2 loads and stores.
// @ts-ignore: decorator
@inline export function paddedRows(rows: i32): i32 {
  return (rows + 2) & ~1;
}

// Scratch, reused for every account, from its first 16-byte aligned address (hence the 1 spare
// f64): per pair and fill-set tag paddedRows(G) PVs (row G is the base PV, a padding row is never
// read); the base delta and a derivative count per pair and tag (each block padded to an even
// count); per row of the current option its forward, ln(F/K) and total vol (paddedRows(G) each)
// and the row pricer's workspace (4 paddedRows(G)); per spot level of the current option its
// forward, ln(F/K) and total vol; per pair the requirement and ln spot (this call's).
// @ts-ignore: decorator
@inline export function scratchF64(pairs: i32, rows: i32, levelStride: i32): i32 {
  const slots = pairs * FILL_SETS;
  const even = (slots + 1) & ~1;
  return 1 + slots * paddedRows(rows) + 2 * even + 7 * paddedRows(rows) + 3 * levelStride + 2 * pairs;
}

// The tenor table (H_TENOR_TABLE): per (pair, tenor) entry TENOR_ENTRY_F64 f64s, filled by the
// first row that uses it in a call (a NaN tenor marks it empty): tenor, pair, carry exp(b(T) T),
// discount exp(-r T), sqrt T, ln F = ln spot + b(T) T, the vol-shock scale (30 / max(1, DTE))^p,
// the surface's tenor bracket (two row addresses and two weights, surface.ts tenorBracket).
export const TENOR_ENTRY_F64: i32 = 11;

// ---- covariance (OPNX correlation) margin: its own header and columns (assembly/covariance.ts) ----
// A market is an instrument (canonical name); a factor is a row/column of the resident correlation
// matrix (an explicitly listed market, or a whole pair under the default matrix: ones within a pair,
// zeros between pairs). Every market maps to one factor. Collateral assets are the USD codes, then
// the pairs' coins.
//
//   MARKETS  M markets: kind i32[M] (KIND_*), factor i32[M], mark f64[M] (USD per coin), leverage
//            f64[M] (max leverage L > 0)
//   CORR     the correlation matrix f64[C * C], row-major, symmetric, unit diagonal, PSD (checked
//            by the bindings); resident: its own region, rewritten only when it changes
//   ROWS     N rows grouped by account (positions, then working orders tagged with their fill set):
//            market i32[N], tag i32[N] (TAG_*), size f64[N] (signed coins = qty * multiplier),
//            entry f64[N] (USD per coin, perpetuals and futures; NaN = at the mark)
//   ACC      A accounts: start i32[A], end i32[A] (rows [start, end)), balance f64[A * K]
//   ASSETS   K assets: price f64[K] (USD per unit), ltv f64[K] (haircut in [0, 1])
//   OUT      per account CV_OUT_ACC_STRIDE f64s: initialMargin, maintenanceMargin, collateral,
//            marginRatio (% ; NaN when collateral <= 0), fillSet (0 none, 1 bids, 2 asks);
//            per row the estimated liquidation price (NaN for orders and a zero net position)
//   SCRATCH  cvScratchF64(M, C) f64s, 8-byte aligned (the kernel aligns its blocks to 16 inside)
export const CV_MARKETS: i32 = 0; // M
export const CV_FACTORS: i32 = 1; // C, the correlation matrix's order
export const CV_ACCOUNTS: i32 = 2; // A
export const CV_ROWS: i32 = 3; // N
export const CV_ASSETS: i32 = 4; // K
export const CV_PATH: i32 = 5; // CV_PATH_*: how each account's quadratic form is evaluated
export const CV_FAIL_ACCOUNT: i32 = 6; // out: the account at which the kernel stopped, else -1
export const CV_MARKET_KIND: i32 = 7;
export const CV_MARKET_FACTOR: i32 = 8;
export const CV_MARKET_MARK: i32 = 9;
export const CV_MARKET_LEVERAGE: i32 = 10;
export const CV_CORR: i32 = 11;
export const CV_ROW_MARKET: i32 = 12;
export const CV_ROW_TAG: i32 = 13;
export const CV_ROW_SIZE: i32 = 14;
export const CV_ROW_ENTRY: i32 = 15;
export const CV_ACC_START: i32 = 16;
export const CV_ACC_END: i32 = 17;
export const CV_ACC_BALANCE: i32 = 18;
export const CV_ASSET_PRICE: i32 = 19;
export const CV_ASSET_LTV: i32 = 20;
export const CV_OUT_ACC: i32 = 21;
export const CV_OUT_ROW: i32 = 22;
export const CV_SCRATCH: i32 = 23;
export const CV_HEADER_I32_SLOTS: i32 = 24;
export const CV_HEADER_BYTES: i32 = 96;
export const CV_OUT_ACC_STRIDE: i32 = 5; // initialMargin, maintenanceMargin, collateral, marginRatio, fillSet
// CV_PATH values: AUTO picks the dense form when an account touches at least half of the factors
// (2 t >= C; measured crossover 0.3 to 0.7 of C, docs/covariance.md), else the sparse one;
// SPARSE and DENSE force one (tests, benchmarks)
export const CV_PATH_AUTO: i32 = 0;
export const CV_PATH_SPARSE: i32 = 1;
export const CV_PATH_DENSE: i32 = 2;

// Covariance scratch from its first 16-byte aligned address (hence the 1 spare f64), every block
// an even number of f64s (EM = M rounded up to even, EC = C likewise): per market the rate
// mark / leverage and the account's position, bid and ask sizes (4 EM); per factor the account's
// v for `none` (EC), v for (bids, asks) interleaved (2 EC), and dense v for none, bids, asks (3 EC);
// the market and factor slot maps and index lists (i32, EM + EC f64s).
// @ts-ignore: decorator
@inline export function cvScratchF64(markets: i32, factors: i32): i32 {
  const em = (markets + 1) & ~1;
  const ec = (factors + 1) & ~1;
  return 1 + 5 * em + 7 * ec;
}
