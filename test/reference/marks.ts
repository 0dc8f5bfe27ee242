/**
 * The reference construction of a surface from option marks (SPEC.md "Implied-volatility
 * surface", docs/surface-construction.md), independent of the engine's: it shares no code with
 * assembly/implied.ts or bindings/surface-marks.ts and ignores the forward and discount factor
 * that validation stored in each mark, deriving them again from the pair's spot and futures
 * (model.ts forwardPrice) and the book's usdRate.
 *
 * Implied vol: a different method from the kernel's (Jaeckel's normalised Black with rational
 * guesses and Householder steps): Newton's iteration on the reference black76 (model.ts,
 * F N(d1) - K N(d2) with its own N, normal.ts), kept inside a bracket [lo, hi] that every
 * evaluation narrows, bisecting whenever a Newton step would leave it, until the step or the
 * bracket is below 1e-15 relative. Error: the vol at which black76 equals the mark to its own
 * rounding, i.e. |dvol / vol| <= (price rounding) / (vol * vega); for the marks of the tests
 * (moneyness within a few total vols, vol * vega / price > 1e-3) below 1e-13.
 */
import type { Book, BookOptionMark, BookPair, BookSurface } from "../../bindings/model/book.js";
import { black76, forwardPrice } from "./model.js";
import { normalPdf } from "./normal.js";

/**
 * Black-76 implied vol of a mark (discounted USD per coin): 0 when the mark is at the zero-vol
 * value; throws when it is outside (intrinsic, bound) or no vol below 100 (10,000%) reaches it.
 */
export function referenceImpliedVol(
  mark: number,
  forward: number,
  strike: number,
  tenorYears: number,
  discountFactor: number,
  isCall: boolean,
): number {
  const price = (vol: number): number => black76(forward, strike, tenorYears, vol, discountFactor, isCall);
  const floor = price(0);
  if (mark < floor) throw new RangeError(`referenceImpliedVol: mark ${mark} below intrinsic ${floor}`);
  if (mark === floor) return 0;
  let lo = 0;
  let hi = 1;
  while (price(hi) < mark) {
    lo = hi;
    hi *= 2;
    if (hi > 100) throw new RangeError(`referenceImpliedVol: mark ${mark} needs a vol above 100`);
  }
  const rootT = Math.sqrt(tenorYears);
  let vol = 0.5 * (lo + hi);
  for (let i = 0; i < 500; i++) {
    const p = price(vol);
    if (p > mark) hi = vol;
    else if (p < mark) lo = vol;
    else return vol;
    const d1 = Math.log(forward / strike) / (vol * rootT) + 0.5 * vol * rootT;
    const vega = discountFactor * forward * normalPdf(d1) * rootT;
    let next = vol - (p - mark) / vega;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - vol) <= 1e-15 * vol || hi - lo <= 1e-15 * hi) return next;
    vol = next;
  }
  throw new Error("referenceImpliedVol: no convergence in 500 steps");
}

/** One node of a tenor row: log-moneyness k = ln(K/F) and the implied vol there. */
interface Node {
  k: number;
  vol: number;
}

/** Vol of a row at k: linear between its nodes, its first / last vol beyond them. */
function interpolateRow(row: readonly Node[], k: number): number {
  if (k <= row[0].k) return row[0].vol;
  const last = row[row.length - 1];
  if (k >= last.k) return last.vol;
  for (let j = 1; j < row.length; j++) {
    if (k <= row[j].k) {
      const left = row[j - 1];
      const right = row[j];
      return left.vol + ((right.vol - left.vol) * (k - left.k)) / (right.k - left.k);
    }
  }
  throw new Error("interpolateRow: unreachable");
}

/**
 * The node surface of a pair's option marks: per expiry a row at its tenor; per strike the
 * out-of-the-money mark (put below the forward, call at or above it) when both rights are
 * marked; the rows placed on the union of their k nodes by their own linear interpolation.
 */
export function referenceSurfaceFromMarks(pair: BookPair, usdRate: number): BookSurface {
  const marks: readonly BookOptionMark[] = pair.optionMarks ?? [];
  if (marks.length === 0) throw new Error(`referenceSurfaceFromMarks: pair ${pair.name} has no option marks`);
  const tenorOf = new Map<number, number>();
  for (const mark of marks) tenorOf.set(mark.expiryMs, mark.tenorYears);
  const expiries = [...tenorOf.keys()].sort((a, b) => tenorOf.get(a)! - tenorOf.get(b)!);
  const rows = expiries.map((expiryMs) => {
    const tenorYears = tenorOf.get(expiryMs)!;
    const forward = forwardPrice(pair, tenorYears, pair.spot);
    const discountFactor = Math.exp(-usdRate * tenorYears);
    const onExpiry = marks.filter((mark) => mark.expiryMs === expiryMs);
    const strikes = [...new Set(onExpiry.map((mark) => mark.strike))].sort((a, b) => a - b);
    const row: Node[] = strikes.map((strike) => {
      const both = onExpiry.filter((mark) => mark.strike === strike);
      const wantCall = !(strike < forward);
      const mark = both.find((m) => m.isCall === wantCall) ?? both[0];
      const vol = referenceImpliedVol(mark.mark, forward, strike, tenorYears, discountFactor, mark.isCall);
      return { k: Math.log(strike / forward), vol };
    });
    return { tenorYears, row };
  });
  const nodes = [...new Set(rows.flatMap(({ row }) => row.map((node) => node.k)))].sort((a, b) => a - b);
  return {
    tenors: rows.map(({ tenorYears }) => tenorYears),
    logMoneyness: nodes,
    vols: rows.map(({ row }) => nodes.map((k) => interpolateRow(row, k))),
  };
}

/** A copy of the book in which every surface of option marks is the reference construction. */
export function withReferenceSurfaces(book: Book): Book {
  return {
    ...book,
    pairs: book.pairs.map((pair) =>
      pair.optionMarks ? { ...pair, surface: referenceSurfaceFromMarks(pair, book.params.usdRate) } : pair,
    ),
  };
}
