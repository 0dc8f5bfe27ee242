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
