/**
 * The WASM kernel's account report against the plain-TS reference model's (test/reference/), to
 * 1e-9 relative: each number within 1e-9 of the larger of the reference's magnitude and the
 * account's (or the pair's) size in USD; a different fill set or worst scenario is accepted only
 * as a tie (the reference's numbers for the kernel's choice agree), a different status only at the
 * edge (equity within tolerance of IM or MM). Shared by test/agreement.test.ts and the fuzz tests.
 */
import { expect } from "vitest";
import type { Book } from "../../bindings/model/book.js";
import type { AccountReport } from "../../bindings/model/types.js";
import { evaluateFillSet } from "../reference/model.js";

export const RELATIVE = 1e-9;

/** |a - b| <= 1e-9 relative to the larger of |b| and `scale` (the account's size in USD). */
export function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= RELATIVE * Math.max(Math.abs(b), scale);
}

/** Every mismatch between the kernel's and the reference's report of account `a` of `refBook`. */
export function differences(kernel: AccountReport, ref: AccountReport, refBook: Book, a: number): string[] {
  const out: string[] = [];
  const scale = Math.max(1, Math.abs(ref.equity), ref.initialMargin);
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
    const pairScale = Math.max(1, ...r.scenarioPV.map(Math.abs));
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
