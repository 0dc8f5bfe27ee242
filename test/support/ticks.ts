/**
 * Ticks for the tests of moved-pair re-margining (test/prepared.test.ts, test/fuzz-valid.test.ts):
 * a move applied to a file and written as the matching updateMarket() argument, and the check
 * that a book's outputs are those of a book prepared afresh from the moved file, bit for bit.
 */
import { expect } from "vitest";
import type { Engine, PreparedBook } from "../../bindings/engine.js";
import type { PortfolioFile } from "../../bindings/model/types.js";

/** A spot move (the futures marks by the same factor, the basis kept) or a flat surface. */
export type PairMove = { factor: number } | { atmVol: number };

/** Apply `move` to pair `pair` of `moved` and add the same to `update` (an updateMarket argument). */
export function movePair(moved: PortfolioFile, update: Record<string, object>, pair: string, move: PairMove): void {
  const market = moved.market[pair];
  if ("factor" in move) {
    market.spot *= move.factor;
    market.futures = (market.futures ?? []).map((f) => ({ ...f, mark: f.mark * move.factor }));
    update[pair] = { spot: market.spot, futures: market.futures };
  } else {
    market.surface = { atmVol: move.atmVol };
    update[pair] = { surface: market.surface };
  }
}

/** The book's last outputs equal, bit for bit, those of a book prepared afresh from `file` and run. */
export function expectFreshBits(engine: Engine, book: PreparedBook, file: PortfolioFile): void {
  const fresh = engine.prepare(file);
  fresh.run();
  expect(Array.from(book.outputs().accounts)).toEqual(Array.from(fresh.outputs().accounts));
  expect(Array.from(book.outputs().pairs)).toEqual(Array.from(fresh.outputs().pairs));
  fresh.dispose();
}
