/**
 * A pair's implied-vol surface built from option marks (SPEC.md "Implied-volatility surface";
 * the construction is written out in docs/surface-construction.md):
 *   1. every mark is inverted to its Black-76 implied vol in the kernel (bindings/implied.ts);
 *   2. per expiry, a row at its tenor T: per strike one node k = ln(K / F(T)) with that vol, the
 *      out-of-the-money right chosen where a call and a put share the strike (the put for K < F,
 *      the call for K >= F), nodes ascending in k;
 *   3. every row is placed on the union of all rows' k nodes by its own linear interpolation,
 *      flat beyond its first and last node (exact: it reproduces the row's piecewise-linear
 *      function), rows ascending in tenor.
 * The result is an ordinary node surface, read exactly as one (linear in k on a row, total
 * variance linear in T across rows).
 *
 * Also here: the forward F(T) = S exp(b(T) T) that validation checks marks against, with b(T)
 * from the pair's futures marks exactly as SPEC.md "Instruments" defines it.
 */
import { ErrorCode, MarginError } from "./errors.js";
import { kernelImpliedVols } from "./implied.js";
import type { Kernel } from "./kernel.js";
import * as L from "./layout.js";
import type { BookFuture, BookOptionMark, BookPair, BookSurface } from "./model/book.js";

/**
 * b(T), the funding (basis) rate per year: node j at (T_j, ln(F_j / S) / T_j), linear in T
 * between nodes, flat before the first and after the last, 0 without futures. `futures` ascend
 * in tenor (as validation leaves them).
 */
export function fundingRateAt(spot: number, futures: readonly BookFuture[], tenorYears: number): number {
  const n = futures.length;
  if (n === 0) return 0;
  const rate = (j: number): number => Math.log(futures[j].mark / spot) / futures[j].tenorYears;
  if (tenorYears <= futures[0].tenorYears) return rate(0);
  if (tenorYears >= futures[n - 1].tenorYears) return rate(n - 1);
  let j = 0;
  while (futures[j + 1].tenorYears <= tenorYears) j++;
  const t0 = futures[j].tenorYears;
  const t1 = futures[j + 1].tenorYears;
  const b0 = rate(j);
  return b0 + ((tenorYears - t0) / (t1 - t0)) * (rate(j + 1) - b0);
}

/** F(T) = S exp(b(T) T), USD. */
export function forwardAt(spot: number, futures: readonly BookFuture[], tenorYears: number): number {
  return spot * Math.exp(fundingRateAt(spot, futures, tenorYears) * tenorYears);
}

/** Vol of a row (ascending nodes `ks`, values `vs`) at k: linear between nodes, flat outside. */
function rowVolAt(ks: readonly number[], vs: readonly number[], k: number): number {
  const last = ks.length - 1;
  if (k <= ks[0]) return vs[0];
  if (k >= ks[last]) return vs[last];
  let j = 0;
  while (ks[j + 1] <= k) j++;
  return vs[j] + ((vs[j + 1] - vs[j]) * (k - ks[j])) / (ks[j + 1] - ks[j]);
}

/**
 * The node surface of validated marks given each mark's implied vol (steps 2 and 3 above).
 * Strikes whose k coincide in double precision (strikes an ulp apart) keep the lower strike's node.
 */
export function nodesFromMarks(marks: readonly BookOptionMark[], vols: ArrayLike<number>): BookSurface {
  if (marks.length === 0) throw new RangeError("nodesFromMarks: no marks");
  // per expiry, per strike: the index of the mark that makes the node
  const expiries = new Map<number, Map<number, number>>();
  marks.forEach((mark, i) => {
    let strikes = expiries.get(mark.expiryMs);
    if (strikes === undefined) expiries.set(mark.expiryMs, (strikes = new Map()));
    const other = strikes.get(mark.strike);
    const outOfTheMoneyIsCall = mark.strike >= mark.forward;
    if (other === undefined || mark.isCall === outOfTheMoneyIsCall) strikes.set(mark.strike, i);
  });
  const rows = [...expiries.values()]
    .map((strikes) => {
      const chosen = [...strikes.values()].sort((a, b) => marks[a].strike - marks[b].strike);
      const ks: number[] = [];
      const vs: number[] = [];
      for (const i of chosen) {
        const k = Math.log(marks[i].strike / marks[i].forward);
        if (ks.length > 0 && !(k > ks[ks.length - 1])) continue;
        ks.push(k);
        vs.push(vols[i]);
      }
      return { tenorYears: marks[chosen[0]].tenorYears, ks, vs };
    })
    .sort((a, b) => a.tenorYears - b.tenorYears);
  const logMoneyness = [...new Set(rows.flatMap((row) => row.ks))].sort((a, b) => a - b);
  return {
    tenors: rows.map((row) => row.tenorYears),
    logMoneyness,
    vols: rows.map((row) => logMoneyness.map((k) => rowVolAt(row.ks, row.vs, k))),
  };
}

/**
 * The MarginError for a mark the kernel did not invert (validation states the same bounds, so never
 * expected): code and field from the kernel status table (bindings/layout.ts KERNEL_STATUSES).
 */
function markError(mark: BookOptionMark, status: number): MarginError {
  const entry = L.markStatusEntry(status);
  const bound = mark.isCall ? "the discounted forward DF F" : "the discounted strike DF K";
  let detail: string;
  switch (status) {
    case L.IV_BELOW_INTRINSIC:
      detail = `${mark.mark} is below the intrinsic value of ${mark.name}`;
      break;
    case L.IV_ABOVE_BOUND:
      detail = `${mark.mark} is at or above ${bound} of ${mark.name}`;
      break;
    case L.IV_OUT_OF_DOMAIN:
      detail = `${mark.name}: |ln(K/F)| exceeds ${L.IV_MAX_LOG_MONEYNESS}, beyond double precision`;
      break;
    default:
      detail = `the kernel could not invert the mark of ${mark.name} (status ${status}: ${entry?.meaning ?? "not a status the kernel writes"})`;
  }
  const path = entry !== undefined && entry.field !== "" ? `${mark.path}.${entry.field}` : mark.path;
  return new MarginError(entry?.code ?? ErrorCode.KERNEL, path, detail);
}

/** The node surface of a pair's validated option marks: kernel implied vols, then nodesFromMarks. */
export function resolveMarkSurface(kernel: Kernel, marks: readonly BookOptionMark[]): BookSurface {
  const { vols, statuses } = kernelImpliedVols(kernel, {
    mark: marks.map((m) => m.mark),
    forward: marks.map((m) => m.forward),
    strike: marks.map((m) => m.strike),
    tenorYears: marks.map((m) => m.tenorYears),
    discountFactor: marks.map((m) => m.discountFactor),
    isCall: marks.map((m) => m.isCall),
  });
  const bad = statuses.findIndex((status) => status !== L.IV_OK);
  if (bad >= 0) throw markError(marks[bad], statuses[bad]);
  return nodesFromMarks(marks, vols);
}

/** Resolve, in place, every pair whose surface is still a set of option marks. */
export function resolveMarkSurfaces(kernel: Kernel, pairs: readonly BookPair[]): void {
  for (const pair of pairs) {
    if (pair.surface === null && pair.optionMarks) pair.surface = resolveMarkSurface(kernel, pair.optionMarks);
  }
}
