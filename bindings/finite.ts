/**
 * The kernel checks each account's equity and initial margin for NaN and infinity
 * (STATUS_NON_FINITE), not every per-pair number: a scenario PV can be NaN while the requirement,
 * which takes the largest loss over the scenarios, stays finite (a NaN loss never compares
 * larger), so the requirement would silently leave that scenario out. That takes an input the
 * validation accepts but double precision cannot carry (a vol near 1e154, whose square overflows
 * in the total-variance interpolation). After every run the engine scans the per-pair outputs and
 * raises STATUS_NON_FINITE (E_KERNEL) at the first such account, as the kernel does for equity.
 */

/**
 * The index of the first account of [first, end) with a non-finite number among its per-pair
 * outputs (`pairs`: `accounts` equal blocks, the kernel's OUT_PAIR column), or -1.
 */
export function firstNonFiniteAccount(pairs: Float64Array, accounts: number, first = 0, end = accounts): number {
  const stride = pairs.length / accounts;
  const last = end * stride;
  for (let i = first * stride; i < last; i++) {
    const x = pairs[i];
    // x - x is 0 for every finite x, NaN for NaN and the infinities
    if (x - x !== 0) return Math.floor(i / stride);
  }
  return -1;
}
