// Implied volatility of Black-76 marks, at machine precision in every regime.
//
// Method: P. Jaeckel, "Let's Be Rational", Wilmott (January 2015) 40-53 (preprint 2013,
// www.jaeckel.org/LetsBeRational.pdf), re-derived and written here from the paper's mathematics
// (no code of the reference implementation is reused):
//   1. Normalisation. A mark (discounted USD price) becomes an undiscounted price c = mark / DF; an
//      in-the-money option is reduced to the out-of-the-money one by put-call parity
//      (call - put = F - K), and the out-of-the-money price to the normalised call price
//      beta = c_otm / sqrt(F K) at x = -|ln(F/K)| <= 0, where
//         b(x, s) = N(x/s + s/2) e^{x/2} - N(x/s - s/2) e^{-x/2},   s = vol sqrt(T) (total vol),
//      increasing in s from 0 to b_max = e^{x/2}. Then vol = s / sqrt(T).
//   2. b(x, s) itself in four regions (h = x/s, t = s/2), each chosen so that no digits cancel:
//      (1) h < -10 and h + t < -10 + tau: the asymptotic series of Y(z) = N(z)/n(z) (Abramowitz &
//          Stegun 26.2.12) for Y(h+t) - Y(h-t), every difference of powers taken as
//          -u^{-m} expm1(m ln(u/v)) with ln(u/v) = log1p(2r/(1-r)), r = t/h (this file's variant);
//      (2) t < tau = 2 eps^{1/16} = 0.2102: the Taylor series of Y(h+t) - Y(h-t) in t to t^13, its
//          odd derivatives Y^(2j+1)(h) written as A_j(h^2) + a B_j(h^2) with a = 1 + h Y(h)
//          (derived here with the recurrence Y^(n+1) = h Y^(n) + n Y^(n-1));
//      (3) h + t > 0.85: the two terms with N directly;
//      (4) otherwise: b = e^{-(h^2+t^2)/2} [erfcx(-(h+t)/sqrt2) - erfcx(-(h-t)/sqrt2)] / 2.
//      erfc and erfcx: W. J. Cody, "Rational Chebyshev approximations for the error function",
//      Math. Comp. 23 (1969) 631-637, as in SPECFUN's CALERF (Cody 1990), exp(-y^2) split as in
//      CALERF. N^-1 for initial guesses: M. J. Wichura, Algorithm AS 241, Appl. Statist. 37 (1988).
//   3. Initial guess: the inflection point s_c = sqrt(2|x|) and the tangents there split the range
//      of beta into four branches; the middle two interpolate s(beta) by a rational cubic
//      (R. Delbourgo, J. A. Gregory, "Shape preserving piecewise rational interpolation", SIAM J.
//      Sci. Stat. Comput. 6 (1985)), the outer two interpolate Jaeckel's transformed maps
//      f_lower = (2 pi / sqrt 27) |x| N(-|x|/(sqrt3 s))^3 and f_upper = N(-s/2), which are close
//      to linear in beta, and invert them in closed form.
//   4. Householder(3) iterations (third derivatives, convergence of order 4) on an objective that
//      is nearly linear in s in each branch: 1/ln b - 1/ln beta (lowest), b - beta (middle),
//      ln(b_max - beta) - ln(b_max - b) (upper, beta > b_max / 2). From the guess two steps reach
//      full precision (Jaeckel's result; measured: on the 23,424 marks of test/implied.test.ts the
//      largest error with the loop cut at two steps equals the converged one). The loop stops after
//      a step below sqrt(eps) s (order 4: the error left is of order eps^2, or b's rounding floor),
//      keeps a bracket [sLeft, sRight] and bisects (geometrically when it spans a factor > 2) when
//      a step leaves it, fails, or the iteration alternates, so it always returns a finite s.
//
// Error bound: b(x, s) carries a relative error of a few eps times 1 + (h^2 + t^2)/2 (the factor
// is the problem's own condition: the rounding of h = x/s in the exponent; measured <= 6.6 eps
// times it against 60-digit mpmath), so the vol is found to the precision the price carries:
// |dvol / vol| <= c eps max(1, 1/E), E = (vol / price) dprice/dvol the price's elasticity to vol,
// c measured 4.7 on exact (mpmath) prices and 5.0 on round trips (test/implied.test.ts); where
// E >= 1e-3 that is below 1e-12 (measured max 1.7e-13). Where E is tiny (in the money by more
// than a few total vols, or total vol so large, about 9 and up, that the price sits at its upper
// bound) no computation can recover the vol to 1e-12 from the mark; the result is still finite.
//
// Domain: F, K, T, DF finite and > 0, |ln(F/K)| <= IV_MAX_LOG_MONEYNESS (700: e^{x/2} stays a
// normal double); a mark below DF max(w (F - K), 0) is IV_BELOW_INTRINSIC, a mark at or above
// DF F (call) / DF K (put) is IV_ABOVE_BOUND; a mark at intrinsic (to rounding) has vol 0. The
// bound above needs the mark and beta = mark / (DF sqrt(F K)) to be normal doubles (>= 2.2e-308);
// a subnormal carries fewer bits and the vol only as many. Scalar code only: it compiles the
// same with and without --enable simd.

import {
  IV_ABOVE_BOUND, IV_BAD_INPUT, IV_BELOW_INTRINSIC, IV_COUNT, IV_DISCOUNT, IV_FORWARD,
  IV_HEADER_BYTES, IV_ITERATIONS, IV_MARK_STATUS, IV_MAX_LOG_MONEYNESS, IV_OK, IV_OUT_OF_DOMAIN,
  IV_PRICE, IV_RIGHT, IV_STRIKE, IV_TENOR, IV_VOL, KIND_CALL, KIND_PUT, STATUS_BAD_HEADER,
  STATUS_OK,
} from "./layout";
import { inCallerMemory, slotAddr } from "./access";

const DBL_EPSILON: f64 = 2.220446049250313e-16;
const SQRT_EPSILON: f64 = 1.4901161193847656e-8;
const DBL_MIN: f64 = 2.2250738585072014e-308;
const DBL_MAX: f64 = 1.7976931348623157e308;
const SQRT_DBL_MAX: f64 = 1.3407807929942596e154;
const TWO_PI: f64 = 6.283185307179586;
const SQRT_2PI: f64 = 2.5066282746310002;
const INV_SQRT_2PI: f64 = 0.3989422804014327;
const SQRT_PI_OVER_2: f64 = 1.2533141373155001;
const INV_SQRT_PI: f64 = 0.5641895835477563;
const INV_SQRT2: f64 = 0.7071067811865475;
const SQRT3: f64 = 1.7320508075688772;
const TWO_PI_OVER_SQRT27: f64 = 1.2091995761561452;
const PI_OVER_6: f64 = 0.5235987755982988;

/** tau = 2 eps^(1/16): below it the small-t series (region 2) is accurate to eps (Jaeckel). */
const SMALL_T: f64 = 0.21022410381342863;
/** eta: for h below it the asymptotic series (region 1) is accurate to eps. */
const ASYMPTOTIC_H: f64 = -10.0;

// ---------------------------------------------------------------------------------------------
// erfc and erfcx: Cody (1969) / SPECFUN CALERF (1990). Three ranges of y = |x|:
//   y <= 0.46875       erf(y) = y A(y^2)/B(y^2)
//   0.46875 < y <= 4   erfcx(y) = C(y)/D(y)
//   y > 4              erfcx(y) = (1/sqrt(pi) - z P(z)/Q(z)) / y, z = 1/y^2
// Cody states at least 18 significant digits for the rational functions; in double the results
// carry a few ulps, plus, for erfc, the 2 y^2 eps relative error of exp(-y^2) that the split
// exp(-ys^2) exp(-(y - ys)(y + ys)), ys = trunc(16 y)/16, keeps from growing further.

const EA0: f64 = 3.1611237438705656;
const EA1: f64 = 113.864154151050156;
const EA2: f64 = 377.485237685302021;
const EA3: f64 = 3209.37758913846947;
const EA4: f64 = 0.185777706184603153;
const EB0: f64 = 23.6012909523441209;
const EB1: f64 = 244.024637934444173;
const EB2: f64 = 1282.61652607737228;
const EB3: f64 = 2844.23683343917062;

const EC0: f64 = 0.564188496988670089;
const EC1: f64 = 8.88314979438837594;
const EC2: f64 = 66.1191906371416295;
const EC3: f64 = 298.635138197400131;
const EC4: f64 = 881.95222124176909;
const EC5: f64 = 1712.04761263407058;
const EC6: f64 = 2051.07837782607147;
const EC7: f64 = 1230.33935479799725;
const EC8: f64 = 2.15311535474403846e-8;
const ED0: f64 = 15.7449261107098347;
const ED1: f64 = 117.693950891312499;
const ED2: f64 = 537.181101862009858;
const ED3: f64 = 1621.38957456669019;
const ED4: f64 = 3290.79923573345963;
const ED5: f64 = 4362.61909014324716;
const ED6: f64 = 3439.36767414372164;
const ED7: f64 = 1230.33935480374942;

const EP0: f64 = 0.305326634961232344;
const EP1: f64 = 0.360344899949804439;
const EP2: f64 = 0.125781726111229246;
const EP3: f64 = 0.0160837851487422766;
const EP4: f64 = 6.58749161529837803e-4;
const EP5: f64 = 0.0163153871373020978;
const EQ0: f64 = 2.56852019228982242;
const EQ1: f64 = 1.87295284992346047;
const EQ2: f64 = 0.527905102951428412;
const EQ3: f64 = 0.0605183413124413191;
const EQ4: f64 = 0.00233520497626869185;

/** erfc(y) = 0 beyond it (the true value is below 2^-1074). */
const ERFC_ZERO: f64 = 26.543;
/** erfcx(y) = 1/(sqrt(pi) y) to double precision beyond it. */
const ERFCX_HUGE: f64 = 6.71e7;
/** erfcx(x) = 2 exp(x^2) - erfcx(-x) overflows below it. */
const ERFCX_OVERFLOW: f64 = -26.628;

/** erf(y) / y for |y| <= 0.46875 */
// @ts-ignore: decorator
@inline function erfSmallRatio(y: f64): f64 {
  const ysq = y * y;
  const num = (((EA4 * ysq + EA0) * ysq + EA1) * ysq + EA2) * ysq + EA3;
  const den = (((ysq + EB0) * ysq + EB1) * ysq + EB2) * ysq + EB3;
  return num / den;
}

/** erfcx(y) for 0.46875 < y <= 4 */
// @ts-ignore: decorator
@inline function erfcxMiddle(y: f64): f64 {
  const num = (((((((EC8 * y + EC0) * y + EC1) * y + EC2) * y + EC3) * y + EC4) * y + EC5) * y + EC6) * y + EC7;
  const den = (((((((y + ED0) * y + ED1) * y + ED2) * y + ED3) * y + ED4) * y + ED5) * y + ED6) * y + ED7;
  return num / den;
}

/** erfcx(y) for y > 4 */
// @ts-ignore: decorator
@inline function erfcxTail(y: f64): f64 {
  if (y >= ERFCX_HUGE) return INV_SQRT_PI / y;
  const z = 1.0 / (y * y);
  const num = ((((EP5 * z + EP0) * z + EP1) * z + EP2) * z + EP3) * z + EP4;
  const den = ((((z + EQ0) * z + EQ1) * z + EQ2) * z + EQ3) * z + EQ4;
  return (INV_SQRT_PI - (z * num) / den) / y;
}

/** exp(-y^2) for y >= 0, the large part of the exponent exact (Cody's split). */
// @ts-ignore: decorator
@inline function expMinusSquare(y: f64): f64 {
  const ys = Math.trunc(y * 16.0) / 16.0;
  return Math.exp(-ys * ys) * Math.exp(-(y - ys) * (y + ys));
}

/** exp(y^2), split likewise. */
// @ts-ignore: decorator
@inline function expSquare(y: f64): f64 {
  const ys = Math.trunc(y * 16.0) / 16.0;
  return Math.exp(ys * ys) * Math.exp((y - ys) * (y + ys));
}

/** erfcx(x) = exp(x^2) erfc(x); +Infinity below -26.628 (overflow). */
function erfcx(x: f64): f64 {
  const y = Math.abs(x);
  let r: f64;
  if (y <= 0.46875) r = Math.exp(y * y) * (1.0 - y * erfSmallRatio(y));
  else if (y <= 4.0) r = erfcxMiddle(y);
  else r = erfcxTail(y);
  if (x >= 0.0) return r;
  if (x < ERFCX_OVERFLOW) return Infinity;
  const e = expSquare(y);
  return e + e - r;
}

/** erfc(x). */
function erfc(x: f64): f64 {
  const y = Math.abs(x);
  if (y <= 0.46875) return 1.0 - x * erfSmallRatio(y);
  let lower: f64 = 0.0;
  if (y < ERFC_ZERO) lower = expMinusSquare(y) * (y <= 4.0 ? erfcxMiddle(y) : erfcxTail(y));
  return x < 0.0 ? 2.0 - lower : lower;
}

/** N(z) = erfc(-z/sqrt2)/2: relative error a few eps + z^2 eps in the lower tail, 0 below -37.5. */
function normCdf(z: f64): f64 {
  return 0.5 * erfc(-z * INV_SQRT2);
}

// ---------------------------------------------------------------------------------------------
// N^-1(u): Wichura (1988), Algorithm AS 241 (PPND16), relative accuracy about 1e-16.

const IA0: f64 = 3.3871328727963666080;
const IA1: f64 = 133.14166789178437745;
const IA2: f64 = 1971.5909503065514427;
const IA3: f64 = 13731.693765509461125;
const IA4: f64 = 45921.953931549871457;
const IA5: f64 = 67265.770927008700853;
const IA6: f64 = 33430.575583588128105;
const IA7: f64 = 2509.0809287301226727;
const IB1: f64 = 42.313330701600911252;
const IB2: f64 = 687.18700749205790830;
const IB3: f64 = 5394.1960214247511077;
const IB4: f64 = 21213.794301586595867;
const IB5: f64 = 39307.895800092710610;
const IB6: f64 = 28729.085735721942674;
const IB7: f64 = 5226.4952788528545610;
const IC0: f64 = 1.42343711074968357734;
const IC1: f64 = 4.63033784615654529590;
const IC2: f64 = 5.76949722146069140550;
const IC3: f64 = 3.64784832476320460504;
const IC4: f64 = 1.27045825245236838258;
const IC5: f64 = 0.241780725177450611770;
const IC6: f64 = 0.0227238449892691845833;
const IC7: f64 = 7.74545014278341407640e-4;
const ID1: f64 = 2.05319162663775882187;
const ID2: f64 = 1.67638483018380384940;
const ID3: f64 = 0.689767334985100004550;
const ID4: f64 = 0.148103976427480074590;
const ID5: f64 = 0.0151986665636164571966;
const ID6: f64 = 5.47593808499534494600e-4;
const ID7: f64 = 1.05075007164441684324e-9;
const IE0: f64 = 6.65790464350110377720;
const IE1: f64 = 5.46378491116411436990;
const IE2: f64 = 1.78482653991729133580;
const IE3: f64 = 0.296560571828504891230;
const IE4: f64 = 0.0265321895265761230930;
const IE5: f64 = 0.00124266094738807843860;
const IE6: f64 = 2.71155556874348757815e-5;
const IE7: f64 = 2.01033439929228813265e-7;
const IF1: f64 = 0.599832206555887937690;
const IF2: f64 = 0.136929880922735805310;
const IF3: f64 = 0.0148753612908506148525;
const IF4: f64 = 7.86869131145613259100e-4;
const IF5: f64 = 1.84631831751005468180e-5;
const IF6: f64 = 1.42151175831644588870e-7;
const IF7: f64 = 2.04426310338993978564e-15;

/** N^-1(u) for u in (0, 1); -Infinity at 0, +Infinity at 1. */
function inverseNormCdf(u: f64): f64 {
  if (u <= 0.0) return -Infinity;
  if (u >= 1.0) return Infinity;
  const q = u - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    const num = ((((((IA7 * r + IA6) * r + IA5) * r + IA4) * r + IA3) * r + IA2) * r + IA1) * r + IA0;
    const den = ((((((IB7 * r + IB6) * r + IB5) * r + IB4) * r + IB3) * r + IB2) * r + IB1) * r + 1.0;
    return (q * num) / den;
  }
  let r = Math.sqrt(-Math.log(q < 0.0 ? u : 1.0 - u));
  let z: f64;
  if (r < 5.0) {
    r -= 1.6;
    const num = ((((((IC7 * r + IC6) * r + IC5) * r + IC4) * r + IC3) * r + IC2) * r + IC1) * r + IC0;
    const den = ((((((ID7 * r + ID6) * r + ID5) * r + ID4) * r + ID3) * r + ID2) * r + ID1) * r + 1.0;
    z = num / den;
  } else {
    r -= 5.0;
    const num = ((((((IE7 * r + IE6) * r + IE5) * r + IE4) * r + IE3) * r + IE2) * r + IE1) * r + IE0;
    const den = ((((((IF7 * r + IF6) * r + IF5) * r + IF4) * r + IF3) * r + IF2) * r + IF1) * r + 1.0;
    z = num / den;
  }
  return q < 0.0 ? -z : z;
}

// ---------------------------------------------------------------------------------------------
// The normalised Black function b(x, s) for x <= 0 (out of the money), see the file header.

/** Region 1: h < -10, h + t < -10 + tau. Y(z) ~ sum_n c_n z^-(2n+1), c_n = (-1)^(n+1) (2n-1)!!. */
function blackAsymptotic(h: f64, t: f64): f64 {
  const u = h + t; // both u and v = h - t are below -9.79
  const r = t / h; // in (-1, 0]
  const logRatio = Math.log1p((2.0 * r) / (1.0 - r)); // ln(u / v) <= 0
  const invU2 = 1.0 / (u * u);
  let power = 1.0 / u; // u^-(2n+1)
  let c: f64 = -1.0; // c_n
  let sum: f64 = 0.0;
  let previous: f64 = Infinity;
  for (let n = 0; n < 64; n++) {
    // u^-m - v^-m = -u^-m expm1(m ln(u/v)), m = 2n + 1: no cancellation for small t / h
    const term = -c * power * Math.expm1(<f64>(2 * n + 1) * logRatio);
    const size = Math.abs(term);
    if (size >= previous) break; // the asymptotic series starts to diverge
    sum += term;
    if (size <= 0.25 * DBL_EPSILON * Math.abs(sum)) break;
    previous = size;
    c *= -<f64>(2 * n + 1);
    power *= invU2;
  }
  return INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t)) * sum;
}

/**
 * Region 2: t < tau, h in [-10, 0]. Y(h+t) - Y(h-t) = 2 sum_j Y^(2j+1)(h) t^(2j+1) / (2j+1)!,
 * Y^(2j+1) = A_j(h^2) + a B_j(h^2), a = 1 + h Y(h), Y(h) = sqrt(pi/2) erfcx(-h/sqrt2).
 * Truncation after t^13: below eps relative for t < tau (Jaeckel).
 */
function blackSmallT(h: f64, t: f64): f64 {
  const a = 1.0 + h * SQRT_PI_OVER_2 * erfcx(-INV_SQRT2 * h);
  const q = h * h;
  const w = t * t;
  const y3 = -1.0 + a * (3.0 + q);
  const y5 = (-7.0 - q) + a * (15.0 + q * (10.0 + q));
  const y7 = (-57.0 + q * (-18.0 - q)) + a * (105.0 + q * (105.0 + q * (21.0 + q)));
  const y9 = (-561.0 + q * (-285.0 + q * (-33.0 - q))) + a * (945.0 + q * (1260.0 + q * (378.0 + q * (36.0 + q))));
  const y11 =
    (-6555.0 + q * (-4680.0 + q * (-840.0 + q * (-52.0 - q)))) +
    a * (10395.0 + q * (17325.0 + q * (6930.0 + q * (990.0 + q * (55.0 + q)))));
  const y13 =
    (-89055.0 + q * (-82845.0 + q * (-20370.0 + q * (-1926.0 + q * (-75.0 - q))))) +
    a * (135135.0 + q * (270270.0 + q * (135135.0 + q * (25740.0 + q * (2145.0 + q * (78.0 + q))))));
  const series =
    a +
    w * (y3 / 6.0 + w * (y5 / 120.0 + w * (y7 / 5040.0 + w * (y9 / 362880.0 + w * (y11 / 39916800.0 + (w * y13) / 6227020800.0)))));
  return INV_SQRT_2PI * Math.exp(-0.5 * (q + w)) * 2.0 * t * series;
}

/** Region 3: h + t > 0.85, the two terms with N (the first dominates). */
function blackByCdf(x: f64, s: f64): f64 {
  const h = x / s;
  const t = 0.5 * s;
  return normCdf(h + t) * Math.exp(0.5 * x) - normCdf(h - t) * Math.exp(-0.5 * x);
}

/** Region 4: one exponential and the difference of two erfcx. */
function blackByErfcx(h: f64, t: f64): f64 {
  return 0.5 * Math.exp(-0.5 * (h * h + t * t)) * (erfcx(-INV_SQRT2 * (h + t)) - erfcx(-INV_SQRT2 * (h - t)));
}

/** b(x, s) for x <= 0 and s >= 0 (0 at s = 0). */
function blackOtm(x: f64, s: f64): f64 {
  if (!(s > 0.0)) return 0.0;
  let b: f64;
  if (x < s * ASYMPTOTIC_H && 0.5 * s * s + x < s * (SMALL_T + ASYMPTOTIC_H)) b = blackAsymptotic(x / s, 0.5 * s);
  else if (0.5 * s < SMALL_T) b = blackSmallT(x / s, 0.5 * s);
  else if (x + 0.5 * s * s > 0.85 * s) b = blackByCdf(x, s);
  else b = blackByErfcx(x / s, 0.5 * s);
  return Math.max(b, 0.0);
}

/** db/ds = n(x/s + s/2) e^{x/2} = exp(-(h^2 + t^2)/2) / sqrt(2 pi). */
function normalisedVega(x: f64, s: f64): f64 {
  if (x == 0.0) return INV_SQRT_2PI * Math.exp(-0.125 * s * s);
  if (!(s > 0.0)) return 0.0;
  const h = x / s;
  const t = 0.5 * s;
  return INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
}

/** e^{x/2} - e^{-x/2} = 2 sinh(x/2) for x > 0: the normalised intrinsic value of a call. */
// @ts-ignore: decorator
@inline function normalisedIntrinsic(x: f64): f64 {
  return 2.0 * Math.sinh(0.5 * x);
}

/** b(x, s) for a call at any x = ln(F/K): intrinsic plus the out-of-the-money put (= call at -x). */
export function normalisedBlackCall(x: f64, s: f64): f64 {
  if (x > 0.0) return normalisedIntrinsic(x) + blackOtm(-x, s);
  return blackOtm(x, s);
}

// ---------------------------------------------------------------------------------------------
// Rational cubic interpolation (Delbourgo & Gregory 1985): on [xl, xr] with values yl, yr and
// slopes dl, dr, t = (x - xl)/h,
//   P(t) = [yr t^3 + (r yr - h dr) t^2 (1-t) + (r yl + h dl) t (1-t)^2 + yl (1-t)^3] / [1 + (r-3) t (1-t)],
// the cubic Hermite interpolant at r = 3, linear as r -> infinity. r is fitted to a second
// derivative at one end and raised to the least value that keeps the data's monotonicity and
// convexity (Delbourgo & Gregory (3.8) and (3.18)).

const R_MIN: f64 = -(1.0 - SQRT_EPSILON);
const R_MAX: f64 = 2.0 / (DBL_EPSILON * DBL_EPSILON);

function rationalCubic(x: f64, xl: f64, xr: f64, yl: f64, yr: f64, dl: f64, dr: f64, r: f64): f64 {
  const h = xr - xl;
  if (!(Math.abs(h) > 0.0)) return 0.5 * (yl + yr);
  const t = (x - xl) / h;
  if (r >= R_MAX) return yr * t + yl * (1.0 - t);
  const u = 1.0 - t;
  const t2 = t * t;
  const u2 = u * u;
  return (yr * t2 * t + (r * yr - h * dr) * t2 * u + (r * yl + h * dl) * t * u2 + yl * u2 * u) / (1.0 + (r - 3.0) * t * u);
}

/** r such that P''(left end) = d2 (R_MAX when that asks for a straight line, R_MIN for an impossible fit). */
function fitSecondDerivativeLeft(xl: f64, xr: f64, yl: f64, yr: f64, dl: f64, dr: f64, d2: f64): f64 {
  const h = xr - xl;
  const num = 0.5 * h * d2 + (dr - dl);
  if (Math.abs(num) < DBL_MIN) return 0.0;
  const den = (yr - yl) / h - dl;
  if (Math.abs(den) < DBL_MIN) return num > 0.0 ? R_MAX : R_MIN;
  return num / den;
}

/** r such that P''(right end) = d2. */
function fitSecondDerivativeRight(xl: f64, xr: f64, yl: f64, yr: f64, dl: f64, dr: f64, d2: f64): f64 {
  const h = xr - xl;
  const num = 0.5 * h * d2 + (dr - dl);
  if (Math.abs(num) < DBL_MIN) return 0.0;
  const den = dr - (yr - yl) / h;
  if (Math.abs(den) < DBL_MIN) return num > 0.0 ? R_MAX : R_MIN;
  return num / den;
}

/** The least r that preserves monotonicity and convexity of the data (slope s of the chord). */
function shapePreservingMinimum(dl: f64, dr: f64, s: f64, preferShape: bool): f64 {
  const monotonic = dl * s >= 0.0 && dr * s >= 0.0;
  const convex = dl <= s && s <= dr;
  const concave = dl >= s && s >= dr;
  if (!monotonic && !convex && !concave) return R_MIN;
  let r1 = -DBL_MAX;
  let r2 = -DBL_MAX;
  if (monotonic) {
    if (Math.abs(s) >= DBL_MIN) r1 = (dr + dl) / s;
    else if (preferShape) r1 = R_MAX;
  }
  if (convex || concave) {
    if (Math.abs(s - dl) >= DBL_MIN && Math.abs(dr - s) >= DBL_MIN) {
      r2 = Math.max(Math.abs((dr - dl) / (dr - s)), Math.abs((dr - dl) / (s - dl)));
    } else if (preferShape) {
      r2 = R_MAX;
    }
  } else if (monotonic && preferShape) {
    r2 = R_MAX;
  }
  return Math.max(R_MIN, Math.max(r1, r2));
}

/** max(fitted, shape minimum), the fit dropped when it is not a number. */
// @ts-ignore: decorator
@inline function shapeControl(fitted: f64, minimum: f64): f64 {
  return fitted == fitted ? Math.max(fitted, minimum) : minimum;
}

// ---------------------------------------------------------------------------------------------
// The inversion.

/** Iterations of the last otmTotalVol() call (Householder steps and bisections). */
let lastIterations: i32 = 0;

/** Safeguard only: the guess plus two Householder(3) steps reach full precision (see header). */
const MAX_ITERATIONS: i32 = 64;

const LOWER: i32 = 0;
const MIDDLE: i32 = 1;
const UPPER: i32 = 2;

/** Householder(3): s += newton (1 + halley newton / 2) / (1 + newton (halley + hh3 newton / 6)). */
// @ts-ignore: decorator
@inline function householderFactor(newton: f64, halley: f64, hh3: f64): f64 {
  return (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + (hh3 * newton) / 6.0));
}

/** Bisection point of [left, right]: geometric when the bracket spans more than a factor 2. */
// @ts-ignore: decorator
@inline function bisect(left: f64, right: f64): f64 {
  return left > 0.0 && right > 2.0 * left ? Math.sqrt(left) * Math.sqrt(right) : 0.5 * (left + right);
}

/**
 * Total vol s with b(x, s) = beta, for x <= 0 and 0 < beta < e^{x/2}; leaves the number of
 * iterations in lastIterations.
 */
function otmTotalVol(beta: f64, x: f64): f64 {
  const bMax = Math.exp(0.5 * x);
  const ax = -x;
  let sLeft = DBL_MIN;
  let sRight = DBL_MAX;
  let s: f64;
  let objective = MIDDLE;
  const sC = Math.sqrt(2.0 * ax);
  const bC = blackOtm(x, sC);
  const vC = normalisedVega(x, sC);
  if (beta < bC) {
    const sL = sC - bC / vC;
    const bL = blackOtm(x, sL);
    if (beta < bL) {
      // lowest branch: interpolate f_lower(beta) on [0, b_l] with f(0) = 0, f'(0) = 1
      const z = ax / (SQRT3 * sL);
      const y = z * z;
      const scaled = 0.5 * erfcx(z * INV_SQRT2); // N(-z) e^{z^2/2}
      const cdf = scaled * Math.exp(-0.5 * y); // N(-z)
      const fL = TWO_PI_OVER_SQRT27 * ax * cdf * cdf * cdf;
      const dfL = TWO_PI * y * scaled * scaled * Math.exp(0.125 * sL * sL);
      const d2fL =
        ((PI_OVER_6 * y) / (sL * sL * sL)) * scaled * Math.exp(1.5 * y + 0.25 * sL * sL) *
        (8.0 * SQRT3 * sL * ax + (3.0 * sL * sL * (sL * sL - 8.0) - 8.0 * x * x) * SQRT_2PI * scaled);
      const r = shapeControl(
        fitSecondDerivativeRight(0.0, bL, 0.0, fL, 1.0, dfL, d2fL),
        shapePreservingMinimum(1.0, dfL, fL / bL, true),
      );
      let f = rationalCubic(beta, 0.0, bL, 0.0, fL, 1.0, dfL, r);
      if (!(f > 0.0)) {
        const q = beta / bL; // quadratic through f(0) = 0, f'(0) = 1 and f(b_l)
        f = (fL * q + bL * (1.0 - q)) * q;
      }
      s = ax / (SQRT3 * Math.abs(inverseNormCdf(Math.cbrt(f / (TWO_PI_OVER_SQRT27 * ax)))));
      if (!(s > 0.0 && s < sL)) s = bisect(DBL_MIN, sL); // f underflowed (|x| in the hundreds)
      sRight = sL;
      objective = LOWER;
    } else {
      const vL = normalisedVega(x, sL);
      const r = shapeControl(
        fitSecondDerivativeRight(bL, bC, sL, sC, 1.0 / vL, 1.0 / vC, 0.0),
        shapePreservingMinimum(1.0 / vL, 1.0 / vC, (sC - sL) / (bC - bL), false),
      );
      s = rationalCubic(beta, bL, bC, sL, sC, 1.0 / vL, 1.0 / vC, r);
      sLeft = sL;
      sRight = sC;
    }
  } else {
    const sH = vC > DBL_MIN ? sC + (bMax - bC) / vC : sC;
    const bH = blackOtm(x, sH);
    if (beta <= bH) {
      const vH = normalisedVega(x, sH);
      const r = shapeControl(
        fitSecondDerivativeLeft(bC, bH, sC, sH, 1.0 / vC, 1.0 / vH, 0.0),
        shapePreservingMinimum(1.0 / vC, 1.0 / vH, (sH - sC) / (bH - bC), false),
      );
      s = rationalCubic(beta, bC, bH, sC, sH, 1.0 / vC, 1.0 / vH, r);
      sLeft = sC;
      sRight = sH;
    } else {
      // upper branch: interpolate f_upper(beta) = N(-s/2) on [b_h, b_max], f(b_max) = 0, f' = -1/2 there
      const fH = normCdf(-0.5 * sH);
      const w = (x / sH) * (x / sH);
      const dfH = -0.5 * Math.exp(0.5 * w);
      const d2fH = (SQRT_PI_OVER_2 * Math.exp(w + 0.125 * sH * sH) * w) / sH;
      let f: f64 = -1.0;
      if (d2fH > -SQRT_DBL_MAX && d2fH < SQRT_DBL_MAX) {
        const r = shapeControl(
          fitSecondDerivativeLeft(bH, bMax, fH, 0.0, dfH, -0.5, d2fH),
          shapePreservingMinimum(dfH, -0.5, -fH / (bMax - bH), true),
        );
        f = rationalCubic(beta, bH, bMax, fH, 0.0, dfH, -0.5, r);
      }
      if (!(f > 0.0)) {
        const span = bMax - bH; // quadratic through f(b_h), f(b_max) = 0 and f'(b_max) = -1/2
        const q = (beta - bH) / span;
        f = (fH * (1.0 - q) + 0.5 * span * q) * (1.0 - q);
      }
      s = -2.0 * inverseNormCdf(f);
      if (!(s > sH && s < DBL_MAX)) s = 2.0 * sH;
      sLeft = sH;
      if (beta > 0.5 * bMax) objective = UPPER;
    }
  }

  const lnBeta = Math.log(beta);
  let ds: f64 = 0.0;
  let dsPrevious: f64 = 0.0;
  let reversals = 0;
  let iterations = 0;
  let converged = false;
  for (; iterations < MAX_ITERATIONS && !converged; iterations++) {
    if (ds * dsPrevious < 0.0) reversals++;
    if (iterations > 0 && (reversals == 3 || !(s > sLeft && s < sRight))) {
      s = bisect(sLeft, sRight);
      if (sRight - sLeft <= DBL_EPSILON * s) break;
      reversals = 0;
      ds = 0.0;
    }
    dsPrevious = ds;
    const b = blackOtm(x, s);
    const bp = normalisedVega(x, s);
    if (b > beta && s < sRight) sRight = s;
    else if (b < beta && s > sLeft) sLeft = s;
    const hs = x / s; // h
    const bHalley = (hs * hs) / s - 0.25 * s; // b''/b'
    const bHh3 = bHalley * bHalley - 3.0 * (hs / s) * (hs / s) - 0.25; // b'''/b'
    let step: f64 = NaN;
    if (objective == LOWER) {
      if (b > 0.0 && bp > 0.0) {
        // g = 1/ln b - 1/ln beta
        const lnB = Math.log(b);
        const bpob = bp / b;
        const newton = (((lnBeta - lnB) * lnB) / lnBeta) / bpob;
        const k = 1.0 + 2.0 / lnB;
        const halley = bHalley - bpob * k;
        const hh3 = bHh3 + 2.0 * bpob * bpob * (1.0 + (3.0 / lnB) * (1.0 + 1.0 / lnB)) - 3.0 * bHalley * bpob * k;
        step = newton * householderFactor(newton, halley, hh3);
      }
    } else if (objective == UPPER) {
      if (b < bMax && bp > DBL_MIN) {
        // g = ln(b_max - beta) - ln(b_max - b)
        const gap = bMax - b;
        const g = Math.log((bMax - beta) / gap);
        const gp = bp / gap;
        const newton = -g / gp;
        const halley = bHalley + gp;
        const hh3 = bHh3 + gp * (2.0 * gp + 3.0 * bHalley);
        step = newton * householderFactor(newton, halley, hh3);
      }
    } else if (bp > 0.0) {
      // g = b - beta
      const newton = (beta - b) / bp;
      step = newton * householderFactor(newton, bHalley, bHh3);
    }
    if (Math.abs(step) < DBL_MAX) {
      // Householder(3) converges with order 4: after a step of relative size d the error is of
      // order d^4, so a step below sqrt(eps) leaves an error below eps^2 (or at the rounding floor
      // of b, where no further step can help): it is the last
      converged = Math.abs(step) <= SQRT_EPSILON * s;
    } else {
      step = bisect(sLeft, sRight) - s; // underflow or no finite step
    }
    ds = Math.max(-0.5 * s, step);
    s += ds;
  }
  lastIterations = iterations;
  return s;
}

/**
 * Total vol s = vol sqrt(T) of a call whose normalised price is beta = price / sqrt(F K) at
 * x = ln(F/K) (any sign; a put of normalised price p is the call of price p + e^{x/2} - e^{-x/2}).
 * Returns -1 when beta is below the intrinsic value or at or above e^{x/2}.
 */
export function normalisedImpliedTotalVol(beta: f64, x: f64): f64 {
  lastIterations = 0;
  let otm = beta;
  if (x > 0.0) otm = beta - normalisedIntrinsic(x);
  const bMax = Math.exp(-0.5 * Math.abs(x));
  if (!(otm >= 0.0) || !(beta < Math.exp(0.5 * x))) return -1.0;
  if (otm == 0.0) return 0.0;
  if (otm >= bMax) otm = bMax * (1.0 - DBL_EPSILON);
  return otmTotalVol(otm, -Math.abs(x));
}

/** Iterations taken by the last inversion (for the tests' statistics). */
export function impliedLastIterations(): i32 {
  return lastIterations;
}

// ---------------------------------------------------------------------------------------------
// Marks in USD.

/** ln(F/K), through ln F - ln K when F/K over- or underflows. */
// @ts-ignore: decorator
@inline function logMoneyness(forward: f64, strike: f64): f64 {
  const ratio = forward / strike;
  if (ratio >= DBL_MIN && ratio <= DBL_MAX) return Math.log(ratio);
  return Math.log(forward) - Math.log(strike);
}

/** Status of the last impliedVolOfMark() call (IV_*). */
let markStatus: i32 = IV_OK;

/**
 * Black-76 implied vol (annualised) of a mark (discounted USD per unit of the underlying) for
 * right w (+1 call, -1 put); sets markStatus. 0 unless markStatus is IV_OK.
 */
function impliedVolOfMark(mark: f64, forward: f64, strike: f64, tenorYears: f64, discount: f64, w: f64): f64 {
  lastIterations = 0;
  if (
    !(forward > 0.0 && forward <= DBL_MAX) || !(strike > 0.0 && strike <= DBL_MAX) ||
    !(tenorYears > 0.0 && tenorYears <= DBL_MAX) || !(discount > 0.0 && discount <= DBL_MAX) ||
    !(mark >= 0.0 && mark <= DBL_MAX)
  ) {
    markStatus = IV_BAD_INPUT;
    return 0.0;
  }
  // the bounds exactly as the bindings' validation states them (same doubles, same operations)
  if (mark < discount * Math.max(w * (forward - strike), 0.0)) {
    markStatus = IV_BELOW_INTRINSIC;
    return 0.0;
  }
  if (mark >= discount * (w > 0.0 ? forward : strike)) {
    markStatus = IV_ABOVE_BOUND;
    return 0.0;
  }
  const x = logMoneyness(forward, strike);
  if (!(Math.abs(x) <= IV_MAX_LOG_MONEYNESS)) {
    markStatus = IV_OUT_OF_DOMAIN;
    return 0.0;
  }
  markStatus = IV_OK;
  // undiscounted, then the out-of-the-money price by parity (call - put = F - K)
  let otm = mark / discount;
  if (w * x > 0.0) otm -= w * (forward - strike);
  if (!(otm > 0.0)) return 0.0; // at intrinsic (to rounding): no time value
  let beta = otm / (Math.sqrt(forward) * Math.sqrt(strike));
  const xOtm = -Math.abs(x);
  const bMax = Math.exp(0.5 * xOtm);
  if (!(beta > 0.0)) return 0.0; // time value below the smallest normalised price
  if (beta >= bMax) beta = bMax * (1.0 - DBL_EPSILON); // at the bound only by rounding
  return otmTotalVol(beta, xOtm) / Math.sqrt(tenorYears);
}

/**
 * Black-76 value DF (F N(d1) - K N(d2)) (call) / DF (K N(-d2) - F N(-d1)) (put) through the
 * normalised function: DF (intrinsic on the forward + sqrt(F K) b(-|ln(F/K)|, s)), accurate to a
 * few ulps of the out-of-the-money part in every regime (the same b the inversion solves).
 * isCall: 1 call, 0 put; stdDev = vol sqrt(T).
 */
export function black76Normalised(forward: f64, strike: f64, stdDev: f64, discount: f64, isCall: i32): f64 {
  const w: f64 = isCall != 0 ? 1.0 : -1.0;
  const x = logMoneyness(forward, strike);
  const otm = Math.sqrt(forward) * Math.sqrt(strike) * blackOtm(-Math.abs(x), stdDev);
  return discount * (Math.max(w * (forward - strike), 0.0) + otm);
}

// ---------------------------------------------------------------------------------------------
// Batch over columns (layout.ts, IV_*): per mark price, forward, strike, tenor, discount f64 and
// right i32 (KIND_CALL / KIND_PUT) in; vol f64, status i32 and iteration count i32 out.

/** [addr, addr + bytes) is in the caller's memory and 8-byte aligned (access.ts). */
// @ts-ignore: decorator
@inline function columnFits(addr: usize, bytes: u64): bool {
  return inCallerMemory(addr, bytes, 8);
}

/**
 * Implied vols of the marks described by the IV header at `header`. Returns STATUS_OK, or
 * STATUS_BAD_HEADER (nothing written) when a count or column is out of range; each mark's own
 * outcome is in its IV_MARK_STATUS entry.
 */
export function impliedVols(header: usize): i32 {
  if (!columnFits(header, <u64>IV_HEADER_BYTES)) return STATUS_BAD_HEADER;
  const n = load<i32>(header + (<usize>IV_COUNT << 2));
  if (n < 0) return STATUS_BAD_HEADER;
  const f64Bytes = <u64>n << 3;
  const i32Bytes = <u64>n << 2;
  const price = slotAddr(header, IV_PRICE);
  const forward = slotAddr(header, IV_FORWARD);
  const strike = slotAddr(header, IV_STRIKE);
  const tenor = slotAddr(header, IV_TENOR);
  const discount = slotAddr(header, IV_DISCOUNT);
  const right = slotAddr(header, IV_RIGHT);
  const vol = slotAddr(header, IV_VOL);
  const status = slotAddr(header, IV_MARK_STATUS);
  const iterations = slotAddr(header, IV_ITERATIONS);
  if (
    !columnFits(price, f64Bytes) || !columnFits(forward, f64Bytes) || !columnFits(strike, f64Bytes) ||
    !columnFits(tenor, f64Bytes) || !columnFits(discount, f64Bytes) || !columnFits(right, i32Bytes) ||
    !columnFits(vol, f64Bytes) || !columnFits(status, i32Bytes) || !columnFits(iterations, i32Bytes)
  ) {
    return STATUS_BAD_HEADER;
  }
  for (let i = 0; i < n; i++) {
    const o8 = <usize>i << 3;
    const o4 = <usize>i << 2;
    const kind = load<i32>(right + o4);
    let v: f64 = 0.0;
    if (kind == KIND_CALL || kind == KIND_PUT) {
      v = impliedVolOfMark(
        load<f64>(price + o8), load<f64>(forward + o8), load<f64>(strike + o8), load<f64>(tenor + o8),
        load<f64>(discount + o8), kind == KIND_CALL ? 1.0 : -1.0,
      );
    } else {
      markStatus = IV_BAD_INPUT;
      lastIterations = 0;
    }
    store<f64>(vol + o8, v);
    store<i32>(status + o4, markStatus);
    store<i32>(iterations + o4, lastIterations);
  }
  return STATUS_OK;
}
