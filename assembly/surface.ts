// Implied-vol surface lookup on nodes in linear memory (SPEC.md "Implied-volatility surface").
//
// A pair's nodes: tenors f64[nT] (years, strictly ascending, > 0), logMoneyness f64[nK]
// (k = ln(K/F), strictly ascending), vols f64[nT * nK] row-major.
//   - on one tenor row, vol is linear in k between nodes and flat beyond the first/last node;
//   - across rows, total variance w = vol^2 * tenor is linear in T between the bracketing rows;
//     for T <= tenors[0] the first row's vol is used as is, for T >= tenors[nT-1] the last's.
// The tenor bracket does not depend on the scenario, so it is found once per position
// (bracketTenor) and each scenario's spot level only redoes the two row reads.
// Error: exact linear interpolation in double (a few ulps), one sqrt when between rows.

// The current tenor bracket (module globals rather than an object: the kernel allocates nothing,
// the bindings own every byte above __heap_base).
/** byte address of the lower row's vols */
let lowRow: usize = 0;
/** byte address of the upper row's vols (== lowRow when a single row is read) */
let highRow: usize = 0;
/** total-variance weights divided by T: vol^2 = wLow * vLow^2 + wHigh * vHigh^2 */
let wLow: f64 = 0;
let wHigh: f64 = 0;
/** true when a single row's vol is used as is */
let single: bool = true;

/**
 * Bracket tenor `tenorYears` (> 0) on the surface at `base` (nT tenors, nK nodes); the following
 * surfaceVol() calls read at this tenor.
 */
export function bracketTenor(base: usize, nT: i32, nK: i32, tenorYears: f64): void {
  const volBase = base + (<usize>(nT + nK) << 3);
  const rowBytes = <usize>nK << 3;
  if (tenorYears <= load<f64>(base)) {
    lowRow = highRow = volBase;
    single = true;
    return;
  }
  if (tenorYears >= load<f64>(base + (<usize>(nT - 1) << 3))) {
    lowRow = highRow = volBase + <usize>(nT - 1) * rowBytes;
    single = true;
    return;
  }
  // first < T < last: find i with tenors[i] <= T < tenors[i + 1]
  let i = 0;
  while (load<f64>(base + (<usize>(i + 1) << 3)) <= tenorYears) i++;
  const tLow = load<f64>(base + (<usize>i << 3));
  const tHigh = load<f64>(base + (<usize>(i + 1) << 3));
  const a = (tenorYears - tLow) / (tHigh - tLow);
  lowRow = volBase + <usize>i * rowBytes;
  highRow = lowRow + rowBytes;
  wLow = ((1.0 - a) * tLow) / tenorYears;
  wHigh = (a * tHigh) / tenorYears;
  single = false;
}

/** Vol on one row at log-moneyness k: linear between nodes, flat outside. */
// @ts-ignore: decorator
@inline function rowVol(kBase: usize, nK: i32, row: usize, k: f64): f64 {
  if (k <= load<f64>(kBase)) return load<f64>(row);
  const lastIdx = <usize>(nK - 1) << 3;
  if (k >= load<f64>(kBase + lastIdx)) return load<f64>(row + lastIdx);
  // k0 < k < k_last, so nK >= 2 here: binary search for j with k_j <= k < k_{j+1}
  let lo = 0;
  let hi = nK - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (load<f64>(kBase + (<usize>mid << 3)) <= k) lo = mid;
    else hi = mid;
  }
  const kLo = load<f64>(kBase + (<usize>lo << 3));
  const kHi = load<f64>(kBase + (<usize>hi << 3));
  const vLo = load<f64>(row + (<usize>lo << 3));
  const vHi = load<f64>(row + (<usize>hi << 3));
  return vLo + ((vHi - vLo) * (k - kLo)) / (kHi - kLo);
}

/** Vol at log-moneyness k, at the tenor of the last bracketTenor() call on this surface. */
export function surfaceVol(base: usize, nT: i32, nK: i32, k: f64): f64 {
  const kBase = base + (<usize>nT << 3);
  const vLow = rowVol(kBase, nK, lowRow, k);
  if (single) return vLow;
  const vHigh = rowVol(kBase, nK, highRow, k);
  return Math.sqrt(wLow * vLow * vLow + wHigh * vHigh * vHigh);
}
