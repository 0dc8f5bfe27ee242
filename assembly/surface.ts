// Implied-vol surface lookup on nodes in linear memory (SPEC.md "Implied-volatility surface").
//
// A pair's nodes: tenors f64[nT] (years, strictly ascending, > 0), logMoneyness f64[nK]
// (k = ln(K/F), strictly ascending), vols f64[nT * nK] row-major.
//   - on one tenor row, vol is linear in k between nodes, v_j + a (v_{j+1} - v_j) with
//     a = (k - k_j) / (k_{j+1} - k_j), and flat beyond the first/last node;
//   - across rows, total variance w = vol^2 * tenor is linear in T between the bracketing rows;
//     for T <= tenors[0] the first row's vol is used as is, for T >= tenors[nT-1] the last's.
// tenorBracket finds the rows and weights for a tenor (the kernel caches it per (pair, tenor));
// surfaceTotalVols reads one option at all its spot levels, each level's node bracket and
// fraction a found once for both rows. Searches are branch-free: a binary search over tenors,
// a count of the nodes at or below k (two per f64x2 compare in the SIMD build) over log-moneyness.
// Error: linear interpolation in double (a few ulps), one sqrt per level when between rows.

/**
 * Index of the last of the `n` ascending f64s at `nodes` (spaced `stride` bytes apart) that is
 * <= x, or 0 when x is below them all (n >= 1). Branch-free binary search: the loop's trip count
 * depends on n only.
 */
// @ts-ignore: decorator
@inline export function lastAtOrBelow(nodes: usize, n: i32, stride: usize, x: f64): i32 {
  let base = 0;
  let len = n;
  while (len > 1) {
    const half = len >> 1;
    const mid = base + half;
    base = select<i32>(mid, base, load<f64>(nodes + <usize>mid * stride) <= x);
    len -= half;
  }
  return base;
}

/**
 * Index of the last of the `n` ascending f64s at `nodes` that is <= x, or 0 when x is below them
 * all (n >= 1): the count of nodes 1..n-1 that are <= x. Branch-free; the SIMD build compares
 * two nodes per f64x2 step (the comparisons are independent, so no chain of dependent loads as in
 * a binary search), which suits surfaces of a few dozen nodes.
 */
// @ts-ignore: decorator
@inline function countAtOrBelow(nodes: usize, n: i32, x: f64): i32 {
  let count = 0;
  let m = 1;
  if (ASC_FEATURE_SIMD) {
    const vx = f64x2.splat(x);
    let acc = i64x2.splat(0);
    for (; m + 1 < n; m += 2) acc = i64x2.sub(acc, f64x2.le(v128.load(nodes + (<usize>m << 3)), vx));
    count = <i32>(i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1));
  }
  for (; m < n; m++) count += <i32>(load<f64>(nodes + (<usize>m << 3)) <= x);
  return count;
}

/**
 * The tenor bracket of the surface at `base` (nT tenors, nK nodes) for tenor T > 0, written to
 * out[0..4) (f64 slots): the byte addresses of the lower and upper rows' vols (u32 in the first
 * four bytes of their slots) and the total-variance weights over T,
 * vol^2 = wLow vLow^2 + wHigh vHigh^2. Before the first row and after the last the one row is
 * used as is: both addresses are that row's (and the weights unused).
 */
export function tenorBracket(base: usize, nT: i32, nK: i32, tenorYears: f64, out: usize): void {
  const volBase = base + (<usize>(nT + nK) << 3);
  const rowBytes = <usize>nK << 3;
  let lowRow = volBase;
  let highRow = volBase;
  let wLow = 0.0;
  let wHigh = 0.0;
  if (tenorYears >= load<f64>(base + (<usize>(nT - 1) << 3))) {
    lowRow = highRow = volBase + <usize>(nT - 1) * rowBytes;
  } else if (tenorYears > load<f64>(base)) {
    const i = lastAtOrBelow(base, nT, 8, tenorYears);
    const tLow = load<f64>(base + (<usize>i << 3));
    const tHigh = load<f64>(base + (<usize>(i + 1) << 3));
    const a = (tenorYears - tLow) / (tHigh - tLow);
    lowRow = volBase + <usize>i * rowBytes;
    highRow = lowRow + rowBytes;
    wLow = ((1.0 - a) * tLow) / tenorYears;
    wHigh = (a * tHigh) / tenorYears;
  }
  store<u32>(out, <u32>lowRow);
  store<u32>(out, <u32>highRow, 8);
  store<f64>(out, wLow, 16);
  store<f64>(out, wHigh, 24);
}

/**
 * Total vols of one option at its spot levels: out[l] = IV(T, k_l) * sqrtT for l < levels, with
 * k_l = -(logFK0 + levelLog[l]) = ln(K / F_l) (sticky moneyness at the level's shocked spot).
 * `kBase` is the surface's nK log-moneyness nodes; `bracket` is tenorBracket()'s output for T.
 */
export function surfaceTotalVols(
  kBase: usize,
  nK: i32,
  bracket: usize,
  sqrtT: f64,
  logFK0: f64,
  levelLog: usize,
  levels: i32,
  out: usize,
): void {
  const lowRow = <usize>load<u32>(bracket);
  const highRow = <usize>load<u32>(bracket, 8);
  const wLow = load<f64>(bracket, 16);
  const wHigh = load<f64>(bracket, 24);
  const single = lowRow == highRow;
  const lastNode = nK - 1;
  for (let l = 0; l < levels; l++) {
    const k = -(logFK0 + load<f64>(levelLog + (<usize>l << 3)));
    const j = countAtOrBelow(kBase, nK, k);
    const kj = load<f64>(kBase + (<usize>j << 3));
    // flat: k at or below the first node, or at or beyond the last (a = 0 reads node j as is)
    const flat = (k <= kj) | (j == lastNode);
    const next = select<i32>(j, j + 1, flat);
    const a = select<f64>(0.0, (k - kj) / (load<f64>(kBase + (<usize>next << 3)) - kj), flat);
    const at = <usize>j << 3;
    const step = <usize>next << 3;
    const vLow = load<f64>(lowRow + at);
    let vol = vLow + a * (load<f64>(lowRow + step) - vLow);
    if (!single) {
      const vHigh = load<f64>(highRow + at);
      const high = vHigh + a * (load<f64>(highRow + step) - vHigh);
      vol = Math.sqrt(wLow * vol * vol + wHigh * high * high);
    }
    store<f64>(out + (<usize>l << 3), vol * sqrtT);
  }
}
