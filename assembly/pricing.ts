// Black-76 values and deltas for European options on a forward (linear, USD-settled).
//
// Black (1976), "The pricing of commodity contracts", J. Financial Economics 3, 167-179:
//   call = DF (F N(d1) - K N(d2)),  put = DF (K N(-d2) - F N(-d1)),
//   d1 = (ln(F/K) + s^2 T / 2) / (s sqrt T),  d2 = d1 - s sqrt T.
// Written once for both rights with w = +1 (call) / -1 (put): DF w (F N(w d1) - K N(w d2)).
// Error: a few ulps of the inputs' rounding plus N's < 1e-15 absolute (math.ts), scaled by
// DF * max(F, K); ln/exp/sqrt are AssemblyScript's std (musl ports, < 1 ulp).
// Edges (SPEC.md "Instruments"): s * sqrt(T) == 0 with T > 0 gives the discounted intrinsic
// value on the forward; T <= 0 is handled by the caller (intrinsic on spot).

import { normCdf } from "./math";

/**
 * Black-76 value per unit of the underlying.
 * @param forward          F > 0, USD
 * @param strike           K > 0, USD
 * @param logForwardStrike ln(F / K), passed in because the caller has it hoisted
 * @param stdDev           s * sqrt(T) >= 0 (total volatility)
 * @param discount         DF = exp(-r T)
 * @param w                +1 call, -1 put
 */
// @ts-ignore: decorator
@inline export function black76(
  forward: f64,
  strike: f64,
  logForwardStrike: f64,
  stdDev: f64,
  discount: f64,
  w: f64,
): f64 {
  if (stdDev > 0.0) {
    const d1 = logForwardStrike / stdDev + 0.5 * stdDev;
    const d2 = d1 - stdDev;
    return discount * w * (forward * normCdf(w * d1) - strike * normCdf(w * d2));
  }
  return discount * Math.max(w * (forward - strike), 0.0);
}

/**
 * Black-76 forward delta dV/dF per unit of the underlying: DF N(d1) for a call,
 * DF (N(d1) - 1) for a put; for zero total volatility N(d1) is the step 1[F > K]
 * (docs/model-decisions.md). Spot delta is this times dF/dS = exp(b T).
 */
// @ts-ignore: decorator
@inline export function black76ForwardDelta(
  logForwardStrike: f64,
  stdDev: f64,
  discount: f64,
  w: f64,
): f64 {
  if (stdDev > 0.0) {
    const d1 = logForwardStrike / stdDev + 0.5 * stdDev;
    return discount * w * normCdf(w * d1);
  }
  const step: f64 = logForwardStrike > 0.0 ? 1.0 : 0.0;
  return discount * (w > 0.0 ? step : step - 1.0);
}

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
