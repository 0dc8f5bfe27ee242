/**
 * The plain-TS reference for the benchmark: a line-by-line scalar port of the WASM kernel's
 * `marginAccounts` (assembly/scenarios.ts with surface.ts, pricing.ts's scalar path, math.ts's
 * expKernel/cdfKernel and covariance.ts's quadraticForm), same algorithm, same memory layout
 * (bindings/layout.ts). It runs on a copy of the kernel's linear memory: it reads the very same
 * header and columns and writes the same outputs and scratch, so the benchmark can time it on
 * the same book in the same run, and test/ts-kernel.test.ts checks it against both builds.
 *
 * Differences from the kernel, all within an ulp per operation: ln is JS Math.log (fdlibm in V8)
 * where the kernel's is AssemblyScript's (musl). exp, N, sqrt and every other operation are the
 * kernel's, in the kernel's order.
 */
import * as L from "../bindings/layout.js";

// ---- memory views over the current image ----
let f64 = new Float64Array(0);
let i32 = new Int32Array(0);
let u32 = new Uint32Array(0);
let memoryBytes = 0;

const f64At = (base: number, i: number): number => f64[(base >>> 3) + i];
const i32At = (base: number, i: number): number => i32[(base >>> 2) + i];
const loadF64 = (addr: number): number => f64[addr >>> 3];
const storeF64 = (addr: number, v: number): void => {
  f64[addr >>> 3] = v;
};
const addF64 = (base: number, i: number, v: number): void => {
  f64[(base >>> 3) + i] += v;
};
const slotI32 = (header: number, slot: number): number => i32[(header >>> 2) + slot];
const slotAddr = (header: number, slot: number): number => u32[(header >>> 2) + slot];

/** true when [addr, addr + bytes) lies inside memory and addr is 8-byte aligned */
function fits(addr: number, bytes: number): boolean {
  return (addr & 7) === 0 && addr + bytes <= memoryBytes;
}

// ---- math.ts: the kernel's exp and N ----
const INV_SQRT_2PI = 0.3989422804014327;
const SQRT_32 = 5.656854249492380195206754896838792314;
const RANGE1 = 0.66291;
const A0 = 2.2352520354606839287, A1 = 161.02823106855587881, A2 = 1067.6894854603709582;
const A3 = 18154.981253343561249, A4 = 0.065682337918207449113;
const B0 = 47.20258190468824187, B1 = 976.09855173777669322, B2 = 10260.932208618978205, B3 = 45507.789335026729956;
const C0 = 0.39894151208813466764, C1 = 8.8831497943883759412, C2 = 93.506656132177855979;
const C3 = 597.27027639480026226, C4 = 2494.5375852903726711, C5 = 6848.1904505362823326;
const C6 = 11602.651437647350124, C7 = 9842.7148383839780218, C8 = 1.0765576773720192317e-8;
const D0 = 22.266688044328115691, D1 = 235.38790178262499861, D2 = 1519.377599407554805;
const D3 = 6485.558298266760755, D4 = 18615.571640885098091, D5 = 34900.952721145977266;
const D6 = 38912.003286093271411, D7 = 19685.429676859990727;
const P0 = 0.21589853405795699, P1 = 0.1274011611602473639, P2 = 0.022235277870649807;
const P3 = 0.001421619193227893466, P4 = 2.9112874951168792e-5, P5 = 0.02307344176494017303;
const Q0 = 1.28426009614491121, Q1 = 0.468238212480865118, Q2 = 0.0659881378689285515;
const Q3 = 0.00378239633202758244, Q4 = 7.29751555083966205e-5;

const EXP_LN2_HI = 6.9314718036912381649e-1;
const EXP_LN2_LO = 1.90821492927058770002e-10;
const EXP_INV_LN2 = 1.442695040888963387;
const EXP_P1 = 1.66666666666666019037e-1;
const EXP_P2 = -2.77777777770155933842e-3;
const EXP_P3 = 6.61375632143793436117e-5;
const EXP_P4 = -1.6533902205465251539e-6;
const EXP_P5 = 4.13813679705723846039e-8;
const EXP_SHIFT = 6755399441056767.0;
const EXP_LOW = -708.3964185322641;
const EXP_HIGH = 709.0;
const EXP_OVERFLOW = 709.782712893384;

const bitsF64 = new Float64Array(1);
const bitsI32 = new Int32Array(bitsF64.buffer);

/** 2^(the low 12 bits of t's bit pattern - 1023 - borrow): the kernel's `(bits - borrow) << 52`. */
function exponentScale(t: number, borrow: number): number {
  bitsF64[0] = t;
  const field = (bitsI32[0] - borrow) & 0xfff;
  bitsI32[0] = 0;
  bitsI32[1] = field << 20;
  return bitsF64[0];
}

/** expKernel (fdlibm e_exp.c, math.ts). */
function expKernel(x: number): number {
  const t = x * EXP_INV_LN2 + EXP_SHIFT;
  const k = t - EXP_SHIFT;
  const hi = x - k * EXP_LN2_HI;
  const lo = k * EXP_LN2_LO;
  const r = hi - lo;
  const rr = r * r;
  const r4 = rr * rr;
  const c = r - rr * ((EXP_P1 + rr * EXP_P2) + r4 * ((EXP_P3 + rr * EXP_P4) + r4 * EXP_P5));
  const y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  if (x > EXP_HIGH) {
    if (x > EXP_OVERFLOW) return Infinity;
    return y * 2.0 * exponentScale(t, 1);
  }
  if (x < EXP_LOW) return 0.0;
  return y * exponentScale(t, 0);
}

/** cdfKernel: N(x) given e = exp(-x^2/2), Cody's ranges (math.ts). */
function cdfKernel(x: number, e: number): number {
  const y = Math.abs(x);
  if (y <= RANGE1) {
    const s = x * x;
    const s2 = s * s;
    const num = s2 * (A4 * s2 + (A0 * s + A1)) + (A2 * s + A3);
    const den = s2 * (s2 + (B0 * s + B1)) + (B2 * s + B3);
    return 0.5 + (x * num) / den;
  }
  let lower: number;
  if (y <= SQRT_32) {
    const y2 = y * y;
    const y4 = y2 * y2;
    const num = y4 * (C8 * y4 + (y2 * (C0 * y + C1) + (C2 * y + C3))) + (y2 * (C4 * y + C5) + (C6 * y + C7));
    const den = y4 * (y4 + (y2 * (D0 * y + D1) + (D2 * y + D3))) + (y2 * (D4 * y + D5) + (D6 * y + D7));
    lower = (e * num) / den;
  } else {
    const z = 1.0 / (y * y);
    const z2 = z * z;
    const z4 = z2 * z2;
    const num = z4 * (P5 * z + P0) + (z2 * (P1 * z + P2) + (P3 * z + P4));
    const den = z4 * (z + Q0) + (z2 * (Q1 * z + Q2) + (Q3 * z + Q4));
    lower = (e * (INV_SQRT_2PI - (z * num) / den)) / y;
  }
  return x > 0.0 ? 1.0 - lower : lower;
}

// ---- pricing.ts ----
const expiredValue = (spot: number, strike: number, w: number): number => Math.max(w * (spot - strike), 0.0);
const expiredDelta = (spot: number, strike: number, w: number): number => (w * (spot - strike) > 0.0 ? w : 0.0);

/** N(w d1) of row `baseRow` in the last priceRows() call. */
let baseCdf = 0;

/** priceRows, the scalar build's path: Black-76 per row, one exp per row, pv += size * value. */
function priceRows(
  rowF: number, rowLogFK: number, rowSd: number, rows: number,
  strike: number, w: number, discount: number, size: number, pv: number, baseRow: number,
): number {
  const invK = 1.0 / strike;
  const dfw = discount * w;
  let base = 0.0;
  const f = rowF >>> 3;
  const l = rowLogFK >>> 3;
  const d = rowSd >>> 3;
  const acc = pv >>> 3;
  for (let s = 0; s < rows; s++) {
    const fwd = f64[f + s];
    const lfk = f64[l + s];
    const sd = f64[d + s];
    let d1 = lfk / sd + 0.5 * sd;
    if (sd === 0.0) d1 = lfk > 0.0 ? Infinity : -Infinity;
    const e1 = expKernel(-0.5 * d1 * d1);
    const n1 = cdfKernel(w * d1, e1);
    const n2 = cdfKernel(w * (d1 - sd), e1 * (fwd * invK));
    const value = dfw * (fwd * n1 - strike * n2);
    f64[acc + s] += size * value;
    if (s === baseRow) {
      baseCdf = n1;
      base = value;
    }
  }
  return base;
}

// ---- surface.ts ----
function lastAtOrBelow(nodes: number, n: number, stride: number, x: number): number {
  let base = 0;
  let len = n;
  while (len > 1) {
    const half = len >> 1;
    const mid = base + half;
    if (loadF64(nodes + mid * stride) <= x) base = mid;
    len -= half;
  }
  return base;
}

function countAtOrBelow(nodes: number, n: number, x: number): number {
  let count = 0;
  const at = nodes >>> 3;
  for (let m = 1; m < n; m++) if (f64[at + m] <= x) count++;
  return count;
}

function tenorBracket(base: number, nT: number, nK: number, tenorYears: number, out: number): void {
  const volBase = base + (nT + nK) * 8;
  const rowBytes = nK * 8;
  let lowRow = volBase;
  let highRow = volBase;
  let wLow = 0.0;
  let wHigh = 0.0;
  if (tenorYears >= loadF64(base + (nT - 1) * 8)) {
    lowRow = highRow = volBase + (nT - 1) * rowBytes;
  } else if (tenorYears > loadF64(base)) {
    const i = lastAtOrBelow(base, nT, 8, tenorYears);
    const tLow = loadF64(base + i * 8);
    const tHigh = loadF64(base + (i + 1) * 8);
    const a = (tenorYears - tLow) / (tHigh - tLow);
    lowRow = volBase + i * rowBytes;
    highRow = lowRow + rowBytes;
    wLow = ((1.0 - a) * tLow) / tenorYears;
    wHigh = (a * tHigh) / tenorYears;
  }
  u32[out >>> 2] = lowRow;
  u32[(out + 8) >>> 2] = highRow;
  storeF64(out + 16, wLow);
  storeF64(out + 24, wHigh);
}

function surfaceTotalVols(
  kBase: number, nK: number, bracket: number, sqrtT: number, logFK0: number,
  levelLog: number, levels: number, out: number,
): void {
  const lowRow = u32[bracket >>> 2];
  const highRow = u32[(bracket + 8) >>> 2];
  const wLow = loadF64(bracket + 16);
  const wHigh = loadF64(bracket + 24);
  const single = lowRow === highRow;
  const lastNode = nK - 1;
  for (let l = 0; l < levels; l++) {
    const k = -(logFK0 + f64At(levelLog, l));
    const j = countAtOrBelow(kBase, nK, k);
    const kj = f64At(kBase, j);
    const flat = k <= kj || j === lastNode;
    const next = flat ? j : j + 1;
    const a = flat ? 0.0 : (k - kj) / (f64At(kBase, next) - kj);
    const vLow = f64At(lowRow, j);
    let vol = vLow + a * (f64At(lowRow, next) - vLow);
    if (!single) {
      const vHigh = f64At(highRow, j);
      const high = vHigh + a * (f64At(highRow, next) - vHigh);
      vol = Math.sqrt(wLow * vol * vol + wHigh * high * high);
    }
    f64[(out >>> 3) + l] = vol * sqrtT;
  }
}

// ---- covariance.ts ----
function quadraticForm(vec: number, mat: number, n: number): number {
  let total = 0.0;
  for (let i = 0; i < n; i++) {
    const vi = f64At(vec, i);
    if (vi === 0.0) continue;
    const row = mat + i * n * 8;
    let off = 0.0;
    for (let j = i + 1; j < n; j++) off += f64At(row, j) * f64At(vec, j);
    total += vi * (f64At(row, i) * vi + 2.0 * off);
  }
  return total;
}

// ---- scenarios.ts: module state for one call ----
let P = 0;
let G = 0;
let LS = 0;
let GP = 0;
let gridStride = 0;
let pairSpot = 0;
let pairCurveStart = 0;
let pairCurveCount = 0;
let pairSurface = 0;
let pairTenors = 0;
let pairNodes = 0;
let curve = 0;
let grid = 0;
let usdRate = 0;
let vsfTenorExponent = 0;
let accPV = 0;
let accDelta = 0;
let accDerivs = 0;
let accBytes = 0;
let rowForward = 0;
let rowLogFK = 0;
let rowStdDev = 0;
let lvlForward = 0;
let lvlLogFK = 0;
let lvlVol = 0;
let pairReq = 0;
let tenorTable = 0;
let pairLogSpot = 0;
let T = 0;
let posStrike = 0;
let posTenor = 0;
let posTenorSlot = 0;
let posLogStrike = 0;

function prepare(header: number): number {
  if (!fits(header, L.HEADER_BYTES)) return L.STATUS_BAD_HEADER;
  P = slotI32(header, L.H_PAIRS);
  G = slotI32(header, L.H_ROWS);
  LS = slotI32(header, L.H_LEVEL_STRIDE);
  const A = slotI32(header, L.H_ACCOUNTS);
  const N = slotI32(header, L.H_POSITIONS);
  const nodes = slotI32(header, L.H_CURVE_NODES);
  if (P < 1 || P > 4096 || G < 1 || G > 4096 || LS < 1 || LS > G + 1 || A < 0 || N < 0 || nodes < 0)
    return L.STATUS_BAD_HEADER;
  gridStride = L.gridPairF64(LS, G);
  GP = L.paddedRows(G);
  pairSpot = slotAddr(header, L.H_PAIR_SPOT);
  pairCurveStart = slotAddr(header, L.H_PAIR_CURVE_START);
  pairCurveCount = slotAddr(header, L.H_PAIR_CURVE_COUNT);
  pairSurface = slotAddr(header, L.H_PAIR_SURFACE);
  pairTenors = slotAddr(header, L.H_PAIR_SURFACE_TENORS);
  pairNodes = slotAddr(header, L.H_PAIR_SURFACE_NODES);
  curve = slotAddr(header, L.H_CURVE);
  grid = slotAddr(header, L.H_GRID);
  const scratch = slotAddr(header, L.H_SCRATCH);
  if (
    !fits(pairSpot, 8 * P) || !fits(pairCurveStart, 4 * P) || !fits(pairCurveCount, 4 * P) ||
    !fits(pairSurface, 4 * P) || !fits(pairTenors, 4 * P) || !fits(pairNodes, 4 * P) ||
    !fits(curve, nodes * L.CURVE_STRIDE * 8) ||
    !fits(grid, P * gridStride * 8) ||
    !fits(slotAddr(header, L.H_POS_KIND), 4 * N) || !fits(slotAddr(header, L.H_POS_PAIR), 4 * N) ||
    !fits(slotAddr(header, L.H_POS_TAG), 4 * N) || !fits(slotAddr(header, L.H_POS_SIZE), 8 * N) ||
    !fits(slotAddr(header, L.H_POS_STRIKE), 8 * N) || !fits(slotAddr(header, L.H_POS_TENOR), 8 * N) ||
    !fits(slotAddr(header, L.H_POS_ENTRY), 8 * N) ||
    !fits(slotAddr(header, L.H_ACC_START), 4 * A) || !fits(slotAddr(header, L.H_ACC_END), 4 * A) ||
    !fits(slotAddr(header, L.H_ACC_USD), 8 * A) || !fits(slotAddr(header, L.H_ACC_COINS), 8 * A * P) ||
    !fits(slotAddr(header, L.H_OUT_ACC), 8 * A * L.OUT_ACC_STRIDE) ||
    !fits(slotAddr(header, L.H_OUT_PAIR), 8 * A * P * L.outPairStride(G)) ||
    !fits(scratch, L.scratchF64(P, G, LS) * 8) ||
    (slotI32(header, L.H_HAS_CORR) !== 0 && !fits(slotAddr(header, L.H_CORR), 8 * P * P))
  ) return L.STATUS_BAD_HEADER;
  posStrike = slotAddr(header, L.H_POS_STRIKE);
  posTenor = slotAddr(header, L.H_POS_TENOR);
  T = slotI32(header, L.H_TENORS);
  tenorTable = slotAddr(header, L.H_TENOR_TABLE);
  posTenorSlot = slotAddr(header, L.H_POS_TENOR_SLOT);
  posLogStrike = slotAddr(header, L.H_POS_LOG_STRIKE);
  if (T < 0 || T > N || !fits(tenorTable, T * L.TENOR_ENTRY_F64 * 8) || !fits(posTenorSlot, 4 * N) || !fits(posLogStrike, 8 * N)) {
    return L.STATUS_BAD_HEADER;
  }
  usdRate = loadF64(header + L.HEADER_F64_OFFSET + L.HF_USD_RATE * 8);
  vsfTenorExponent = loadF64(header + L.HEADER_F64_OFFSET + L.HF_VSF_TENOR_EXPONENT * 8);
  if (!(vsfTenorExponent >= 0 && vsfTenorExponent <= 16)) return L.STATUS_BAD_HEADER;

  const slots = P * L.FILL_SETS;
  const evenSlots = (slots + 1) & ~1;
  accPV = (scratch + 15) & ~15;
  accDelta = accPV + slots * GP * 8;
  accDerivs = accDelta + evenSlots * 8;
  rowForward = accDerivs + evenSlots * 8;
  accBytes = rowForward - accPV;
  rowLogFK = rowForward + GP * 8;
  rowStdDev = rowLogFK + GP * 8;
  const rowWork = rowStdDev + GP * 8;
  lvlForward = rowWork + 4 * GP * 8;
  lvlLogFK = lvlForward + LS * 8;
  lvlVol = lvlLogFK + LS * 8;
  pairReq = lvlVol + LS * 8;
  pairLogSpot = pairReq + P * 8;
  for (let e = 0; e < T; e++) storeF64(tenorTable + e * L.TENOR_ENTRY_F64 * 8, NaN);

  for (let p = 0; p < P; p++) {
    const spot = f64At(pairSpot, p);
    storeF64(pairLogSpot + p * 8, Math.log(spot));
    const nT = i32At(pairTenors, p);
    const nK = i32At(pairNodes, p);
    if (nT < 0 || nK < 0 || (nT === 0) !== (nK === 0)) return L.STATUS_BAD_HEADER;
    if (nT > 0 && !fits(u32[(pairSurface >>> 2) + p], (nT + nK + nT * nK) * 8)) return L.STATUS_BAD_HEADER;
    const start = i32At(pairCurveStart, p);
    const count = i32At(pairCurveCount, p);
    if (start < 0 || count < 0 || start + count > nodes) return L.STATUS_BAD_HEADER;
    for (let j = start; j < start + count; j++) {
      const node = curve + j * L.CURVE_STRIDE * 8;
      storeF64(node + 16, Math.log(loadF64(node + 8) / spot) / loadF64(node));
    }
    const block = grid + p * gridStride * 8;
    const levels = i32[block >>> 2];
    if (levels < 1 || levels > LS) return L.STATUS_BAD_HEADER;
    for (let l = 0; l < levels; l++) storeF64(block + (1 + LS + l) * 8, Math.log(f64At(block, 1 + l)));
    for (let s = 0; s < G; s++) {
      const level = i32[(block + (1 + 2 * LS + s) * 8) >>> 2];
      if (level < 0 || level >= levels) return L.STATUS_BAD_INDEX;
    }
  }
  return L.STATUS_OK;
}

function carryTimesTenor(p: number, tenorYears: number): number {
  const count = i32At(pairCurveCount, p);
  if (count === 0) return 0.0;
  const stride = L.CURVE_STRIDE * 8;
  const first = curve + i32At(pairCurveStart, p) * stride;
  const j = lastAtOrBelow(first, count, stride, tenorYears);
  const node = first + j * stride;
  const tj = loadF64(node);
  const flat = tenorYears <= tj || j === count - 1;
  const next = flat ? node : node + stride;
  const a = flat ? 0.0 : (tenorYears - tj) / (loadF64(next) - tj);
  const bj = loadF64(node + 16);
  return (bj + a * (loadF64(next + 16) - bj)) * tenorYears;
}

// the tenor table (same entries as the kernel, filled on first use in a call)
const TC_PAIR = 1;
const TC_CARRY = 2;
const TC_DISCOUNT = 3;
const TC_SQRT_T = 4;
const TC_LOG_FORWARD = 5;
const TC_SHOCK_SCALE = 6;
const TC_BRACKET = 7;

function tenorEntry(p: number, tenorYears: number, slot: number): number {
  if (slot < 0 || slot >= T) return 0;
  const entry = tenorTable + slot * L.TENOR_ENTRY_F64 * 8;
  const tenor = loadF64(entry);
  if (tenor === tenorYears && loadF64(entry + TC_PAIR * 8) === p) return entry;
  if (tenor === tenor) return 0;
  storeF64(entry, tenorYears);
  storeF64(entry + TC_PAIR * 8, p);
  const marked = i32At(pairCurveCount, p) !== 0;
  const carryLog = marked ? carryTimesTenor(p, tenorYears) : 0.0;
  storeF64(entry + TC_CARRY * 8, marked ? expKernel(carryLog) : 1.0);
  storeF64(entry + TC_DISCOUNT * 8, usdRate === 0.0 ? 1.0 : expKernel(-usdRate * tenorYears));
  storeF64(entry + TC_SQRT_T * 8, Math.sqrt(tenorYears));
  storeF64(entry + TC_LOG_FORWARD * 8, f64At(pairLogSpot, p) + carryLog);
  storeF64(entry + TC_SHOCK_SCALE * 8, vsfTenorExponent === 0 ? 1 : Math.pow(30 / Math.max(1, tenorYears * 365), vsfTenorExponent));
  const nT = i32At(pairTenors, p);
  if (nT > 0) tenorBracket(u32[(pairSurface >>> 2) + p], nT, i32At(pairNodes, p), tenorYears, entry + TC_BRACKET * 8);
  return entry;
}

function revalue(kind: number, p: number, size: number, row: number, pv: number, deltaAt: number, derivAt: number): number {
  const strike = f64At(posStrike, row);
  const tenorYears = f64At(posTenor, row);
  const spot = f64At(pairSpot, p);
  const block = grid + p * gridStride * 8;
  const levels = i32[block >>> 2];
  const levelMult = block + 8;
  const levelLog = levelMult + LS * 8;
  const rowLevel = levelLog + LS * 8;
  const rowVolShock = rowLevel + G * 8;

  if (kind === L.KIND_CALL || kind === L.KIND_PUT) {
    const w = kind === L.KIND_CALL ? 1.0 : -1.0;
    if (tenorYears <= 0.0) {
      for (let s = 0; s < G; s++) {
        const level = i32[(rowLevel + s * 8) >>> 2];
        addF64(pv, s, size * expiredValue(spot * f64At(levelMult, level), strike, w));
      }
      const base = expiredValue(spot, strike, w);
      addF64(pv, G, size * base);
      addF64(deltaAt, 0, size * expiredDelta(spot, strike, w));
      addF64(derivAt, 0, 1.0);
      return base;
    }
    const nT = i32At(pairTenors, p);
    if (nT === 0) return NaN;
    const nK = i32At(pairNodes, p);
    const entry = tenorEntry(p, tenorYears, i32At(posTenorSlot, row));
    if (entry === 0) return NaN;
    const carry = loadF64(entry + TC_CARRY * 8);
    const discount = loadF64(entry + TC_DISCOUNT * 8);
    const forward0 = spot * carry;
    const logFK0 = loadF64(entry + TC_LOG_FORWARD * 8) - f64At(posLogStrike, row);
    const kBase = u32[(pairSurface >>> 2) + p] + nT * 8;
    const sqrtT = loadF64(entry + TC_SQRT_T * 8);
    surfaceTotalVols(kBase, nK, entry + TC_BRACKET * 8, sqrtT, logFK0, levelLog, levels, lvlVol);
    for (let l = 0; l < levels; l++) {
      f64[(lvlForward >>> 3) + l] = forward0 * f64At(levelMult, l);
      f64[(lvlLogFK >>> 3) + l] = logFK0 + f64At(levelLog, l);
    }
    const rf = rowForward >>> 3;
    const rl = rowLogFK >>> 3;
    const rs = rowStdDev >>> 3;
    const shockScale = loadF64(entry + TC_SHOCK_SCALE * 8);
    for (let s = 0; s < G; s++) {
      const level = i32[(rowLevel + s * 8) >>> 2];
      f64[rf + s] = f64At(lvlForward, level);
      f64[rl + s] = f64At(lvlLogFK, level);
      f64[rs + s] = f64At(lvlVol, level) * Math.max(0, 1 + f64At(rowVolShock, s) * shockScale);
    }
    const stdDev0 = f64At(lvlVol, 0);
    for (let s = G; s < GP; s++) {
      f64[rf + s] = forward0;
      f64[rl + s] = logFK0;
      f64[rs + s] = stdDev0;
    }
    const base = priceRows(rowForward, rowLogFK, rowStdDev, GP, strike, w, discount, size, pv, G);
    addF64(deltaAt, 0, size * (carry * (discount * w * baseCdf)));
    addF64(derivAt, 0, 1.0);
    return base;
  }

  let factor = 1.0;
  if (kind === L.KIND_FUTURE) {
    if (tenorYears > 0.0) {
      const entry = tenorEntry(p, tenorYears, i32At(posTenorSlot, row));
      if (entry === 0) return NaN;
      factor = loadF64(entry + TC_CARRY * 8);
    }
  } else if (kind !== L.KIND_SPOT && kind !== L.KIND_PERPETUAL) {
    return NaN;
  }
  const unit = spot * factor;
  for (let s = 0; s < G; s++) {
    const level = i32[(rowLevel + s * 8) >>> 2];
    addF64(pv, s, size * (unit * f64At(levelMult, level)));
  }
  addF64(pv, G, size * unit);
  if (kind !== L.KIND_SPOT) {
    addF64(deltaAt, 0, size * factor);
    addF64(derivAt, 0, 1.0);
  }
  return spot * factor;
}

function coinEntering(policy: number, coins: number, delta: number, derivatives: number): number {
  if (policy === L.COIN_NONE) return 0.0;
  if (policy === L.COIN_FULL || coins < 0.0) return coins;
  return derivatives > 0.0 ? Math.min(coins, Math.max(0.0, -delta)) : 0.0;
}

/** allZeroBits: every f64 of [0, n) at addr is +0 (its bits all zero). */
function allZeroBits(addr: number, n: number): boolean {
  for (let s = 0; s < n; s++) if (f64At(addr, s) !== 0 || 1 / f64At(addr, s) < 0) return false;
  return true;
}

/** allFinite: every one of the n f64s at addr is finite. */
function allFinite(addr: number, n: number): boolean {
  let zero = 0.0;
  for (let i = 0; i < n; i++) {
    const x = f64At(addr, i);
    zero += x - x;
  }
  return zero === 0.0;
}

function reducePair(p: number, policy: number, coins: number, out: number): number {
  const spot = f64At(pairSpot, p);
  const block = grid + p * gridStride * 8;
  const levelMult = block + 8;
  const rowLevel = levelMult + 2 * LS * 8;
  const rowWeight = rowLevel + 2 * G * 8;
  const own = accPV + p * L.FILL_SETS * GP * 8;
  const ownSlot = p * L.FILL_SETS;

  let bestReq = -1.0;
  let bestSet = 0;
  let bestWorst = 0;
  let bestCoin = 0.0;
  for (let set = 0; set < L.FILL_SETS; set++) {
    const extra = own + set * GP * 8;
    if (set > 0 && allZeroBits(extra, GP) && allZeroBits(accDelta + (ownSlot + set) * 8, 1) &&
      allZeroBits(accDerivs + (ownSlot + set) * 8, 1)) continue;
    const withExtra = set === 0 ? 0.0 : 1.0;
    const delta = f64At(accDelta, ownSlot) + withExtra * f64At(accDelta, ownSlot + set);
    const derivs = f64At(accDerivs, ownSlot) + withExtra * f64At(accDerivs, ownSlot + set);
    const coin = coinEntering(policy, coins, delta, derivs) * spot;
    const base = f64At(own, G) + withExtra * f64At(extra, G) + coin;
    let worstLoss = -Infinity;
    let worst = 0;
    for (let s = 0; s < G; s++) {
      const level = i32[(rowLevel + s * 8) >>> 2];
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
  const extra = own + bestSet * GP * 8;
  const withExtra = bestSet === 0 ? 0.0 : 1.0;
  const o = out >>> 3;
  f64[o] = bestReq;
  f64[o + 1] = bestWorst + 1;
  f64[o + 2] = bestSet;
  f64[o + 3] = f64At(own, G) + withExtra * f64At(extra, G) + bestCoin;
  for (let s = 0; s < G; s++) {
    const level = i32[(rowLevel + s * 8) >>> 2];
    f64[o + L.OUT_PAIR_FIXED + s] = f64At(own, s) + withExtra * f64At(extra, s) + bestCoin * f64At(levelMult, level);
  }
  return bestReq;
}

/**
 * marginAccounts(header) on `memory`, a copy of the kernel's linear memory laid out for it (or
 * the very buffer: it is written like the kernel writes it). Returns the kernel's status code.
 */
export function marginAccountsTs(memory: ArrayBuffer, header: number): number {
  if (memory.byteLength !== memoryBytes || f64.buffer !== memory) {
    f64 = new Float64Array(memory);
    i32 = new Int32Array(memory);
    u32 = new Uint32Array(memory);
    memoryBytes = memory.byteLength;
  }
  if (fits(header, L.HEADER_BYTES)) i32[(header >>> 2) + L.H_FAIL_ACCOUNT] = -1;
  const ready = prepare(header);
  if (ready !== L.STATUS_OK) return ready;
  const A = slotI32(header, L.H_ACCOUNTS);
  const N = slotI32(header, L.H_POSITIONS);
  const policy = slotI32(header, L.H_COIN_POLICY);
  if (policy !== L.COIN_CAPPED && policy !== L.COIN_FULL && policy !== L.COIN_NONE) return L.STATUS_BAD_HEADER;
  const hasCorr = slotI32(header, L.H_HAS_CORR) !== 0;
  const posKind = slotAddr(header, L.H_POS_KIND);
  const posPair = slotAddr(header, L.H_POS_PAIR);
  const posTag = slotAddr(header, L.H_POS_TAG);
  const posSize = slotAddr(header, L.H_POS_SIZE);
  const posEntry = slotAddr(header, L.H_POS_ENTRY);
  const accStart = slotAddr(header, L.H_ACC_START);
  const accEnd = slotAddr(header, L.H_ACC_END);
  const accUsd = slotAddr(header, L.H_ACC_USD);
  const accCoins = slotAddr(header, L.H_ACC_COINS);
  const corr = slotAddr(header, L.H_CORR);
  const outAcc = slotAddr(header, L.H_OUT_ACC);
  const outPair = slotAddr(header, L.H_OUT_PAIR);
  const pairStride = L.outPairStride(G);
  const instruments = slotI32(header, L.H_INSTRUMENTS);
  if (instruments < 0 || instruments > N) return L.STATUS_BAD_HEADER;
  const posInstrument = slotAddr(header, L.H_POS_INSTRUMENT);
  const insRisk = slotAddr(header, L.H_INS_RISK);
  const riskStride = L.instrumentRiskF64(G);
  if ((instruments > 0 && !fits(posInstrument, 4 * N)) || !fits(insRisk, Math.max(1, instruments) * riskStride * 8)) {
    return L.STATUS_BAD_HEADER;
  }
  for (let m = 0; m < instruments; m++) f64[(insRisk >>> 3) + m * riskStride + GP + L.RISK_DONE] = 0;

  for (let a = 0; a < A; a++) {
    const start = i32At(accStart, a);
    const end = i32At(accEnd, a);
    let status = L.STATUS_OK;
    if (start < 0 || end < start || end > N) status = L.STATUS_BAD_INDEX;
    f64.fill(0, accPV >>> 3, (accPV + accBytes) >>> 3);
    // each pair's part of equity, summed in its OUT_PAIR block (as the kernel)
    const accOut = outPair + a * P * pairStride * 8;
    for (let p = 0; p < P; p++) f64[(accOut >>> 3) + p * pairStride + L.OUT_PAIR_EQUITY] = 0;
    for (let i = start; status === L.STATUS_OK && i < end; i++) {
      const kind = i32At(posKind, i);
      const p = i32At(posPair, i);
      const tag = i32At(posTag, i);
      if (p < 0 || p >= P || tag < 0 || tag > L.TAG_ASK) {
        status = L.STATUS_BAD_INDEX;
        break;
      }
      const size = f64At(posSize, i);
      const slot = p * L.FILL_SETS + tag;
      const pv = accPV + slot * GP * 8;
      // a shared instrument's unit risk array scaled by size, or the row priced in place (as the kernel)
      let mark: number;
      if (instruments > 0) {
        const id = i32At(posInstrument, i);
        if (id < 0 || id >= instruments) {
          status = L.STATUS_BAD_INDEX;
          break;
        }
        const risk = insRisk + id * riskStride * 8;
        const tail = risk + GP * 8;
        if (f64At(tail, L.RISK_DONE) === 0) {
          f64.fill(0, risk >>> 3, (risk >>> 3) + GP + L.RISK_DONE);
          const unitMark = revalue(kind, p, 1, i, risk, tail + L.RISK_DELTA * 8, tail + L.RISK_DERIV * 8);
          f64[(tail >>> 3) + L.RISK_MARK] = unitMark;
          f64[(tail >>> 3) + L.RISK_DONE] = 1;
        }
        mark = f64At(tail, L.RISK_MARK);
        for (let s = 0; s < GP; s++) addF64(pv, s, size * f64At(risk, s));
        addF64(accDelta, slot, size * f64At(tail, L.RISK_DELTA));
        addF64(accDerivs, slot, f64At(tail, L.RISK_DERIV));
      } else {
        mark = revalue(kind, p, size, i, pv, accDelta + slot * 8, accDerivs + slot * 8);
      }
      if (mark !== mark) {
        status = L.STATUS_BAD_INDEX;
        break;
      }
      if (tag === 0) {
        const partAt = (accOut >>> 3) + p * pairStride + L.OUT_PAIR_EQUITY;
        if (kind === L.KIND_FUTURE || kind === L.KIND_PERPETUAL) {
          const entry = f64At(posEntry, i);
          if (entry === entry) f64[partAt] += size * (mark - entry);
        } else {
          f64[partAt] += size * mark;
        }
      }
    }
    if (status !== L.STATUS_OK) {
      i32[(header >>> 2) + L.H_FAIL_ACCOUNT] = a;
      return status;
    }
    let equity = f64At(accUsd, a);
    let im = 0.0;
    for (let p = 0; p < P; p++) {
      const coins = f64At(accCoins, a * P + p);
      const out = accOut + p * pairStride * 8;
      const partAt = (out >>> 3) + L.OUT_PAIR_EQUITY;
      f64[partAt] += coins * f64At(pairSpot, p);
      equity += f64[partAt];
      const req = reducePair(p, policy, coins, out);
      if (!allFinite(out, pairStride)) {
        i32[(header >>> 2) + L.H_FAIL_ACCOUNT] = a;
        return L.STATUS_NON_FINITE;
      }
      f64[(pairReq >>> 3) + p] = req;
      im += req;
    }
    if (hasCorr) im = Math.sqrt(Math.max(0.0, quadraticForm(pairReq, corr, P)));
    if (!Number.isFinite(equity) || !Number.isFinite(im)) {
      i32[(header >>> 2) + L.H_FAIL_ACCOUNT] = a;
      return L.STATUS_NON_FINITE;
    }
    const acc = (outAcc >>> 3) + a * L.OUT_ACC_STRIDE;
    f64[acc] = equity;
    f64[acc + 1] = im;
  }
  return L.STATUS_OK;
}
