// Quadratic forms v^T rho v over a symmetric correlation matrix, and the covariance (OPNX
// correlation) margin pass over every account (SPEC.md "Correlation (covariance) margin";
// docs/covariance.md has the decisions where the spec is silent).
//
// Every form reads the upper triangle only, by symmetry:
//   v^T rho v = sum_i v_i (rho_ii v_i + 2 sum_{j>i} rho_ij v_j),
// i.e. n(n+1)/2 matrix loads instead of n^2. Error bound (Higham, "Accuracy and Stability of
// Numerical Algorithms", 2nd ed., 2002, sec. 3.1, dot products in any summation order, which covers
// the two-lane f64x2 sums and the scalar build alike): the computed q satisfies
//   |q_hat - q| <= gamma_{n+2} |v|^T |rho| |v|,   gamma_k = k u / (1 - k u),  u = 2^-53,
// so with |rho_ij| <= 1 it is below (n + 2) u (sum_i |v_i|)^2 (for n = 500: 5.6e-14 relative to
// (sum |v_i|)^2). A PSD matrix can still give a slightly negative q through rounding (or a hedged
// book through cancellation); callers take sqrt(max(0, q)), so IM's absolute error is below
// sqrt(gamma_{n+2}) sum_i |v_i| whatever the cancellation, and its relative error below
// gamma_{n+2} |v|^T |rho| |v| / (2 q) + 1 ulp (sqrt is correctly rounded).
//
// SIMD: in the build with `--enable simd` (ASC_FEATURE_SIMD) the dense inner loops take two matrix
// entries per f64x2 step; the sparse ones carry the bids and asks vectors in the two lanes of one
// f64x2 (the gathered matrix entries are not contiguous, so two-entry loads do not apply there).
// The scalar build compiles the same operations one at a time.

import {
  CV_ACCOUNTS, CV_ACC_BALANCE, CV_ACC_END, CV_ACC_START, CV_ASSETS, CV_ASSET_LTV, CV_ASSET_PRICE,
  CV_CORR, CV_FACTORS, CV_FAIL_ACCOUNT, CV_HEADER_BYTES, CV_MARKETS, CV_MARKET_FACTOR,
  CV_MARKET_KIND, CV_MARKET_LEVERAGE, CV_MARKET_MARK, CV_OUT_ACC, CV_OUT_ACC_STRIDE, CV_OUT_ROW,
  CV_PATH, CV_PATH_AUTO, CV_PATH_DENSE, CV_PATH_SPARSE, CV_ROWS, CV_ROW_ENTRY, CV_ROW_MARKET,
  CV_ROW_SIZE, CV_ROW_TAG, CV_SCRATCH,
  KIND_CALL, KIND_FUTURE, KIND_PERPETUAL, KIND_PUT, KIND_SPOT,
  STATUS_BAD_HEADER, STATUS_BAD_INDEX, STATUS_NON_FINITE, STATUS_OK,
  TAG_ASK, TAG_BID, TAG_POSITION, cvScratchF64,
} from "./layout";
import { covarianceRegionsDisjoint } from "./regions";
import { f64At, i32At, inCallerMemory, slotAddr, slotI32 } from "./access";

// OPNX: maintenance margin = initial margin / 2 (the seed's "Maintenance Margin = Initial Margin / 2")
const MM_OVER_IM: f64 = 0.5;
// largest matrix order accepted from a header (the bindings cap listed markets far below this)
const MAX_FACTORS: i32 = 16384;
const MAX_COUNT: i32 = 1 << 26;

/**
 * v^T rho v for a symmetric rho (n x n, row-major f64) and v (f64[n]); plain scalar loops, used by
 * the scenario model for its pair correlation (n = pairs, small). Bound as in the file header.
 */
export function quadraticForm(vec: usize, mat: usize, n: i32): f64 {
  let total = 0.0;
  for (let i = 0; i < n; i++) {
    const vi = load<f64>(vec + (<usize>i << 3));
    if (vi == 0.0) continue;
    const row = mat + (<usize>(i * n) << 3);
    let off = 0.0;
    for (let j = i + 1; j < n; j++) {
      off += load<f64>(row + (<usize>j << 3)) * load<f64>(vec + (<usize>j << 3));
    }
    total += vi * (load<f64>(row + (<usize>i << 3)) * vi + 2.0 * off);
  }
  return total;
}

// ---- dense forms: v over all n factors, reading row i of the upper triangle contiguously ----

/**
 * sum_{j in [from, n)} row[j] vec[j], with independent accumulators so that the adds overlap (a
 * single running sum is bound by the add latency): four f64x2 accumulators (eight partial sums)
 * in the SIMD build, four scalar ones in the scalar build.
 */
// @ts-ignore: decorator
@inline function rowDot(row: usize, vec: usize, from: i32, n: i32): f64 {
  let s = 0.0;
  let j = from;
  if (ASC_FEATURE_SIMD) {
    // one scalar step when j is odd, so that the loads of vec (16-byte aligned) are aligned
    if ((j & 1) != 0 && j < n) {
      s = load<f64>(row + (<usize>j << 3)) * load<f64>(vec + (<usize>j << 3));
      j++;
    }
    let acc0 = f64x2.splat(0.0);
    let acc1 = f64x2.splat(0.0);
    let acc2 = f64x2.splat(0.0);
    let acc3 = f64x2.splat(0.0);
    for (; j + 8 <= n; j += 8) {
      const r = row + (<usize>j << 3);
      const v = vec + (<usize>j << 3);
      acc0 = f64x2.add(acc0, f64x2.mul(v128.load(r), v128.load(v)));
      acc1 = f64x2.add(acc1, f64x2.mul(v128.load(r, 16), v128.load(v, 16)));
      acc2 = f64x2.add(acc2, f64x2.mul(v128.load(r, 32), v128.load(v, 32)));
      acc3 = f64x2.add(acc3, f64x2.mul(v128.load(r, 48), v128.load(v, 48)));
    }
    for (; j + 2 <= n; j += 2) {
      const o = <usize>j << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(v128.load(row + o), v128.load(vec + o)));
    }
    acc0 = f64x2.add(f64x2.add(acc0, acc1), f64x2.add(acc2, acc3));
    s += f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1);
  } else {
    let s1 = 0.0;
    let s2 = 0.0;
    let s3 = 0.0;
    for (; j + 4 <= n; j += 4) {
      const r = row + (<usize>j << 3);
      const v = vec + (<usize>j << 3);
      s += load<f64>(r) * load<f64>(v);
      s1 += load<f64>(r, 8) * load<f64>(v, 8);
      s2 += load<f64>(r, 16) * load<f64>(v, 16);
      s3 += load<f64>(r, 24) * load<f64>(v, 24);
    }
    s = (s + s1) + (s2 + s3);
  }
  for (; j < n; j++) s += load<f64>(row + (<usize>j << 3)) * load<f64>(vec + (<usize>j << 3));
  return s;
}

/**
 * Dense v^T rho v over all n factors (vec f64[n], 16-byte aligned for the SIMD build; mat f64[n*n]).
 * Rows whose v_i is 0 are skipped. Bound: the file header's, with n the matrix order.
 */
export function covarianceForm(vec: usize, mat: usize, n: i32): f64 {
  let total = 0.0;
  for (let i = 0; i < n; i++) {
    const vi = load<f64>(vec + (<usize>i << 3));
    if (vi == 0.0) continue;
    const row = mat + ((<usize>i * <usize>n) << 3);
    const off = rowDot(row, vec, i + 1, n);
    total += vi * (load<f64>(row + (<usize>i << 3)) * vi + 2.0 * off);
  }
  return total;
}

// results of the three-vector forms (none, bids, asks)
let formNone: f64 = 0;
let formBids: f64 = 0;
let formAsks: f64 = 0;

/**
 * The dense forms of three vectors at once (none, bids, asks; each f64[n], 16-byte aligned): one
 * pass over the triangle, each matrix entry loaded once for the three. Results in formNone/Bids/Asks.
 */
function denseForms3(vn: usize, vb: usize, va: usize, mat: usize, n: i32): void {
  let qn = 0.0;
  let qb = 0.0;
  let qa = 0.0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    const an = load<f64>(vn + at);
    const ab = load<f64>(vb + at);
    const aa = load<f64>(va + at);
    if (an == 0.0 && ab == 0.0 && aa == 0.0) continue;
    const row = mat + ((<usize>i * <usize>n) << 3);
    let sn = 0.0;
    let sb = 0.0;
    let sa = 0.0;
    let j = i + 1;
    if (ASC_FEATURE_SIMD) {
      if ((j & 1) != 0 && j < n) {
        const o = <usize>j << 3;
        const r = load<f64>(row + o);
        sn = r * load<f64>(vn + o);
        sb = r * load<f64>(vb + o);
        sa = r * load<f64>(va + o);
        j++;
      }
      let accN = f64x2.splat(0.0);
      let accB = f64x2.splat(0.0);
      let accA = f64x2.splat(0.0);
      for (; j + 2 <= n; j += 2) {
        const o = <usize>j << 3;
        const r = v128.load(row + o);
        accN = f64x2.add(accN, f64x2.mul(r, v128.load(vn + o)));
        accB = f64x2.add(accB, f64x2.mul(r, v128.load(vb + o)));
        accA = f64x2.add(accA, f64x2.mul(r, v128.load(va + o)));
      }
      sn += f64x2.extract_lane(accN, 0) + f64x2.extract_lane(accN, 1);
      sb += f64x2.extract_lane(accB, 0) + f64x2.extract_lane(accB, 1);
      sa += f64x2.extract_lane(accA, 0) + f64x2.extract_lane(accA, 1);
    }
    for (; j < n; j++) {
      const o = <usize>j << 3;
      const r = load<f64>(row + o);
      sn += r * load<f64>(vn + o);
      sb += r * load<f64>(vb + o);
      sa += r * load<f64>(va + o);
    }
    const d = load<f64>(row + at);
    qn += an * (d * an + 2.0 * sn);
    qb += ab * (d * ab + 2.0 * sb);
    qa += aa * (d * aa + 2.0 * sa);
  }
  formNone = qn;
  formBids = qb;
  formAsks = qa;
}

// ---- sparse forms: v over t of the n factors, idx i32[t] their indices into the n x n matrix ----

/**
 * Sparse v^T rho v: vec f64[t] holds v at the factors idx i32[t] (distinct, any order) of the
 * resident n x n matrix; the t x t sub-matrix is read by index, upper triangle only. Cost t(t+1)/2
 * gathered loads, independent of n. Bound: the file header's with n replaced by t.
 */
export function covarianceFormSparse(idx: usize, vec: usize, t: i32, mat: usize, n: i32): f64 {
  let total = 0.0;
  for (let j = 0; j < t; j++) {
    const vj = load<f64>(vec + (<usize>j << 3));
    if (vj == 0.0) continue;
    const row = mat + ((<usize>load<i32>(idx + (<usize>j << 2)) * <usize>n) << 3);
    // two running sums (even and odd k) so that the gathered multiply-adds overlap
    let s0 = 0.0;
    let s1 = 0.0;
    let k = j + 1;
    for (; k + 2 <= t; k += 2) {
      const ik = idx + (<usize>k << 2);
      const vk = vec + (<usize>k << 3);
      s0 += load<f64>(row + (<usize>load<i32>(ik) << 3)) * load<f64>(vk);
      s1 += load<f64>(row + (<usize>load<i32>(ik, 4) << 3)) * load<f64>(vk, 8);
    }
    if (k < t) s0 += load<f64>(row + (<usize>load<i32>(idx + (<usize>k << 2)) << 3)) * load<f64>(vec + (<usize>k << 3));
    const d = load<f64>(row + (<usize>load<i32>(idx + (<usize>j << 2)) << 3));
    total += vj * (d * vj + 2.0 * (s0 + s1));
  }
  return total;
}

/**
 * The sparse forms of none (vn f64[t]) and of bids and asks (vba: f64x2[t], bids in lane 0, asks
 * in lane 1, 16-byte aligned): each gathered matrix entry is loaded once for the three; the SIMD
 * build carries bids and asks in one f64x2. Results in formNone/Bids/Asks.
 */
function sparseForms3(idx: usize, vn: usize, vba: usize, t: i32, mat: usize, n: i32): void {
  let qn = 0.0;
  let qb = 0.0;
  let qa = 0.0;
  if (ASC_FEATURE_SIMD) {
    let qba = f64x2.splat(0.0);
    for (let j = 0; j < t; j++) {
      const an = load<f64>(vn + (<usize>j << 3));
      const aba = v128.load(vba + (<usize>j << 4));
      if (an == 0.0 && !v128.any_true(f64x2.ne(aba, f64x2.splat(0.0)))) continue;
      const row = mat + ((<usize>load<i32>(idx + (<usize>j << 2)) * <usize>n) << 3);
      let sn = 0.0;
      let sba = f64x2.splat(0.0);
      for (let k = j + 1; k < t; k++) {
        const r = load<f64>(row + (<usize>load<i32>(idx + (<usize>k << 2)) << 3));
        sn += r * load<f64>(vn + (<usize>k << 3));
        sba = f64x2.add(sba, f64x2.mul(f64x2.splat(r), v128.load(vba + (<usize>k << 4))));
      }
      const d = load<f64>(row + (<usize>load<i32>(idx + (<usize>j << 2)) << 3));
      qn += an * (d * an + 2.0 * sn);
      qba = f64x2.add(qba, f64x2.mul(aba, f64x2.add(f64x2.mul(f64x2.splat(d), aba), f64x2.add(sba, sba))));
    }
    qb = f64x2.extract_lane(qba, 0);
    qa = f64x2.extract_lane(qba, 1);
  } else {
    for (let j = 0; j < t; j++) {
      const an = load<f64>(vn + (<usize>j << 3));
      const ab = load<f64>(vba + (<usize>j << 4));
      const aa = load<f64>(vba + (<usize>j << 4), 8);
      if (an == 0.0 && ab == 0.0 && aa == 0.0) continue;
      const row = mat + ((<usize>load<i32>(idx + (<usize>j << 2)) * <usize>n) << 3);
      let sn = 0.0;
      let sb = 0.0;
      let sa = 0.0;
      for (let k = j + 1; k < t; k++) {
        const r = load<f64>(row + (<usize>load<i32>(idx + (<usize>k << 2)) << 3));
        sn += r * load<f64>(vn + (<usize>k << 3));
        sb += r * load<f64>(vba + (<usize>k << 4));
        sa += r * load<f64>(vba + (<usize>k << 4), 8);
      }
      const d = load<f64>(row + (<usize>load<i32>(idx + (<usize>j << 2)) << 3));
      qn += an * (d * an + 2.0 * sn);
      qb += ab * (d * ab + 2.0 * sb);
      qa += aa * (d * aa + 2.0 * sa);
    }
  }
  formNone = qn;
  formBids = qb;
  formAsks = qa;
}

// ---- the covariance margin pass ----

/** [addr, addr + bytes) is in the caller's memory and `align`-byte aligned (access.ts). */
// @ts-ignore: decorator
@inline function inMemory(addr: usize, bytes: u64, align: usize): bool {
  return inCallerMemory(addr, bytes, align);
}

/** (n + 1) & ~1 as usize bytes of f64s */
// @ts-ignore: decorator
@inline function evenF64Bytes(n: i32): usize {
  return <usize>((n + 1) & ~1) << 3;
}

/**
 * Covariance margin for every account described by the CV_ header (assembly/layout.ts): per
 * account, per fill set (none = positions; bids = positions + every buy order; asks = positions +
 * every sell order), v_c = sum over the set's rows on markets of factor c of size * mark / leverage,
 * q = v^T rho v over the factors the account touches (sparse) or over all factors (dense, when it
 * touches at least half of them, or as CV_PATH forces); IM = sqrt(max(0, max of the three q))
 * (the first set on ties), MM = IM / 2; collateral = sum over assets of balance * price * (ltv for
 * a positive balance, 1 for a debt) + unrealised PnL of perpetuals and futures (size * (mark -
 * entry)) + spot and option positions at mark (size * mark); marginRatio = 100 MM / collateral
 * (NaN when collateral <= 0); per position row the liquidation price mark - (collateral - MM) / x,
 * x the account's net position on that market (NaN when x = 0, and for order rows).
 * Returns STATUS_OK, or a status with CV_FAIL_ACCOUNT set to the account where it stopped (-1 when
 * the header or the market columns are bad).
 */
export function covarianceAccounts(header: usize): i32 {
  if (!inMemory(header, <u64>CV_HEADER_BYTES, 4)) return STATUS_BAD_HEADER;
  store<i32>(header + (<usize>CV_FAIL_ACCOUNT << 2), -1);
  const M = slotI32(header, CV_MARKETS);
  const C = slotI32(header, CV_FACTORS);
  const A = slotI32(header, CV_ACCOUNTS);
  const N = slotI32(header, CV_ROWS);
  const K = slotI32(header, CV_ASSETS);
  const path = slotI32(header, CV_PATH);
  if (M < 0 || M > MAX_COUNT || C < 0 || C > MAX_FACTORS || A < 0 || A > MAX_COUNT || N < 0 || N > MAX_COUNT)
    return STATUS_BAD_HEADER;
  if (K < 0 || K > 4096 || (path != CV_PATH_AUTO && path != CV_PATH_SPARSE && path != CV_PATH_DENSE))
    return STATUS_BAD_HEADER;
  const kind = slotAddr(header, CV_MARKET_KIND);
  const factor = slotAddr(header, CV_MARKET_FACTOR);
  const mark = slotAddr(header, CV_MARKET_MARK);
  const leverage = slotAddr(header, CV_MARKET_LEVERAGE);
  const corr = slotAddr(header, CV_CORR);
  const rowMarket = slotAddr(header, CV_ROW_MARKET);
  const rowTag = slotAddr(header, CV_ROW_TAG);
  const rowSize = slotAddr(header, CV_ROW_SIZE);
  const rowEntry = slotAddr(header, CV_ROW_ENTRY);
  const accStart = slotAddr(header, CV_ACC_START);
  const accEnd = slotAddr(header, CV_ACC_END);
  const accBalance = slotAddr(header, CV_ACC_BALANCE);
  const assetPrice = slotAddr(header, CV_ASSET_PRICE);
  const assetLtv = slotAddr(header, CV_ASSET_LTV);
  const outAcc = slotAddr(header, CV_OUT_ACC);
  const outRow = slotAddr(header, CV_OUT_ROW);
  const scratch = slotAddr(header, CV_SCRATCH);
  const m4 = <u64>M << 2;
  const m8 = <u64>M << 3;
  const n4 = <u64>N << 2;
  const n8 = <u64>N << 3;
  const a4 = <u64>A << 2;
  if (
    !inMemory(kind, m4, 4) || !inMemory(factor, m4, 4) || !inMemory(mark, m8, 8) ||
    !inMemory(leverage, m8, 8) || !inMemory(corr, (<u64>C * <u64>C) << 3, 8) ||
    !inMemory(rowMarket, n4, 4) || !inMemory(rowTag, n4, 4) || !inMemory(rowSize, n8, 8) ||
    !inMemory(rowEntry, n8, 8) || !inMemory(accStart, a4, 4) || !inMemory(accEnd, a4, 4) ||
    !inMemory(accBalance, (<u64>A * <u64>K) << 3, 8) || !inMemory(assetPrice, <u64>K << 3, 8) ||
    !inMemory(assetLtv, <u64>K << 3, 8) || !inMemory(outAcc, (<u64>A * CV_OUT_ACC_STRIDE) << 3, 8) ||
    !inMemory(outRow, n8, 8) || !inMemory(scratch, <u64>cvScratchF64(M, C) << 3, 8)
  ) return STATUS_BAD_HEADER;
  // nothing it writes may overlap what it reads (regions.ts): checked before the first write
  if (!covarianceRegionsDisjoint(header, M, C, A, N, K)) return STATUS_BAD_HEADER;

  // scratch blocks (each 16-byte aligned: every block is an even number of f64s)
  const rate = (scratch + 15) & ~15; // f64[M]: mark / leverage, USD per coin of position
  const xPos = rate + evenF64Bytes(M); // f64[M] per account-local market: net position, bids, asks
  const xBid = xPos + evenF64Bytes(M);
  const xAsk = xBid + evenF64Bytes(M);
  const vN = xAsk + evenF64Bytes(M); // f64[C] per account-local factor: v of `none`
  const vBA = vN + evenF64Bytes(C); // f64x2[C]: v of bids, v of asks
  const dN = vBA + (evenF64Bytes(C) << 1); // f64[C] dense v by factor index; kept all zero between accounts
  const dB = dN + evenF64Bytes(C);
  const dA = dB + evenF64Bytes(C);
  const slotM = dA + evenF64Bytes(C); // i32[M]: market -> account-local index, -1 when untouched
  const idxM = slotM + (<usize>((M + 1) & ~1) << 2); // i32[M]: account-local index -> market
  const slotC = idxM + (<usize>((M + 1) & ~1) << 2); // i32[C]: factor -> account-local index
  const idxC = slotC + (<usize>((C + 1) & ~1) << 2); // i32[C]: account-local index -> factor

  for (let m = 0; m < M; m++) {
    const k = i32At(kind, m);
    const c = i32At(factor, m);
    if (k < KIND_SPOT || k > KIND_PUT || c < 0 || c >= C) return STATUS_BAD_INDEX;
    const lev = f64At(leverage, m);
    const r = f64At(mark, m) / lev;
    if (!(lev > 0.0) || !isFinite(r)) return STATUS_NON_FINITE;
    store<f64>(rate + (<usize>m << 3), r);
    store<i32>(slotM + (<usize>m << 2), -1);
  }
  for (let c = 0; c < C; c++) store<i32>(slotC + (<usize>c << 2), -1);
  memory.fill(dN, 0, evenF64Bytes(C) * 3);

  for (let a = 0; a < A; a++) {
    const start = i32At(accStart, a);
    const end = i32At(accEnd, a);
    if (start < 0 || end < start || end > N) {
      store<i32>(header + (<usize>CV_FAIL_ACCOUNT << 2), a);
      return STATUS_BAD_INDEX;
    }
    // collateral: haircut balances (a debt counts in full)
    let collateral = 0.0;
    const balances = accBalance + ((<usize>a * <usize>K) << 3);
    for (let k = 0; k < K; k++) {
      const b = f64At(balances, k);
      collateral += b * f64At(assetPrice, k) * (b > 0.0 ? f64At(assetLtv, k) : 1.0);
    }
    // rows -> account-local markets; positions' PnL and values into collateral
    let tM = 0;
    let bad = false;
    for (let i = start; i < end; i++) {
      const m = i32At(rowMarket, i);
      const tag = i32At(rowTag, i);
      if (m < 0 || m >= M || tag < TAG_POSITION || tag > TAG_ASK) {
        bad = true;
        break;
      }
      let j = i32At(slotM, m);
      if (j < 0) {
        j = tM++;
        store<i32>(slotM + (<usize>m << 2), j);
        store<i32>(idxM + (<usize>j << 2), m);
        store<f64>(xPos + (<usize>j << 3), 0.0);
        store<f64>(xBid + (<usize>j << 3), 0.0);
        store<f64>(xAsk + (<usize>j << 3), 0.0);
      }
      const size = f64At(rowSize, i);
      const at = <usize>j << 3;
      if (tag == TAG_POSITION) {
        store<f64>(xPos + at, load<f64>(xPos + at) + size);
        const k = i32At(kind, m);
        const p = f64At(mark, m);
        if (k == KIND_PERPETUAL || k == KIND_FUTURE) {
          const entry = f64At(rowEntry, i);
          if (entry == entry) collateral += size * (p - entry);
        } else {
          collateral += size * p;
        }
      } else if (tag == TAG_BID) {
        store<f64>(xBid + at, load<f64>(xBid + at) + size);
      } else {
        store<f64>(xAsk + at, load<f64>(xAsk + at) + size);
      }
    }
    if (bad) {
      for (let j = 0; j < tM; j++) store<i32>(slotM + (<usize>i32At(idxM, j) << 2), -1);
      store<i32>(header + (<usize>CV_FAIL_ACCOUNT << 2), a);
      return STATUS_BAD_INDEX;
    }
    // markets -> account-local factors: v = size * mark / leverage, summed per factor
    let tC = 0;
    let orders = false;
    for (let j = 0; j < tM; j++) {
      const m = i32At(idxM, j);
      const c = i32At(factor, m);
      let k = i32At(slotC, c);
      if (k < 0) {
        k = tC++;
        store<i32>(slotC + (<usize>c << 2), k);
        store<i32>(idxC + (<usize>k << 2), c);
        store<f64>(vN + (<usize>k << 3), 0.0);
        store<f64>(vBA + (<usize>k << 4), 0.0);
        store<f64>(vBA + (<usize>k << 4), 0.0, 8);
      }
      const r = f64At(rate, m);
      const at = <usize>j << 3;
      store<f64>(vN + (<usize>k << 3), load<f64>(vN + (<usize>k << 3)) + load<f64>(xPos + at) * r);
      const xb = load<f64>(xBid + at);
      const xa = load<f64>(xAsk + at);
      if (xb != 0.0 || xa != 0.0) {
        orders = true;
        const ba = vBA + (<usize>k << 4);
        store<f64>(ba, load<f64>(ba) + xb * r);
        store<f64>(ba, load<f64>(ba, 8) + xa * r, 8);
      }
    }
    if (orders) {
      // bids = none + the bids' extra, asks = none + the asks' extra
      for (let k = 0; k < tC; k++) {
        const n0 = load<f64>(vN + (<usize>k << 3));
        const ba = vBA + (<usize>k << 4);
        store<f64>(ba, load<f64>(ba) + n0);
        store<f64>(ba, load<f64>(ba, 8) + n0, 8);
      }
    }
    // the quadratic forms
    // dense when forced, or (auto) when the account touches at least half of the factors: below
    // that the t(t+1)/2 gathered loads of the sparse form cost less than the dense form's rows
    // (t rows of the triangle plus scattering and clearing v); measured in docs/covariance.md
    const dense = tC > 0 && (path == CV_PATH_DENSE || (path == CV_PATH_AUTO && 2 * tC >= C));
    let qNone = 0.0;
    let qBids = 0.0;
    let qAsks = 0.0;
    if (tC > 0) {
      if (dense) {
        for (let k = 0; k < tC; k++) {
          const at = <usize>i32At(idxC, k) << 3;
          store<f64>(dN + at, load<f64>(vN + (<usize>k << 3)));
          if (orders) {
            store<f64>(dB + at, load<f64>(vBA + (<usize>k << 4)));
            store<f64>(dA + at, load<f64>(vBA + (<usize>k << 4), 8));
          }
        }
        if (orders) {
          denseForms3(dN, dB, dA, corr, C);
          qNone = formNone;
          qBids = formBids;
          qAsks = formAsks;
        } else {
          qNone = covarianceForm(dN, corr, C);
        }
        for (let k = 0; k < tC; k++) {
          const at = <usize>i32At(idxC, k) << 3;
          store<f64>(dN + at, 0.0);
          store<f64>(dB + at, 0.0);
          store<f64>(dA + at, 0.0);
        }
      } else if (orders) {
        sparseForms3(idxC, vN, vBA, tC, corr, C);
        qNone = formNone;
        qBids = formBids;
        qAsks = formAsks;
      } else {
        qNone = covarianceFormSparse(idxC, vN, tC, corr, C);
      }
    }
    let q = qNone;
    let fillSet = 0;
    if (orders) {
      if (qBids > q) {
        q = qBids;
        fillSet = 1;
      }
      if (qAsks > q) {
        q = qAsks;
        fillSet = 2;
      }
    }
    const im = Math.sqrt(Math.max(0.0, q));
    const mm = im * MM_OVER_IM;
    // liquidation prices per position row: mark - (collateral - MM) / net position
    const surplus = collateral - mm;
    for (let i = start; i < end; i++) {
      let liq = NaN;
      if (i32At(rowTag, i) == TAG_POSITION) {
        const m = i32At(rowMarket, i);
        const x = f64At(xPos, i32At(slotM, m));
        if (x != 0.0) liq = f64At(mark, m) - surplus / x;
      }
      store<f64>(outRow + (<usize>i << 3), liq);
    }
    for (let j = 0; j < tM; j++) store<i32>(slotM + (<usize>i32At(idxM, j) << 2), -1);
    for (let k = 0; k < tC; k++) store<i32>(slotC + (<usize>i32At(idxC, k) << 2), -1);
    if (!isFinite(im) || !isFinite(collateral)) {
      store<i32>(header + (<usize>CV_FAIL_ACCOUNT << 2), a);
      return STATUS_NON_FINITE;
    }
    const out = outAcc + ((<usize>a * CV_OUT_ACC_STRIDE) << 3);
    store<f64>(out, im);
    store<f64>(out, mm, 8);
    store<f64>(out, collateral, 16);
    store<f64>(out, collateral > 0.0 ? (100.0 * mm) / collateral : NaN, 24);
    store<f64>(out, <f64>fillSet, 32);
  }
  return STATUS_OK;
}
