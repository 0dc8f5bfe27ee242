// The scenario-margin pass (SPEC.md "Scenario margin" and "Account summary"; the choices where
// the spec is silent are in docs/model-decisions.md).
//
// For every account (rows [posStart, posEnd) of the position columns), every position is
// revalued in every grid scenario of its pair and at the base (unshocked) point, accumulated per
// (pair, fill-set tag); then each pair is reduced: coin inventory per policy, the three fill sets
// (none, bids, asks), requirement = max(0, max_s weight_s (PV_0 - PV_s)), worst scenario; the
// account's initial margin is the sum of pair requirements or sqrt(R^T rho R). Per option the
// shared terms are hoisted: the carry exp(b T) (no exp without futures marks), the discount
// exp(-r T) (none when r = 0), sqrt T, ln F, the vol-shock scale and the surface's tenor bracket
// come from the tenor table, one entry per (pair, tenor) filled once per call (positions share
// expiries); ln K is a column written when the book is laid out, so ln(F/K) = ln F - ln K costs
// no log per row; then one surface read per distinct spot level (not per scenario). The rows'
// inputs (forward, ln(F/K), total vol for the G grid rows and the base) are laid out in aligned
// scratch and priced by priceRows
// (pricing.ts: one exp per row, two rows per f64x2 step in the SIMD build, the same operations
// one row at a time in the scalar build, identical results).
// Every count, index and address is checked before use: bad data returns a status, never traps.

import {
  CURVE_STRIDE, FILL_SETS, OUT_ACC_STRIDE, OUT_PAIR_EQUITY, OUT_PAIR_FIXED,
  H_ACCOUNTS, H_ACC_COINS, H_ACC_END, H_ACC_START, H_ACC_USD, H_COIN_POLICY, H_CORR, H_CURVE,
  H_CURVE_NODES, H_FAIL_ACCOUNT, H_GRID, H_HAS_CORR, H_LEVEL_STRIDE, H_OUT_ACC, H_OUT_PAIR,
  H_PAIRS, H_PAIR_CURVE_COUNT, H_PAIR_CURVE_START, H_PAIR_SPOT, H_PAIR_SURFACE,
  H_PAIR_SURFACE_NODES, H_PAIR_SURFACE_TENORS, H_POSITIONS, H_POS_ENTRY, H_POS_KIND, H_POS_PAIR,
  H_POS_SIZE, H_POS_STRIKE, H_POS_TAG, H_POS_TENOR, H_ROWS, H_SCRATCH, HEADER_BYTES,
  HEADER_F64_OFFSET, HF_USD_RATE, HF_VSF_TENOR_EXPONENT,
  KIND_CALL, KIND_FUTURE, KIND_PERPETUAL, KIND_PUT, KIND_SPOT,
  COIN_CAPPED, COIN_FULL, COIN_NONE,
  MAX_SURFACE_NODES, STATUS_BAD_HEADER, STATUS_BAD_INDEX, STATUS_NON_FINITE, STATUS_OK,
  TAG_ASK, ATTR_STRIDE, H_INSTRUMENTS, H_POS_INSTRUMENT, H_INS_RISK, RISK_DELTA, RISK_DERIV, RISK_MARK,
  RISK_DONE, instrumentRiskF64, TENOR_ENTRY_F64, H_TENORS, H_TENOR_TABLE, H_POS_TENOR_SLOT, H_POS_LOG_STRIKE, gridPairF64, outPairStride, paddedRows, scratchF64,
} from "./layout";
import { baseCdf, expiredDelta, expiredValue, priceRows } from "./pricing";
import { lastAtOrBelow, surfaceTotalVols, tenorBracket } from "./surface";
import { expKernel, normCdf } from "./math";
import { addF64, f64At, i32At, inCallerMemory, slotAddr, slotI32 } from "./access";
import { quadraticForm } from "./covariance";
import { disjointFromAll, scenarioRegionsDisjoint } from "./regions";

/** 1 / sqrt(2 pi) */
const INV_SQRT_2PI: f64 = 0.3989422804014327;

/** dst[0..n) += scale * src[0..n) (n even; both 16-byte aligned) */
// @ts-ignore: decorator
@inline function addScaled(dst: usize, src: usize, scale: f64, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const v = f64x2.splat(scale);
    for (let off: usize = 0; off < (<usize>n << 3); off += 16) {
      v128.store(dst + off, f64x2.add(v128.load(dst + off), f64x2.mul(v, v128.load(src + off))));
    }
  } else {
    for (let s = 0; s < n; s++) addF64(dst, s, scale * f64At(src, s));
  }
}

/** Every bit of the f64s [0, n) at `addr` is 0 (n even, 16-byte aligned): all +0.0. */
// @ts-ignore: decorator
@inline function allZeroBits(addr: usize, n: i32): bool {
  if (ASC_FEATURE_SIMD) {
    let bits = i64x2.splat(0);
    for (let off: usize = 0; off < (<usize>n << 3); off += 16) bits = v128.or(bits, v128.load(addr + off));
    return !v128.any_true(bits);
  }
  let bits: u64 = 0;
  for (let s = 0; s < n; s++) bits |= load<u64>(addr + (<usize>s << 3));
  return bits == 0;
}

/**
 * Every one of the n f64s at `addr` is finite (x - x is 0 for a finite x, NaN for NaN and the
 * infinities). The pass checks each pair's whole output block with it, not only the account's
 * equity and margin: a scenario PV can be NaN while the requirement, the largest loss over the
 * scenarios, stays finite (a NaN loss never compares larger), so the requirement would silently
 * leave that scenario out. That takes an input the validation accepts but double precision
 * cannot carry (a vol near 1e154, whose square overflows in the total-variance interpolation).
 */
// @ts-ignore: decorator
@inline function allFinite(addr: usize, n: i32): bool {
  let zero = 0.0;
  for (let i = 0; i < n; i++) {
    const x = load<f64>(addr + (<usize>i << 3));
    zero += x - x;
  }
  return zero == 0.0;
}

/** [addr, addr + bytes) is in the caller's memory and 8-byte aligned (access.ts). */
// @ts-ignore: decorator
@inline function fits(addr: usize, bytes: u64): bool {
  return inCallerMemory(addr, bytes, 8);
}

// ---- module state for one call (read from the header once) ----
let P: i32 = 0; // pairs
let G: i32 = 0; // grid rows
let LS: i32 = 0; // level stride
let GP: i32 = 0; // paddedRows(G): PV slots per (pair, tag), even
let gridStride: i32 = 0; // f64s per pair grid block
let pairSpot: usize = 0;
let pairCurveStart: usize = 0;
let pairCurveCount: usize = 0;
let pairSurface: usize = 0;
let pairTenors: usize = 0;
let pairNodes: usize = 0;
let curve: usize = 0;
let grid: usize = 0;
let usdRate: f64 = 0;
let vsfTenorExponent: f64 = 0; // p of the tenor-scaled vol shocks
// scratch parts (accPV and the row arrays 16-byte aligned)
let accPV: usize = 0; // f64[P][FILL_SETS][GP]
let accDelta: usize = 0; // f64[P][FILL_SETS] (padded to even)
let accDerivs: usize = 0; // f64[P][FILL_SETS] (padded to even), count of derivative rows
let accBytes: usize = 0; // bytes from accPV to the end of accDerivs, zeroed per account
let rowForward: usize = 0; // f64[GP]
let rowLogFK: usize = 0; // f64[GP]
let rowStdDev: usize = 0; // f64[GP]
let rowWork: usize = 0; // f64[4 GP], priceRows' workspace
let lvlForward: usize = 0; // f64[LS]
let lvlLogFK: usize = 0; // f64[LS]
let lvlVol: usize = 0; // f64[LS]
let pairReq: usize = 0; // f64[P]
let pairLogSpot: usize = 0; // f64[P], ln spot of this call
let tenorTable: usize = 0; // f64[T][TENOR_ENTRY_F64]
let T: i32 = 0; // tenor table entries
let posStrike: usize = 0; // f64[N]
let posTenor: usize = 0; // f64[N]
let posTenorSlot: usize = 0; // i32[N]
let posLogStrike: usize = 0; // f64[N]

/**
 * Check the header's counts and addresses, derive the per-call market terms (funding rates,
 * log spot levels, floored vol multipliers). Returns a status.
 */
function prepare(header: usize): i32 {
  if (!fits(header, <u64>HEADER_BYTES)) return STATUS_BAD_HEADER;
  P = slotI32(header, H_PAIRS);
  G = slotI32(header, H_ROWS);
  LS = slotI32(header, H_LEVEL_STRIDE);
  const A = slotI32(header, H_ACCOUNTS);
  const N = slotI32(header, H_POSITIONS);
  const nodes = slotI32(header, H_CURVE_NODES);
  if (P < 1 || P > 4096 || G < 1 || G > 4096 || LS < 1 || LS > G + 1 || A < 0 || N < 0 || nodes < 0)
    return STATUS_BAD_HEADER;
  gridStride = gridPairF64(LS, G);
  GP = paddedRows(G);
  const p8 = <u64>P << 3;
  const p4 = <u64>P << 2;
  const a8 = <u64>A << 3;
  const a4 = <u64>A << 2;
  const n8 = <u64>N << 3;
  const n4 = <u64>N << 2;
  pairSpot = slotAddr(header, H_PAIR_SPOT);
  pairCurveStart = slotAddr(header, H_PAIR_CURVE_START);
  pairCurveCount = slotAddr(header, H_PAIR_CURVE_COUNT);
  pairSurface = slotAddr(header, H_PAIR_SURFACE);
  pairTenors = slotAddr(header, H_PAIR_SURFACE_TENORS);
  pairNodes = slotAddr(header, H_PAIR_SURFACE_NODES);
  curve = slotAddr(header, H_CURVE);
  grid = slotAddr(header, H_GRID);
  const scratch = slotAddr(header, H_SCRATCH);
  if (
    !fits(pairSpot, p8) || !fits(pairCurveStart, p4) || !fits(pairCurveCount, p4) ||
    !fits(pairSurface, p4) || !fits(pairTenors, p4) || !fits(pairNodes, p4) ||
    !fits(curve, <u64>nodes * CURVE_STRIDE * 8) ||
    !fits(grid, <u64>P * gridStride * 8) ||
    !fits(slotAddr(header, H_POS_KIND), n4) || !fits(slotAddr(header, H_POS_PAIR), n4) ||
    !fits(slotAddr(header, H_POS_TAG), n4) || !fits(slotAddr(header, H_POS_SIZE), n8) ||
    !fits(slotAddr(header, H_POS_STRIKE), n8) || !fits(slotAddr(header, H_POS_TENOR), n8) ||
    !fits(slotAddr(header, H_POS_ENTRY), n8) ||
    !fits(slotAddr(header, H_ACC_START), a4) || !fits(slotAddr(header, H_ACC_END), a4) ||
    !fits(slotAddr(header, H_ACC_USD), a8) || !fits(slotAddr(header, H_ACC_COINS), a8 * <u64>P) ||
    !fits(slotAddr(header, H_OUT_ACC), a8 * OUT_ACC_STRIDE) ||
    !fits(slotAddr(header, H_OUT_PAIR), a8 * <u64>P * <u64>outPairStride(G)) ||
    !fits(scratch, <u64>scratchF64(P, G, LS) * 8) ||
    (slotI32(header, H_HAS_CORR) != 0 && !fits(slotAddr(header, H_CORR), p8 * <u64>P))
  ) return STATUS_BAD_HEADER;
  const instruments = slotI32(header, H_INSTRUMENTS);
  if (instruments < 0 || instruments > N) return STATUS_BAD_HEADER;
  posStrike = slotAddr(header, H_POS_STRIKE);
  posTenor = slotAddr(header, H_POS_TENOR);
  T = slotI32(header, H_TENORS);
  tenorTable = slotAddr(header, H_TENOR_TABLE);
  posTenorSlot = slotAddr(header, H_POS_TENOR_SLOT);
  posLogStrike = slotAddr(header, H_POS_LOG_STRIKE);
  if (
    T < 0 || T > N || !fits(tenorTable, <u64>T * TENOR_ENTRY_F64 * 8) ||
    !fits(posTenorSlot, n4) || !fits(posLogStrike, n8)
  ) return STATUS_BAD_HEADER;
  // risk arrays: one per shared instrument, or the one scratch array of the row-by-row path
  if (
    (instruments > 0 && !fits(slotAddr(header, H_POS_INSTRUMENT), n4)) ||
    (slotAddr(header, H_INS_RISK) & 15) != 0 ||
    !fits(slotAddr(header, H_INS_RISK), <u64>max<i32>(1, instruments) * <u64>instrumentRiskF64(G) * 8)
  ) return STATUS_BAD_HEADER;
  usdRate = load<f64>(header + HEADER_F64_OFFSET + (<usize>HF_USD_RATE << 3));
  vsfTenorExponent = load<f64>(header + HEADER_F64_OFFSET + (<usize>HF_VSF_TENOR_EXPONENT << 3));
  if (!(vsfTenorExponent >= 0.0 && vsfTenorExponent <= 16.0)) return STATUS_BAD_HEADER;
  // nothing it writes may overlap what it reads (regions.ts): checked before the first write
  if (!scenarioRegionsDisjoint(header, P, G, LS, A, N, nodes, instruments, T)) return STATUS_BAD_HEADER;

  const slots = P * FILL_SETS;
  const evenSlots = (slots + 1) & ~1;
  accPV = (scratch + 15) & ~15;
  accDelta = accPV + (<usize>(slots * GP) << 3);
  accDerivs = accDelta + (<usize>evenSlots << 3);
  rowForward = accDerivs + (<usize>evenSlots << 3);
  accBytes = rowForward - accPV;
  rowLogFK = rowForward + (<usize>GP << 3);
  rowStdDev = rowLogFK + (<usize>GP << 3);
  rowWork = rowStdDev + (<usize>GP << 3);
  lvlForward = rowWork + (<usize>(4 * GP) << 3);
  lvlLogFK = lvlForward + (<usize>LS << 3);
  lvlVol = lvlLogFK + (<usize>LS << 3);
  pairReq = lvlVol + (<usize>LS << 3);
  pairLogSpot = pairReq + (<usize>P << 3);
  // the tenor table holds this call's market terms only: empty it (a NaN tenor matches nothing)
  for (let e = 0; e < T; e++) store<f64>(tenorTable + (<usize>(e * TENOR_ENTRY_F64) << 3), NaN);

  for (let p = 0; p < P; p++) {
    const spot = f64At(pairSpot, p);
    store<f64>(pairLogSpot + (<usize>p << 3), Math.log(spot));
    // surface nodes must lie in memory (nT = 0 means no surface: options on the pair are refused)
    const nT = i32At(pairTenors, p);
    const nK = i32At(pairNodes, p);
    if (nT < 0 || nK < 0 || nT > MAX_SURFACE_NODES || nK > MAX_SURFACE_NODES || (nT == 0) != (nK == 0)) return STATUS_BAD_HEADER;
    if (nT > 0 && !fits(<usize>i32At(pairSurface, p), (<u64>nT + <u64>nK + <u64>nT * <u64>nK) * 8))
      return STATUS_BAD_HEADER;
    // funding rates b_j = ln(F_j / S) / T_j
    const start = i32At(pairCurveStart, p);
    const count = i32At(pairCurveCount, p);
    if (start < 0 || count < 0 || <i64>start + <i64>count > <i64>nodes) return STATUS_BAD_HEADER;
    for (let j = start; j < start + count; j++) {
      const node = curve + (<usize>(j * CURVE_STRIDE) << 3);
      store<f64>(node, Math.log(load<f64>(node, 8) / spot) / load<f64>(node), 16);
    }
    // spot levels and rows
    const block = grid + (<usize>(p * gridStride) << 3);
    const levels = load<i32>(block);
    if (levels < 1 || levels > LS) return STATUS_BAD_HEADER;
    for (let l = 0; l < levels; l++) {
      store<f64>(block + (<usize>(1 + LS + l) << 3), Math.log(f64At(block, 1 + l)));
    }
    for (let s = 0; s < G; s++) {
      const level = load<i32>(block + (<usize>(1 + 2 * LS + s) << 3));
      if (level < 0 || level >= levels) return STATUS_BAD_INDEX;
    }
  }
  return STATUS_OK;
}

/**
 * b(T) * T for pair p: funding rate linear in T between futures marks (b_j + a (b_{j+1} - b_j),
 * a = (T - T_j) / (T_{j+1} - T_j)), flat outside, 0 without marks. Branch-free node search.
 */
function carryTimesTenor(p: i32, tenorYears: f64): f64 {
  const count = i32At(pairCurveCount, p);
  if (count == 0) return 0.0;
  const stride = <usize>CURVE_STRIDE << 3;
  const first = curve + <usize>i32At(pairCurveStart, p) * stride;
  const j = lastAtOrBelow(first, count, stride, tenorYears);
  const node = first + <usize>j * stride;
  const tj = load<f64>(node);
  // flat: T at or before the first mark, or at or after the last (a = 0 reads node j as is)
  const flat = (tenorYears <= tj) | (j == count - 1);
  const next = select<usize>(node, node + stride, flat);
  const a = select<f64>(0.0, (tenorYears - tj) / (load<f64>(next) - tj), flat);
  const bj = load<f64>(node, 16);
  return (bj + a * (load<f64>(next, 16) - bj)) * tenorYears;
}

// ---- the tenor table: per (pair, tenor) terms shared by every row with that expiry ----
// Entry f64s (assembly/layout.ts): 0 tenor, 1 pair, 2 carry exp(b(T) T), 3 discount exp(-r T),
// 4 sqrt T, 5 ln F = ln spot + b(T) T, 6 the vol-shock scale (30 / max(1, DTE))^p, 7..10 the
// surface's tenor bracket (tenorBracket: low row, high row, wLow, wHigh). The bindings give each
// row its entry's index; the first row that uses an entry in a call fills it.
const TC_PAIR: i32 = 1;
const TC_CARRY: i32 = 2;
const TC_DISCOUNT: i32 = 3;
const TC_SQRT_T: i32 = 4;
const TC_LOG_FORWARD: i32 = 5;
const TC_SHOCK_SCALE: i32 = 6;
const TC_BRACKET: i32 = 7;

/**
 * The tenor table entry `slot` for (p, tenorYears > 0), filled on first use; 0 when the slot is
 * out of range or already holds another (pair, tenor) (a bad index: the caller refuses the row).
 * Inlined: a row whose entry is filled costs a few loads and compares, no call.
 */
// @ts-ignore: decorator
@inline function tenorEntry(p: i32, tenorYears: f64, slot: i32): usize {
  if (<u32>slot >= <u32>T) return 0;
  const entry = tenorTable + (<usize>(slot * TENOR_ENTRY_F64) << 3);
  const tenor = load<f64>(entry);
  if (tenor == tenorYears && load<f64>(entry, TC_PAIR << 3) == <f64>p) return entry;
  return tenor == tenor ? 0 : fillTenorEntry(entry, p, tenorYears);
}

/** Fill the empty tenor table entry at `entry` for (p, tenorYears); returns entry. */
function fillTenorEntry(entry: usize, p: i32, tenorYears: f64): usize {
  const key = <f64>p;
  store<f64>(entry, tenorYears);
  store<f64>(entry, key, TC_PAIR << 3);
  // the kernel's exp (fdlibm, math.ts); exp(0) = 1 exactly
  const marked = i32At(pairCurveCount, p) != 0;
  const carryLog = marked ? carryTimesTenor(p, tenorYears) : 0.0;
  store<f64>(entry, marked ? expKernel(carryLog) : 1.0, TC_CARRY << 3);
  store<f64>(entry, usdRate == 0.0 ? 1.0 : expKernel(-usdRate * tenorYears), TC_DISCOUNT << 3);
  store<f64>(entry, Math.sqrt(tenorYears), TC_SQRT_T << 3);
  // ln F = ln spot + b(T) T (ln spot once per pair and call), so that ln(F/K) = ln F - ln K costs
  // no log per row or expiry (within 2 ulp of ln(spot carry))
  store<f64>(entry, f64At(pairLogSpot, p) + carryLog, TC_LOG_FORWARD << 3);
  // vol shocks scaled by tenor (Deribit/Paradex: VSF (30 / max(1, DTE))^p)
  const scale = vsfTenorExponent == 0.0 ? 1.0 : Math.pow(30.0 / Math.max(1.0, tenorYears * 365.0), vsfTenorExponent);
  store<f64>(entry, scale, TC_SHOCK_SCALE << 3);
  const nT = i32At(pairTenors, p);
  if (nT > 0) tenorBracket(<usize>i32At(pairSurface, p), nT, i32At(pairNodes, p), tenorYears, entry + (<usize>TC_BRACKET << 3));
  return entry;
}

/**
 * Revalue position row `row` (of kind `kind`, on pair p) in every scenario of its pair and at
 * the base; add size * value into pv[0..G] (pv[G]: the base), size * delta into f64 deltaAt and
 * 1 into f64 derivAt for a derivative. Returns the row's value at the base per unit of size (the
 * mark used for equity), or NaN for a bad index.
 */
function revalue(kind: i32, p: i32, size: f64, row: i32, pv: usize, deltaAt: usize, derivAt: usize): f64 {
  const strike = f64At(posStrike, row);
  const tenorYears = f64At(posTenor, row);
  const spot = f64At(pairSpot, p);
  const block = grid + (<usize>(p * gridStride) << 3);
  const levels = load<i32>(block);
  const levelMult = block + 8;
  const levelLog = levelMult + (<usize>LS << 3);
  const rowLevel = levelLog + (<usize>LS << 3);
  const rowVolShock = rowLevel + (<usize>G << 3);

  if (kind == KIND_CALL || kind == KIND_PUT) {
    const w: f64 = kind == KIND_CALL ? 1.0 : -1.0;
    if (tenorYears <= 0.0) {
      // at or past expiry: intrinsic on spot, no surface read
      for (let s = 0; s < G; s++) {
        const level = load<i32>(rowLevel + (<usize>s << 3));
        addF64(pv, s, size * expiredValue(spot * f64At(levelMult, level), strike, w));
      }
      const base = expiredValue(spot, strike, w);
      addF64(pv, G, size * base);
      addF64(deltaAt, 0, size * expiredDelta(spot, strike, w));
      addF64(derivAt, 0, 1.0);
      return base;
    }
    const nT = i32At(pairTenors, p);
    if (nT == 0) return NaN; // no surface for an option: the bindings never send this
    const nK = i32At(pairNodes, p);
    const entry = tenorEntry(p, tenorYears, i32At(posTenorSlot, row));
    if (entry == 0) return NaN;
    const carry = load<f64>(entry, TC_CARRY << 3);
    const discount = load<f64>(entry, TC_DISCOUNT << 3);
    const forward0 = spot * carry;
    const logFK0 = load<f64>(entry, TC_LOG_FORWARD << 3) - f64At(posLogStrike, row);
    // sticky moneyness: at level l (shocked spot S' = S * mult) ln(F'/K) = ln(F/K) + ln(mult)
    const kBase = <usize>i32At(pairSurface, p) + (<usize>nT << 3);
    const sqrtT = load<f64>(entry, TC_SQRT_T << 3);
    surfaceTotalVols(kBase, nK, entry + (<usize>TC_BRACKET << 3), sqrtT, logFK0, levelLog, levels, lvlVol);
    for (let l = 0; l < levels; l++) {
      store<f64>(lvlForward + (<usize>l << 3), forward0 * f64At(levelMult, l));
      store<f64>(lvlLogFK + (<usize>l << 3), logFK0 + f64At(levelLog, l));
    }
    // rows 0..G-1: the grid; row G: the base (level 0 = the unshocked spot, unshocked vol);
    // a padding row G+1 (when G is even) repeats the base and lands in a PV slot never read
    // vol shocks scaled by tenor (the entry's scale), the multiplier floored at 0
    const shockScale = load<f64>(entry, TC_SHOCK_SCALE << 3);
    for (let s = 0; s < G; s++) {
      const level = <usize>load<i32>(rowLevel + (<usize>s << 3)) << 3;
      const at = <usize>s << 3;
      store<f64>(rowForward + at, load<f64>(lvlForward + level));
      store<f64>(rowLogFK + at, load<f64>(lvlLogFK + level));
      const volMult = Math.max(0.0, 1.0 + f64At(rowVolShock, s) * shockScale);
      store<f64>(rowStdDev + at, load<f64>(lvlVol + level) * volMult);
    }
    const stdDev0 = f64At(lvlVol, 0);
    for (let s = G; s < GP; s++) {
      const at = <usize>s << 3;
      store<f64>(rowForward + at, forward0);
      store<f64>(rowLogFK + at, logFK0);
      store<f64>(rowStdDev + at, stdDev0);
    }
    const base = priceRows(rowForward, rowLogFK, rowStdDev, GP, strike, w, discount, size, pv, rowWork, G);
    // forward delta DF w N(w d1) (the step for zero vol), times dF/dS = carry; size times the
    // unit delta, so that pricing a unit risk array and scaling it by size gives the same bits
    addF64(deltaAt, 0, size * (carry * (discount * w * baseCdf)));
    addF64(derivAt, 0, 1.0);
    return base;
  }

  // linear: spot, perpetual, future (value = spot level * carry factor)
  let factor = 1.0;
  if (kind == KIND_FUTURE) {
    if (tenorYears > 0.0) {
      const entry = tenorEntry(p, tenorYears, i32At(posTenorSlot, row));
      if (entry == 0) return NaN;
      factor = load<f64>(entry, TC_CARRY << 3);
    }
  } else if (kind != KIND_SPOT && kind != KIND_PERPETUAL) {
    return NaN;
  }
  // size times the unit value in each row (as for options: the same bits priced either way)
  const unit = spot * factor;
  for (let s = 0; s < G; s++) {
    const level = load<i32>(rowLevel + (<usize>s << 3));
    addF64(pv, s, size * (unit * f64At(levelMult, level)));
  }
  addF64(pv, G, size * unit);
  if (kind != KIND_SPOT) {
    addF64(deltaAt, 0, size * factor);
    addF64(derivAt, 0, 1.0);
  }
  return spot * factor;
}

/** The coin quantity that enters pair scenarios for one fill set (docs/model-decisions.md). */
// @ts-ignore: decorator
@inline function coinEntering(policy: i32, coins: f64, delta: f64, derivatives: f64): f64 {
  if (policy == COIN_NONE) return 0.0;
  if (policy == COIN_FULL || coins < 0.0) return coins;
  return derivatives > 0.0 ? Math.min(coins, Math.max(0.0, -delta)) : 0.0;
}

/**
 * Reduce pair p of the current account: pick the fill set with the largest requirement, write
 * requirement, worst scenario, fill set, base PV and scenario PVs at `out`. Returns the requirement.
 */
function reducePair(p: i32, policy: i32, coins: f64, out: usize): f64 {
  const spot = f64At(pairSpot, p);
  const block = grid + (<usize>(p * gridStride) << 3);
  const levelMult = block + 8;
  const rowLevel = levelMult + (<usize>(2 * LS) << 3);
  const rowWeight = rowLevel + (<usize>(2 * G) << 3);
  const own = accPV + (<usize>(p * FILL_SETS * GP) << 3);
  const ownSlot = p * FILL_SETS;

  let bestReq = -1.0;
  let bestSet = 0;
  let bestWorst = 0;
  let bestCoin = 0.0;
  for (let set = 0; set < FILL_SETS; set++) {
    // set 0 = positions only; set 1/2 = positions plus the bid/ask rows
    const extra = own + (<usize>(set * GP) << 3);
    // no order of that side on the pair: every accumulator of the set is still +0 (zeroed per
    // account), so the set's values are set 0's and its requirement equals set 0's, which the
    // strict comparison below would keep anyway; skipped (when a PV is not finite the values
    // differ, but that PV is in the pair's outputs either way and fails the run either way)
    if (set > 0 && allZeroBits(extra, GP) && load<u64>(accDelta + (<usize>(ownSlot + set) << 3)) == 0 &&
      load<u64>(accDerivs + (<usize>(ownSlot + set) << 3)) == 0) continue;
    const withExtra: f64 = set == 0 ? 0.0 : 1.0;
    const delta = f64At(accDelta, ownSlot) + withExtra * f64At(accDelta, ownSlot + set);
    const derivs = f64At(accDerivs, ownSlot) + withExtra * f64At(accDerivs, ownSlot + set);
    const coin = coinEntering(policy, coins, delta, derivs) * spot;
    const base = f64At(own, G) + withExtra * f64At(extra, G) + coin;
    let worstLoss = -Infinity;
    let worst = 0;
    for (let s = 0; s < G; s++) {
      const level = load<i32>(rowLevel + (<usize>s << 3));
      const value = f64At(own, s) + withExtra * f64At(extra, s) + coin * f64At(levelMult, level);
      const loss = f64At(rowWeight, s) * (base - value);
      if (loss > worstLoss) {
        worstLoss = loss;
        worst = s;
      }
    }
    const req = Math.max(0.0, worstLoss);
    if (req > bestReq) {
      bestReq = req;
      bestSet = set;
      bestWorst = worst;
      bestCoin = coin;
    }
  }
  const extra = own + (<usize>(bestSet * GP) << 3);
  const withExtra: f64 = bestSet == 0 ? 0.0 : 1.0;
  store<f64>(out, bestReq);
  store<f64>(out, <f64>(bestWorst + 1), 8);
  store<f64>(out, <f64>bestSet, 16);
  store<f64>(out, f64At(own, G) + withExtra * f64At(extra, G) + bestCoin, 24);
  const pvOut = out + (<usize>OUT_PAIR_FIXED << 3);
  for (let s = 0; s < G; s++) {
    const level = load<i32>(rowLevel + (<usize>s << 3));
    store<f64>(pvOut + (<usize>s << 3), f64At(own, s) + withExtra * f64At(extra, s) + bestCoin * f64At(levelMult, level));
  }
  return bestReq;
}

/**
 * Margin every account described by the header. Returns STATUS_OK, or a status with
 * H_FAIL_ACCOUNT set to the account where it stopped (-1 when the header itself is bad).
 */
export function marginAccounts(header: usize): i32 {
  return marginAccountRange(header, 0, -1, 0, -1);
}

/** Pair p is to be revalued under `pairMask` (bit p; -1: every pair, as for P > 31). */
// @ts-ignore: decorator
@inline function pairDirty(pairMask: i32, p: i32): bool {
  return pairMask == -1 || (<u32>p < 31 && ((pairMask >>> p) & 1) != 0);
}

/**
 * Margin accounts [first, end) of the header's book (end = -1: to the last account); the other
 * accounts' outputs are left as they are. With `reuseRisk` != 0 the instruments' unit risk arrays
 * (H_INS_RISK) priced by an earlier call on this header are kept rather than priced again: the
 * caller passes it only when nothing the pricing reads (the market region, the header) has
 * changed since that call, as when one market is margined in several ranges (the pool's chunks).
 * Only the pairs in `pairMask` (bit p for pair p; -1: all) are revalued: the rows of the other
 * pairs are skipped, and each such pair's requirement and equity part are read back from its
 * OUT_PAIR block, which the caller vouches were written by an earlier call under the market
 * those pairs still have (a tick that moved some pairs re-prices those only). Every term of an
 * account is formed per pair (its rows' marks plus its coins, OUT_PAIR_EQUITY) and the account
 * sums the pairs in order, so a pass over some pairs and a pass over all give the same bits.
 * A range outside [0, accounts] is STATUS_BAD_HEADER. Statuses as marginAccounts.
 */
export function marginAccountRange(header: usize, first: i32, end: i32, reuseRisk: i32, pairMask: i32): i32 {
  if (fits(header, <u64>HEADER_BYTES)) store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), -1);
  const ready = prepare(header);
  if (ready != STATUS_OK) return ready;
  const A = slotI32(header, H_ACCOUNTS);
  if (end == -1) end = A;
  if (first < 0 || end < first || end > A) return STATUS_BAD_HEADER;
  const N = slotI32(header, H_POSITIONS);
  const policy = slotI32(header, H_COIN_POLICY);
  if (policy != COIN_CAPPED && policy != COIN_FULL && policy != COIN_NONE) return STATUS_BAD_HEADER;
  const hasCorr = slotI32(header, H_HAS_CORR) != 0;
  const posKind = slotAddr(header, H_POS_KIND);
  const posPair = slotAddr(header, H_POS_PAIR);
  const posTag = slotAddr(header, H_POS_TAG);
  const posSize = slotAddr(header, H_POS_SIZE);
  const posEntry = slotAddr(header, H_POS_ENTRY);
  const accStart = slotAddr(header, H_ACC_START);
  const accEnd = slotAddr(header, H_ACC_END);
  const accUsd = slotAddr(header, H_ACC_USD);
  const accCoins = slotAddr(header, H_ACC_COINS);
  const corr = slotAddr(header, H_CORR);
  const outAcc = slotAddr(header, H_OUT_ACC);
  const outPair = slotAddr(header, H_OUT_PAIR);
  const pairStride = outPairStride(G);
  const instruments = slotI32(header, H_INSTRUMENTS);
  const posInstrument = slotAddr(header, H_POS_INSTRUMENT);
  const insRisk = slotAddr(header, H_INS_RISK);
  const riskStride = instrumentRiskF64(G);
  if (reuseRisk == 0) {
    for (let m = 0; m < instruments; m++) store<f64>(insRisk + (<usize>(m * riskStride + GP + RISK_DONE) << 3), 0.0);
  }

  for (let a = first; a < end; a++) {
    const start = i32At(accStart, a);
    const end = i32At(accEnd, a);
    let status = STATUS_OK;
    if (start < 0 || end < start || end > N) status = STATUS_BAD_INDEX;
    memory.fill(accPV, 0, accBytes);
    const accOut = outPair + (<usize>(a * P * pairStride) << 3);
    for (let p = 0; p < P; p++) {
      if (pairDirty(pairMask, p)) store<f64>(accOut + (<usize>(p * pairStride + OUT_PAIR_EQUITY) << 3), 0.0);
    }
    for (let i = start; status == STATUS_OK && i < end; i++) {
      const kind = i32At(posKind, i);
      const p = i32At(posPair, i);
      const tag = i32At(posTag, i);
      if (p < 0 || p >= P || tag < 0 || tag > TAG_ASK) {
        status = STATUS_BAD_INDEX;
        break;
      }
      if (!pairDirty(pairMask, p)) continue;
      const size = f64At(posSize, i);
      const slot = p * FILL_SETS + tag;
      const pv = accPV + (<usize>(slot * GP) << 3);
      // When the book shares instruments, each row adds size x its instrument's unit risk array
      // (its value in every row and at the base, unit delta), priced once per call; else the row
      // is priced straight into the account's accumulators. revalue() forms every term as
      // size x (the unit term) and a unit array starts at 0 (0 + x == x), so both paths give the
      // same bits: a result does not depend on which path priced it.
      let mark: f64;
      if (instruments > 0) {
        const id = i32At(posInstrument, i);
        if (id < 0 || id >= instruments) {
          status = STATUS_BAD_INDEX;
          break;
        }
        const risk = insRisk + (<usize>(id * riskStride) << 3);
        const tail = risk + (<usize>GP << 3); // delta, derivative flag, mark, done
        if (load<f64>(tail, RISK_DONE << 3) == 0.0) {
          memory.fill(risk, 0, <usize>(GP + RISK_DONE) << 3);
          const unitMark = revalue(kind, p, 1.0, i, risk,
            tail + (<usize>RISK_DELTA << 3), tail + (<usize>RISK_DERIV << 3));
          store<f64>(tail, unitMark, RISK_MARK << 3);
          store<f64>(tail, 1.0, RISK_DONE << 3);
        }
        mark = load<f64>(tail, RISK_MARK << 3);
        addScaled(pv, risk, size, GP);
        addF64(accDelta, slot, size * load<f64>(tail, RISK_DELTA << 3));
        addF64(accDerivs, slot, load<f64>(tail, RISK_DERIV << 3));
      } else {
        mark = revalue(kind, p, size, i, pv,
          accDelta + (<usize>slot << 3), accDerivs + (<usize>slot << 3));
      }
      if (mark != mark) {
        status = STATUS_BAD_INDEX;
        break;
      }
      if (tag == 0) {
        // the row's part of equity, summed per pair in its OUT_PAIR block
        const partAt = accOut + (<usize>(p * pairStride + OUT_PAIR_EQUITY) << 3);
        if (kind == KIND_FUTURE || kind == KIND_PERPETUAL) {
          const entry = f64At(posEntry, i);
          if (entry == entry) store<f64>(partAt, load<f64>(partAt) + size * (mark - entry));
        } else {
          store<f64>(partAt, load<f64>(partAt) + size * mark);
        }
      }
    }
    if (status != STATUS_OK) {
      store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
      return status;
    }
    let equity = f64At(accUsd, a);
    let im = 0.0;
    for (let p = 0; p < P; p++) {
      const out = accOut + (<usize>(p * pairStride) << 3);
      const partAt = out + (<usize>OUT_PAIR_EQUITY << 3);
      let req: f64;
      if (pairDirty(pairMask, p)) {
        const coins = f64At(accCoins, a * P + p);
        store<f64>(partAt, load<f64>(partAt) + coins * f64At(pairSpot, p));
        req = reducePair(p, policy, coins, out);
        if (!allFinite(out, pairStride)) {
          store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
          return STATUS_NON_FINITE;
        }
      } else {
        req = load<f64>(out);
      }
      equity += load<f64>(partAt);
      store<f64>(pairReq + (<usize>p << 3), req);
      im += req;
    }
    if (hasCorr) im = Math.sqrt(Math.max(0.0, quadraticForm(pairReq, corr, P)));
    if (!isFinite(equity) || !isFinite(im)) {
      store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
      return STATUS_NON_FINITE;
    }
    const acc = outAcc + (<usize>(a * OUT_ACC_STRIDE) << 3);
    store<f64>(acc, equity);
    store<f64>(acc, im, 8);
  }
  return STATUS_OK;
}

// ---- risk attribution ----------------------------------------------------------------------
//
// attributePositions(header, out): after marginAccounts() on the same header, for every row
// (position or order) ATTR_STRIDE f64s at out + row * ATTR_STRIDE * 8:
//   inWorstSet   1 when the row counts in its pair's chosen fill set (every position; an order
//                only when its side's fill set set the requirement), else 0
//   worstPnL     size * (value in the pair's worst scenario - value at the base), USD
//   delta        size * dV/dS, coins (per USD of spot)
//   gamma        size * d2V/dS2, coins per USD
//   vega         size * dV/dvol, USD per 1.00 (100 vol points) of implied vol
//   theta        size * dV/dt as calendar time passes (spot, vols and the funding rate b(T) at the
//                option's tenor held), USD per year
// Greeks are Black-76's closed forms on the forward (Haug, "The Complete Guide to Option Pricing
// Formulas", 2nd ed., sec. 2.1, generalized BSM with S e^{(b-r)T} = DF F): delta = carry DF w N(w d1),
// gamma = carry^2 DF n(d1) / (F sigma sqrt T), vega = DF F n(d1) sqrt T,
// theta = -DF F n(d1) sigma / (2 sqrt T) - w (b - r) DF F N(w d1) - w r DF K N(w d2); N is Cody's
// normCdf (|error| < 1e-15), so each greek carries a few ulps of its inputs. Zero total vol: the
// delta step of docs/model-decisions.md, gamma = vega = 0, theta = r V - w b DF F 1[w(F-K) > 0].
// Expired options: intrinsic on spot, delta step, no gamma, vega or theta. Futures: delta carry,
// theta -b V; perpetuals and spot: delta 1.

/** Black-76 value and greeks per unit at one scenario: value, delta, gamma, vega, theta (f64 out[5]). */
function optionRisk(forward: f64, strike: f64, logFK: f64, sigma: f64, tenorYears: f64, sqrtT: f64,
  discount: f64, carry: f64, w: f64, out: usize): void {
  const sd = sigma * sqrtT;
  const rate = usdRate;
  const b = Math.log(carry) / tenorYears;
  if (sd > 0.0) {
    const d1 = logFK / sd + 0.5 * sd;
    const d2 = d1 - sd;
    const nd1 = INV_SQRT_2PI * Math.exp(-0.5 * d1 * d1);
    const cdf1 = normCdf(w * d1);
    const cdf2 = normCdf(w * d2);
    store<f64>(out, discount * w * (forward * cdf1 - strike * cdf2));
    store<f64>(out, carry * discount * w * cdf1, 8);
    store<f64>(out, (carry * carry * discount * nd1) / (forward * sd), 16);
    store<f64>(out, discount * forward * nd1 * sqrtT, 24);
    store<f64>(out, (-discount * forward * nd1 * sigma) / (2.0 * sqrtT) - w * (b - rate) * discount * forward * cdf1
      - w * rate * discount * strike * cdf2, 32);
    return;
  }
  const inTheMoney = w * (forward - strike) > 0.0;
  const value = inTheMoney ? discount * w * (forward - strike) : 0.0;
  const step: f64 = logFK > 0.0 ? 1.0 : 0.0;
  store<f64>(out, value);
  store<f64>(out, carry * discount * (w > 0.0 ? step : step - 1.0), 8);
  store<f64>(out, 0.0, 16);
  store<f64>(out, 0.0, 24);
  store<f64>(out, rate * value - (inTheMoney ? w * b * discount * forward : 0.0), 32);
}

/** Per-row risk attribution; see the block header. Returns a status (H_FAIL_ACCOUNT as marginAccounts). */
export function attributePositions(header: usize, out: usize): i32 {
  if (fits(header, <u64>HEADER_BYTES)) store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), -1);
  const ready = prepare(header);
  if (ready != STATUS_OK) return ready;
  const A = slotI32(header, H_ACCOUNTS);
  const N = slotI32(header, H_POSITIONS);
  if (!fits(out, <u64>N * ATTR_STRIDE * 8) || !disjointFromAll(out, <u64>N * ATTR_STRIDE * 8)) return STATUS_BAD_HEADER;
  const posKind = slotAddr(header, H_POS_KIND);
  const posPair = slotAddr(header, H_POS_PAIR);
  const posTag = slotAddr(header, H_POS_TAG);
  const posSize = slotAddr(header, H_POS_SIZE);
  const accStart = slotAddr(header, H_ACC_START);
  const accEnd = slotAddr(header, H_ACC_END);
  const outPair = slotAddr(header, H_OUT_PAIR);
  const pairStride = outPairStride(G);
  const risk = lvlForward; // 5 f64s of scratch: the revaluation's level columns are free here
  for (let a = 0; a < A; a++) {
    const start = i32At(accStart, a);
    const end = i32At(accEnd, a);
    if (start < 0 || end < start || end > N) {
      store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
      return STATUS_BAD_INDEX;
    }
    for (let i = start; i < end; i++) {
      const kind = i32At(posKind, i);
      const p = i32At(posPair, i);
      const tag = i32At(posTag, i);
      if (p < 0 || p >= P || tag < 0 || tag > TAG_ASK || kind < KIND_SPOT || kind > KIND_PUT) {
        store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
        return STATUS_BAD_INDEX;
      }
      const size = f64At(posSize, i);
      const strike = f64At(posStrike, i);
      const tenorYears = f64At(posTenor, i);
      const pairOut = outPair + (<usize>((a * P + p) * pairStride) << 3);
      const worstRow = <i32>load<f64>(pairOut, 8) - 1;
      const chosenSet = <i32>load<f64>(pairOut, 16);
      if (worstRow < 0 || worstRow >= G) {
        store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
        return STATUS_BAD_INDEX;
      }
      const spot = f64At(pairSpot, p);
      const block = grid + (<usize>(p * gridStride) << 3);
      const levelMult = block + 8;
      const level = load<i32>(block + (<usize>(1 + 2 * LS + worstRow) << 3));
      const worstSpot = spot * f64At(levelMult, level);
      const volShock = f64At(block, 1 + 2 * LS + G + worstRow);
      let base = 0.0;
      let worst = 0.0;
      let delta = 0.0;
      let gamma = 0.0;
      let vega = 0.0;
      let theta = 0.0;
      if ((kind == KIND_CALL || kind == KIND_PUT) && tenorYears > 0.0) {
        const nT = i32At(pairTenors, p);
        if (nT == 0) {
          store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
          return STATUS_BAD_INDEX;
        }
        const w: f64 = kind == KIND_CALL ? 1.0 : -1.0;
        const entry = tenorEntry(p, tenorYears, i32At(posTenorSlot, i));
        if (entry == 0) {
          store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
          return STATUS_BAD_INDEX;
        }
        const carry = load<f64>(entry, TC_CARRY << 3);
        const discount = load<f64>(entry, TC_DISCOUNT << 3);
        const sqrtT = load<f64>(entry, TC_SQRT_T << 3);
        const forward0 = spot * carry;
        const logFK0 = load<f64>(entry, TC_LOG_FORWARD << 3) - f64At(posLogStrike, i);
        const levelLog = block + (<usize>(1 + LS) << 3);
        const kBase = <usize>i32At(pairSurface, p) + (<usize>nT << 3);
        surfaceTotalVols(kBase, i32At(pairNodes, p), entry + (<usize>TC_BRACKET << 3), sqrtT, logFK0, levelLog, load<i32>(block), lvlVol);
        const scale = load<f64>(entry, TC_SHOCK_SCALE << 3);
        const sigmaWorst = (f64At(lvlVol, level) / sqrtT) * Math.max(0.0, 1.0 + volShock * scale);
        optionRisk(forward0 * f64At(levelMult, level), strike, logFK0 + f64At(levelLog, level), sigmaWorst,
          tenorYears, sqrtT, discount, carry, w, risk);
        worst = load<f64>(risk);
        optionRisk(forward0, strike, logFK0, f64At(lvlVol, 0) / sqrtT, tenorYears, sqrtT, discount, carry, w, risk);
        base = load<f64>(risk);
        delta = load<f64>(risk, 8);
        gamma = load<f64>(risk, 16);
        vega = load<f64>(risk, 24);
        theta = load<f64>(risk, 32);
      } else if (kind == KIND_CALL || kind == KIND_PUT) {
        const w: f64 = kind == KIND_CALL ? 1.0 : -1.0;
        base = expiredValue(spot, strike, w);
        worst = expiredValue(worstSpot, strike, w);
        delta = expiredDelta(spot, strike, w);
      } else {
        let carry = 1.0;
        if (kind == KIND_FUTURE && tenorYears > 0.0) {
          const entry = tenorEntry(p, tenorYears, i32At(posTenorSlot, i));
          if (entry == 0) {
            store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
            return STATUS_BAD_INDEX;
          }
          carry = load<f64>(entry, TC_CARRY << 3);
        }
        base = spot * carry;
        worst = worstSpot * carry;
        delta = carry;
        if (kind == KIND_FUTURE && tenorYears > 0.0) theta = -(Math.log(carry) / tenorYears) * base;
      }
      const row = out + (<usize>(i * ATTR_STRIDE) << 3);
      store<f64>(row, tag == 0 || tag == chosenSet ? 1.0 : 0.0);
      store<f64>(row, size * (worst - base), 8);
      store<f64>(row, size * delta, 16);
      store<f64>(row, size * gamma, 24);
      store<f64>(row, size * vega, 32);
      store<f64>(row, size * theta, 40);
    }
  }
  return STATUS_OK;
}
