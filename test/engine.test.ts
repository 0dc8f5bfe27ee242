import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createEngine, type Engine } from "../bindings/index.js";
import { MarginError } from "../bindings/errors.js";
import type { AccountInput, PortfolioFile, ParamsInput } from "../bindings/model/types.js";
import { randomFile } from "./support/random.js";

// Engine-level semantics on books small enough to compute by hand (S = 100,000, SSF 0.15).
const S = 100_000;
let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

function book(accounts: AccountInput[], params: ParamsInput = {}): PortfolioFile {
  return {
    asOf: "2026-11-21T08:00:00Z",
    params,
    market: { BTC: { spot: S, surface: { atmVol: 0.6 } }, ETH: { spot: 4000, surface: { atmVol: 0.8 } } },
    accounts,
  };
}

const one = (account: Omit<AccountInput, "id">, params?: ParamsInput) =>
  engine.margin(book([{ id: "a", ...account }], params)).accounts[0];

describe("linear positions", () => {
  it("a long perpetual loses SSF of its notional in the down scenarios", () => {
    const r = one({ balances: { USD: 100_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 2 }] });
    const btc = r.pairs.BTC;
    expect(btc.requirement).toBeCloseTo(2 * S * 0.15, 8); // 30,000
    expect(btc.worstScenario).toBe(7); // first of the three S(1 - SSF) rows
    expect(btc.fillSet).toBe("none");
    expect(btc.scenarioPV).toEqual([200_000, 200_000, 200_000, 230_000, 230_000, 230_000, 170_000, 170_000, 170_000].map((v) => expect.closeTo(v, 6)));
    expect(r.equity).toBe(100_000); // entry defaults to the mark: no PnL
    expect(r.initialMargin).toBeCloseTo(30_000, 8);
    expect(r.maintenanceMargin).toBeCloseTo(15_000, 8);
    expect(r.available).toBeCloseTo(70_000, 8);
    expect(r.status).toBe("ok");
  });

  it("sets the status at the IM and MM thresholds", () => {
    const perp = [{ instrument: "BTC-PERPETUAL", qty: 2 }];
    expect(one({ balances: { USD: 30_000 }, positions: perp }).status).toBe("ok");
    expect(one({ balances: { USD: 29_999 }, positions: perp }).status).toBe("restricted");
    expect(one({ balances: { USD: 15_000 }, positions: perp }).status).toBe("restricted");
    expect(one({ balances: { USD: 14_999 }, positions: perp }).status).toBe("liquidation");
    expect(one({ balances: { USD: 14_999 }, positions: perp }).available).toBe(0);
  });

  it("counts unrealised PnL of perpetuals and futures from the entry price", () => {
    const r = one({
      positions: [
        { instrument: "BTC-PERPETUAL", qty: 1, entryPrice: 90_000 }, // +10,000
        { instrument: { kind: "future", pair: "BTC", expiry: "2027-03-26T08:00:00Z" }, qty: -2, entryPrice: 101_000 }, // +2,000 (F = S, no futures marks)
      ],
    });
    expect(r.equity).toBeCloseTo(12_000, 8);
  });

  it("applies mmFraction and per-pair SSF", () => {
    const r = one({ positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] }, { mmFraction: 0.8, pairs: { BTC: { ssf: 0.1 } } });
    expect(r.initialMargin).toBeCloseTo(10_000, 8);
    expect(r.maintenanceMargin).toBeCloseTo(8_000, 8);
  });
});

describe("coin inventory policies", () => {
  const hedged = { balances: { BTC: 1.5 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -1 }] };
  it("capped: the coin enters only up to the derivatives' short delta", () => {
    const r = one(hedged, { coinPolicy: "capped" });
    expect(r.pairs.BTC.requirement).toBeCloseTo(0, 8); // min(1.5, 1) = 1 coin offsets the short perp
    expect(r.equity).toBeCloseTo(1.5 * S, 8); // the whole balance is equity
  });
  it("full: the whole balance enters", () => {
    const r = one(hedged, { coinPolicy: "full" });
    expect(r.pairs.BTC.requirement).toBeCloseTo(0.5 * S * 0.15, 8); // net long 0.5
    expect(r.pairs.BTC.worstScenario).toBe(7);
  });
  it("none: coins never enter", () => {
    const r = one(hedged, { coinPolicy: "none" });
    expect(r.pairs.BTC.requirement).toBeCloseTo(S * 0.15, 8); // the naked short perp, worst up
    expect(r.pairs.BTC.worstScenario).toBe(4);
  });
  it("a coin held without derivatives adds no requirement under capped, all of it under full", () => {
    expect(one({ balances: { BTC: 2 } }, { coinPolicy: "capped" }).pairs.BTC.requirement).toBe(0);
    expect(one({ balances: { BTC: 2 } }, { coinPolicy: "capped" }).pairs.BTC.scenarioPV).toEqual(Array(9).fill(0));
    expect(one({ balances: { BTC: 2 } }, { coinPolicy: "full" }).pairs.BTC.requirement).toBeCloseTo(2 * S * 0.15, 8);
  });
  it("a short coin balance always enters whole under capped", () => {
    expect(one({ balances: { USD: 1e6, BTC: -1 } }).pairs.BTC.requirement).toBeCloseTo(S * 0.15, 8);
  });
  it("a coin beyond the hedge earns no credit: long perp plus coin is the perp alone", () => {
    const r = one({ balances: { BTC: 3 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] });
    expect(r.pairs.BTC.requirement).toBeCloseTo(S * 0.15, 8);
  });
});

describe("working orders and fill sets", () => {
  const short = [{ instrument: "BTC-PERPETUAL", qty: -1 }];
  it("a risk-reducing bid does not lower the requirement below positions alone", () => {
    const r = one({ positions: short, orders: [{ instrument: "BTC-PERPETUAL", side: "buy", qty: 1, price: 99_000 }] });
    expect(r.pairs.BTC.fillSet).toBe("none");
    expect(r.pairs.BTC.requirement).toBeCloseTo(15_000, 8);
  });
  it("an ask that adds to a short sets the requirement", () => {
    const r = one({ positions: short, orders: [{ instrument: "BTC-PERPETUAL", side: "sell", qty: 1, price: 101_000 }] });
    expect(r.pairs.BTC.fillSet).toBe("asks");
    expect(r.pairs.BTC.requirement).toBeCloseTo(30_000, 8);
    expect(r.pairs.BTC.scenarioPV[3]).toBeCloseTo(-2 * S * 1.15, 6); // the asks set's PVs are reported
  });
  it("bids fill together: two bids on a long", () => {
    const r = one({
      positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }],
      orders: [
        { instrument: "BTC-PERPETUAL", side: "buy", qty: 1, price: 99_000 },
        { instrument: "BTC-PERPETUAL", side: "buy", qty: 1, price: 98_000 },
        { instrument: "BTC-PERPETUAL", side: "sell", qty: 5, price: 101_000 },
      ],
    });
    // bids: +3 -> 45,000; asks: -4 -> 60,000 (up move)
    expect(r.pairs.BTC.fillSet).toBe("asks");
    expect(r.pairs.BTC.requirement).toBeCloseTo(60_000, 8);
  });
  it("orders count in no equity", () => {
    const r = one({ balances: { USD: 1000 }, orders: [{ instrument: "BTC-PERPETUAL", side: "buy", qty: 1, price: 90_000 }] });
    expect(r.equity).toBe(1000);
    expect(r.pairs.BTC.fillSet).toBe("bids");
  });
});

describe("grids", () => {
  it("computes PV_0 on its own when the grid has no (0, 0) row", () => {
    const perp = { positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] };
    const up = one(perp, { grid: { rows: [{ spot: 0.1, vol: 0 }] } });
    expect(up.pairs.BTC.requirement).toBe(0); // the only scenario is a gain
    expect(up.pairs.BTC.scenarioPV[0]).toBeCloseTo(1.1 * S, 8);
    const down = one(perp, { grid: { rows: [{ spot: 0.2, vol: 0 }, { spot: -0.1, vol: 0, weight: 0.5 }] } });
    expect(down.pairs.BTC.requirement).toBeCloseTo(0.5 * 0.1 * S, 8);
    expect(down.pairs.BTC.worstScenario).toBe(2);
  });
  it("span16 takes the 2x extremes at 35%", () => {
    const r = one({ positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] }, { grid: "span16" });
    expect(r.pairs.BTC.scenarioPV).toHaveLength(16);
    // full scan down (rows 13, 14): 0.15 S = 15,000 beats 0.35 * 0.30 S = 10,500
    expect(r.pairs.BTC.requirement).toBeCloseTo(15_000, 8);
    expect(r.pairs.BTC.worstScenario).toBe(13);
  });
  it("combines pairs with a correlation matrix; ones give the plain sum", () => {
    const positions = [{ instrument: "BTC-PERPETUAL", qty: 1 }, { instrument: "ETH-PERPETUAL", qty: 10 }];
    const plain = one({ positions });
    const ones = one({ positions }, { pairCorrelation: [[1, 1], [1, 1]] });
    const zero = one({ positions }, { pairCorrelation: [[1, 0], [0, 1]] });
    const [rb, re] = [S * 0.15, 10 * 4000 * 0.15];
    expect(plain.initialMargin).toBeCloseTo(rb + re, 8);
    expect(ones.initialMargin).toBeCloseTo(rb + re, 8);
    expect(zero.initialMargin).toBeCloseTo(Math.hypot(rb, re), 8);
  });
});

describe("accounts are margined separately", () => {
  it("gives each account the report it gets alone", () => {
    const file = randomFile(11, { accounts: 12 });
    const together = engine.margin(file).accounts;
    file.accounts.forEach((account, a) => {
      const alone = engine.margin({ ...file, accounts: [account] }).accounts[0];
      expect(alone).toEqual(together[a]);
    });
  });
  it("lists only the pairs an account touches", () => {
    const r = one({ balances: { USD: 5 }, positions: [{ instrument: "ETH-PERPETUAL", qty: 1 }] });
    expect(Object.keys(r.pairs)).toEqual(["ETH"]);
  });
  it("reports an empty account with zero margin", () => {
    const r = one({ balances: { USD: 7 } });
    expect(r).toEqual({ id: "a", equity: 7, initialMargin: 0, maintenanceMargin: 0, available: 7, status: "ok", pairs: {} });
  });
});

describe("memory", () => {
  it("does not grow across repeated calls of the same size", () => {
    const file = randomFile(5, { accounts: 200 });
    engine.margin(file);
    const before = engine.memoryBytes;
    for (let i = 0; i < 50; i++) engine.margin(file);
    expect(engine.memoryBytes).toBe(before);
  });
  it("grows for a bigger book and keeps giving the same answers after", () => {
    const small = randomFile(6, { accounts: 3 });
    const first = engine.margin(small);
    engine.margin(randomFile(7, { accounts: 3_000 })); // forces a grow: views must be rebuilt
    expect(engine.margin(small)).toEqual(first);
  });
});

describe("the bundled example", () => {
  it("margins both accounts with positive requirements on both pairs", () => {
    const file = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));
    const report = engine.margin(file);
    expect(report.accounts.map((a) => a.id)).toEqual(["alice", "bob-mm"]);
    for (const account of report.accounts) {
      expect(Object.keys(account.pairs)).toEqual(["BTC", "ETH"]);
      for (const pair of Object.values(account.pairs)) expect(pair.requirement).toBeGreaterThan(0);
    }
  });
  it("rejects bad input with a MarginError naming the path, before computing", () => {
    const file = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));
    file.accounts[1].positions[3].qty = "4";
    expect(() => engine.margin(file)).toThrow(MarginError);
    expect(() => engine.margin(file)).toThrow(/^accounts\[1\]\.positions\[3\]\.qty: must be a finite number/);
  });
});
