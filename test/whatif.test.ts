import { beforeAll, describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { createEngine, type Engine } from "../bindings/index.js";
import { MarginError } from "../bindings/errors.js";
import { normalize } from "../bindings/validate.js";
import type { AccountInput, ParamsInput, PortfolioFile, PositionInput } from "../bindings/model/types.js";
import { BASE_SCENARIO, instrumentValue } from "./reference/model.js";
import type { LiquidationPrices } from "../bindings/whatif.js";
import { randomFile } from "./support/random.js";

// What-if (bindings/whatif.ts): every number checked against margining a file that says the same
// thing (the trade written into it, the spot moved), or against hand-computed values.
const EXAMPLE: PortfolioFile = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));
const clone = <T>(x: T): T => structuredClone(x);
const bits = (x: unknown): string => JSON.stringify(x);

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const S = 100_000;
function book(accounts: AccountInput[], params: ParamsInput = {}): PortfolioFile {
  return {
    asOf: "2026-11-21T08:00:00Z",
    params,
    market: {
      BTC: { spot: S, futures: [{ expiry: "2027-03-26T08:00:00Z", mark: 101_500 }], surface: { atmVol: 0.6 } },
      ETH: { spot: 4000, surface: { atmVol: 0.8 } },
    },
    accounts,
  };
}

/** The file with the trade written in: a position line, and for options and spot the premium out of balances.USD. */
function withTrade(file: PortfolioFile, a: number, position: PositionInput, cash: number): PortfolioFile {
  const out = clone(file);
  const account = out.accounts[a];
  (account.positions ??= []).push(position);
  if (cash !== 0) {
    account.balances ??= {};
    account.balances.USD = (account.balances.USD ?? 0) - cash;
  }
  return out;
}

function expectMarginError(f: () => unknown, code: string, path: string): void {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(MarginError);
    expect((error as MarginError).code).toBe(code);
    expect((error as MarginError).path).toBe(path);
    expect((error as MarginError).message.startsWith(`${path}: `)).toBe(true);
    return;
  }
  throw new Error("expected a MarginError");
}

describe("whatIf", () => {
  it("before is the account's report; after is the report of the file with the trade written in, bit for bit", () => {
    const report = engine.margin(EXAMPLE);
    const cases: { a: number; trade: { account: string; instrument: string; qty: number; price?: number } }[] = [
      { a: 0, trade: { account: "alice", instrument: "BTC-PERPETUAL", qty: -2, price: 90_800 } },
      { a: 0, trade: { account: "alice", instrument: "BTC-PERPETUAL", qty: 1 } },
      { a: 0, trade: { account: "alice", instrument: "ETH-26MAR27-3600-C", qty: 7, price: 180 } },
      { a: 1, trade: { account: "bob-mm", instrument: "BTC-25DEC26-95000-C", qty: -3 } }, // premium at the kernel's mark, USDC account
      { a: 1, trade: { account: "bob-mm", instrument: "BTC-USD", qty: 0.5, price: 91_100 } },
    ];
    for (const { a, trade } of cases) {
      const r = engine.whatIf(EXAMPLE, trade);
      expect(bits(r.before)).toBe(bits(report.accounts[a]));
      const linear = trade.instrument.endsWith("PERPETUAL");
      const position: PositionInput = { instrument: trade.instrument, qty: trade.qty };
      if (linear) position.entryPrice = r.trade.price; // the given price, or the mark
      expect(r.trade.entryPrice).toBe(linear ? r.trade.price : null);
      const cash = linear ? 0 : trade.qty * r.trade.price;
      expect(r.trade.cash).toBe(cash);
      expect(r.trade.priceSource).toBe(trade.price === undefined ? "mark" : "given");
      const expected = engine.margin(withTrade(EXAMPLE, a, position, cash)).accounts[a];
      expect(bits(r.after)).toBe(bits(expected));
      expect(r.incrementalIM).toBe(r.after.initialMargin - r.before.initialMargin);
    }
  });

  it("prices a trade without a price at the kernel's mark, so equity does not move but for rounding", () => {
    const r = engine.whatIf(EXAMPLE, { account: "bob-mm", instrument: "BTC-25DEC26-95000-C", qty: -3 });
    const b = normalize(EXAMPLE);
    const instrument = b.accounts[1].orders[0].instrument; // the same option, resolved
    const reference = instrumentValue(b.pairs[0], instrument, b.params.usdRate, BASE_SCENARIO);
    expect(r.trade.price).toBeCloseTo(reference, 7);
    expect(Math.abs(r.after.equity - r.before.equity)).toBeLessThan(1e-9 * Math.abs(r.before.equity));
    expect(r.after.initialMargin).toBeLessThan(r.before.initialMargin); // bob is long the upside: the short call offsets it
  });

  it("reads a PreparedBook's market as it stands", () => {
    const prepared = engine.prepare(EXAMPLE);
    prepared.updateMarket({ BTC: { spot: 85_000 } });
    const moved = clone(EXAMPLE);
    moved.market.BTC.spot = 85_000;
    const trade = { account: "alice", instrument: "BTC-26MAR27-80000-P", qty: 2, price: 4_000 };
    expect(bits(engine.whatIf(prepared, trade))).toBe(bits(engine.whatIf(moved, trade)));
    expect(bits(engine.whatIf(prepared, trade).before)).toBe(bits(engine.margin(moved).accounts[0]));
    prepared.dispose();
  });

  describe("acceptance", () => {
    // a long perpetual: IM = 0.15 S = 15,000, MM = 7,500
    const perp = (usd: number): AccountInput => ({ id: "t", balances: { USD: usd }, positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] });
    const decide = (usd: number, trade: { instrument: string; qty: number; price?: number }) =>
      engine.whatIf(book([perp(usd)]), { account: "t", ...trade });

    it("accepts a trade the equity covers, rejects one it does not", () => {
      const ok = decide(40_000, { instrument: "BTC-PERPETUAL", qty: 1 });
      expect([ok.accepted, ok.rule, ok.after.initialMargin]).toEqual([true, "covered", expect.closeTo(30_000, 6)]);
      const no = decide(20_000, { instrument: "BTC-PERPETUAL", qty: 1 });
      expect([no.accepted, no.rule, no.before.status, no.after.status]).toEqual([false, "insufficient-margin", "ok", "restricted"]);
      expect(no.reason).toMatch(/^insufficient margin: equity 20,000\.00 < IM 30,000\.00/);
    });

    it("a restricted account takes risk-reducing trades only", () => {
      // equity 10,000: MM 7,500 <= 10,000 < IM 15,000; selling 0.2 leaves IM 12,000, still above equity
      const down = decide(10_000, { instrument: "BTC-PERPETUAL", qty: -0.2 });
      expect([down.before.status, down.after.status]).toEqual(["restricted", "restricted"]);
      expect([down.accepted, down.rule, down.after.initialMargin]).toEqual([true, "risk-reducing", expect.closeTo(12_000, 6)]);
      expect(down.incrementalIM).toBeCloseTo(-3_000, 6);
      expect(down.reason).toBe("restricted account, risk-reducing trade: IM 15,000.00 -> 12,000.00");
      const up = decide(10_000, { instrument: "BTC-PERPETUAL", qty: 0.1 });
      expect([up.accepted, up.rule]).toEqual([false, "not-risk-reducing"]);
      // lowers the IM, but selling 25,000 below the mark costs 5,000 of equity: 5,000 < MM 6,000
      const ruin = decide(10_000, { instrument: "BTC-PERPETUAL", qty: -0.2, price: 75_000 });
      expect(ruin.after.initialMargin).toBeLessThan(ruin.before.initialMargin);
      expect([ruin.accepted, ruin.rule, ruin.after.status]).toEqual([false, "liquidation", "liquidation"]);
      // and once the trade brings equity over IM it is covered whatever the status before
      const out = decide(10_000, { instrument: "BTC-PERPETUAL", qty: -0.5 });
      expect([out.accepted, out.rule, out.after.status]).toEqual([true, "covered", "ok"]);
    });

    it("an account in liquidation is refused unless the trade covers its IM", () => {
      const partial = decide(5_000, { instrument: "BTC-PERPETUAL", qty: -0.5 });
      expect(partial.before.status).toBe("liquidation");
      expect([partial.accepted, partial.rule]).toEqual([false, "liquidation"]);
      const flat = decide(5_000, { instrument: "BTC-PERPETUAL", qty: -1 });
      expect([flat.accepted, flat.rule, flat.after.initialMargin]).toEqual([true, "covered", expect.closeTo(0, 6)]);
    });
  });

  it("rejects a bad trade with the field's path", () => {
    const trade = { account: "alice", instrument: "BTC-PERPETUAL", qty: 1 };
    expectMarginError(() => engine.whatIf(EXAMPLE, { ...trade, account: "carol" }), "E_UNKNOWN", "trade.account");
    expectMarginError(() => engine.whatIf(EXAMPLE, { ...trade, qty: "4" as unknown as number }), "E_TYPE", "trade.qty");
    expectMarginError(() => engine.whatIf(EXAMPLE, { ...trade, qty: 0 }), "E_RANGE", "trade.qty");
    expectMarginError(() => engine.whatIf(EXAMPLE, { ...trade, qty: Infinity }), "E_NOT_FINITE", "trade.qty");
    expectMarginError(() => engine.whatIf(EXAMPLE, { ...trade, price: -1 }), "E_RANGE", "trade.price");
    expectMarginError(() => engine.whatIf(EXAMPLE, { ...trade, instrument: "BTC-32DEC26" }), "E_PARSE", "trade.instrument");
    expectMarginError(() => engine.whatIf(EXAMPLE, { ...trade, instrument: "XRP-PERPETUAL" }), "E_UNKNOWN", "trade.instrument");
    expectMarginError(() => engine.whatIf(EXAMPLE, { ...trade, side: "buy" } as never), "E_UNKNOWN", "trade.side");
    expectMarginError(() => engine.whatIf(EXAMPLE, null as never), "E_TYPE", "trade");
    const badFile = clone(EXAMPLE);
    badFile.accounts[1].positions![0].qty = NaN;
    expectMarginError(() => engine.whatIf(badFile, trade), "E_NOT_FINITE", "accounts[1].positions[0].qty");
  });
});

/** The file with one pair's spot and futures marks moved by the factor m. */
function moved(file: PortfolioFile, pair: string, m: number): PortfolioFile {
  const out = clone(file);
  const market = out.market[pair];
  market.spot = file.market[pair].spot * m;
  market.futures = (file.market[pair].futures ?? []).map((f) => ({ ...f, mark: f.mark * m }));
  return out;
}

describe("pnlCurve", () => {
  it("gives the PnL at each spot as the file moved there, and re-margins it at the margin points", () => {
    const report = engine.margin(EXAMPLE);
    for (const [a, id] of [[0, "alice"], [1, "bob-mm"]] as const) {
      const curve = engine.pnlCurve(EXAMPLE, id, "BTC");
      expect(curve.points).toHaveLength(101);
      expect(curve.margins).toHaveLength(21);
      const center = curve.points[50];
      expect([center.move, center.spot, center.pnl, center.equity]).toEqual([0, 91_000, 0, report.accounts[a].equity]);
      expect(curve.points[0].spot).toBe(91_000 * 0.5);
      expect(curve.points[100].spot).toBe(91_000 * 1.5);
      for (const i of [0, 13, 49, 51, 77, 100]) {
        const point = curve.points[i];
        const there = engine.margin(moved(EXAMPLE, "BTC", 1 + point.move)).accounts[a];
        expect(point.pnl).toBeCloseTo(there.equity - report.accounts[a].equity, 6);
        expect(point.equity).toBeCloseTo(there.equity, 6);
      }
      const middle = curve.margins[10];
      expect([middle.move, middle.spot]).toEqual([0, 91_000]);
      expect(middle.initialMargin).toBe(report.accounts[a].initialMargin);
      expect(middle.maintenanceMargin).toBe(report.accounts[a].maintenanceMargin);
      expect(middle.equity).toBe(report.accounts[a].equity);
      curve.margins.forEach((point, j) => {
        expect(point.move).toBeCloseTo(-0.5 + j * 0.05, 14);
        const there = engine.margin(moved(EXAMPLE, "BTC", 1 + point.move)).accounts[a];
        expect(point.initialMargin).toBe(there.initialMargin);
        expect(point.maintenanceMargin).toBe(there.maintenanceMargin);
        expect(point.status).toBe(there.status);
        expect(point.equity).toBeCloseTo(there.equity, 6);
        // the margin points lie on the PnL curve (every fifth point)
        expect(point.equity - report.accounts[a].equity).toBeCloseTo(curve.points[5 * j].pnl, 6);
      });
    }
  });

  it("keeps the entry of a future or perpetual without one at today's mark as the spot moves", () => {
    const file = book([{ id: "p", balances: { USD: 50_000 }, positions: [{ instrument: "BTC-26MAR27", qty: 2 }] }]);
    const curve = engine.pnlCurve(file, "p", "BTC", { points: 11, range: 0.1 });
    const mark = 101_500; // the future's mark at S
    curve.points.forEach((point) => expect(point.pnl).toBeCloseTo(2 * mark * point.move, 6));
    curve.margins.forEach((point) => expect(point.equity).toBeCloseTo(50_000 + 2 * mark * point.move, 6));
  });

  it("combines the pair with the other pairs' requirements as the kernel does, correlation included", () => {
    const file = clone(EXAMPLE);
    file.params!.pairCorrelation = [[1, 0.3], [0.3, 1]];
    const report = engine.margin(file);
    const curve = engine.pnlCurve(file, "alice", "ETH", { points: 41, range: 0.3, marginPoints: 41 });
    expect(curve.margins[20].initialMargin).toBe(report.accounts[0].initialMargin);
    for (const j of [0, 7, 33, 40]) {
      const there = engine.margin(moved(file, "ETH", 1 + curve.margins[j].move)).accounts[0];
      expect(curve.margins[j].initialMargin).toBe(there.initialMargin);
    }
  });

  it("spans chunks of pseudo-pairs seamlessly", () => {
    const curve = engine.pnlCurve(EXAMPLE, "bob-mm", "BTC", { points: 1001, range: 0.6, marginPoints: 201 });
    expect(curve.points).toHaveLength(1001);
    expect(curve.margins).toHaveLength(201);
    expect(curve.margins[100].initialMargin).toBe(engine.margin(EXAMPLE).accounts[1].initialMargin);
    for (const j of [126, 127, 128, 200]) {
      const there = engine.margin(moved(EXAMPLE, "BTC", 1 + curve.margins[j].move)).accounts[1];
      expect(curve.margins[j].initialMargin).toBe(there.initialMargin);
    }
  });

  it("lists the pair's scenarios as the margin sees them; the worst loss is the requirement", () => {
    const curve = engine.pnlCurve(EXAMPLE, "alice", "BTC");
    const pair = engine.margin(EXAMPLE).accounts[0].pairs.BTC;
    expect(curve.scenarios).toHaveLength(9);
    expect(curve.scenarios.map((s) => s.spot)).toEqual([1, 1, 1, 1.15, 1.15, 1.15, 0.85, 0.85, 0.85].map((m) => 91_000 * m));
    const worst = curve.scenarios.filter((s) => s.worst);
    expect(worst.map((s) => s.scenario)).toEqual([pair.worstScenario]);
    expect(worst[0].loss).toBeCloseTo(pair.requirement, 6);
    expect(Math.max(...curve.scenarios.map((s) => s.loss))).toBe(worst[0].loss);
    expect(curve.requirement).toBe(pair.requirement);
    expect(curve.fillSet).toBe(pair.fillSet);
  });

  it("finds the liquidation price of a short perpetual in closed form", () => {
    // equity(x) = U - (x - S); MM(x) = 0.5 * 0.15 x (the up scenario): liquidation at x = (U + S) / 1.075
    const file = book([{ id: "s", balances: { USD: 20_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -1 }] }]);
    const curve = engine.pnlCurve(file, "s", "BTC");
    const exact = (20_000 + S) / 1.075;
    expect(Math.abs(curve.liquidation.above! - exact)).toBeLessThan(2e-9 * S);
    expect(curve.liquidation.below).toBeNull();
    expect(curve.liquidation.now).toBe(false);
    expect(curve.liquidation.refinements).toBeGreaterThan(0);
    // and a long one below: U + (x - S) = 0.075 x -> x = (S - U) / 0.925
    const long = engine.pnlCurve(book([{ id: "l", balances: { USD: 20_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] }]), "l", "BTC");
    expect(Math.abs(long.liquidation.below! - (S - 20_000) / 0.925)).toBeLessThan(2e-9 * S);
    expect(long.liquidation.above).toBeNull();
  });

  it("finds both liquidation prices of a short straddle, where equity = MM on the moved file", () => {
    const straddle = book([{
      id: "v",
      balances: { USD: 60_000 },
      positions: [
        { instrument: "BTC-25DEC26-100000-C", qty: -2 },
        { instrument: "BTC-25DEC26-100000-P", qty: -2 },
      ],
    }]);
    const curve = engine.pnlCurve(straddle, "v", "BTC");
    const { below, above } = curve.liquidation;
    expect(below).not.toBeNull();
    expect(above).not.toBeNull();
    expect(below!).toBeLessThan(S);
    expect(above!).toBeGreaterThan(S);
    for (const x of [below!, above!]) {
      const slack = (m: number): number => {
        const r = engine.margin(moved(straddle, "BTC", m)).accounts[0];
        return r.equity - r.maintenanceMargin;
      };
      const inside = x < S ? 1 + 1e-7 : 1 - 1e-7;
      const outside = x < S ? 1 - 1e-7 : 1 + 1e-7;
      expect(slack((x / S) * inside)).toBeGreaterThanOrEqual(0);
      expect(slack((x / S) * outside)).toBeLessThan(0);
    }
  });

  it("agrees with engine.liquidationPrices, the same Brent search on its own bracket, to the searches' tolerance", () => {
    const hand = book([
      { id: "short", balances: { USD: 20_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: -1 }] },
      { id: "long", balances: { USD: 20_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] },
      { id: "straddle", balances: { USD: 60_000 }, positions: [{ instrument: "BTC-25DEC26-100000-C", qty: -2 }, { instrument: "BTC-25DEC26-100000-P", qty: -2 }] },
      {
        id: "options",
        balances: { USD: 120_000 },
        positions: [
          { instrument: "BTC-25DEC26-90000-P", qty: -8 },
          { instrument: "BTC-25DEC26-115000-C", qty: -5 },
          { instrument: "ETH-PERPETUAL", qty: 10 },
        ],
      },
    ]);
    const files = [hand, EXAMPLE, ...Array.from({ length: 20 }, (_, i) => randomFile(1001 + i, { accounts: 6 }))];
    let compared = 0;
    for (const file of files) {
      for (const account of engine.liquidationPrices(file).accounts) {
        for (const [pair, price] of Object.entries(account.pairs)) {
          const curve = engine.pnlCurve(file, account.id, pair).liquidation;
          if (curve.now) continue;
          for (const [x, y] of [[curve.below, price.down], [curve.above, price.up]]) {
            // a crossing within the curve's range is one liquidationPrices finds too (no pair of
            // crossings closer than its sampling step here); each is within 1e-9 S + 4 eps x of it
            if (x === null) continue;
            expect(y).not.toBeNull();
            expect(Math.abs(x - y!)).toBeLessThanOrEqual(2 * (1e-9 * price.spot + 4 * Number.EPSILON * x));
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(20);
  });

  it("counts in refinements the re-margins of the search, both sides' trial spots sharing a kernel call", () => {
    const original = engine.prepareBook.bind(engine);
    let runs = 0;
    const spy = vi.spyOn(engine, "prepareBook").mockImplementation((b) => {
      const prepared = original(b);
      const run = prepared.run.bind(prepared);
      prepared.run = () => {
        runs++;
        run();
      };
      return prepared;
    });
    // kernel calls of pnlCurve beyond those of the same holdings with cash enough for no crossing
    const extraCalls = (positions: PositionInput[], usd: number): { calls: number; liquidation: LiquidationPrices } => {
      runs = 0;
      engine.pnlCurve(book([{ id: "x", balances: { USD: 1e9 }, positions }]), "x", "BTC");
      const base = runs;
      runs = 0;
      const liquidation = engine.pnlCurve(book([{ id: "x", balances: { USD: usd }, positions }]), "x", "BTC").liquidation;
      return { calls: runs - base, liquidation };
    };
    try {
      const perpetual = extraCalls([{ instrument: "BTC-PERPETUAL", qty: -1 }], 20_000);
      expect(perpetual.liquidation.above).not.toBeNull();
      expect(perpetual.liquidation.below).toBeNull();
      expect(perpetual.liquidation.refinements).toBeGreaterThan(0);
      expect(perpetual.calls).toBe(perpetual.liquidation.refinements);
      const straddle = extraCalls([{ instrument: "BTC-25DEC26-100000-C", qty: -2 }, { instrument: "BTC-25DEC26-100000-P", qty: -2 }], 60_000);
      expect(straddle.liquidation.below).not.toBeNull();
      expect(straddle.liquidation.above).not.toBeNull();
      // one call per step: as many as the longer side's search, fewer than both sides' trials
      expect(straddle.calls).toBeLessThan(straddle.liquidation.refinements);
      expect(straddle.calls).toBeGreaterThanOrEqual(straddle.liquidation.refinements / 2);
    } finally {
      spy.mockRestore();
    }
  });

  it("reports an account below MM now", () => {
    const file = book([{ id: "z", balances: { USD: 5_000 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }] }]);
    const curve = engine.pnlCurve(file, "z", "BTC");
    expect(curve.status).toBe("liquidation");
    expect(curve.liquidation).toEqual({ below: null, above: null, now: true, refinements: 0 });
  });

  it("rejects bad arguments with their paths", () => {
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "carol", "BTC"), "E_UNKNOWN", "accountId");
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "alice", "XRP"), "E_UNKNOWN", "pair");
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "alice", "BTC", { points: 1.5 }), "E_RANGE", "options.points");
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "alice", "BTC", { points: 5000 }), "E_RANGE", "options.points");
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "alice", "BTC", { range: 1 }), "E_RANGE", "options.range");
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "alice", "BTC", { marginPoints: 1 }), "E_RANGE", "options.marginPoints");
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "alice", "BTC", { marginPoints: 202 }), "E_RANGE", "options.marginPoints");
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "alice", "BTC", { range: NaN }), "E_NOT_FINITE", "options.range");
    expectMarginError(() => engine.pnlCurve(EXAMPLE, "alice", "BTC", { step: 1 } as never), "E_UNKNOWN", "options.step");
  });
});

describe("worstScenarioContributions", () => {
  it("adds up to the pair's worst-scenario PV change; the requirement is its weighted loss", () => {
    const files = [EXAMPLE, randomFile(41, { accounts: 12 }), randomFile(42, { accounts: 12, randomParams: true })];
    for (const file of files) {
      const report = engine.margin(file);
      const b = normalize(file);
      report.accounts.forEach((account, a) => {
        for (const [pair, pr] of Object.entries(account.pairs)) {
          const c = engine.worstScenarioContributions(file, account.id, pair);
          expect(c.scenario).toBe(pr.worstScenario);
          expect(c.fillSet).toBe(pr.fillSet);
          expect(c.requirement).toBe(pr.requirement);
          const gross = c.items.reduce((g, item) => g + Math.abs(item.pvChange), 0) + Math.abs(c.pvChange);
          const sum = c.items.reduce((s, item) => s + item.pvChange, 0);
          expect(Math.abs(sum - c.pvChange)).toBeLessThanOrEqual(1e-12 * gross + 1e-9);
          expect(Math.abs(pr.requirement - Math.max(0, -c.weight * c.pvChange))).toBeLessThanOrEqual(1e-12 * gross + 1e-9);
          const p = b.pairs.findIndex((x) => x.name === pair);
          const positions = b.accounts[a].positions.filter((x) => x.instrument.pairIndex === p).length;
          expect(c.items.filter((item) => item.kind === "position")).toHaveLength(positions);
          expect(c.items.some((item) => item.kind === "coin")).toBe(b.accounts[a].coins[p] !== 0);
        }
      });
    }
  });

  it("gives each position its own PV change in the worst scenario (reference model), the coin its hedge", () => {
    const file = book([{
      id: "h",
      balances: { USD: 50_000, BTC: 0.5 },
      positions: [
        { instrument: "BTC-PERPETUAL", qty: -1 },
        { instrument: "BTC-26MAR27-110000-C", qty: 2 },
      ],
    }]);
    const c = engine.worstScenarioContributions(file, "h", "BTC");
    const b = normalize(file);
    const pair = b.pairs[0];
    const row = pair.grid[c.scenario! - 1];
    const scenario = { spotShock: row.spotShock, volShock: row.volShock };
    const [perp, call] = b.accounts[0].positions;
    const change = (instrument: typeof perp.instrument, qty: number) =>
      qty * (instrumentValue(pair, instrument, 0, scenario) - instrumentValue(pair, instrument, 0, BASE_SCENARIO));
    expect(c.items[0]).toEqual({ kind: "position", index: 0, instrument: "BTC-PERPETUAL", qty: -1, pvChange: expect.closeTo(change(perp.instrument, -1), 6) });
    expect(c.items[1]).toMatchObject({ kind: "position", index: 1, instrument: "BTC-26MAR27-110000-C", qty: 2 });
    expect(c.items[1].pvChange).toBeCloseTo(change(call.instrument, 2), 6);
    // capped: the coin enters as min(0.5, -delta) = 0.5 (the perp's delta is -1, the call's below 1)
    expect(c.items[2]).toEqual({ kind: "coin", index: -1, instrument: "BTC", qty: 0.5, pvChange: expect.closeTo(0.5 * S * row.spotShock, 6) });
  });

  it("lists the filled orders of the fill set that sets the requirement", () => {
    const file = book([{
      id: "o",
      positions: [{ instrument: "BTC-PERPETUAL", qty: -1 }],
      orders: [
        { instrument: "BTC-PERPETUAL", side: "sell", qty: 2, price: 101_000 },
        { instrument: "BTC-PERPETUAL", side: "buy", qty: 1, price: 99_000 },
      ],
    }]);
    const c = engine.worstScenarioContributions(file, "o", "BTC");
    expect(c.fillSet).toBe("asks");
    expect(c.items.map((i) => [i.kind, i.index, i.qty])).toEqual([["position", 0, -1], ["order", 0, -2]]);
    expect(c.items[1].pvChange).toBeCloseTo(-2 * S * 0.15, 6);
  });

  it("is empty for a pair the account does not touch", () => {
    const c = engine.worstScenarioContributions(book([{ id: "e", positions: [{ instrument: "ETH-PERPETUAL", qty: 1 }] }]), "e", "BTC");
    expect([c.scenario, c.items, c.requirement]).toEqual([null, [], 0]);
  });
});
