import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { MarginError } from "../bindings/errors.js";
import type { AccountInput, PortfolioFile } from "../bindings/model/types.js";
import type { DepthInput } from "../bindings/model/liquidation.js";
import { brent, brentLockstep } from "../bindings/root.js";
import { applyPlan } from "./support/apply-plan.js";

// Books small enough to follow by hand: S = 100,000, SSF 0.15, mmFraction 0.5, so a perpetual's
// IM is 15,000 per coin and its MM 7,500.
const S = 100_000;
let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

function book(accounts: AccountInput[]): PortfolioFile {
  return {
    asOf: "2026-11-21T08:00:00Z",
    market: { BTC: { spot: S, surface: { atmVol: 0.6 } }, ETH: { spot: 4000, surface: { atmVol: 0.8 } } },
    accounts,
  };
}

/** Long 10 perpetuals bought at 110,000 with 170,000 USD: equity 70,000 < MM 75,000 (90,000 with the order). */
const LONG: AccountInput = {
  id: "L",
  balances: { USD: 170_000 },
  positions: [{ instrument: "BTC-PERPETUAL", qty: 10, entryPrice: 110_000 }],
  orders: [{ instrument: "BTC-PERPETUAL", side: "buy", qty: 2, price: 95_000 }],
};
const SHORTS: AccountInput[] = [
  { id: "s1", balances: { USD: 50_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -4, entryPrice: 120_000 }] },
  { id: "s2", balances: { USD: 200_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -8, entryPrice: 101_000 }] },
  { id: "s3", balances: { USD: 100_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -3, entryPrice: 90_000 }] },
];

describe("one position against the book", () => {
  const depth: DepthInput = { "BTC-PERPETUAL": { bids: [[99_900, 2], [99_800, 3], [99_500, 5]], asks: [[100_100, 5]] } };

  it("cancels the order, then closes level by level, the last step only as far as the target", () => {
    const plan = engine.liquidationPlan(book([LONG]), "L", { depth });
    expect(plan.triggered).toBe(true);
    expect(plan.before).toMatchObject({ equity: 70_000, status: "liquidation" });
    expect(plan.before.initialMargin).toBeCloseTo(180_000, 6); // 12 coins with the bid filled
    expect(plan.cancelled.orders).toEqual([{ instrument: "BTC-PERPETUAL", side: "buy", qty: 2, price: 95_000, path: "accounts[0].orders[0]" }]);
    expect(plan.cancelled.after.initialMargin).toBeCloseTo(150_000, 6);
    // p_b = 100,000 (1 - 70,000 / 1,000,000) = 93,000: every level is usable. Within a level the
    // score is 15,000 / (mark - bid) whatever the size, so each step takes a whole level:
    // 150 (2 @ 99,900), 75 (3 @ 99,800), 30 (@ 99,500) ...
    expect(plan.steps.map((s) => s.legs.map((l) => [l.via, l.side, l.averagePrice]))).toEqual([
      [["book", "sell", 99_900]],
      [["book", "sell", 99_800]],
      [["book", "sell", 99_500]],
    ]);
    expect(plan.steps.map((s) => s.score)).toEqual([expect.closeTo(150, 9), expect.closeTo(75, 9), expect.closeTo(30, 9)]);
    expect(plan.steps[0].legs[0].bankruptcyPrice).toBeCloseTo(93_000, 6);
    expect(plan.steps[0].legs[0].quantity).toBe(2);
    expect(plan.steps[1].legs[0].quantity).toBe(3);
    // ... and the last needs 69,200 - 500 x >= 15,000 (5 - x): x = 0.4
    const last = plan.steps[2];
    expect(last.legs[0].quantity).toBeCloseTo(0.4, 7);
    expect(last.minimalWithin).toBeGreaterThan(0);
    expect(last.minimalWithin).toBeLessThan(1e-8);
    expect(plan.outcome).toBe("target-reached");
    expect(plan.after.equity).toBeCloseTo(69_000, 4);
    expect(plan.after.initialMargin).toBeCloseTo(69_000, 3);
    expect(plan.after.equity).toBeGreaterThanOrEqual(plan.after.target);
    expect(plan.positionsAfter).toEqual([{ instrument: "BTC-PERPETUAL", multiplier: 1, qty: expect.closeTo(4.6, 7), positionPaths: ["accounts[0].positions[0]"] }]);
    expect(plan.totals.bookSlippage).toBeCloseTo(200 + 600 + 200, 4);
    expect(plan.adl).toEqual([]);
  });

  it("states every step's equity and IM as engine.margin finds them on the file after the step", () => {
    const file = book([LONG]);
    const plan = engine.liquidationPlan(file, "L", { depth });
    plan.steps.forEach((step, k) => {
      const after = engine.margin(applyPlan(file, plan, { steps: k + 1 })).accounts[0];
      expect(after.equity).toBeCloseTo(step.after.equity, 6);
      expect(after.initialMargin).toBeCloseTo(step.after.initialMargin, 6);
    });
  });

  it("stops at MM + buffer (IM - MM): buffer 0 stops at the maintenance margin", () => {
    const atMm = engine.liquidationPlan(book([LONG]), "L", { depth, buffer: 0 });
    // 70,000 - 100 x >= 7,500 (10 - x) on the first level: x = 5,000 / 7,400 = 0.6757 coins
    expect(atMm.steps).toHaveLength(1);
    expect(atMm.steps[0].legs[0].quantity).toBeCloseTo(5_000 / 7_400, 7);
    expect(atMm.after.equity).toBeGreaterThanOrEqual(atMm.after.maintenanceMargin);
    expect(atMm.after.target).toBe(atMm.after.maintenanceMargin);
    const half = engine.liquidationPlan(book([LONG]), "L", { depth, buffer: 0.5 });
    expect(half.after.target).toBeCloseTo(half.after.initialMargin * 0.75, 6);
    const closed = (p: typeof half) => p.steps.reduce((n, s) => n + s.legs[0].quantity, 0);
    expect(closed(atMm)).toBeLessThan(closed(half));
  });

  it("does nothing for an account at or above maintenance", () => {
    const safe = { ...LONG, balances: { USD: 200_000 }, orders: [] }; // equity 100,000 >= MM 75,000
    const plan = engine.liquidationPlan(book([safe]), "L", { depth });
    expect(plan).toMatchObject({ triggered: false, outcome: "not-triggered", steps: [], adl: [] });
    expect(plan.cancelled.orders).toEqual([]);
    expect(plan.after).toEqual(plan.before);
  });
});

describe("a hedged book", () => {
  // long 10 perpetuals hedged by 6 long puts; closing puts (cheap to sell) raises the requirement
  const hedged: AccountInput = {
    id: "h",
    balances: { USD: 100_000 },
    positions: [
      { instrument: "BTC-PERPETUAL", qty: 10, entryPrice: 110_000 },
      { instrument: "BTC-25DEC26-100000-P", qty: 6 },
    ],
  };

  it("closes the risk leg first, never the hedge that would raise IM", () => {
    const file = book([hedged]);
    const before = engine.margin(file).accounts[0];
    expect(before.status).toBe("liquidation");
    // closing the hedge alone raises IM (checked on the file itself)
    const withoutHedge = structuredClone(file);
    withoutHedge.accounts[0].positions![1].qty = 3;
    expect(engine.margin(withoutHedge).accounts[0].initialMargin).toBeGreaterThan(before.initialMargin);
    // the put's value (a file holding one put and nothing else has it as equity)
    const putValue = engine.margin(book([{ id: "p", positions: [{ instrument: "BTC-25DEC26-100000-P", qty: 1 }] }])).accounts[0].equity;
    const plan = engine.liquidationPlan(file, "h", {
      depth: {
        "BTC-PERPETUAL": { bids: [[99_800, 20]] }, // 200 USD a coin below the mark
        "BTC-25DEC26-100000-P": { bids: [[putValue - 5, 100]] }, // 5 USD a coin: what "cheapest first" would sell
      },
    });
    expect(plan.steps.length).toBeGreaterThan(0);
    expect(plan.steps[0].legs.map((l) => l.instrument)).toEqual(["BTC-PERPETUAL"]);
    for (const step of plan.steps) expect(step.requirementReduction).toBeGreaterThan(0);
    expect(plan.outcome).toBe("target-reached");
    expect(plan.after.equity).toBeGreaterThanOrEqual(plan.after.target);
  });
});

describe("a book too thin: auto-deleverage", () => {
  // only 1 coin bid above the bankruptcy price 93,000; the 90,000 bid is beyond it
  const depth: DepthInput = { "BTC-PERPETUAL": { bids: [[99_900, 1], [90_000, 50]] } };

  it("ranks the opposite positions by PnL% x leverage (profitable) and PnL% / leverage (losing)", () => {
    const queue = engine.adlQueue(book([LONG, ...SHORTS]), "BTC-PERPETUAL", "long");
    expect(queue.side).toBe("long");
    expect(queue.entries.map((e) => e.account)).toEqual(["s1", "s2", "s3"]);
    const [s1, s2, s3] = queue.entries;
    // s1: short 4 @ 120,000, equity 50,000 + 80,000; PnL% = 80,000 / 480,000; leverage 400,000 / 130,000
    expect(s1.pnlPercent).toBeCloseTo(1 / 6, 12);
    expect(s1.effectiveLeverage).toBeCloseTo(400_000 / 130_000, 12);
    expect(s1.score).toBeCloseTo((1 / 6) * (400_000 / 130_000), 12);
    expect(s1.bankruptcyPrice).toBeCloseTo(100_000 * (1 + 130_000 / 400_000), 6);
    expect(s1.markValue - s1.bankruptValue).toBeCloseTo(s1.equity, 6);
    expect(s2.score).toBeCloseTo((8_000 / 808_000) * (800_000 / 208_000), 12);
    // s3 is losing: -30,000 / 270,000 divided by its leverage 300,000 / 70,000
    expect(s3.score).toBeCloseTo((-30_000 / 270_000) / (300_000 / 70_000), 12);
    expect(queue.entries.map((e) => e.rank)).toEqual([1, 2, 3]);
  });

  it("fills the book within the bankruptcy price, then closes the rest at it against the queue", () => {
    const file = book([LONG, ...SHORTS]);
    const plan = engine.liquidationPlan(file, "L", { depth });
    expect(plan.steps.map((s) => s.via)).toEqual(["book", "adl"]);
    const [first, second] = plan.steps;
    expect(first.legs[0]).toMatchObject({ quantity: 1, averagePrice: 99_900, slippage: 100 });
    // equity 69,900 over 9 coins: p_b = 100,000 (1 - 69,900 / 900,000); ADL at p_b never improves
    // E / IM of a lone position, so it closes all 9 and leaves equity 0
    const pb = 100_000 * (1 - 69_900 / 900_000);
    expect(second.legs[0]).toMatchObject({ quantity: 9, adlCoins: 9, bookFills: [] });
    expect(second.legs[0].averagePrice).toBeCloseTo(pb, 8);
    expect(second.legs[0].bankruptcyPrice).toBeCloseTo(pb, 8);
    expect(plan.after.equity).toBeCloseTo(0, 6);
    expect(plan.after.equity).toBeGreaterThanOrEqual(-1e-6);
    expect(plan.positionsAfter).toEqual([]);
    // the notifications: s1 (rank 1) whole, then s2 for the rest, at p_b
    expect(plan.adl.map((n) => [n.account, n.rank, n.side, n.quantity, n.limit])).toEqual([
      ["s1", 1, "buy", 4, "position"],
      ["s2", 2, "buy", 5, "order"],
    ]);
    for (const n of plan.adl) expect(n.price).toBeCloseTo(pb, 8);
    expect(plan.adl[0].pnl).toBeCloseTo(4 * (100_000 - pb), 6);
    // conservation: what L gave up at p_b, s1 and s2 gained
    const gained = plan.adl.reduce((t, n) => t + n.pnl, 0);
    expect(gained).toBeCloseTo(69_900, 6);
    expect(plan.totals.adlSlippage).toBeCloseTo(gained, 6);
    const after = engine.margin(applyPlan(file, plan)).accounts;
    expect(after[1].equity).toBeCloseTo(130_000 + plan.adl[0].pnl, 6);
    expect(after[2].equity).toBeCloseTo(208_000 + plan.adl[1].pnl, 6);
    expect(after[3].equity).toBeCloseTo(70_000, 6); // s3 untouched
  });

  it("makes a bankrupt account whole from the queue, never taking a counterparty below zero", () => {
    // equity 170,000 - 190,000 = -20,000: p_b = 100,000 (1 + 20,000 / 1,000,000) = 102,000; the
    // first counterparty's equity covers only part of the 2,000 a coin it pays
    const bankrupt: AccountInput = { id: "L", balances: { USD: 170_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 10, entryPrice: 119_000 }] };
    const thin: AccountInput = { id: "thin", balances: { USD: -15_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -4, entryPrice: 104_000 }] };
    const rich: AccountInput = { id: "rich", balances: { USD: 1_000_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -20, entryPrice: 100_500 }] };
    const file = book([bankrupt, thin, rich]);
    const plan = engine.liquidationPlan(file, "L", { depth: { "BTC-PERPETUAL": { bids: [[99_000, 5]] } } });
    expect(plan.before.equity).toBeCloseTo(-20_000, 6);
    expect(plan.steps.every((s) => s.via === "adl")).toBe(true); // no bid at or above 102,000
    expect(plan.after.equity).toBeCloseTo(0, 6);
    expect(plan.after.equity).toBeGreaterThanOrEqual(-1e-6);
    const thinNote = plan.adl.find((n) => n.account === "thin")!;
    // thin: equity -15,000 + 16,000 = 1,000 covers 0.5 coin at 2,000 a coin
    expect(thinNote).toMatchObject({ rank: 1, limit: "equity" });
    expect(thinNote.coins).toBeCloseTo(0.5, 9);
    expect(thinNote.equityAfter).toBeCloseTo(0, 6);
    const after = engine.margin(applyPlan(file, plan)).accounts;
    for (const a of after) expect(a.equity).toBeGreaterThanOrEqual(-1e-6);
    // no book fills: the three equities sum to what they did (-20,000 + 1,000 + 1,010,000)
    expect(after[0].equity + after[1].equity + after[2].equity).toBeCloseTo(991_000, 4);
  });

  it("reports what it cannot do when neither the book nor the queue can take anything", () => {
    const plan = engine.liquidationPlan(book([LONG]), "L", { depth: {} });
    expect(plan.outcome).toBe("stuck");
    expect(plan.reason).toMatch(/neither the depth .* nor the ADL queue/);
    expect(plan.steps).toEqual([]);
    expect(plan.after.equity).toBe(70_000);
  });
});

describe("liquidation prices", () => {
  it("solves the closed forms of a long and a short perpetual to 1e-9 of the spot", () => {
    const file = book([
      { id: "long", balances: { USD: 20_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] },
      { id: "short", balances: { USD: 20_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -1 }] },
      { id: "cash", balances: { USD: 20_000 } },
      { id: "rich-short", balances: { USD: 10_000_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -1 }] },
    ]);
    const report = engine.liquidationPrices(file);
    // long: 20,000 + (x - S) = 0.075 x at MM; short: 20,000 - (x - S) = 0.075 x
    expect(report.accounts[0].pairs.BTC.down).toBeCloseTo((S - 20_000) / 0.925, 3);
    expect(report.accounts[0].pairs.BTC.up).toBeNull();
    expect(report.accounts[1].pairs.BTC.up).toBeCloseTo((S + 20_000) / 1.075, 3);
    expect(report.accounts[1].pairs.BTC.down).toBeNull();
    expect(report.accounts[2].pairs).toEqual({});
    expect(report.accounts[3].pairs.BTC.up).toBeNull(); // not even at 10 S
  });

  it("moves the futures marks with the spot: a long future's closed form with b fixed", () => {
    const file = book([{ id: "f", balances: { USD: 30_000 }, positions: [{ instrument: "BTC-26MAR27", qty: 2 }] }]);
    file.market.BTC.futures = [{ expiry: "2027-03-26T08:00:00Z", mark: 102_000 }];
    const r = engine.liquidationPrices(file).accounts[0].pairs.BTC;
    // F = 1.02 x; equity 30,000 + 2 (F - 102,000); MM = 0.075 x 2 F (the future revalued at 1.15 F)
    const k = 1.02;
    expect(r.down).toBeCloseTo((2 * 102_000 - 30_000) / (2 * k - 0.075 * 2 * k), 3);
  });

  it("puts an option book's root where engine.margin finds equity = MM", () => {
    const file = book([
      {
        id: "o",
        balances: { USD: 120_000 },
        positions: [
          { instrument: "BTC-25DEC26-90000-P", qty: -8 },
          { instrument: "BTC-25DEC26-115000-C", qty: -5 },
          { instrument: "ETH-PERPETUAL", qty: 10 },
        ],
      },
    ]);
    const r = engine.liquidationPrices(file).accounts[0];
    expect(r.status).not.toBe("liquidation");
    for (const x of [r.pairs.BTC.down, r.pairs.BTC.up]) {
      expect(x).not.toBeNull();
      const at = (spot: number) => {
        const moved = structuredClone(file);
        moved.market.BTC.spot = spot;
        const a = engine.margin(moved).accounts[0];
        return a.equity - a.maintenanceMargin;
      };
      const tol = 1e-9 * S + 1e-6;
      expect(at(x! - 2 * tol) * at(x! + 2 * tol)).toBeLessThanOrEqual(0);
    }
    // 10 ETH can lose at most 40,000: at the lowest spot searched equity is still above MM
    expect(r.pairs.ETH).toEqual({ spot: 4000, down: null, up: null });
    const low = structuredClone(file);
    low.market.ETH.spot = 4000 * 2 ** -20;
    const a = engine.margin(low).accounts[0];
    expect(a.equity).toBeGreaterThan(a.maintenanceMargin);
  });

  it("gives the current spot for an account already below MM, and is in the plan", () => {
    const plan = engine.liquidationPlan(book([LONG]), "L", { depth: { "BTC-PERPETUAL": { bids: [[99_900, 20]] } } });
    expect(plan.liquidationPrices.before.BTC).toEqual({ spot: S, down: S, up: S });
    // after: 4.6... coins long with equity = IM; 69,000-ish + q (x - S) = 0.075 q x
    const q = plan.positionsAfter[0].qty;
    const e = plan.after.equity;
    expect(plan.liquidationPrices.after.BTC.down).toBeCloseTo((q * S - e) / (q * 0.925), 3);
  });
});

describe("the root finder (bindings/root.ts, Brent's zeroin)", () => {
  const EPS = Number.EPSILON;
  /** f counting its evaluations */
  const counted = (g: (x: number) => number): { f: (x: number) => number; calls: () => number } => {
    let n = 0;
    return { f: (x) => (n++, g(x)), calls: () => n };
  };
  const cubic = (x: number): number => x * x * x - 2;
  const step = (x: number): number => (x < 0.3 ? 1 : -1);
  const kink = (x: number): number => Math.min(1 - x, 0.1 * (0.95 - x)); // piecewise linear, like equity - MM

  it("ends within tol + 4 eps x of a sign change: a smooth root, a kink, a jump", () => {
    for (const tol of [1e-3, 1e-9, 0]) {
      const r = brent(cubic, 0, 2, cubic(0), cubic(2), tol);
      expect(Math.abs(r - Math.cbrt(2))).toBeLessThanOrEqual(tol + 4 * EPS * r);
      const k = brent(kink, 0, 3, kink(0), kink(3), tol);
      expect(Math.abs(k - 0.95)).toBeLessThanOrEqual(tol + 4 * EPS * k);
      const j = brent(step, 0, 1, step(0), step(1), tol);
      // the jump: the last bracket [j, c] holds it
      expect(Math.abs(j - 0.3)).toBeLessThanOrEqual(tol + 4 * EPS * j);
    }
  });

  it("returns an end where f is 0, and a bracket already within tolerance, without evaluating", () => {
    const { f, calls } = counted(cubic);
    expect(brent(f, 0, Math.cbrt(2) * 2, 0, 5, 1e-9)).toBe(0);
    expect(brent(f, 1, 2, -1, 0, 1e-9)).toBe(2);
    const r = brent(f, 1.2599, 1.26, cubic(1.2599), cubic(1.26), 1e-3);
    expect([1.2599, 1.26]).toContain(r);
    expect(calls()).toBe(0);
  });

  it("converges superlinearly on a smooth root (far fewer evaluations than bisection)", () => {
    const { f, calls } = counted(cubic);
    brent(f, 0, 2, cubic(0), cubic(2), 1e-9 * 2);
    // bisection needs log2(2 / 2e-9) = 30
    expect(calls()).toBeLessThanOrEqual(12);
  });

  it("gives each bracket in lockstep the root brent gives it alone, bit for bit, one round per step", () => {
    const fs = [cubic, kink, step, cubic];
    const brackets = [
      { a: 0, b: 2, fa: cubic(0), fb: cubic(2) },
      { a: 0, b: 3, fa: kink(0), fb: kink(3) },
      { a: 0, b: 1, fa: step(0), fb: step(1) },
      null,
    ];
    const tol = 1e-9;
    const alone = brackets.map((k, i) => {
      if (k === null) return { root: null, calls: 0 };
      const { f, calls } = counted(fs[i]);
      return { root: brent(f, k.a, k.b, k.fa, k.fb, tol), calls: calls() };
    });
    let rounds = 0;
    const { roots, evaluations } = brentLockstep(brackets, tol, (trials) => {
      rounds++;
      expect(trials[3]).toBeNull();
      return trials.map((x, i) => (x === null ? NaN : fs[i](x)));
    });
    expect(roots).toEqual(alone.map((r) => r.root));
    expect(evaluations).toBe(alone.reduce((n, r) => n + r.calls, 0));
    expect(rounds).toBe(Math.max(...alone.map((r) => r.calls)));
  });
});

describe("bad input", () => {
  const file = book([LONG, ...SHORTS]);
  const bad = (options: unknown, id = "L"): MarginError => {
    try {
      engine.liquidationPlan(file, id, options as never);
    } catch (e) {
      if (e instanceof MarginError) return e;
      throw e;
    }
    throw new Error("accepted");
  };

  it("names the depth field by its path", () => {
    expect(bad({ depth: { "BTC-PERPETUAL": { bids: [[99_900, 1], [99_800, 2], [99_700, -1]] } } }).message).toBe(
      'depth["BTC-PERPETUAL"].bids[2][1]: must be > 0, got -1',
    );
    expect(bad({ depth: { "BTC-PERPETUAL": { bids: [[99_900, 1], [99_950, 2]] } } }).path).toBe('depth["BTC-PERPETUAL"].bids[1][0]');
    expect(bad({ depth: { "BTC-PERPETUAL": { asks: [[100_000, 1], [99_000, 2]] } } }).code).toBe("E_ORDER");
    expect(bad({ depth: { "BTC-PERPETUAL": { bids: [[100_000, 1]], asks: [[99_000, 2]] } } }).message).toMatch(/crosses the best bid/);
    expect(bad({ depth: { "BTC-PERPETUAL": { bids: [[100_000]] } } }).path).toBe('depth["BTC-PERPETUAL"].bids[0]');
    expect(bad({ depth: { "BTC-PERPETUAL": { bids: [[100_000, "1"]] } } }).code).toBe("E_TYPE");
    expect(bad({ depth: { "BTC-PERPETUAL": { bids: [[Infinity, 1]] } } }).code).toBe("E_NOT_FINITE");
    expect(bad({ depth: { "BTC-PERPETUAL": { bid: [] } } }).path).toBe('depth["BTC-PERPETUAL"].bid');
    expect(bad({ depth: { "XRP-PERPETUAL": {} } }).path).toBe('depth["XRP-PERPETUAL"]');
    expect(bad({ depth: { "btc-perpetual": {} } }).code).toBe("E_PARSE");
    expect(bad({ depth: { "BTC-5DEC26": {}, "BTC-05DEC26": {} } }).message).toMatch(/same market/);
    expect(bad({}).path).toBe("depth");
  });

  it("names the buffer, the account and unknown options", () => {
    expect(bad({ depth: {}, buffer: 1.5 }).message).toBe("buffer: must be in [0, 1], got 1.5");
    expect(bad({ depth: {}, buffer: NaN }).code).toBe("E_NOT_FINITE");
    expect(bad({ depth: {}, buffers: 1 }).path).toBe("buffers");
    expect(bad({ depth: {} }, "nobody").message).toBe('accountId: no account has id "nobody"');
    const file2 = structuredClone(file);
    file2.accounts[0].positions![0].qty = Number.NaN;
    expect(() => engine.liquidationPlan(file2, "L", { depth: {} })).toThrow(/^accounts\[0\]\.positions\[0\]\.qty: /);
  });

  it("checks the ADL queue's instrument and side", () => {
    expect(() => engine.adlQueue(file, "BTC-PERP", "long")).toThrow(/^instrument: /);
    expect(() => engine.adlQueue(file, "SOL-PERPETUAL", "long")).toThrow(/^instrument: unknown pair SOL/);
    expect(() => engine.adlQueue(file, "BTC-PERPETUAL", "buy" as never)).toThrow(/^side: unknown side "buy"/);
  });
});
