// The scenario-margin pass (SPEC.md "Scenario margin" and "Account summary"; the choices where
// the spec is silent are in docs/model-decisions.md).
//
// For every account (rows [posStart, posEnd) of the position columns), every position is
// revalued in every grid scenario of its pair and at the base (unshocked) point, accumulated per
// (pair, fill-set tag); then each pair is reduced: coin inventory per policy, the three fill sets
// (none, bids, asks), requirement = max(0, max_s weight_s (PV_0 - PV_s)), worst scenario; the
// account's initial margin is the sum of pair requirements or sqrt(R^T rho R). Per position the
// shared terms are hoisted: one exp for the carry, one for the discount, one sqrt, one log
// ln(F/K), and one surface read per distinct spot level (not per scenario).
// Every count, index and address is checked before use: bad data returns a status, never traps.

import {
  CURVE_STRIDE, FILL_SETS, OUT_ACC_STRIDE, OUT_PAIR_FIXED,
  H_ACCOUNTS, H_ACC_COINS, H_ACC_END, H_ACC_START, H_ACC_USD, H_COIN_POLICY, H_CORR, H_CURVE,
  H_CURVE_NODES, H_FAIL_ACCOUNT, H_GRID, H_HAS_CORR, H_LEVEL_STRIDE, H_OUT_ACC, H_OUT_PAIR,
  H_PAIRS, H_PAIR_CURVE_COUNT, H_PAIR_CURVE_START, H_PAIR_SPOT, H_PAIR_SURFACE,
  H_PAIR_SURFACE_NODES, H_PAIR_SURFACE_TENORS, H_POSITIONS, H_POS_ENTRY, H_POS_KIND, H_POS_PAIR,
  H_POS_SIZE, H_POS_STRIKE, H_POS_TAG, H_POS_TENOR, H_ROWS, H_SCRATCH, HEADER_BYTES,
  HEADER_F64_OFFSET, HF_USD_RATE,
  KIND_CALL, KIND_FUTURE, KIND_PERPETUAL, KIND_PUT, KIND_SPOT,
  COIN_CAPPED, COIN_FULL, COIN_NONE,
  STATUS_BAD_HEADER, STATUS_BAD_INDEX, STATUS_NON_FINITE, STATUS_OK,
  TAG_ASK, gridPairF64, outPairStride, scratchF64,
} from "./layout";
import { black76, black76ForwardDelta, expiredDelta, expiredValue } from "./pricing";
import { bracketTenor, surfaceVol } from "./surface";
import { quadraticForm } from "./covariance";

// ---- header access ----
// @ts-ignore: decorator
@inline function slotI32(header: usize, slot: i32): i32 {
  return load<i32>(header + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline function slotAddr(header: usize, slot: i32): usize {
  return <usize>load<u32>(header + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function addF64(base: usize, i: i32, v: f64): void {
  const p = base + (<usize>i << 3);
  store<f64>(p, load<f64>(p) + v);
}

/** true when [addr, addr + bytes) lies inside linear memory and addr is 8-byte aligned */
function fits(addr: usize, bytes: u64): bool {
  const end = <u64>memory.size() << 16;
  return (addr & 7) == 0 && <u64>addr + bytes <= end;
}

// ---- module state for one call (read from the header once) ----
let P: i32 = 0; // pairs
let G: i32 = 0; // grid rows
let LS: i32 = 0; // level stride
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
// scratch parts
let accPV: usize = 0; // f64[P][FILL_SETS][G + 1]
let accDelta: usize = 0; // f64[P][FILL_SETS]
let accDerivs: usize = 0; // f64[P][FILL_SETS], count of derivative rows
let lvlForward: usize = 0; // f64[LS]
let lvlLogFK: usize = 0; // f64[LS]
let lvlVol: usize = 0; // f64[LS]
let pairReq: usize = 0; // f64[P]

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
  usdRate = load<f64>(header + HEADER_F64_OFFSET + (<usize>HF_USD_RATE << 3));

  accPV = scratch;
  accDelta = accPV + (<usize>(P * FILL_SETS * (G + 1)) << 3);
  accDerivs = accDelta + (<usize>(P * FILL_SETS) << 3);
  lvlForward = accDerivs + (<usize>(P * FILL_SETS) << 3);
  lvlLogFK = lvlForward + (<usize>LS << 3);
  lvlVol = lvlLogFK + (<usize>LS << 3);
  pairReq = lvlVol + (<usize>LS << 3);

  for (let p = 0; p < P; p++) {
    const spot = f64At(pairSpot, p);
    // surface nodes must lie in memory (nT = 0 means no surface: options on the pair are refused)
    const nT = i32At(pairTenors, p);
    const nK = i32At(pairNodes, p);
    if (nT < 0 || nK < 0 || (nT == 0) != (nK == 0)) return STATUS_BAD_HEADER;
    if (nT > 0 && !fits(<usize>i32At(pairSurface, p), (<u64>nT + <u64>nK + <u64>nT * <u64>nK) * 8))
      return STATUS_BAD_HEADER;
    // funding rates b_j = ln(F_j / S) / T_j
    const start = i32At(pairCurveStart, p);
    const count = i32At(pairCurveCount, p);
    if (start < 0 || count < 0 || start + count > nodes) return STATUS_BAD_HEADER;
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
      // vols are floored at 0 after a shock: IV * max(0, 1 + volShock)
      const volMult = block + (<usize>(1 + 2 * LS + G + s) << 3);
      store<f64>(volMult, Math.max(0.0, load<f64>(volMult)));
    }
  }
  return STATUS_OK;
}

/** b(T) * T for pair p: funding rate linear in T between futures marks, flat outside, 0 without. */
function carryTimesTenor(p: i32, tenorYears: f64): f64 {
  const count = i32At(pairCurveCount, p);
  if (count == 0) return 0.0;
  const first = curve + (<usize>(i32At(pairCurveStart, p) * CURVE_STRIDE) << 3);
  const stride = <usize>CURVE_STRIDE << 3;
  let rate: f64;
  if (tenorYears <= load<f64>(first)) {
    rate = load<f64>(first, 16);
  } else {
    const last = first + <usize>(count - 1) * stride;
    if (tenorYears >= load<f64>(last)) {
      rate = load<f64>(last, 16);
    } else {
      let node = first;
      while (load<f64>(node + stride) <= tenorYears) node += stride;
      const t0 = load<f64>(node);
      const t1 = load<f64>(node + stride);
      const b0 = load<f64>(node, 16);
      const b1 = load<f64>(node + stride, 16);
      rate = b0 + ((b1 - b0) * (tenorYears - t0)) / (t1 - t0);
    }
  }
  return rate * tenorYears;
}

/**
 * Revalue one position row in every scenario of its pair and at the base; accumulate into the
 * scratch PVs and deltas of (pair, tag). Returns the row's value at the base per unit of size
 * (the mark used for equity), or NaN for a bad index.
 */
function revalue(kind: i32, p: i32, tag: i32, size: f64, strike: f64, tenorYears: f64): f64 {
  const spot = f64At(pairSpot, p);
  const block = grid + (<usize>(p * gridStride) << 3);
  const levels = load<i32>(block);
  const levelMult = block + 8;
  const levelLog = levelMult + (<usize>LS << 3);
  const rowLevel = levelLog + (<usize>LS << 3);
  const rowVolMult = rowLevel + (<usize>G << 3);
  const slot = p * FILL_SETS + tag;
  const pv = accPV + (<usize>(slot * (G + 1)) << 3);

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
      addF64(accDelta, slot, size * expiredDelta(spot, strike, w));
      addF64(accDerivs, slot, 1.0);
      return base;
    }
    const nT = i32At(pairTenors, p);
    if (nT == 0) return NaN; // no surface for an option: the bindings never send this
    const nK = i32At(pairNodes, p);
    const surface = <usize>i32At(pairSurface, p);
    const carry = Math.exp(carryTimesTenor(p, tenorYears));
    const discount = Math.exp(-usdRate * tenorYears);
    const sqrtT = Math.sqrt(tenorYears);
    const forward0 = spot * carry;
    const logFK0 = Math.log(forward0 / strike);
    bracketTenor(surface, nT, nK, tenorYears);
    for (let l = 0; l < levels; l++) {
      // sticky moneyness: k = ln(K / F(T; S')) at the level's shocked spot S' = S * mult
      const logFK = logFK0 + f64At(levelLog, l);
      store<f64>(lvlForward + (<usize>l << 3), forward0 * f64At(levelMult, l));
      store<f64>(lvlLogFK + (<usize>l << 3), logFK);
      store<f64>(lvlVol + (<usize>l << 3), surfaceVol(surface, nT, nK, -logFK) * sqrtT);
    }
    for (let s = 0; s < G; s++) {
      const level = load<i32>(rowLevel + (<usize>s << 3));
      const stdDev = f64At(lvlVol, level) * f64At(rowVolMult, s);
      const value = black76(f64At(lvlForward, level), strike, f64At(lvlLogFK, level), stdDev, discount, w);
      addF64(pv, s, size * value);
    }
    // level 0 is the unshocked spot
    const stdDev0 = f64At(lvlVol, 0);
    const base = black76(forward0, strike, logFK0, stdDev0, discount, w);
    addF64(pv, G, size * base);
    addF64(accDelta, slot, size * carry * black76ForwardDelta(logFK0, stdDev0, discount, w));
    addF64(accDerivs, slot, 1.0);
    return base;
  }

  // linear: spot, perpetual, future (value = spot level * carry factor)
  let factor = 1.0;
  if (kind == KIND_FUTURE) {
    if (tenorYears > 0.0) factor = Math.exp(carryTimesTenor(p, tenorYears));
  } else if (kind != KIND_SPOT && kind != KIND_PERPETUAL) {
    return NaN;
  }
  const unit = size * spot * factor;
  for (let s = 0; s < G; s++) {
    const level = load<i32>(rowLevel + (<usize>s << 3));
    addF64(pv, s, unit * f64At(levelMult, level));
  }
  addF64(pv, G, unit);
  if (kind != KIND_SPOT) {
    addF64(accDelta, slot, size * factor);
    addF64(accDerivs, slot, 1.0);
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
  const own = accPV + (<usize>(p * FILL_SETS * (G + 1)) << 3);
  const ownSlot = p * FILL_SETS;

  let bestReq = -1.0;
  let bestSet = 0;
  let bestWorst = 0;
  let bestCoin = 0.0;
  for (let set = 0; set < FILL_SETS; set++) {
    // set 0 = positions only; set 1/2 = positions plus the bid/ask rows
    const extra = own + (<usize>(set * (G + 1)) << 3);
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
  const extra = own + (<usize>(bestSet * (G + 1)) << 3);
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
  if (fits(header, <u64>HEADER_BYTES)) store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), -1);
  const ready = prepare(header);
  if (ready != STATUS_OK) return ready;
  const A = slotI32(header, H_ACCOUNTS);
  const N = slotI32(header, H_POSITIONS);
  const policy = slotI32(header, H_COIN_POLICY);
  if (policy != COIN_CAPPED && policy != COIN_FULL && policy != COIN_NONE) return STATUS_BAD_HEADER;
  const hasCorr = slotI32(header, H_HAS_CORR) != 0;
  const posKind = slotAddr(header, H_POS_KIND);
  const posPair = slotAddr(header, H_POS_PAIR);
  const posTag = slotAddr(header, H_POS_TAG);
  const posSize = slotAddr(header, H_POS_SIZE);
  const posStrike = slotAddr(header, H_POS_STRIKE);
  const posTenor = slotAddr(header, H_POS_TENOR);
  const posEntry = slotAddr(header, H_POS_ENTRY);
  const accStart = slotAddr(header, H_ACC_START);
  const accEnd = slotAddr(header, H_ACC_END);
  const accUsd = slotAddr(header, H_ACC_USD);
  const accCoins = slotAddr(header, H_ACC_COINS);
  const corr = slotAddr(header, H_CORR);
  const outAcc = slotAddr(header, H_OUT_ACC);
  const outPair = slotAddr(header, H_OUT_PAIR);
  const pairStride = outPairStride(G);
  const pvBytes = <usize>((P * FILL_SETS * (G + 3)) << 3);

  for (let a = 0; a < A; a++) {
    const start = i32At(accStart, a);
    const end = i32At(accEnd, a);
    let status = STATUS_OK;
    if (start < 0 || end < start || end > N) status = STATUS_BAD_INDEX;
    memory.fill(accPV, 0, pvBytes);
    let equity = f64At(accUsd, a);
    for (let i = start; status == STATUS_OK && i < end; i++) {
      const kind = i32At(posKind, i);
      const p = i32At(posPair, i);
      const tag = i32At(posTag, i);
      if (p < 0 || p >= P || tag < 0 || tag > TAG_ASK) {
        status = STATUS_BAD_INDEX;
        break;
      }
      const size = f64At(posSize, i);
      const mark = revalue(kind, p, tag, size, f64At(posStrike, i), f64At(posTenor, i));
      if (mark != mark) {
        status = STATUS_BAD_INDEX;
        break;
      }
      if (tag == 0) {
        if (kind == KIND_FUTURE || kind == KIND_PERPETUAL) {
          const entry = f64At(posEntry, i);
          if (entry == entry) equity += size * (mark - entry);
        } else {
          equity += size * mark;
        }
      }
    }
    if (status != STATUS_OK) {
      store<i32>(header + (<usize>H_FAIL_ACCOUNT << 2), a);
      return status;
    }
    let im = 0.0;
    for (let p = 0; p < P; p++) {
      const coins = f64At(accCoins, a * P + p);
      equity += coins * f64At(pairSpot, p);
      const out = outPair + (<usize>((a * P + p) * pairStride) << 3);
      const req = reducePair(p, policy, coins, out);
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
