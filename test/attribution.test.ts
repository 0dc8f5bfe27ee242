import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { singleOptionFile, type SingleOption } from "./support/files.js";
import { randomFile } from "./support/random.js";

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const risk = (o: SingleOption) => engine.margin(singleOptionFile(o), { attribution: true }).accounts[0].risk![0];
const value = (file: PortfolioFile) => engine.margin(file).accounts[0].equity;

describe("greeks against Haug's published values", () => {
  it("delta 0.5946 (call) and -0.3566 (put): S105 K100 T.5 r.10 b0 vol.36", () => {
    const o = { spot: 105, strike: 100, years: 0.5, vol: 0.36, r: 0.1, carry: 0 } as const;
    expect(risk({ ...o, right: "call" }).delta).toBeCloseTo(0.5946, 4);
    expect(risk({ ...o, right: "put" }).delta).toBeCloseTo(-0.3566, 4);
  });
  it("gamma 0.0278 and vega 18.9358: S55 K60 T.75 r.10 b.10 vol.30", () => {
    const g = risk({ right: "call", spot: 55, strike: 60, years: 0.75, vol: 0.3, r: 0.1, carry: 0.1 });
    expect(g.gamma).toBeCloseTo(0.0278, 4);
    expect(g.vega).toBeCloseTo(18.9358, 4);
    const p = risk({ right: "put", spot: 55, strike: 60, years: 0.75, vol: 0.3, r: 0.1, carry: 0.1 });
    expect(p.gamma).toBeCloseTo(g.gamma, 14); // gamma and vega are the same for calls and puts
    expect(p.vega).toBeCloseTo(g.vega, 12);
  });
  it("put theta -31.1924 per year: S430 K405 T.0833 r.07 b.02 vol.20", () => {
    expect(risk({ right: "put", spot: 430, strike: 405, years: 0.0833, vol: 0.2, r: 0.07, carry: 0.02 }).theta).toBeCloseTo(-31.1924, 4);
  });
});

describe("greeks against finite differences of the engine's own values", () => {
  const cases: SingleOption[] = [
    { right: "call", spot: 100, strike: 110, years: 0.4, vol: 0.55, r: 0.03, carry: 0.05 },
    { right: "put", spot: 100, strike: 90, years: 0.1, vol: 0.8, r: 0.03, carry: -0.02 },
    { right: "call", spot: 3000, strike: 2500, years: 1.2, vol: 0.7, r: 0, carry: 0.08 },
  ];
  it.each(cases)("%o", (o) => {
    const r = risk(o);
    const at = (mutate: (f: PortfolioFile) => void) => {
      const f = singleOptionFile(o);
      mutate(f);
      return value(f);
    };
    const h = o.spot * 1e-4;
    // the futures mark moves with spot so that b(T) stays fixed
    const bump = (ds: number) => (f: PortfolioFile) => {
      const m = f.market.XYZ;
      m.spot = o.spot + ds;
      for (const fut of m.futures ?? []) fut.mark = (o.spot + ds) * Math.exp(o.carry * o.years);
    };
    const up = at(bump(h));
    const down = at(bump(-h));
    const mid = value(singleOptionFile(o));
    expect(r.delta).toBeCloseTo((up - down) / (2 * h), 6);
    expect(r.gamma).toBeCloseTo((up - 2 * mid + down) / (h * h), 5);
    const dv = 1e-4;
    const vegaFd = (at((f) => (f.market.XYZ.surface = { atmVol: o.vol + dv })) - at((f) => (f.market.XYZ.surface = { atmVol: o.vol - dv }))) / (2 * dv);
    expect(r.vega).toBeCloseTo(vegaFd, 4);
  });

  it("theta: the value's decay as asOf moves forward (no carry: b = 0)", () => {
    const o: SingleOption = { right: "call", spot: 100, strike: 105, years: 0.3, vol: 0.6, r: 0.04, carry: 0 };
    const r = risk(o);
    const dtYears = 1e-4;
    const later = singleOptionFile(o);
    later.asOf = new Date(Date.parse(later.asOf) + dtYears * 365 * 86_400_000).toISOString();
    const thetaFd = (value(later) - value(singleOptionFile(o))) / (Math.round(dtYears * 365 * 86_400_000) / (365 * 86_400_000));
    expect(r.theta).toBeCloseTo(thetaFd, 2);
  });
});

describe("worst-scenario attribution", () => {
  it("rows in the worst set add up to the pair's worst-scenario PnL (coins out of the scenarios)", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const file = randomFile(seed, { accounts: 8 });
      file.params = { coinPolicy: "none" }; // powertrade9: row 1 is the base, so PV_0 = scenarioPV[0]
      const report = engine.margin(file, { attribution: true });
      for (const account of report.accounts) {
        for (const [pair, p] of Object.entries(account.pairs)) {
          const rows = account.risk!.filter((r) => r.pair === pair && r.inWorstSet);
          const sum = rows.reduce((s, r) => s + r.worstScenarioPnL, 0);
          const expected = p.scenarioPV[p.worstScenario - 1] - p.scenarioPV[0];
          const scale = Math.max(1, ...p.scenarioPV.map(Math.abs));
          expect(Math.abs(sum - expected)).toBeLessThanOrEqual(1e-9 * scale);
        }
      }
    }
  });

  it("lists every position and order once, in book order, and orders only in their own fill set", () => {
    const file = randomFile(77, { accounts: 30 });
    const report = engine.margin(file, { attribution: true });
    report.accounts.forEach((account, a) => {
      const input = file.accounts[a];
      const positions = account.risk!.filter((r) => r.source === "position");
      const orders = account.risk!.filter((r) => r.source === "order");
      expect(positions.map((r) => r.index)).toEqual((input.positions ?? []).map((_, i) => i));
      expect(orders.map((r) => r.index)).toEqual((input.orders ?? []).map((_, i) => i));
      for (const r of positions) expect(r.inWorstSet).toBe(true);
      for (const r of orders) {
        const side = input.orders![r.index].side === "buy" ? "bids" : "asks";
        expect(r.inWorstSet).toBe(account.pairs[r.pair].fillSet === side);
      }
    });
  });

  it("leaves the report unchanged apart from `risk`", () => {
    const file = randomFile(5, { accounts: 10, randomParams: true });
    const plain = engine.margin(file);
    const withRisk = engine.margin(file, { attribution: true });
    expect(withRisk.accounts.map(({ risk: _, ...rest }) => rest)).toEqual(plain.accounts);
  });
});
