import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createEngine, type Engine } from "../bindings/index.js";
import { MarginError } from "../bindings/errors.js";
import { WhatIfSession } from "../bindings/whatif-session.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { Gen, randomFile } from "./support/random.js";

// A session keeps an edited file and its book in step: after every edit its report is
// engine.margin(session.file), bit for bit (the page's numbers are the server's).
const EXAMPLE: PortfolioFile = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));
const bits = (x: unknown): string => JSON.stringify(x);

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

function agrees(session: WhatIfSession): void {
  expect(bits(session.report())).toBe(bits(engine.margin(session.file)));
}

describe("a what-if session", () => {
  it("opens with the file's report and leaves the caller's file alone", () => {
    const file = structuredClone(EXAMPLE);
    const session = new WhatIfSession(engine, file);
    agrees(session);
    session.setQty(0, 0, -7);
    expect(file).toEqual(EXAMPLE);
    session.dispose();
  });

  it("edits a quantity, removes a position, applies trades: always the report of the edited file", () => {
    const session = new WhatIfSession(engine, EXAMPLE);
    const before = session.accountReport(1).initialMargin;
    const r = session.setQty(1, 2, 14);
    expect(session.file.accounts[1].positions![2].qty).toBe(14);
    expect(r).toBe(session.report().accounts[1]);
    expect(r.initialMargin).not.toBe(before);
    agrees(session);
    session.removePosition(0, 3);
    expect(session.file.accounts[0].positions).toHaveLength(6);
    expect(session.book.accounts[0].positions.map((p) => p.path)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `accounts[0].positions[${i}]`));
    agrees(session);
    const option = session.applyTrade({ account: "bob-mm", instrument: "BTC-25DEC26-95000-C", qty: -3 }); // at the mark
    expect(session.file.accounts[1].balances).toEqual({ USDC: 120_000, USD: -option.trade.cash });
    expect(bits(option.after)).toBe(bits(session.report().accounts[1]));
    agrees(session);
    const perp = session.applyTrade({ account: "alice", instrument: "ETH-PERPETUAL", qty: 4, price: 3_090 });
    expect(session.file.accounts[0].positions!.at(-1)).toEqual({ instrument: "ETH-PERPETUAL", qty: 4, entryPrice: 3_090 });
    expect(bits(perp.after)).toBe(bits(session.report().accounts[0]));
    agrees(session);
    session.applyTrade({ account: "alice", instrument: { kind: "option", pair: "ETH", right: "call", strike: 3_300, expiry: "2027-03-26T08:00:00Z", multiplier: 10 }, qty: 1, price: 150 });
    expect(session.file.accounts[0].balances!.USD).toBe(250_000 - 1 * 10 * 150);
    agrees(session);
    session.dispose();
  });

  it("previews a trade without applying it, on the book's numbers", () => {
    const session = new WhatIfSession(engine, EXAMPLE);
    const preview = session.previewTrade({ account: "alice", instrument: "BTC-PERPETUAL", qty: -1, price: 91_000 });
    expect(bits(preview.before)).toBe(bits(session.report().accounts[0]));
    agrees(session);
    expect(preview.after.initialMargin).not.toBe(preview.before.initialMargin);
    session.dispose();
  });

  it("shifts a pair's spot (futures alike) and vols through updateMarket; a shift back restores the report", () => {
    const session = new WhatIfSession(engine, EXAMPLE);
    const opened = bits(session.report());
    session.shiftMarket("BTC", { spot: 0.05, vol: 0.2 });
    expect(session.file.market.BTC.spot).toBe(91_000 * 1.05);
    expect(session.file.market.BTC.futures![0].mark).toBe(91_090 * 1.05);
    expect((session.file.market.BTC.surface as { vols: number[][] }).vols[0][0]).toBe(0.88 * 1.2);
    expect(session.book.pairs[0].spot).toBe(91_000 * 1.05);
    agrees(session);
    expect(bits(session.report())).not.toBe(opened);
    session.setQty(0, 2, 3); // an edit after a shift lays the moved book out again
    agrees(session);
    session.shiftMarket("ETH", { vol: -0.5 });
    agrees(session);
    session.setQty(0, 2, 1);
    session.shiftMarket("BTC", { spot: 0, vol: 0 });
    session.shiftMarket("ETH", { vol: 0 });
    expect(bits(session.report())).toBe(opened);
    expect(session.shift("BTC")).toEqual({ spot: 0, vol: 0 });
    session.dispose();
  });

  it("shifts flat and option-mark surfaces too", () => {
    const file = randomFile(77, { accounts: 6, markSurfaces: true });
    const session = new WhatIfSession(engine, file);
    agrees(session);
    for (const pair of ["BTC", "ETH", "SOL"]) session.shiftMarket(pair, { spot: -0.1, vol: 0.3 });
    agrees(session);
    session.dispose();
  });

  it("rejects bad edits with the field's path and keeps its state", () => {
    const session = new WhatIfSession(engine, EXAMPLE);
    const opened = bits(session.report());
    const check = (f: () => unknown, code: string, path: string) => {
      expect(f).toThrow(MarginError);
      try {
        f();
      } catch (e) {
        expect([(e as MarginError).code, (e as MarginError).path]).toEqual([code, path]);
      }
    };
    check(() => session.setQty(0, 1, "4"), "E_TYPE", "accounts[0].positions[1].qty");
    check(() => session.setQty(0, 1, 0), "E_RANGE", "accounts[0].positions[1].qty");
    check(() => session.setQty(0, 1, NaN), "E_NOT_FINITE", "accounts[0].positions[1].qty");
    check(() => session.setQty(0, 9, 1), "E_RANGE", "accounts[0].positions[9]");
    check(() => session.setQty(5, 0, 1), "E_RANGE", "accounts[5]");
    check(() => session.applyTrade({ account: "alice", instrument: "BTC-PERPETUAL", qty: 1, price: 0 }), "E_RANGE", "trade.price");
    check(() => session.shiftMarket("BTC", { spot: -1 }), "E_RANGE", "shift.spot");
    check(() => session.shiftMarket("BTC", { vol: -1.5 }), "E_RANGE", "shift.vol");
    check(() => session.shiftMarket("DOGE", { spot: 0.1 }), "E_UNKNOWN", "pair");
    check(() => new WhatIfSession(engine, { ...EXAMPLE, asOf: "yesterday" }), "E_PARSE", "asOf");
    expect(bits(session.report())).toBe(opened);
    expect(bits(session.file)).toBe(bits(EXAMPLE));
    agrees(session);
    session.dispose();
  });

  it("agrees with engine.margin(file) through random edits of random books", () => {
    for (const seed of [3, 4, 5]) {
      const g = new Gen(seed * 101);
      const session = new WhatIfSession(engine, randomFile(seed, { accounts: 8, randomParams: seed !== 3 }));
      for (let step = 0; step < 12; step++) {
        const a = g.int(0, session.book.accounts.length - 1);
        const positions = session.book.accounts[a].positions.length;
        const roll = g.next();
        if (roll < 0.45 && positions > 0) session.setQty(a, g.int(0, positions - 1), (g.chance(0.5) ? -1 : 1) * g.int(1, 30) / 4);
        else if (roll < 0.55 && positions > 1) session.removePosition(a, g.int(0, positions - 1));
        else if (roll < 0.8) {
          const pair = g.pick(["BTC", "ETH", "SOL"]);
          const spot = session.book.pairs.find((p) => p.name === pair)!.spot;
          const instrument = g.pick([`${pair}-PERPETUAL`, `${pair}-USD`, { kind: "option" as const, pair, right: "put" as const, strike: Math.round(spot * 0.9), expiry: "2027-06-25T08:00:00Z" }]);
          session.applyTrade({ account: session.book.accounts[a].id, instrument, qty: g.int(1, 5), ...(g.chance(0.5) ? { price: spot * 0.01 } : {}) });
        } else {
          session.shiftMarket(g.pick(["BTC", "ETH", "SOL"]), { spot: g.uniform(-0.3, 0.3), vol: g.uniform(-0.5, 1) });
        }
        agrees(session);
      }
      session.dispose();
    }
  });

  it("reads curves and contributions from the resident book's run", () => {
    const session = new WhatIfSession(engine, EXAMPLE);
    session.setQty(0, 0, -4);
    const curve = session.pnlCurve(0, "BTC");
    const report = session.accountReport(0);
    expect(curve.points[50].equity).toBe(report.equity);
    expect(curve.requirement).toBe(report.pairs.BTC.requirement);
    expect(bits(curve)).toBe(bits(engine.pnlCurve(session.file, "alice", "BTC")));
    const c = session.contributions(0, "BTC");
    expect(bits(c)).toBe(bits(engine.worstScenarioContributions(session.file, "alice", "BTC")));
    session.dispose();
  });

  it("does not grow memory over many edits", () => {
    const session = new WhatIfSession(engine, randomFile(9, { accounts: 3, positions: [40, 60] }));
    const edit = (i: number): void => {
      session.setQty(0, i % 10, (i % 7) + 1);
      session.contributions(0, "BTC");
      session.pnlCurve(0, "BTC", { points: 21 });
      session.previewTrade({ account: "acct-0", instrument: "BTC-PERPETUAL", qty: 1 });
    };
    for (let i = 0; i < 70; i++) edit(i); // every shape of every call seen once
    const before = engine.memoryBytes;
    for (let i = 0; i < 350; i++) edit(i);
    expect(engine.memoryBytes).toBe(before);
    session.dispose();
  });
});
