import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createEngine, type Engine } from "../bindings/index.js";
import { MarginError } from "../bindings/errors.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { Gen, randomFile } from "./support/random.js";
import { expectFreshBits, movePair, type PairMove } from "./support/ticks.js";

const EXAMPLE: PortfolioFile = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));
const clone = (f: PortfolioFile): PortfolioFile => structuredClone(f);

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

describe("a prepared book", () => {
  it("margins exactly as engine.margin(file)", () => {
    const book = engine.prepare(EXAMPLE);
    expect(book.margin()).toEqual(engine.margin(EXAMPLE));
    expect(book.accountIds).toEqual(["alice", "bob-mm"]);
    expect(book.accountReport(1)).toEqual(book.report().accounts[1]);
    book.dispose();
  });

  it("after a spot tick, equals margining the file with that spot", () => {
    const book = engine.prepare(EXAMPLE);
    book.updateMarket({ BTC: { spot: 87_500 }, ETH: { spot: 3_260 } });
    const moved = clone(EXAMPLE);
    moved.market.BTC.spot = 87_500;
    moved.market.ETH.spot = 3_260;
    expect(book.margin()).toEqual(engine.margin(moved));
    book.dispose();
  });

  it("after futures and surface ticks (node counts changing), equals margining the moved file", () => {
    const book = engine.prepare(EXAMPLE);
    const surface = { tenors: [0.05, 0.5], logMoneyness: [-0.3, 0, 0.3], vols: [[0.9, 0.6, 0.7], [0.75, 0.55, 0.6]] };
    const futures = [{ expiry: "2026-12-25T08:00:00Z", mark: 90_100 }];
    book.updateMarket({ BTC: { futures, surface } });
    const moved = clone(EXAMPLE);
    moved.market.BTC.futures = futures;
    moved.market.BTC.surface = surface;
    expect(book.margin()).toEqual(engine.margin(moved));
    // and back to a flat surface
    book.updateMarket({ BTC: { surface: { atmVol: 0.5 } } });
    moved.market.BTC.surface = { atmVol: 0.5 };
    expect(book.margin()).toEqual(engine.margin(moved));
    book.dispose();
  });

  it("revalues only the pairs a tick moved, to the bits of a fresh book at the moved market", () => {
    // random books over BTC, ETH and SOL; ticks on random subsets of the pairs moving spots (with
    // the futures marks by the same factor) or surfaces; after each, the book's outputs against a
    // book prepared afresh from the moved file, which revalues everything
    const g = new Gen(77);
    for (const seed of [71, 72, 73]) {
      const file = randomFile(seed, { accounts: 30, randomParams: true });
      const book = engine.prepare(file);
      book.run();
      const moved = clone(file);
      const pairs = Object.keys(file.market);
      for (let tick = 0; tick < 8; tick++) {
        const update: Record<string, object> = {};
        for (const pair of pairs) {
          if (!g.chance(0.4)) continue;
          movePair(moved, update, pair, g.chance(0.7) ? { factor: g.uniform(0.93, 1.07) } : { atmVol: g.uniform(0.3, 1.1) });
        }
        // it names the pairs it moved (the pool's workers track them per chunk)
        expect(book.updateMarket(update)).toEqual(Object.keys(update).map((name) => pairs.indexOf(name)));
        book.run();
        expectFreshBits(engine, book, moved);
      }
      // nothing moved: run() leaves the results as they are; { full: true } revalues to the same bits
      const last = Array.from(book.outputs().pairs);
      book.run();
      expect(Array.from(book.outputs().pairs)).toEqual(last);
      book.run({ full: true });
      expect(Array.from(book.outputs().pairs)).toEqual(last);
      book.dispose();
    }
  });

  it("with more pairs than the kernel's pair mask has bits (31), a tick past them revalues all", () => {
    const names = Array.from({ length: 33 }, (_, i) => `C${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}`);
    const market: PortfolioFile["market"] = {};
    names.forEach((name, i) => (market[name] = { spot: 100 + i, surface: { atmVol: 0.5 } }));
    const held = [0, 1, 30, 31, 32];
    const file: PortfolioFile = {
      asOf: "2026-11-21T08:00:00Z",
      market,
      accounts: [0, 1].map((a) => ({
        id: `a${a}`,
        balances: { USD: 10_000, [names[32]]: 3 },
        positions: held.flatMap((i) => [
          { instrument: `${names[i]}-25DEC26-${100 + i + a * 5}-C`, qty: a === 0 ? -4 : 2 },
          { instrument: `${names[i]}-PERPETUAL`, qty: 1, entryPrice: 90 },
        ]),
      })),
    };
    const book = engine.prepare(file);
    book.run();
    const moved = clone(file);
    const ticks: [number, PairMove][] = [[32, { factor: 1.4 }], [0, { factor: 0.93 }], [31, { atmVol: 0.8 }], [1, { factor: 1.2 }], [30, { factor: 1.1 }]];
    for (const [i, move] of ticks) {
      const update: Record<string, object> = {};
      movePair(moved, update, names[i], move);
      book.updateMarket(update);
      book.run();
      expectFreshBits(engine, book, moved);
    }
    book.dispose();
  });

  it("recovers from a failed pass: once the market is back, run() gives a fresh book's bits", () => {
    // a spot at the edge of double precision overflows alice's equity and the kernel stops at
    // her account; once the spot is back, no pair may be read back from what that pass left
    const book = engine.prepare(EXAMPLE);
    book.run();
    book.updateMarket({ BTC: { spot: 1.7e308 } });
    expect(() => book.runRange(0, 2)).toThrow(/^accounts\[0\]: kernel produced a non-finite result/);
    book.updateMarket({ BTC: { spot: EXAMPLE.market.BTC.spot } });
    book.run();
    expectFreshBits(engine, book, EXAMPLE);
    book.dispose();
  });

  it("rejects a bad tick with the field path and keeps the last good market", () => {
    const book = engine.prepare(EXAMPLE);
    const before = book.margin();
    expect(() => book.updateMarket({ XRP: { spot: 1 } })).toThrow(MarginError);
    expect(() => book.updateMarket({ XRP: { spot: 1 } })).toThrow(/^market\.XRP: unknown pair XRP/);
    expect(() => book.updateMarket({ BTC: { spot: -1 } })).toThrow(/^market\.BTC\.spot: must be > 0/);
    expect(() => book.updateMarket({ BTC: { spot: 90_000, surface: { tenors: [0.5, 0.1], logMoneyness: [0], vols: [[0.5], [0.5]] } } }))
      .toThrow(/^market\.BTC\.surface\.tenors: /);
    expect(book.margin()).toEqual(before);
    book.dispose();
  });

  it("keeps several books resident side by side", () => {
    const files = [randomFile(21, { accounts: 30 }), randomFile(22, { accounts: 5 }), randomFile(23, { accounts: 60 })];
    const books = files.map((f) => engine.prepare(f));
    books[1].updateMarket({ BTC: { spot: 50_000 } });
    const moved = clone(files[1]);
    moved.market.BTC.spot = 50_000;
    expect(books[0].margin()).toEqual(engine.margin(files[0]));
    expect(books[1].margin()).toEqual(engine.margin(moved));
    expect(books[2].margin()).toEqual(engine.margin(files[2]));
    for (const b of books) b.dispose();
  });

  it("does not grow memory over many ticks, or over prepare/dispose cycles", () => {
    const file = randomFile(31, { accounts: 100 });
    const book = engine.prepare(file);
    book.margin();
    engine.prepare(file).dispose(); // the first second book grows memory once
    const before = engine.memoryBytes;
    for (let i = 0; i < 2000; i++) {
      book.updateMarket({ BTC: { spot: 60_000 + i } });
      book.run();
    }
    for (let i = 0; i < 50; i++) engine.prepare(file).dispose();
    expect(engine.memoryBytes).toBe(before);
    book.dispose();
  });

  it("refuses use after dispose and outputs before run", () => {
    const book = engine.prepare(EXAMPLE);
    expect(() => book.outputs()).toThrow(/before run/);
    book.dispose();
    expect(() => book.run()).toThrow(/after dispose/);
    book.dispose(); // twice is harmless
  });
});

describe("a prepared covariance book", () => {
  it("after a spot tick, equals marginCovariance of the moved file; the matrix is written once", () => {
    const book = engine.prepareCovariance(EXAMPLE);
    expect(book.margin()).toEqual(engine.marginCovariance(EXAMPLE));
    book.updateMarket({ BTC: { spot: 84_000 } });
    const moved = clone(EXAMPLE);
    moved.market.BTC.spot = 84_000;
    expect(book.margin()).toEqual(engine.marginCovariance(moved));
    expect(book.correlationWrites).toBe(1);
    book.dispose();
  });
});
