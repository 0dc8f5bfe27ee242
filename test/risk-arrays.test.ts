import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { normalize } from "../bindings/validate.js";
import type { AccountReport, PortfolioFile } from "../bindings/model/types.js";
import { referenceMargin } from "./reference/model.js";
import { kernelImage } from "../bindings/engine.js";
import { marginAccountsTs } from "../bench/ts-kernel.js";
import { Gen } from "./support/random.js";
import { expectFreshBits } from "./support/ticks.js";

// Books of listed contracts: many accounts, few distinct instruments, so the engine prices each
// instrument once per call (risk arrays) and every position adds size x its array.
let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const EXPIRIES = ["27NOV26", "25DEC26", "26MAR27"];
function listedBook(seed: number, accounts: number): PortfolioFile {
  const g = new Gen(seed);
  const names: string[] = ["BTC-PERPETUAL", "ETH-PERPETUAL", "BTC-25DEC26", "ETH-26MAR27"];
  for (const e of EXPIRIES) {
    for (let k = 70_000; k <= 120_000; k += 5_000) names.push(`BTC-${e}-${k}-C`, `BTC-${e}-${k}-P`);
    for (let k = 2_400; k <= 3_800; k += 200) names.push(`ETH-${e}-${k}-C`, `ETH-${e}-${k}-P`);
  }
  return {
    asOf: "2026-11-21T08:00:00Z",
    params: { grid: g.chance(0.5) ? "powertrade9" : "span16", vsfTenorExponent: g.pick([0, 0.5]) },
    market: {
      BTC: { spot: 91_000, futures: [{ expiry: "2026-12-25T08:00:00Z", mark: 91_500 }],
        surface: { tenors: [0.02, 0.1, 0.4], logMoneyness: [-0.4, 0, 0.4], vols: [[0.9, 0.6, 0.8], [0.8, 0.55, 0.7], [0.7, 0.52, 0.62]] } },
      ETH: { spot: 3_100, surface: { atmVol: 0.7 } },
    },
    accounts: Array.from({ length: accounts }, (_, a) => ({
      id: `a${a}`,
      balances: { USD: 50_000, BTC: g.chance(0.3) ? g.uniform(0, 2) : 0 },
      positions: Array.from({ length: g.int(1, 15) }, () => ({ instrument: g.pick(names), qty: g.int(-10, 10) || 1 })),
      orders: g.chance(0.3) ? [{ instrument: g.pick(names), side: g.chance(0.5) ? ("buy" as const) : ("sell" as const), qty: 2, price: 100 }] : [],
    })),
  };
}

function near(a: AccountReport, b: AccountReport): void {
  const scale = Math.max(1, Math.abs(b.equity), b.initialMargin);
  expect(Math.abs(a.equity - b.equity)).toBeLessThanOrEqual(1e-12 * scale);
  expect(Math.abs(a.initialMargin - b.initialMargin)).toBeLessThanOrEqual(1e-12 * scale);
  expect(Object.keys(a.pairs)).toEqual(Object.keys(b.pairs));
  for (const [name, p] of Object.entries(b.pairs)) {
    const q = a.pairs[name];
    q.scenarioPV.forEach((pv, s) => expect(Math.abs(pv - p.scenarioPV[s])).toBeLessThanOrEqual(1e-12 * scale));
  }
}

describe("risk arrays for shared instruments", () => {
  it("give every account exactly what it gets margined alone (row by row), bit for bit", () => {
    for (const seed of [1, 2, 3]) {
      const file = listedBook(seed, 150);
      const together = engine.margin(file).accounts;
      file.accounts.forEach((account, a) => {
        const alone = engine.margin({ ...file, accounts: [account] }).accounts[0];
        near(together[a], alone);
        expect(JSON.stringify(together[a])).toBe(JSON.stringify(alone));
      });
    }
  });

  it("agree with the plain-TS reference model", () => {
    const file = listedBook(9, 300);
    const book = normalize(file);
    const kernel = engine.marginBook(book).accounts;
    referenceMargin(book).accounts.forEach((ref, a) => {
      const scale = Math.max(1, Math.abs(ref.equity), ref.initialMargin);
      expect(Math.abs(kernel[a].initialMargin - ref.initialMargin)).toBeLessThanOrEqual(1e-9 * scale);
      expect(Math.abs(kernel[a].equity - ref.equity)).toBeLessThanOrEqual(1e-9 * scale);
    });
  });

  it("follow the market: a tick re-prices every shared instrument", () => {
    const file = listedBook(4, 200);
    const book = engine.prepare(file);
    book.margin();
    book.updateMarket({ BTC: { spot: 80_000 } });
    const moved = structuredClone(file);
    moved.market.BTC.spot = 80_000;
    expect(book.margin()).toEqual(engine.margin(moved));
    book.dispose();
  });

  it("are the plain-TS port's algorithm too: same outputs on the same memory image", () => {
    const book = engine.prepare(listedBook(6, 120));
    book.run();
    const kernelOut = book.outputs();
    const accounts = Array.from(kernelOut.accounts);
    const pairs = Array.from(kernelOut.pairs);
    const { memory, header } = kernelImage(book);
    const copy = memory.buffer.slice(0);
    expect(marginAccountsTs(copy, header)).toBe(0);
    const view = new Float64Array(copy);
    const accAt = kernelOut.accounts.byteOffset / 8;
    const pairAt = kernelOut.pairs.byteOffset / 8;
    accounts.forEach((x, i) => expect(Math.abs(view[accAt + i] - x)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(x))));
    pairs.forEach((x, i) => expect(Math.abs(view[pairAt + i] - x)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x))));
    book.dispose();
  });
});

describe("PreparedBook.runRange", () => {
  it("margins account ranges to the same bits as run(), reusing the prices only within one market", () => {
    const file = listedBook(7, 90);
    const whole = engine.prepare(file);
    const ranged = engine.prepare(file);
    const cuts = [[40, 90], [0, 13], [13, 13], [13, 40]] as const;
    for (const spot of [91_000, 84_000, 97_500]) {
      if (spot !== 91_000) {
        whole.updateMarket({ BTC: { spot } });
        ranged.updateMarket({ BTC: { spot } });
      }
      whole.run();
      // the first range after a tick prices the shared instruments at the new spot, the later
      // ranges reuse them: a stale price would show in every range but the first
      for (const [first, end] of cuts) ranged.runRange(first, end);
      expect(Array.from(ranged.outputs().accounts)).toEqual(Array.from(whole.outputs().accounts));
      expect(Array.from(ranged.outputs().pairs)).toEqual(Array.from(whole.outputs().pairs));
    }
    whole.dispose();
    ranged.dispose();
  });

  it("leaves the rows outside the range as they were, and refuses a range outside the book", () => {
    const book = engine.prepare(listedBook(8, 20));
    book.run();
    const before = Array.from(book.outputs().accounts);
    book.updateMarket({ BTC: { spot: 70_000 } });
    book.runRange(5, 10);
    const after = Array.from(book.outputs().accounts);
    expect(after.slice(0, 10)).toEqual(before.slice(0, 10));
    expect(after.slice(20)).toEqual(before.slice(20));
    expect(after.slice(10, 20)).not.toEqual(before.slice(10, 20));
    for (const [first, end] of [[-1, 3], [4, 3], [0, 21], [0.5, 2]]) {
      expect(() => book.runRange(first, end)).toThrow(RangeError);
    }
    for (const p of [-1, 2, 0.5, Number.NaN]) expect(() => book.runRange(0, 20, { pairs: [p] })).toThrow(RangeError);
    book.dispose();
  });

  it("with `pairs`, re-prices those and reads the others back, to the bits of a fresh book", () => {
    const file = listedBook(9, 40);
    const book = engine.prepare(file);
    book.run();
    book.updateMarket({ BTC: { spot: 86_000 } });
    // BTC is pair 0: the two halves re-price it alone, ETH is read back
    expect(book.book.pairs[0].name).toBe("BTC");
    book.runRange(0, 17, { pairs: [0] });
    book.runRange(17, 40, { pairs: [0] });
    const moved = structuredClone(file);
    moved.market.BTC.spot = 86_000;
    expectFreshBits(engine, book, moved);
    // re-pricing nothing reads every pair back, unchanged
    const before = Array.from(book.outputs().pairs);
    book.runRange(0, 40, { pairs: [] });
    expect(Array.from(book.outputs().pairs)).toEqual(before);
    book.dispose();
  });
});
