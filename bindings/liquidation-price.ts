/**
 * Liquidation prices under the scenario margin: per account and pair, the spot (other pairs
 * fixed) at which equity falls to the maintenance margin, found on full revaluations by the
 * kernel: a one-account prepared book, moved with updateMarket({ PAIR: { spot, futures } }) and
 * re-run at every trial spot.
 *
 * f(x) = equity(x) - MM(x) at spot x. The spot move is the scenario model's: the futures marks move
 * with the spot (each times x / S, so b(T) stays as it is), the surface stays in moneyness
 * (SPEC.md, sticky moneyness), entries stay where they are (a position without entryPrice keeps
 * the entry it had at the mark).
 *
 * - `down`: the highest x in (0, S] with f(x) <= 0; `up`: the lowest x in [S, 10 S] with f(x) <= 0.
 *   An account already below MM (f(S) < 0) has both at S.
 * - Bracket: f is sampled outward from S at S (1 -+ 0.005 2^k) (distance doubling), down to
 *   0.36 S and then halving to S 2^-20, up to 10 S; the first sample with f < 0 and the one before
 *   it bracket a crossing. A pair of crossings closer together than the sampling step is not seen
 *   (the sampled f never goes below 0 there); null when no sample goes below 0.
 * - Root: Brent's method (R. P. Brent, Algorithms for Minimization without Derivatives, 1973,
 *   ch. 4, the `zeroin` algorithm; root.ts, the root finder pnlCurve's liquidation prices use too)
 *   on the bracket with tolerance XTOL = 1e-9 S: the returned spot is within XTOL + 4 eps |x| of a
 *   point where f changes sign (f is continuous in x: a max of sums of continuous values). At most
 *   root.ts MAX_ITERATIONS (200) evaluations per bracket.
 */
import type { Book, BookAccount, BookPair } from "./model/book.js";
import { formatIsoTimestamp } from "./model/dates.js";
import type { LiquidationPrice } from "./model/liquidation.js";
import { bookAccount, type LiquidationEngine, type WorkAccount } from "./liquidation-book.js";
import * as L from "./layout.js";
import { brent } from "./root.js";

/** Relative tolerance of the root, times the pair's spot. */
export const SPOT_XTOL = 1e-9;
/** The first sampling distance, a fraction of the spot; each next one doubles. */
export const FIRST_STEP = 0.005;
/** The lowest spot searched, a fraction of the spot. */
export const LOWEST = 2 ** -20;
/** The highest spot searched, a multiple of the spot. */
export const HIGHEST = 10;

/** The sample spots outward from S: down (S (1 - 0.005 2^k) to 0.36 S, then halving to S 2^-20) and up (to 10 S). */
export function samplePoints(spot: number): { down: number[]; up: number[] } {
  const down: number[] = [];
  const up: number[] = [];
  for (let d = FIRST_STEP; d < 1; d *= 2) down.push(spot * (1 - d));
  for (let x = down[down.length - 1] / 2; x > spot * LOWEST; x /= 2) down.push(x);
  down.push(spot * LOWEST);
  for (let d = FIRST_STEP; 1 + d < HIGHEST; d *= 2) up.push(spot * (1 + d));
  up.push(spot * HIGHEST);
  return { down, up };
}

/** Pairs an account's report lists: positions, orders, or a non-zero coin balance (as engine.ts). */
export function accountPairs(account: BookAccount): number[] {
  const used = new Set<number>();
  for (const p of account.positions) used.add(p.instrument.pairIndex);
  for (const o of account.orders) used.add(o.instrument.pairIndex);
  account.coins.forEach((c, p) => {
    if (c !== 0) used.add(p);
  });
  return [...used].sort((a, b) => a - b);
}

/**
 * Liquidation prices of one working account, per pair it holds: a one-account prepared book (its
 * own copy of the market), moved pair by pair and put back after each pair.
 */
export function liquidationPricesOf(engine: LiquidationEngine, book: Book, work: WorkAccount): Record<string, LiquidationPrice> {
  const account = bookAccount(work, work.id);
  const pairs: BookPair[] = structuredClone(book.pairs);
  const probe = engine.prepareBook({ asOfMs: book.asOfMs, params: book.params, pairs, accounts: [account] });
  const mmFraction = book.params.mmFraction;
  const result: Record<string, LiquidationPrice> = {};
  try {
    for (const p of accountPairs(account)) {
      const pair = book.pairs[p];
      const spot = pair.spot;
      const futures = pair.futures.map((f) => ({ expiry: formatIsoTimestamp(f.expiryMs), mark: f.mark }));
      // only a pair with futures marks moves them (a spot alone is the cheaper tick)
      const move = (x: number): void => {
        probe.updateMarket({
          [pair.name]: futures.length === 0
            ? { spot: x }
            : { spot: x, futures: x === spot ? futures : futures.map((f) => ({ expiry: f.expiry, mark: (f.mark * x) / spot })) },
        });
      };
      const f = (x: number): number => {
        move(x);
        probe.run();
        const out = probe.outputs().accounts;
        return out[0] - out[1] * mmFraction;
      };
      const f0 = f(spot);
      const tol = SPOT_XTOL * spot;
      const search = (points: number[]): number | null => {
        if (f0 < 0) return spot;
        let prev = spot;
        let fPrev = f0;
        for (const x of points) {
          const fx = f(x);
          if (fx < 0) return brent(f, prev, x, fPrev, fx, tol);
          prev = x;
          fPrev = fx;
        }
        return null;
      };
      const { down, up } = samplePoints(spot);
      result[pair.name] = { spot, down: search(down), up: search(up) };
      move(spot);
    }
  } finally {
    probe.dispose();
  }
  return result;
}

/** Equity and IM of every account of a book, from one kernel pass. */
export function marginAll(engine: LiquidationEngine, book: Book): { equity: Float64Array; im: Float64Array } {
  const resident = engine.prepareBook(book);
  try {
    resident.run();
    const out = resident.outputs().accounts;
    const A = book.accounts.length;
    const equity = new Float64Array(A);
    const im = new Float64Array(A);
    for (let a = 0; a < A; a++) {
      equity[a] = out[a * L.OUT_ACC_STRIDE];
      im[a] = out[a * L.OUT_ACC_STRIDE + 1];
    }
    return { equity, im };
  } finally {
    resident.dispose();
  }
}
