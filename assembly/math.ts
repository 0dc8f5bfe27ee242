// Normal distribution functions for the kernel.
//
// normCdf(x) = N(x): W. J. Cody, "Rational Chebyshev approximations for the error function",
// Math. Comp. 23 (1969) 631-637, in the form of ALGORITHM 715 (SPECFUN, ACM TOMS 19 (1993) 22-32,
// routine ANORM). The rational functions approximate N to at least 18 significant digits in
// exact arithmetic; in IEEE double the result carries a few ulps of rounding, so
// |error| < 1e-15 absolute over the whole real line and < 1e-14 relative for x > -37.5
// (test/math.test.ts checks 200+ points against 50-digit mpmath values). Three ranges:
//   |x| <= 0.66291          0.5 + x R1(x^2)
//   0.66291 < |x| <= sqrt32 exp(-x^2/2) R2(|x|), tail complemented
//   sqrt32 < |x| < 38.5     exp(-x^2/2) (1/sqrt(2pi) - R3(1/x^2)/x^2) / |x|
// exp(-x^2/2) is split as exp(-xs^2/2) exp(-(x - xs)(x + xs)/2) with xs = floor(16 x)/16 so that
// the large argument is exact and the rounding of x^2 does not cost relative accuracy
// (Cody's own device). Below x = -38.5 N(x) < 1e-300 and 0 is returned; above 8.3, 1.
//
// normPdf(x) = n(x) = exp(-x^2/2) / sqrt(2 pi), exp from AssemblyScript's std (musl port,
// < 1 ulp), so relative error < 2 ulp.

/** 1 / sqrt(2 pi) */
const INV_SQRT_2PI: f64 = 0.3989422804014327;
/** upper end of Cody's first range */
const RANGE1: f64 = 0.66291;
/** sqrt(32): upper end of Cody's second range */
const SQRT_32: f64 = 5.656854249492380195206754896838792314;

// Range 1: |x| <= 0.66291, N(x) = 0.5 + x * A(x^2) / B(x^2)
const A0: f64 = 2.2352520354606839287;
const A1: f64 = 161.02823106855587881;
const A2: f64 = 1067.6894854603709582;
const A3: f64 = 18154.981253343561249;
const A4: f64 = 0.065682337918207449113;
const B0: f64 = 47.20258190468824187;
const B1: f64 = 976.09855173777669322;
const B2: f64 = 10260.932208618978205;
const B3: f64 = 45507.789335026729956;

// Range 2: 0.66291 < |x| <= sqrt(32), N(-|x|) = exp(-x^2/2) * C(|x|) / D(|x|)
const C0: f64 = 0.39894151208813466764;
const C1: f64 = 8.8831497943883759412;
const C2: f64 = 93.506656132177855979;
const C3: f64 = 597.27027639480026226;
const C4: f64 = 2494.5375852903726711;
const C5: f64 = 6848.1904505362823326;
const C6: f64 = 11602.651437647350124;
const C7: f64 = 9842.7148383839780218;
const C8: f64 = 1.0765576773720192317e-8;
const D0: f64 = 22.266688044328115691;
const D1: f64 = 235.38790178262499861;
const D2: f64 = 1519.377599407554805;
const D3: f64 = 6485.558298266760755;
const D4: f64 = 18615.571640885098091;
const D5: f64 = 34900.952721145977266;
const D6: f64 = 38912.003286093271411;
const D7: f64 = 19685.429676859990727;

// Range 3: |x| > sqrt(32), N(-|x|) = exp(-x^2/2) (1/sqrt(2pi) - z P(z)/Q(z)) / |x|, z = 1/x^2
const P0: f64 = 0.21589853405795699;
const P1: f64 = 0.1274011611602473639;
const P2: f64 = 0.022235277870649807;
const P3: f64 = 0.001421619193227893466;
const P4: f64 = 2.9112874951168792e-5;
const P5: f64 = 0.02307344176494017303;
const Q0: f64 = 1.28426009614491121;
const Q1: f64 = 0.468238212480865118;
const Q2: f64 = 0.0659881378689285515;
const Q3: f64 = 0.00378239633202758244;
const Q4: f64 = 7.29751555083966205e-5;

/** exp(-y^2/2) for y >= 0 with the argument split so the result keeps full relative accuracy. */
// @ts-ignore: decorator
@inline function gaussTail(y: f64): f64 {
  const ys = Math.floor(y * 16.0) / 16.0;
  const del = (y - ys) * (y + ys);
  return Math.exp(-ys * ys * 0.5) * Math.exp(-del * 0.5);
}

/** N(x), the standard normal CDF; see the header for source and error bound. NaN in, NaN out. */
export function normCdf(x: f64): f64 {
  const y = Math.abs(x);
  if (y <= 0.66291) {
    const xsq = x * x;
    let num = A4 * xsq;
    let den = xsq;
    num = (num + A0) * xsq;
    den = (den + B0) * xsq;
    num = (num + A1) * xsq;
    den = (den + B1) * xsq;
    num = (num + A2) * xsq;
    den = (den + B2) * xsq;
    return 0.5 + (x * (num + A3)) / (den + B3);
  }
  let lower: f64; // N(-y)
  if (y <= SQRT_32) {
    let num = C8 * y;
    let den = y;
    num = (num + C0) * y;
    den = (den + D0) * y;
    num = (num + C1) * y;
    den = (den + D1) * y;
    num = (num + C2) * y;
    den = (den + D2) * y;
    num = (num + C3) * y;
    den = (den + D3) * y;
    num = (num + C4) * y;
    den = (den + D4) * y;
    num = (num + C5) * y;
    den = (den + D5) * y;
    num = (num + C6) * y;
    den = (den + D6) * y;
    lower = (gaussTail(y) * (num + C7)) / (den + D7);
  } else if (y < 38.5) {
    const z = 1.0 / (x * x);
    let num = P5 * z;
    let den = z;
    num = (num + P0) * z;
    den = (den + Q0) * z;
    num = (num + P1) * z;
    den = (den + Q1) * z;
    num = (num + P2) * z;
    den = (den + Q2) * z;
    num = (num + P3) * z;
    den = (den + Q3) * z;
    const r = (z * (num + P4)) / (den + Q4);
    lower = (gaussTail(y) * (INV_SQRT_2PI - r)) / y;
  } else if (y == y) {
    lower = 0.0;
  } else {
    return x; // NaN
  }
  return x > 0 ? 1.0 - lower : lower;
}

/** n(x), the standard normal density; relative error < 2 ulp (one exp, one multiply). */
// @ts-ignore: decorator
@inline export function normPdf(x: f64): f64 {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

// ---------------------------------------------------------------------------------------------
// The revaluation kernel's exp and N (scalar and f64x2 forms of one algorithm).
//
// expKernel(x) / expX2(x) / expPairX2: fdlibm's e_exp.c (Sun Microsystems, 1993; the algorithm of
// FreeBSD's and V8's exp): k = round(x / ln2), r = x - k ln2 with ln2 split hi/lo (ln2hi has 11
// trailing zero bits, so k ln2hi is exact for |k| < 2^11), exp(r) = 1 + r + r c / (2 - c) with
// fdlibm's Remez polynomial c = r - r^2 (P1 + r^2 P2 + ... + r^8 P5) on |r| <= ln2/2 (evaluated in
// Estrin's form, (P1 + r^2 P2) + r^4 ((P3 + r^2 P4) + r^4 P5), for a shorter dependency chain),
// then 2^k written into the exponent bits: k comes from adding 1.5 * 2^52 + 1023 (round to
// nearest even), whose low mantissa bits are then 1023 + k, shifted into the exponent field with
// no float -> int conversion. Error: fdlibm states < 1 ulp; measured 0.84 ulp at most against the
// correctly rounded exp (mpmath at 120 bits) on 394,000 points of [-708.39, 709.78], [-50, 0],
// [-1, 1] and -d^2/2 (while developing), and within 1 ulp of Math.exp (V8's fdlibm, Horner form;
// 43 of 200,000 points differ by 1 ulp) in test/kernel-math.test.ts. Domain: x < -708.3964185322641
// = ln 2^-1022 (including -Infinity) gives 0 (the true value is a subnormal below 2.3e-308);
// x > ln DBL_MAX gives +Infinity; NaN gives NaN.
//
// cdfKernel(x, e) / cdfX2(x, e): N(x) given e = exp(-x^2/2), in Cody's three ranges (the
// constants above, each rational evaluated in Estrin's form: the same polynomials, all
// coefficients positive and the arguments >= 0, so no sum cancels): |x| <= 0.66291:
// 0.5 + x A(x^2)/B(x^2) (e unused); 0.66291 < |x| <= sqrt 32: lower tail N(-|x|) = e C(|x|)/D(|x|);
// |x| > sqrt 32: e (1/sqrt(2 pi) - z P(z)/Q(z)) / |x|, z = 1/x^2; N(x) = 1 - lower for x > 0.
// The caller supplies e, so that Black-76 needs one exp per row: e1 = exp(-d1^2/2) and
// e2 = exp(-d2^2/2) = e1 F/K (d2^2 = d1^2 - 2 ln(F/K)). Without Cody's split of x^2, e carries a
// relative error of about x^2 eps/2, i.e. an absolute error below 1e-16 in N. Measured against
// mpmath: |N - N_true| <= 1.6e-16 absolute on 60,000 random points of [-40, 10] (while
// developing) and <= 1.2e-16 on test/fixtures/normal-cdf.json; relative error <= 5.6e-14 in the
// lower tail while N > 1e-300 (the price of the unsplit x^2, irrelevant to option values).
// The f64x2 form evaluates only the ranges some lane needs, then selects per lane; every lane
// computes exactly the scalar form's operations, so the scalar and SIMD builds give identical bits.

const EXP_LN2_HI: f64 = 6.93147180369123816490e-1; // 0x3FE62E42FEE00000
const EXP_LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3DEA39EF35793C76
const EXP_INV_LN2: f64 = 1.44269504088896338700e0;
const EXP_P1: f64 = 1.66666666666666019037e-1;
const EXP_P2: f64 = -2.77777777770155933842e-3;
const EXP_P3: f64 = 6.61375632143793436117e-5;
const EXP_P4: f64 = -1.65339022054652515390e-6;
const EXP_P5: f64 = 4.13813679705723846039e-8;
/** 1.5 * 2^52 + 1023: x + SHIFT rounds x to an integer; the low mantissa bits hold it plus the exponent bias */
const EXP_SHIFT: f64 = 6755399441056767.0;
/** ln 2^-1022: below it the result would be subnormal; 0 is returned */
const EXP_LOW: f64 = -708.3964185322641;
/** above ln 2^1023.5 k reaches 1024, whose 2^k is not a normal double: the rare path splits it */
const EXP_HIGH: f64 = 709.0;
/** ln DBL_MAX: above it exp overflows */
const EXP_OVERFLOW: f64 = 709.782712893384;

/** exp(x); see the block header above for the source and error bound. */
// @ts-ignore: decorator
@inline export function expKernel(x: f64): f64 {
  const t = x * EXP_INV_LN2 + EXP_SHIFT;
  const k = t - EXP_SHIFT;
  const hi = x - k * EXP_LN2_HI;
  const lo = k * EXP_LN2_LO;
  const r = hi - lo;
  const rr = r * r;
  const r4 = rr * rr;
  const c = r - rr * ((EXP_P1 + rr * EXP_P2) + r4 * ((EXP_P3 + rr * EXP_P4) + r4 * EXP_P5));
  const y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  // t = SHIFT + k: its low 12 bits, 1023 + k, shifted into the exponent field are 2^k
  const bits = reinterpret<i64>(t);
  if (x > EXP_HIGH) {
    if (x > EXP_OVERFLOW) return Infinity;
    return y * 2.0 * reinterpret<f64>((bits - 1) << 52);
  }
  if (x < EXP_LOW) return 0.0;
  return y * reinterpret<f64>(bits << 52);
}

/** N(x) given e = exp(-x^2/2); see the block header above for the source and error bound. */
// @ts-ignore: decorator
@inline export function cdfKernel(x: f64, e: f64): f64 {
  const y = Math.abs(x);
  if (y <= RANGE1) {
    const s = x * x;
    const s2 = s * s;
    const num = s2 * (A4 * s2 + (A0 * s + A1)) + (A2 * s + A3);
    const den = s2 * (s2 + (B0 * s + B1)) + (B2 * s + B3);
    return 0.5 + (x * num) / den;
  }
  let lower: f64;
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

// f64x2 forms (compiled only into the SIMD build: every use sits under `if (ASC_FEATURE_SIMD)`).
//
// Their constants live in a static table, each duplicated into a 16-byte slot, and are read with
// v128.load from a constant address (one instruction) where they are used: V8 (TurboFan, Node 20)
// rebuilds every v128.const inside a loop with three instructions (mov imm64, movq, punpcklqdq)
// on every iteration.

export const V_INV_LN2: i32 = 0;
export const V_SHIFT: i32 = 1;
export const V_LN2_HI: i32 = 2;
export const V_LN2_LO: i32 = 3;
export const V_EP1: i32 = 4;
export const V_EP2: i32 = 5;
export const V_EP3: i32 = 6;
export const V_EP4: i32 = 7;
export const V_EP5: i32 = 8;
export const V_ONE: i32 = 9;
export const V_TWO: i32 = 10;
export const V_HALF: i32 = 11;
export const V_MINUS_HALF: i32 = 12;
export const V_INF: i32 = 13;
export const V_NEG_INF: i32 = 14;
export const V_EXP_HIGH: i32 = 15;
export const V_EXP_OVERFLOW: i32 = 16;
export const V_EXP_LOW: i32 = 17;
export const V_RANGE1: i32 = 18;
export const V_SQRT_32: i32 = 19;
export const V_INV_SQRT_2PI: i32 = 20;
export const V_A0: i32 = 21;
export const V_A1: i32 = 22;
export const V_A2: i32 = 23;
export const V_A3: i32 = 24;
export const V_A4: i32 = 25;
export const V_B0: i32 = 26;
export const V_B1: i32 = 27;
export const V_B2: i32 = 28;
export const V_B3: i32 = 29;
export const V_C0: i32 = 30;
export const V_C1: i32 = 31;
export const V_C2: i32 = 32;
export const V_C3: i32 = 33;
export const V_C4: i32 = 34;
export const V_C5: i32 = 35;
export const V_C6: i32 = 36;
export const V_C7: i32 = 37;
export const V_C8: i32 = 38;
export const V_D0: i32 = 39;
export const V_D1: i32 = 40;
export const V_D2: i32 = 41;
export const V_D3: i32 = 42;
export const V_D4: i32 = 43;
export const V_D5: i32 = 44;
export const V_D6: i32 = 45;
export const V_D7: i32 = 46;
export const V_P0: i32 = 47;
export const V_P1: i32 = 48;
export const V_P2: i32 = 49;
export const V_P3: i32 = 50;
export const V_P4: i32 = 51;
export const V_P5: i32 = 52;
export const V_Q0: i32 = 53;
export const V_Q1: i32 = 54;
export const V_Q2: i32 = 55;
export const V_Q3: i32 = 56;
export const V_Q4: i32 = 57;

// @ts-ignore: decorator
@lazy const VTABLE: usize = memory.data<f64>([
  EXP_INV_LN2, EXP_INV_LN2,
  EXP_SHIFT, EXP_SHIFT,
  EXP_LN2_HI, EXP_LN2_HI,
  EXP_LN2_LO, EXP_LN2_LO,
  EXP_P1, EXP_P1,
  EXP_P2, EXP_P2,
  EXP_P3, EXP_P3,
  EXP_P4, EXP_P4,
  EXP_P5, EXP_P5,
  1.0, 1.0,
  2.0, 2.0,
  0.5, 0.5,
  -0.5, -0.5,
  Infinity, Infinity,
  -Infinity, -Infinity,
  EXP_HIGH, EXP_HIGH,
  EXP_OVERFLOW, EXP_OVERFLOW,
  EXP_LOW, EXP_LOW,
  RANGE1, RANGE1,
  SQRT_32, SQRT_32,
  INV_SQRT_2PI, INV_SQRT_2PI,
  A0, A0,
  A1, A1,
  A2, A2,
  A3, A3,
  A4, A4,
  B0, B0,
  B1, B1,
  B2, B2,
  B3, B3,
  C0, C0,
  C1, C1,
  C2, C2,
  C3, C3,
  C4, C4,
  C5, C5,
  C6, C6,
  C7, C7,
  C8, C8,
  D0, D0,
  D1, D1,
  D2, D2,
  D3, D3,
  D4, D4,
  D5, D5,
  D6, D6,
  D7, D7,
  P0, P0,
  P1, P1,
  P2, P2,
  P3, P3,
  P4, P4,
  P5, P5,
  Q0, Q0,
  Q1, Q1,
  Q2, Q2,
  Q3, Q3,
  Q4, Q4,
], 16);

/** The f64x2 constant in slot i of VTABLE (V_* above). */
// @ts-ignore: decorator
@inline export function vk(i: i32): v128 {
  return v128.load(VTABLE + (<usize>i << 4));
}

/**
 * exp of both lanes: expKernel's operations lane by lane (identical bits). `general` (a
 * compile-time constant) keeps the rare path for x > 709 (k = 1024, overflow); without it the
 * routine is for x <= 709 only, as the pricer's x = -d1^2/2 <= 0.
 */
// @ts-ignore: decorator
@inline export function expX2(x: v128, general: bool): v128 {
  const t = f64x2.add(f64x2.mul(x, vk(V_INV_LN2)), vk(V_SHIFT));
  const k = f64x2.sub(t, vk(V_SHIFT));
  const hi = f64x2.sub(x, f64x2.mul(k, vk(V_LN2_HI)));
  const lo = f64x2.mul(k, vk(V_LN2_LO));
  const r = f64x2.sub(hi, lo);
  const rr = f64x2.mul(r, r);
  const r4 = f64x2.mul(rr, rr);
  const low = f64x2.add(vk(V_EP1), f64x2.mul(rr, vk(V_EP2)));
  const high = f64x2.add(f64x2.add(vk(V_EP3), f64x2.mul(rr, vk(V_EP4))), f64x2.mul(r4, vk(V_EP5)));
  const c = f64x2.sub(r, f64x2.mul(rr, f64x2.add(low, f64x2.mul(r4, high))));
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(vk(V_TWO), c));
  const y = f64x2.sub(vk(V_ONE), f64x2.sub(f64x2.sub(lo, q), hi));
  // t = SHIFT + k: its low 12 bits, 1023 + k, shifted into the exponent field are 2^k
  let result = f64x2.mul(y, i64x2.shl(t, 52));
  if (general) result = expHighX2(x, t, y, result);
  // below ln 2^-1022 (and -Infinity): 0
  return v128.andnot(result, f64x2.lt(x, vk(V_EXP_LOW)));
}

/** expX2's rare path: lanes with x > 709 are scaled as 2 * 2^(k-1), beyond ln DBL_MAX +Infinity. */
// @ts-ignore: decorator
@inline function expHighX2(x: v128, t: v128, y: v128, result: v128): v128 {
  const big = f64x2.gt(x, vk(V_EXP_HIGH));
  if (v128.any_true(big)) {
    const split = f64x2.mul(f64x2.mul(y, vk(V_TWO)), i64x2.shl(i64x2.sub(t, i64x2.splat(1)), 52));
    result = v128.bitselect(split, result, big);
    result = v128.bitselect(vk(V_INF), result, f64x2.gt(x, vk(V_EXP_OVERFLOW)));
  }
  return result;
}

/**
 * expX2 of two vectors at once, their operations interleaved statement by statement so that the
 * two dependency chains overlap (V8 keeps the order; two calls of expX2 in a row run about 25%
 * slower). Stores exp(a) at dst and exp(b) at dst + 16. Identical bits to expX2.
 */
// @ts-ignore: decorator
@inline export function expPairX2(a: v128, b: v128, dst: usize, general: bool): void {
  const ta = f64x2.add(f64x2.mul(a, vk(V_INV_LN2)), vk(V_SHIFT));
  const tb = f64x2.add(f64x2.mul(b, vk(V_INV_LN2)), vk(V_SHIFT));
  const ka = f64x2.sub(ta, vk(V_SHIFT));
  const kb = f64x2.sub(tb, vk(V_SHIFT));
  const hia = f64x2.sub(a, f64x2.mul(ka, vk(V_LN2_HI)));
  const hib = f64x2.sub(b, f64x2.mul(kb, vk(V_LN2_HI)));
  const loa = f64x2.mul(ka, vk(V_LN2_LO));
  const lob = f64x2.mul(kb, vk(V_LN2_LO));
  const ra = f64x2.sub(hia, loa);
  const rb = f64x2.sub(hib, lob);
  const rra = f64x2.mul(ra, ra);
  const rrb = f64x2.mul(rb, rb);
  const r4a = f64x2.mul(rra, rra);
  const r4b = f64x2.mul(rrb, rrb);
  const lowa = f64x2.add(vk(V_EP1), f64x2.mul(rra, vk(V_EP2)));
  const lowb = f64x2.add(vk(V_EP1), f64x2.mul(rrb, vk(V_EP2)));
  const higha = f64x2.add(f64x2.add(vk(V_EP3), f64x2.mul(rra, vk(V_EP4))), f64x2.mul(r4a, vk(V_EP5)));
  const highb = f64x2.add(f64x2.add(vk(V_EP3), f64x2.mul(rrb, vk(V_EP4))), f64x2.mul(r4b, vk(V_EP5)));
  const ca = f64x2.sub(ra, f64x2.mul(rra, f64x2.add(lowa, f64x2.mul(r4a, higha))));
  const cb = f64x2.sub(rb, f64x2.mul(rrb, f64x2.add(lowb, f64x2.mul(r4b, highb))));
  const qa = f64x2.div(f64x2.mul(ra, ca), f64x2.sub(vk(V_TWO), ca));
  const qb = f64x2.div(f64x2.mul(rb, cb), f64x2.sub(vk(V_TWO), cb));
  const ya = f64x2.sub(vk(V_ONE), f64x2.sub(f64x2.sub(loa, qa), hia));
  const yb = f64x2.sub(vk(V_ONE), f64x2.sub(f64x2.sub(lob, qb), hib));
  let resa = f64x2.mul(ya, i64x2.shl(ta, 52));
  let resb = f64x2.mul(yb, i64x2.shl(tb, 52));
  if (general) {
    resa = expHighX2(a, ta, ya, resa);
    resb = expHighX2(b, tb, yb, resb);
  }
  v128.store(dst, v128.andnot(resa, f64x2.lt(a, vk(V_EXP_LOW))));
  v128.store(dst, v128.andnot(resb, f64x2.lt(b, vk(V_EXP_LOW))), 16);
}

/** Cody's range-2 form for both lanes: N(-|x|) = e C(y)/D(y) (Estrin, as cdfKernel). */
// @ts-ignore: decorator
@inline function range2X2(y: v128, e: v128): v128 {
  const y2 = f64x2.mul(y, y);
  const y4 = f64x2.mul(y2, y2);
  const n3 = f64x2.add(f64x2.mul(y2, f64x2.add(f64x2.mul(vk(V_C0), y), vk(V_C1))), f64x2.add(f64x2.mul(vk(V_C2), y), vk(V_C3)));
  const n0 = f64x2.add(f64x2.mul(y2, f64x2.add(f64x2.mul(vk(V_C4), y), vk(V_C5))), f64x2.add(f64x2.mul(vk(V_C6), y), vk(V_C7)));
  const num = f64x2.add(f64x2.mul(y4, f64x2.add(f64x2.mul(vk(V_C8), y4), n3)), n0);
  const d3 = f64x2.add(f64x2.mul(y2, f64x2.add(f64x2.mul(vk(V_D0), y), vk(V_D1))), f64x2.add(f64x2.mul(vk(V_D2), y), vk(V_D3)));
  const d0 = f64x2.add(f64x2.mul(y2, f64x2.add(f64x2.mul(vk(V_D4), y), vk(V_D5))), f64x2.add(f64x2.mul(vk(V_D6), y), vk(V_D7)));
  const den = f64x2.add(f64x2.mul(y4, f64x2.add(y4, d3)), d0);
  return f64x2.div(f64x2.mul(e, num), den);
}

/** Cody's range-3 form for both lanes: N(-|x|) = e (1/sqrt(2 pi) - z P(z)/Q(z)) / y, z = 1/y^2 (Estrin, as cdfKernel). */
// @ts-ignore: decorator
@inline function range3X2(y: v128, e: v128): v128 {
  const z = f64x2.div(vk(V_ONE), f64x2.mul(y, y));
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const num = f64x2.add(
    f64x2.mul(z4, f64x2.add(f64x2.mul(vk(V_P5), z), vk(V_P0))),
    f64x2.add(f64x2.mul(z2, f64x2.add(f64x2.mul(vk(V_P1), z), vk(V_P2))), f64x2.add(f64x2.mul(vk(V_P3), z), vk(V_P4))),
  );
  const den = f64x2.add(
    f64x2.mul(z4, f64x2.add(z, vk(V_Q0))),
    f64x2.add(f64x2.mul(z2, f64x2.add(f64x2.mul(vk(V_Q1), z), vk(V_Q2))), f64x2.add(f64x2.mul(vk(V_Q3), z), vk(V_Q4))),
  );
  const r = f64x2.div(f64x2.mul(z, num), den);
  return f64x2.div(f64x2.mul(e, f64x2.sub(vk(V_INV_SQRT_2PI), r)), y);
}

/** Cody's range-1 form for both lanes: N(x) = 0.5 + x A(x^2)/B(x^2) (Estrin, as cdfKernel). */
// @ts-ignore: decorator
@inline function range1X2(x: v128): v128 {
  const s = f64x2.mul(x, x);
  const s2 = f64x2.mul(s, s);
  const num = f64x2.add(
    f64x2.mul(s2, f64x2.add(f64x2.mul(vk(V_A4), s2), f64x2.add(f64x2.mul(vk(V_A0), s), vk(V_A1)))),
    f64x2.add(f64x2.mul(vk(V_A2), s), vk(V_A3)),
  );
  const den = f64x2.add(
    f64x2.mul(s2, f64x2.add(s2, f64x2.add(f64x2.mul(vk(V_B0), s), vk(V_B1)))),
    f64x2.add(f64x2.mul(vk(V_B2), s), vk(V_B3)),
  );
  return f64x2.add(vk(V_HALF), f64x2.div(f64x2.mul(x, num), den));
}

/**
 * N of both lanes given e = exp(-x^2/2) per lane: cdfKernel lane by lane (identical bits). The
 * lanes' ranges make a 4-bit code (two bits "in range 1", two bits "in range 3"); the three
 * common codes run straight-line code (both lanes in range 2, both in range 1, one in each: both
 * rationals, selected per lane), any lane in range 3 takes the general path, which evaluates
 * each range's rational only when some lane lies in it.
 */
// @ts-ignore: decorator
@inline export function cdfX2(x: v128, e: v128): v128 {
  const y = f64x2.abs(x);
  const in1 = f64x2.le(y, vk(V_RANGE1));
  const in3 = f64x2.gt(y, vk(V_SQRT_32));
  const code = i64x2.bitmask(in1) | (i64x2.bitmask(in3) << 2);
  const positive = f64x2.gt(x, f64x2.splat(0.0));
  if (code == 0) {
    const lower = range2X2(y, e);
    return v128.bitselect(f64x2.sub(vk(V_ONE), lower), lower, positive);
  }
  if (code == 3) return range1X2(x);
  if (code < 3) {
    const lower = range2X2(y, e);
    return v128.bitselect(range1X2(x), v128.bitselect(f64x2.sub(vk(V_ONE), lower), lower, positive), in1);
  }
  let lower = f64x2.splat(0.0);
  if (v128.any_true(v128.not(v128.or(in1, in3)))) lower = range2X2(y, e);
  lower = v128.bitselect(range3X2(y, e), lower, in3);
  let result = v128.bitselect(f64x2.sub(vk(V_ONE), lower), lower, positive);
  if (v128.any_true(in1)) result = v128.bitselect(range1X2(x), result, in1);
  return result;
}

/**
 * Test entry: dst[i] = exp(src[i]) for i < n, with the kernel's exp (expPairX2 four at a time,
 * then expX2, in the SIMD build; expKernel in the scalar build and for a last odd element).
 * src and dst are f64 arrays, 16-byte aligned.
 */
export function expBatch(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 3 < n; i += 4) {
      const off = <usize>i << 3;
      expPairX2(v128.load(src + off), v128.load(src + off, 16), dst + off, true);
    }
    for (; i + 1 < n; i += 2) {
      const off = <usize>i << 3;
      v128.store(dst + off, expX2(v128.load(src + off), true));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 3;
    store<f64>(dst + off, expKernel(load<f64>(src + off)));
  }
}

/**
 * Test entry: dst[i] = N(src[i]) for i < n, the pricer's path: e = exp(-x^2/2) with the kernel's
 * exp, then N from e (SIMD build: expPairX2 and cdfX2 four at a time, the last n % 4 with the
 * scalar form; scalar build: expKernel, cdfKernel). src and dst are f64 arrays, 16-byte aligned;
 * dst is also the workspace for e.
 */
export function normCdfBatch(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 3 < n; i += 4) {
      const off = <usize>i << 3;
      const a = v128.load(src + off);
      const b = v128.load(src + off, 16);
      const minusHalf = vk(V_MINUS_HALF);
      expPairX2(f64x2.mul(f64x2.mul(minusHalf, a), a), f64x2.mul(f64x2.mul(minusHalf, b), b), dst + off, false);
      v128.store(dst + off, cdfX2(a, v128.load(dst + off)));
      v128.store(dst + off, cdfX2(b, v128.load(dst + off, 16)), 16);
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 3;
    const x = load<f64>(src + off);
    store<f64>(dst + off, cdfKernel(x, expKernel(-0.5 * x * x)));
  }
}
