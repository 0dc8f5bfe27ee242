// Black-76 values and deltas for European options on a forward (linear, USD-settled).
//
// Black (1976), "The pricing of commodity contracts", J. Financial Economics 3, 167-179:
//   call = DF (F N(d1) - K N(d2)),  put = DF (K N(-d2) - F N(-d1)),
//   d1 = (ln(F/K) + s^2 T / 2) / (s sqrt T),  d2 = d1 - s sqrt T.
// Written once for both rights with w = +1 (call) / -1 (put): DF w (F N(w d1) - K N(w d2)).
// Error: a few ulps of the inputs' rounding plus N's < 1e-15 absolute (math.ts), scaled by
// DF * max(F, K); exp is the kernel's (math.ts, < 1 ulp), ln and sqrt AssemblyScript's std
// (musl port, < 1 ulp; correctly rounded).
// Edges (SPEC.md "Instruments"): s * sqrt(T) == 0 with T > 0 gives the discounted intrinsic
// value on the forward; T <= 0 is handled by the caller (intrinsic on spot).
//
// The scenario kernel prices with priceRows (below): one exp per row, N from the shared e
// (math.ts), two rows per f64x2 step in the SIMD build. Options at or past expiry are valued by
// expiredValue / expiredDelta.

import { V_HALF, V_INF, V_MINUS_HALF, V_NEG_INF, cdfKernel, cdfX2, expKernel, expPairX2, expX2, vk } from "./math";

/** Intrinsic value on spot for an option at or past expiry: max(w (S - K), 0). */
// @ts-ignore: decorator
@inline export function expiredValue(spot: f64, strike: f64, w: f64): f64 {
  return Math.max(w * (spot - strike), 0.0);
}

/** Delta of an option at or past expiry: 1[S > K] for a call, -1[S < K] for a put. */
// @ts-ignore: decorator
@inline export function expiredDelta(spot: f64, strike: f64, w: f64): f64 {
  return w * (spot - strike) > 0.0 ? w : 0.0;
}

// ---------------------------------------------------------------------------------------------
// priceRows: Black-76 of one option in many scenario rows, accumulated into PV slots.
//
// Per row s the caller lays out, in 16-byte aligned f64 arrays, the forward F_s, ln(F_s/K) and
// the total vol sd_s = IV_s * max(0, 1 + volShock_s) * sqrt(T) >= 0. Per row:
//   d1 = ln(F/K)/sd + sd/2 (sd = 0: d1 = +Infinity if ln(F/K) > 0 else -Infinity), d2 = d1 - sd,
//   e1 = exp(-d1^2/2) (the only exp of the row), e2 = exp(-d2^2/2) = e1 * F/K,
//   value = DF w (F N(w d1) - K N(w d2)), w = +1 call / -1 put,
// with N from cdfKernel / cdfX2 (math.ts: Cody's ranges given e). With sd = 0 the infinite d1, d2
// make N(w d1), N(w d2) exactly 0 or 1, so the value is DF max(w (F - K), 0) and N(w d1) of the
// base row is the step of docs/model-decisions.md (call delta 1[F > K], put 1[F > K] - 1).
// Error: N's 1.6e-16 absolute (math.ts) times DF max(F, K) per row, plus a few ulps of the
// inputs' rounding; the relative error of e1 (about d1^2 eps / 2) only scales N's lower tail,
// which n(d1)/|d1| keeps below 3e-17 absolute.
// The SIMD build runs passes with short, independent iterations over the rows (one pass doing
// exp and both N per row is one long dependency chain per iteration and runs latency-bound):
//   1. two row vectors at a time (expPairX2 interleaves their exps): w d1 and w d2 into
//      work[0, rows) and work[rows, 2 rows), e1 = exp(-d1^2/2) and e2 = e1 F/K into
//      work[2 rows, 3 rows) and work[3 rows, 4 rows);
//   2. N over work[0, 2 rows) with the matching e, in place;
//   3. value = DF w (F N(w d1) - K N(w d2)), pv += size * value (v128 loads and stores).
// The scalar build runs the same operations one row at a time (identical bits).

/** N(w d1) of row `baseRow` in the last priceRows() call (the base delta's probability). */
export let baseCdf: f64 = 0;

/**
 * Price `rows` rows (even; arrays, pv and work 16-byte aligned) of one option with strike
 * `strike`, discount factor `discount` and right `w`; add size * value into pv[s]. `work` is
 * 4 * rows f64s of workspace (SIMD build). Returns the value of row `baseRow`, which must be one
 * of the last two rows, and leaves its N(w d1) in baseCdf.
 */
export function priceRows(
  rowF: usize,
  rowLogFK: usize,
  rowSd: usize,
  rows: i32,
  strike: f64,
  w: f64,
  discount: f64,
  size: f64,
  pv: usize,
  work: usize,
  baseRow: i32,
): f64 {
  const invK = 1.0 / strike;
  const dfw = discount * w;
  if (ASC_FEATURE_SIMD) {
    const vInvK = f64x2.splat(invK);
    const vW = f64x2.splat(w);
    const zero = f64x2.splat(0.0);
    const rowBytes = <usize>rows << 3;
    const arg1 = work;
    const arg2 = work + rowBytes;
    const gauss = arg2 + rowBytes;
    const gauss2 = gauss + rowBytes;
    const argBytes = rowBytes << 1;
    let off: usize = 0;
    for (; off + 32 <= rowBytes; off += 32) {
      const lfkA = v128.load(rowLogFK + off);
      const lfkB = v128.load(rowLogFK + off, 16);
      const sdA = v128.load(rowSd + off);
      const sdB = v128.load(rowSd + off, 16);
      let d1A = f64x2.add(f64x2.div(lfkA, sdA), f64x2.mul(vk(V_HALF), sdA));
      let d1B = f64x2.add(f64x2.div(lfkB, sdB), f64x2.mul(vk(V_HALF), sdB));
      const flatA = f64x2.eq(sdA, zero);
      const flatB = f64x2.eq(sdB, zero);
      if (v128.any_true(v128.or(flatA, flatB))) {
        d1A = v128.bitselect(v128.bitselect(vk(V_INF), vk(V_NEG_INF), f64x2.gt(lfkA, zero)), d1A, flatA);
        d1B = v128.bitselect(v128.bitselect(vk(V_INF), vk(V_NEG_INF), f64x2.gt(lfkB, zero)), d1B, flatB);
      }
      v128.store(arg1 + off, f64x2.mul(vW, d1A));
      v128.store(arg1 + off, f64x2.mul(vW, d1B), 16);
      v128.store(arg2 + off, f64x2.mul(vW, f64x2.sub(d1A, sdA)));
      v128.store(arg2 + off, f64x2.mul(vW, f64x2.sub(d1B, sdB)), 16);
      const minusHalf = vk(V_MINUS_HALF);
      expPairX2(f64x2.mul(f64x2.mul(minusHalf, d1A), d1A), f64x2.mul(f64x2.mul(minusHalf, d1B), d1B), gauss + off, false);
      v128.store(gauss2 + off, f64x2.mul(v128.load(gauss + off), f64x2.mul(v128.load(rowF + off), vInvK)));
      v128.store(gauss2 + off, f64x2.mul(v128.load(gauss + off, 16), f64x2.mul(v128.load(rowF + off, 16), vInvK)), 16);
    }
    if (off < rowBytes) {
      const lfk = v128.load(rowLogFK + off);
      const sd = v128.load(rowSd + off);
      let d1 = f64x2.add(f64x2.div(lfk, sd), f64x2.mul(vk(V_HALF), sd));
      const flat = f64x2.eq(sd, zero);
      if (v128.any_true(flat)) {
        d1 = v128.bitselect(v128.bitselect(vk(V_INF), vk(V_NEG_INF), f64x2.gt(lfk, zero)), d1, flat);
      }
      v128.store(arg1 + off, f64x2.mul(vW, d1));
      v128.store(arg2 + off, f64x2.mul(vW, f64x2.sub(d1, sd)));
      const e1 = expX2(f64x2.mul(f64x2.mul(vk(V_MINUS_HALF), d1), d1), false);
      v128.store(gauss + off, e1);
      v128.store(gauss2 + off, f64x2.mul(e1, f64x2.mul(v128.load(rowF + off), vInvK)));
    }
    // N(w d1) with e1 and N(w d2) with e2, in place: one loop over both halves
    for (off = 0; off < argBytes; off += 16) {
      v128.store(arg1 + off, cdfX2(v128.load(arg1 + off), v128.load(gauss + off)));
    }
    const vK = f64x2.splat(strike);
    const vDfw = f64x2.splat(dfw);
    const vSize = f64x2.splat(size);
    let value = zero;
    for (off = 0; off < rowBytes; off += 16) {
      const fwd = v128.load(rowF + off);
      value = f64x2.mul(vDfw, f64x2.sub(f64x2.mul(fwd, v128.load(arg1 + off)), f64x2.mul(vK, v128.load(arg2 + off))));
      const at = pv + off;
      v128.store(at, f64x2.add(v128.load(at), f64x2.mul(vSize, value)));
    }
    // the base row is in the last vector
    baseCdf = load<f64>(arg1 + (<usize>baseRow << 3));
    return (baseRow & 1) == 0 ? f64x2.extract_lane(value, 0) : f64x2.extract_lane(value, 1);
  } else {
    let base = 0.0;
    for (let s = 0; s < rows; s++) {
      const off = <usize>s << 3;
      const fwd = load<f64>(rowF + off);
      const lfk = load<f64>(rowLogFK + off);
      const sd = load<f64>(rowSd + off);
      let d1 = lfk / sd + 0.5 * sd;
      if (sd == 0.0) d1 = lfk > 0.0 ? Infinity : -Infinity;
      const e1 = expKernel(-0.5 * d1 * d1);
      const n1 = cdfKernel(w * d1, e1);
      const n2 = cdfKernel(w * (d1 - sd), e1 * (fwd * invK));
      const value = dfw * (fwd * n1 - strike * n2);
      const at = pv + off;
      store<f64>(at, load<f64>(at) + size * value);
      if (s == baseRow) {
        baseCdf = n1;
        base = value;
      }
    }
    return base;
  }
}
