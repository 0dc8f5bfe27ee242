/**
 * The WASM kernel's account report against the plain-TS reference model's (test/reference/), to
 * 1e-9 relative: each number within 1e-9 of the larger of the reference's magnitude and the
 * account's (or the pair's) size in USD; a different fill set or worst scenario is accepted only
 * as a tie (the reference's numbers for the kernel's choice agree), a different status only at the
 * edge (equity within tolerance of IM or MM). Shared by test/agreement.test.ts and the fuzz tests.
 *
 * The size is at least the gross value (test/builds.test.ts's measure: what the PVs add up in
 * absolute value), not only the result's magnitude: a pair whose long and short positions cancel
 * has PVs near 0 (1e-9 USD on 1e6 of gross, found by the long fuzz run), and there both models
 * carry rounding of the gross, not of the sum.
 */
import { expect } from "vitest";
import type { Book, BookAccount, BookPair, ResolvedInstrument } from "../../bindings/model/book.js";
import type { AccountReport } from "../../bindings/model/types.js";
import { evaluateFillSet, forwardPrice } from "../reference/model.js";

export const RELATIVE = 1e-9;

/** |a - b| <= 1e-9 relative to the larger of |b| and `scale` (the account's size in USD). */
export function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= RELATIVE * Math.max(Math.abs(b), scale);
}

function instrumentScale(pair: BookPair, instrument: ResolvedInstrument, levelMax: number): number {
  const spot = pair.spot * levelMax;
  const T = instrument.tenorYears;
  switch (instrument.kind) {
    case "spot":
    case "perpetual":
      return spot;
    case "future":
      return T > 0 ? forwardPrice(pair, T, spot) : spot;
    case "option":
      return Math.max(T > 0 ? forwardPrice(pair, T, spot) : spot, instrument.strike);
  }
}

/**
 * The gross value of an account's positions, orders and coins on a pair: sum of |qty x multiplier|
 * x (spot, forward or max(forward, strike) at the largest spot level of the grid), plus |coins| x
 * spot at that level (test/builds.test.ts).
 */
export function pairGross(book: Book, account: BookAccount, pairIndex: number): number {
  const pair = book.pairs[pairIndex];
  const levelMax = Math.max(1, ...pair.grid.map((row) => 1 + row.spotShock));
  let gross = Math.abs(account.coins[pairIndex]) * pair.spot * levelMax;
  for (const h of [...account.positions, ...account.orders]) {
    if (h.instrument.pairIndex !== pairIndex) continue;
    gross += Math.abs(h.qty * h.instrument.multiplier) * instrumentScale(pair, h.instrument, levelMax);
  }
  return gross;
}

/** Every mismatch between the kernel's and the reference's report of account `a` of `refBook`. */
export function differences(kernel: AccountReport, ref: AccountReport, refBook: Book, a: number): string[] {
  const out: string[] = [];
  const grossByPair = refBook.pairs.map((_, p) => pairGross(refBook, refBook.accounts[a], p));
  const gross = Math.abs(refBook.accounts[a].usd) + grossByPair.reduce((s, g) => s + g, 0);
  const scale = Math.max(1, Math.abs(ref.equity), ref.initialMargin, gross);
  const num = (what: string, x: number, y: number, s = scale): void => {
    if (!close(x, y, s)) out.push(`${what}: kernel ${x} reference ${y}`);
  };
  num("equity", kernel.equity, ref.equity);
  num("initialMargin", kernel.initialMargin, ref.initialMargin);
  num("maintenanceMargin", kernel.maintenanceMargin, ref.maintenanceMargin);
  num("available", kernel.available, ref.available);
  if (kernel.status !== ref.status) {
    const atEdge = close(ref.equity, ref.initialMargin, scale) || close(ref.equity, ref.maintenanceMargin, scale);
    if (!atEdge) out.push(`status: kernel ${kernel.status} reference ${ref.status}`);
  }
  expect(Object.keys(kernel.pairs)).toEqual(Object.keys(ref.pairs));
  for (const [name, r] of Object.entries(ref.pairs)) {
    const k = kernel.pairs[name];
    const pairIndex = refBook.pairs.findIndex((p) => p.name === name);
    const pairScale = Math.max(1, ...r.scenarioPV.map(Math.abs), grossByPair[pairIndex]);
    num(`${name}.requirement`, k.requirement, r.requirement, pairScale);
    // a different fill set or worst row is a tie: accept it only when the numbers agree
    let refSet = r;
    if (k.fillSet !== r.fillSet) {
      const other = evaluateFillSet(refBook, refBook.accounts[a], pairIndex, k.fillSet);
      if (!close(other.requirement, r.requirement, pairScale)) out.push(`${name}.fillSet: kernel ${k.fillSet} reference ${r.fillSet}`);
      refSet = { ...r, scenarioPV: other.scenarioPV, worstScenario: other.worstScenario };
    }
    if (k.worstScenario !== refSet.worstScenario) {
      const losses = evaluateFillSet(refBook, refBook.accounts[a], pairIndex, k.fillSet).weightedLoss;
      if (!close(losses[k.worstScenario - 1], losses[refSet.worstScenario - 1], pairScale))
        out.push(`${name}.worstScenario: kernel ${k.worstScenario} reference ${refSet.worstScenario}`);
    }
    expect(k.scenarioPV).toHaveLength(refSet.scenarioPV.length);
    k.scenarioPV.forEach((pv, s) => num(`${name}.scenarioPV[${s}]`, pv, refSet.scenarioPV[s], pairScale));
  }
  return out;
}
