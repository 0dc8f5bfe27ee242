import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { black76 } from "./reference/model.js";

// The `span16` grid (SPEC.md "Scenario grids beyond the nine": CME SPAN's sixteen scenarios, the
// last two the extreme moves of twice the scan range, 35% of their loss counted).
//
// Published numbers: L. G. McMillan, "Options as a Strategic Investment" (ch. 34, SPAN margin),
// gives the risk arrays of a long S&P 500 future and a long Dec 410 call for a $10,000 scan range
// (20 index points at $500 a point) and a 14-point ($7,000) extreme move. The future's array
// depends only on the scan range, and is reproduced below to McMillan's rounding ($10). The
// call's array (requirement $3,990) is not reproducible: McMillan states that one "does not need
// to know the option or futures price" and gives neither them nor the volatility, the vol scan
// range or the look-ahead day, so its inputs cannot be recovered; the call is checked instead
// against all sixteen PVs computed by hand below.

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const AS_OF = "2026-11-21T08:00:00Z";

/** CME's order, in units of the scan range (spot) and the vol scan range (vol): (spot, vol, weight). */
const CME_ORDER: [number, number, number][] = [
  [0, 1, 1], [0, -1, 1],
  [1 / 3, 1, 1], [1 / 3, -1, 1], [-1 / 3, 1, 1], [-1 / 3, -1, 1],
  [2 / 3, 1, 1], [2 / 3, -1, 1], [-2 / 3, 1, 1], [-2 / 3, -1, 1],
  [1, 1, 1], [1, -1, 1], [-1, 1, 1], [-1, -1, 1],
  [2, 0, 0.35], [-2, 0, 0.35],
];

describe("span16: McMillan's S&P 500 futures risk array", () => {
  it("reproduces the published array and the $10,000 requirement for a long future", () => {
    // S&P at 400 with a future at 400 (b = 0); SSF 0.05: 20 points = 400 x 0.05, at $500 a point
    const file: PortfolioFile = {
      asOf: AS_OF,
      params: { grid: "span16", pairs: { ES: { ssf: 0.05, vsf: 0.4 } } },
      market: { ES: { spot: 400, futures: [{ expiry: "2026-12-18T08:00:00Z", mark: 400 }] } },
      accounts: [{ id: "mcmillan", positions: [{ instrument: { kind: "future", pair: "ES", expiry: "2026-12-18T08:00:00Z", multiplier: 500 }, qty: 1 }] }],
    };
    const es = engine.margin(file).accounts[0].pairs.ES;
    const base = 400 * 500;
    // profit/loss per scenario as McMillan prints it: the weighted change, rounded to $10
    const printed = es.scenarioPV.map((pv, s) => Math.round((CME_ORDER[s][2] * (pv - base)) / 10) * 10);
    const mcmillan = [0, 0, 3330, 3330, -3330, -3330, 6670, 6670, -6670, -6670, 10000, 10000, -10000, -10000, 7000, -7000];
    expect(printed.map((x) => x + 0)).toEqual(mcmillan);
    expect(es.requirement).toBeCloseTo(10_000, 9);
    expect(es.worstScenario).toBe(13); // "futures down 3/3", the first of the two equal rows
  });
});

describe("span16: one option, all sixteen rows computed by hand", () => {
  /** A BTC book with one call on a flat surface (so the sticky-moneyness read is the flat vol). */
  function oneCall(strike: number, qty: number, vol: number): PortfolioFile {
    return {
      asOf: AS_OF,
      params: { grid: "span16" }, // BTC: ssf 0.15, vsf 0.40
      market: { BTC: { spot: 100_000, surface: { atmVol: vol } } },
      accounts: [{ id: "a", positions: [{ instrument: `BTC-21DEC26-${strike}-C`, qty }] }],
    };
  }

  /** PV per row, weighted losses, requirement and worst row, straight from the reference Black-76. */
  function byHand(strike: number, qty: number, vol: number) {
    const T = 30 / 365; // 21NOV26 08:00 to 21DEC26 08:00
    const value = (spot: number, v: number): number => qty * black76(spot, strike, T, v, 1, true);
    const base = value(100_000, vol);
    const pv = CME_ORDER.map(([spot, v]) => value(100_000 * (1 + spot * 0.15), vol * (1 + v * 0.4)));
    const losses = pv.map((p, s) => CME_ORDER[s][2] * (base - p));
    const worst = losses.indexOf(Math.max(...losses));
    return { pv, losses, requirement: Math.max(0, losses[worst]), worstScenario: worst + 1 };
  }

  it("long 1 at-the-money call, 60% vol: the worst row is 'down 3/3, vol down', as in McMillan's array", () => {
    const hand = byHand(100_000, 1, 0.6);
    const btc = engine.margin(oneCall(100_000, 1, 0.6)).accounts[0].pairs.BTC;
    hand.pv.forEach((pv, s) => expect(Math.abs(btc.scenarioPV[s] - pv)).toBeLessThan(1e-9 * 100_000));
    expect(Math.abs(btc.requirement - hand.requirement)).toBeLessThan(1e-9 * 100_000);
    expect(hand.worstScenario).toBe(14);
    expect(btc.worstScenario).toBe(14);
    // the extreme down move counts at 35%: unweighted it would be the worst
    expect(hand.losses[15] / 0.35).toBeGreaterThan(hand.losses[13]);
  });

  it("short 1 call 30% out of the money, 20% vol: the extreme up move, at 35%, sets the requirement", () => {
    const hand = byHand(130_000, -1, 0.2);
    const btc = engine.margin(oneCall(130_000, -1, 0.2)).accounts[0].pairs.BTC;
    hand.pv.forEach((pv, s) => expect(Math.abs(btc.scenarioPV[s] - pv)).toBeLessThan(1e-9 * 100_000));
    expect(hand.worstScenario).toBe(15);
    expect(btc.worstScenario).toBe(15);
    expect(Math.abs(btc.requirement - hand.requirement)).toBeLessThan(1e-9 * 100_000);
    // 35% of the loss of the short call when the spot jumps 30% to its strike
    const T = 30 / 365;
    const extremeLoss = black76(130_000, 130_000, T, 0.2, 1, true) - black76(100_000, 130_000, T, 0.2, 1, true);
    expect(Math.abs(btc.requirement - 0.35 * extremeLoss)).toBeLessThan(1e-9 * 100_000);
    // and the largest loss within the scan range (up 3/3, vol up) is below it
    expect(hand.losses[10]).toBeLessThan(0.35 * extremeLoss);
  });
});
