/**
 * Tests of the plain-TS reference model (test/reference/), which the kernel's tests use as their
 * oracle, so it has to be right on its own: N and n against mpmath, Black-76 against Haug's
 * published values and put-call parity, and the engine-level semantics on small hand-built Books
 * whose expected numbers are worked out by hand in the comments.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type {
  Book,
  BookAccount,
  BookGridRow,
  BookOrder,
  BookPair,
  BookParams,
  BookPosition,
  BookSurface,
  ResolvedInstrument,
} from "../bindings/model/book.js";
import type { AccountReport } from "../bindings/model/types.js";
import {
  black76,
  combineRequirements,
  evaluateFillSet,
  fundingRate,
  instrumentDelta,
  instrumentValue,
  BASE_SCENARIO,
  referenceMargin,
  surfaceVol,
} from "./reference/model.js";
import { normalCdf, normalPdf } from "./reference/normal.js";

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers

interface NormalTable {
  source: string;
  points: { x: number; cdf: string; pdf: string }[];
}
interface HaugRow {
  page: string;
  type: "call" | "put";
  strike: number;
  spot: number;
  q: number;
  r: number;
  t: number;
  vol: number;
  value: number;
  tol: number;
}

function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as T;
}

const normalTable = readFixture<NormalTable>("normal-cdf.json");
const haugTable = readFixture<{ source: string; rows: HaugRow[] }>("haug.json");

/** |actual - expected| <= relTol * max(|expected|, 1e-300): relative closeness. */
function expectRelClose(actual: number, expected: number, relTol = 1e-12): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  if (!(Math.abs(actual - expected) <= relTol * scale)) {
    expect.fail(`expected ${actual} to be within ${relTol} (relative) of ${expected}`);
  }
}

function expectAllRelClose(actual: number[], expected: number[], relTol = 1e-12): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => expectRelClose(actual[i], value, relTol));
}

// Normal CDF values at the points the hand computations below need, from mpmath at 40 digits.
const N_0_100 = 0.5398278372770289836689; // N(0.1)
const N_0_125 = 0.5497382248301128929793; // N(0.125)
const N_0_150 = 0.5596176923702425157725; // N(0.15)
const N_0_250 = 0.5987063256829237242409; // N(0.25)
const N_0_375 = 0.6461697666727237943732; // N(0.375)

const AS_OF_MS = Date.UTC(2026, 10, 21, 8);
const MS_PER_YEAR = 365 * 86_400_000;

interface PairRef {
  index: number;
  name: string;
}
const BTC: PairRef = { index: 0, name: "BTC" };
const ETH: PairRef = { index: 1, name: "ETH" };

/** The `powertrade9` grid for a pair's SSF/VSF, as the validator builds it. */
function powertrade9(ssf: number, vsf: number): BookGridRow[] {
  const rows: [number, number][] = [
    [0, 0], [0, vsf], [0, -vsf],
    [ssf, 0], [ssf, vsf], [ssf, -vsf],
    [-ssf, 0], [-ssf, vsf], [-ssf, -vsf],
  ];
  return rows.map(([spotShock, volShock]) => ({ spotShock, volShock, weight: 1 }));
}

function flatSurface(atmVol: number): BookSurface {
  return { tenors: [1], logMoneyness: [0], vols: [[atmVol]] };
}

interface PairSpec {
  name: string;
  spot: number;
  ssf?: number;
  vsf?: number;
  futures?: { tenorYears: number; mark: number }[];
  surface?: BookSurface | null;
  grid?: BookGridRow[];
}

function makePair(spec: PairSpec): BookPair {
  const ssf = spec.ssf ?? 0.15;
  const vsf = spec.vsf ?? 0.4;
  return {
    name: spec.name,
    spot: spec.spot,
    ssf,
    vsf,
    futures: (spec.futures ?? []).map((future) => ({
      expiryMs: AS_OF_MS + future.tenorYears * MS_PER_YEAR,
      tenorYears: future.tenorYears,
      mark: future.mark,
    })),
    surface: spec.surface ?? null,
    grid: spec.grid ?? powertrade9(ssf, vsf),
  };
}

function baseInstrument(pair: PairRef, kind: ResolvedInstrument["kind"], name: string): ResolvedInstrument {
  return {
    name,
    kind,
    pairIndex: pair.index,
    pair: pair.name,
    isCall: false,
    strike: 0,
    expiryMs: Number.NaN,
    tenorYears: 0,
    multiplier: 1,
  };
}

function perpetual(pair: PairRef, multiplier = 1): ResolvedInstrument {
  return { ...baseInstrument(pair, "perpetual", `${pair.name}-PERPETUAL`), multiplier };
}

function spotInstrument(pair: PairRef): ResolvedInstrument {
  return baseInstrument(pair, "spot", `${pair.name}-USD`);
}

function future(pair: PairRef, tenorYears: number): ResolvedInstrument {
  return {
    ...baseInstrument(pair, "future", `${pair.name}-F${tenorYears}`),
    expiryMs: AS_OF_MS + tenorYears * MS_PER_YEAR,
    tenorYears,
  };
}

function option(pair: PairRef, isCall: boolean, strike: number, tenorYears: number, multiplier = 1): ResolvedInstrument {
  return {
    ...baseInstrument(pair, "option", `${pair.name}-T${tenorYears}-${strike}-${isCall ? "C" : "P"}`),
    isCall,
    strike,
    expiryMs: AS_OF_MS + tenorYears * MS_PER_YEAR,
    tenorYears,
    multiplier,
  };
}

const call = (pair: PairRef, strike: number, tenorYears: number, multiplier = 1) =>
  option(pair, true, strike, tenorYears, multiplier);
const put = (pair: PairRef, strike: number, tenorYears: number, multiplier = 1) =>
  option(pair, false, strike, tenorYears, multiplier);

function position(instrument: ResolvedInstrument, qty: number, entryPrice: number | null = null): BookPosition {
  return { instrument, qty, entryPrice, path: "accounts[0].positions[0]" };
}

function order(instrument: ResolvedInstrument, side: "buy" | "sell", qty: number, price = 1): BookOrder {
  return { instrument, side, qty, price, path: "accounts[0].orders[0]" };
}

interface AccountSpec {
  id?: string;
  usd?: number;
  /** coin balance per pair name */
  coins?: Record<string, number>;
  positions?: BookPosition[];
  orders?: BookOrder[];
}

function makeBook(pairs: BookPair[], accounts: AccountSpec[], params: Partial<BookParams> = {}): Book {
  const bookAccounts: BookAccount[] = accounts.map((spec, i) => ({
    id: spec.id ?? `account${i}`,
    usd: spec.usd ?? 0,
    coins: pairs.map((pair) => spec.coins?.[pair.name] ?? 0),
    positions: spec.positions ?? [],
    orders: spec.orders ?? [],
    path: `accounts[${i}]`,
  }));
  return {
    asOfMs: AS_OF_MS,
    params: { gridName: "powertrade9", usdRate: 0, mmFraction: 0.5, coinPolicy: "capped", pairCorrelation: null, ...params },
    pairs,
    accounts: bookAccounts,
  };
}

/** The report of a one-account book. */
function marginOf(pairs: BookPair[], account: AccountSpec, params: Partial<BookParams> = {}): AccountReport {
  return referenceMargin(makeBook(pairs, [account], params)).accounts[0];
}

// A plain BTC at 100 with shocks that are exact in binary, SSF 0.25 and VSF 0.5, so that the hand
// arithmetic below is exact in doubles too: S' is 100, 125 or 75, vols IV, 1.5 IV or 0.5 IV.
// (The defaults 0.15 and 0.40 are not: 100 * (1 + 0.15) is 114.99999999999999 in doubles.)
const btc100 = (spec: Partial<PairSpec> = {}) => makePair({ name: "BTC", spot: 100, ssf: 0.25, vsf: 0.5, ...spec });

// ---------------------------------------------------------------------------------------------
// N(x) and n(x)

describe("normalCdf and normalPdf against mpmath (test/fixtures/normal-cdf.json)", () => {
  it("the table covers the whole range it claims", () => {
    const xs = normalTable.points.map((point) => point.x);
    expect(xs.length).toBeGreaterThanOrEqual(180);
    for (const x of [-38, -37.5, -30, -20, 0, 0.67448975, 1.96, Math.sqrt(32), 7.07, 7.08, 10, 20]) {
      expect(xs).toContain(x);
    }
  });

  it("N is within 1e-15 absolute everywhere, and 1e-13 relative in the lower tail while N > 1e-300", () => {
    const failures: string[] = [];
    let maxAbsoluteError = 0;
    for (const point of normalTable.points) {
      const expected = Number(point.cdf);
      const actual = normalCdf(point.x);
      const absoluteError = Math.abs(actual - expected);
      maxAbsoluteError = Math.max(maxAbsoluteError, absoluteError);
      if (!(absoluteError <= 1e-15)) failures.push(`N(${point.x}) = ${actual}, mpmath ${point.cdf}`);
      if (point.x < 0 && expected > 1e-300 && !(absoluteError <= 1e-13 * expected)) {
        failures.push(`N(${point.x}) = ${actual}, mpmath ${point.cdf}: relative ${absoluteError / expected}`);
      }
    }
    expect(failures).toEqual([]);
    expect(maxAbsoluteError).toBeLessThan(1e-15);
  });

  it("n is within 1e-15 relative while n > 1e-300 (and 1e-310 absolute below)", () => {
    const failures: string[] = [];
    for (const point of normalTable.points) {
      const expected = Number(point.pdf);
      const actual = normalPdf(point.x);
      const error = Math.abs(actual - expected);
      const ok = expected > 1e-300 ? error <= 1e-15 * expected : error <= 1e-310;
      if (!ok) failures.push(`n(${point.x}) = ${actual}, mpmath ${point.pdf}`);
    }
    expect(failures).toEqual([]);
  });

  it("N is non-decreasing on a fine grid over [-39, 10] and symmetric: N(x) + N(-x) = 1", () => {
    let previous = normalCdf(-39);
    for (let i = 1; i <= 49_000; i++) {
      const x = -39 + i * 0.001;
      const value = normalCdf(x);
      if (value < previous) expect.fail(`N(${x}) = ${value} < N(${x - 0.001}) = ${previous}`);
      previous = value;
      if (x > 0 && x < 10 && !(Math.abs(value + normalCdf(-x) - 1) <= 1e-15)) {
        expect.fail(`N(${x}) + N(${-x}) - 1 = ${value + normalCdf(-x) - 1}`);
      }
    }
  });

  it("handles the infinities, NaN and the far tails", () => {
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(-41)).toBe(0);
    expect(normalCdf(41)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
    expect(normalPdf(Number.POSITIVE_INFINITY)).toBe(0);
    expect(normalPdf(Number.NaN)).toBeNaN();
    // N(-37) = 5.725571222524577e-300 (mpmath): relative accuracy still holds there
    expectRelClose(normalCdf(-37), 5.725571222524577e-300, 1e-13);
  });
});

// ---------------------------------------------------------------------------------------------
// Black-76

describe("black76", () => {
  it.each(haugTable.rows)(
    "Haug p. $page: $type K=$strike S=$spot q=$q r=$r t=$t vol=$vol is $value",
    (row) => {
      // generalized BSM with carry r - q, priced as Black-76 on the forward
      const forward = row.spot * Math.exp((row.r - row.q) * row.t);
      const discountFactor = Math.exp(-row.r * row.t);
      const value = black76(forward, row.strike, row.t, row.vol, discountFactor, row.type === "call");
      expect(Math.abs(value - row.value)).toBeLessThanOrEqual(row.tol);
    },
  );

  it("satisfies put-call parity C - P = DF (F - K) to 1e-12 relative on a grid of inputs", () => {
    let checked = 0;
    for (const forward of [0.5, 50, 100, 250, 91_500, 1e6]) {
      for (const moneyness of [0.2, 0.7, 0.95, 1, 1.05, 1.5, 4]) {
        const strike = forward * moneyness;
        for (const tenorYears of [1 / 365, 0.02, 0.25, 1, 5]) {
          for (const vol of [0.01, 0.2, 0.65, 1.5, 3]) {
            for (const discountFactor of [1, 0.97, 0.6]) {
              const callValue = black76(forward, strike, tenorYears, vol, discountFactor, true);
              const putValue = black76(forward, strike, tenorYears, vol, discountFactor, false);
              const parity = discountFactor * (forward - strike);
              const scale = discountFactor * Math.max(forward, strike);
              if (!(Math.abs(callValue - putValue - parity) <= 1e-12 * scale)) {
                expect.fail(`parity F=${forward} K=${strike} T=${tenorYears} vol=${vol} DF=${discountFactor}`);
              }
              expect(callValue).toBeGreaterThanOrEqual(0);
              expect(putValue).toBeGreaterThanOrEqual(0);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(6 * 7 * 5 * 5 * 3);
  });

  it("prices at the money by hand: F = K = 100, T = 1, vol 0.2 is 100 (2 N(0.1) - 1)", () => {
    // d1 = (0 + 0.04/2)/0.2 = 0.1, d2 = -0.1: C = 100 (N(0.1) - N(-0.1)) = 100 (2 N(0.1) - 1) = 7.965567455405797
    expectRelClose(black76(100, 100, 1, 0.2, 1, true), 100 * (2 * N_0_100 - 1), 1e-13);
    expectRelClose(black76(100, 100, 1, 0.2, 1, false), 100 * (2 * N_0_100 - 1), 1e-13);
  });

  it("at zero vol is the discounted intrinsic value on the forward, and rejects T <= 0", () => {
    expect(black76(110, 100, 0.5, 0, 0.9, true)).toBeCloseTo(9, 14); // 0.9 * (110 - 100)
    expect(black76(110, 100, 0.5, 0, 0.9, false)).toBe(0);
    expect(black76(90, 100, 0.5, 0, 0.9, false)).toBeCloseTo(9, 14);
    expect(() => black76(100, 100, 0, 0.2, 1, true)).toThrow(RangeError);
    expect(() => black76(100, 100, 1, -0.2, 1, true)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Funding curve b(T) and futures

describe("funding rate b(T) and futures", () => {
  // Marks chosen so that b = 4% at T = 0.25 and 8% at T = 0.75 (up to the rounding of exp/log).
  const curved = () =>
    btc100({
      futures: [
        { tenorYears: 0.25, mark: 100 * Math.exp(0.04 * 0.25) },
        { tenorYears: 0.75, mark: 100 * Math.exp(0.08 * 0.75) },
      ],
    });

  it("is linear in T between marks and flat outside them", () => {
    const pair = curved();
    expect(fundingRate(pair, 0.25)).toBeCloseTo(0.04, 14);
    expect(fundingRate(pair, 0.5)).toBeCloseTo(0.06, 14); // 0.04 + (0.5 - 0.25)/(0.75 - 0.25) * (0.08 - 0.04)
    expect(fundingRate(pair, 0.625)).toBeCloseTo(0.07, 14); // 0.04 + 0.75 * 0.04
    expect(fundingRate(pair, 0.75)).toBeCloseTo(0.08, 14);
    expect(fundingRate(pair, 0.01)).toBeCloseTo(0.04, 14); // flat before the first mark
    expect(fundingRate(pair, 3)).toBeCloseTo(0.08, 14); // flat after the last mark
  });

  it("is 0 without futures, and a single mark's rate at every tenor", () => {
    expect(fundingRate(btc100(), 0.5)).toBe(0);
    const one = btc100({ futures: [{ tenorYears: 0.5, mark: 101 }] });
    const rate = Math.log(1.01) / 0.5; // ln(101/100)/0.5
    for (const tenorYears of [0.01, 0.5, 2]) expect(fundingRate(one, tenorYears)).toBeCloseTo(rate, 14);
  });

  it("values a future at a mark's tenor at that mark, and between marks at S' exp(b(T) T)", () => {
    const pair = curved();
    expectRelClose(instrumentValue(pair, future(BTC, 0.75), 0, BASE_SCENARIO), 100 * Math.exp(0.06), 1e-14);
    // long 1 future at T = 0.5: b = 0.06, F = 100 e^0.03 at base, 125 e^0.03 up, 75 e^0.03 down
    // (b does not move with the spot); requirement = (100 - 75) e^0.03 = 25 e^0.03 in scenario 7
    const report = marginOf([pair], { positions: [position(future(BTC, 0.5), 1)] });
    const growth = Math.exp(0.06 * 0.5);
    const [base, up, down] = [100 * growth, 125 * growth, 75 * growth];
    expectAllRelClose(report.pairs.BTC.scenarioPV, [base, base, base, up, up, up, down, down, down]);
    expectRelClose(report.pairs.BTC.requirement, 25 * growth);
    expect(report.pairs.BTC.worstScenario).toBe(7);
  });

  it("values a future at S' without futures marks (b = 0) and when expired", () => {
    // short 1 future T = 0.5 (F = S'), long 2 expired futures (S'): PV = -S' + 2 S' = S'
    const report = marginOf([btc100()], { positions: [position(future(BTC, 0.5), -1), position(future(BTC, -0.1), 2)] });
    expect(report.pairs.BTC.scenarioPV).toEqual([100, 100, 100, 125, 125, 125, 75, 75, 75]);
    expect(report.pairs.BTC.requirement).toBe(25);
  });

  it("has future and perpetual deltas of exp(b T) and 1", () => {
    const pair = curved();
    expectRelClose(instrumentDelta(pair, future(BTC, 0.5), 0), Math.exp(0.03), 1e-14);
    expect(instrumentDelta(pair, future(BTC, -0.5), 0)).toBe(1);
    expect(instrumentDelta(pair, perpetual(BTC), 0)).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The implied-volatility surface

describe("surfaceVol", () => {
  const oneRow: BookSurface = { tenors: [0.5], logMoneyness: [-0.2, 0, 0.2], vols: [[0.8, 0.6, 0.7]] };
  const twoRows: BookSurface = { tenors: [0.25, 1], logMoneyness: [-0.2, 0.2], vols: [[0.9, 0.7], [0.7, 0.5]] };

  it("is linear in k inside a row and flat beyond its first and last node", () => {
    expect(surfaceVol(oneRow, -0.1, 0.5)).toBeCloseTo(0.7, 15); // halfway between 0.8 and 0.6
    expect(surfaceVol(oneRow, 0.05, 0.5)).toBeCloseTo(0.625, 15); // 0.6 + 0.25 * 0.1
    expect(surfaceVol(oneRow, 0, 0.5)).toBe(0.6); // on a node
    expect(surfaceVol(oneRow, -0.5, 0.5)).toBe(0.8);
    expect(surfaceVol(oneRow, 1, 0.5)).toBe(0.7);
    expect(surfaceVol(oneRow, 0.1, 7)).toBeCloseTo(0.65, 15); // one row: the same at every tenor
  });

  it("interpolates total variance linearly in T between rows", () => {
    // k = 0: row vols 0.8 (T=0.25) and 0.6 (T=1); at T = 0.625 (halfway):
    // w = (0.64 * 0.25 + 0.36 * 1) / 2 = (0.16 + 0.36) / 2 = 0.26, vol = sqrt(0.26 / 0.625) = sqrt(0.416)
    expect(surfaceVol(twoRows, 0, 0.625)).toBeCloseTo(Math.sqrt(0.416), 15);
    // k = 0.5 (flat beyond 0.2): row vols 0.7 and 0.5: w = (0.49 * 0.25 + 0.25) / 2 = 0.18625,
    // vol = sqrt(0.18625 / 0.625) = sqrt(0.298)
    expect(surfaceVol(twoRows, 0.5, 0.625)).toBeCloseTo(Math.sqrt(0.298), 15);
    // at a row's tenor exactly: that row's vol
    expect(surfaceVol(twoRows, 0, 0.25)).toBeCloseTo(0.8, 15);
    expect(surfaceVol(twoRows, 0, 1)).toBeCloseTo(0.6, 15);
  });

  it("uses the first and last row's vol as is outside the tenors (flat in T)", () => {
    expect(surfaceVol(twoRows, 0, 0.01)).toBeCloseTo(0.8, 15);
    expect(surfaceVol(twoRows, -3, 0.01)).toBe(0.9);
    expect(surfaceVol(twoRows, 0, 5)).toBeCloseTo(0.6, 15);
    expect(surfaceVol(twoRows, 3, 5)).toBe(0.5);
  });

  it("is re-read at each scenario's shocked spot (sticky moneyness)", () => {
    // S = 100, b = 0, r = 0, one row (every tenor) with k nodes [-0.3, 0, 0.3] and vols
    // [0.9, 0.5, 0.8]; long 1 call K = 125, T = 1.
    // Up (S' = 125): k = ln(125/125) = 0, IV = 0.5, the call is at the money:
    //   row 4 (vol 0.5):              d1 = (0 + 0.5^2/2)/0.5 = 0.25: 125 (2 N(0.25) - 1)  = 24.67658142073093
    //   row 5 (vol 0.5 * 1.5 = 0.75): d1 = 0.75/2 = 0.375:           125 (2 N(0.375) - 1) = 36.54244166818095
    //   row 6 (vol 0.5 * 0.5 = 0.25): d1 = 0.25/2 = 0.125:           125 (2 N(0.125) - 1) = 12.43455620752822
    // Base: k = ln(125/100) = 0.2231, IV = 0.5 + (0.2231/0.3) * 0.3 = 0.5 + ln 1.25 (had the up
    // scenarios kept this base vol, row 4 would be worth ~ 35, not 24.7).
    // Down (S' = 75): k = ln(125/75) = 0.51 > 0.3: IV = 0.8 (flat).
    const skew: BookSurface = { tenors: [1], logMoneyness: [-0.3, 0, 0.3], vols: [[0.9, 0.5, 0.8]] };
    const report = marginOf([btc100({ surface: skew })], { positions: [position(call(BTC, 125, 1), 1)] });
    const pv = report.pairs.BTC.scenarioPV;
    expectRelClose(pv[3], 125 * (2 * N_0_250 - 1));
    expectRelClose(pv[4], 125 * (2 * N_0_375 - 1));
    expectRelClose(pv[5], 125 * (2 * N_0_125 - 1));
    const baseVol = 0.5 + Math.log(1.25);
    expectRelClose(pv[0], black76(100, 125, 1, baseVol, 1, true));
    expectRelClose(pv[1], black76(100, 125, 1, baseVol * 1.5, 1, true));
    expectRelClose(pv[6], black76(75, 125, 1, 0.8, 1, true));
    expectRelClose(pv[8], black76(75, 125, 1, 0.4, 1, true));
    expect(black76(125, 125, 1, baseVol, 1, true) - pv[3]).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------------------------------------
// Scenario margin

describe("scenario margin: perpetuals, grids and weights", () => {
  it("a single long perpetual requires qty * S * SSF, worst in scenario 7", () => {
    // PV = 2 S': 200 at base, 250 up, 150 down; requirement = 200 - 150 = 50 = 2 * 100 * 0.25
    const report = marginOf([btc100()], { usd: 1000, positions: [position(perpetual(BTC), 2)] });
    expect(report.pairs.BTC).toEqual({
      requirement: 50,
      worstScenario: 7,
      fillSet: "none",
      scenarioPV: [200, 200, 200, 250, 250, 250, 150, 150, 150],
    });
    expect(report.initialMargin).toBe(50);
    expect(report.maintenanceMargin).toBe(25);
    expect(report.equity).toBe(1000);
    expect(report.available).toBe(950);
    expect(report.status).toBe("ok");
  });

  it("a short perpetual is worst in scenario 4, the first of the up moves", () => {
    const report = marginOf([btc100()], { positions: [position(perpetual(BTC), -2)] });
    expect(report.pairs.BTC.requirement).toBe(50); // -200 - (-250)
    expect(report.pairs.BTC.worstScenario).toBe(4);
  });

  it("counts the multiplier: 20 contracts on 0.1 coin each are 2 coins", () => {
    const report = marginOf([btc100()], { positions: [position(perpetual(BTC, 0.1), 20)] });
    expectRelClose(report.pairs.BTC.requirement, 50);
  });

  it("with the default shocks (SSF 0.15) requires qty * S * 0.15", () => {
    const pair = makePair({ name: "BTC", spot: 2000 });
    const report = marginOf([pair], { positions: [position(perpetual(BTC), 3)] });
    expectRelClose(report.pairs.BTC.requirement, 900); // 3 * 2000 * 0.15
    expect(report.pairs.BTC.worstScenario).toBe(7);
  });

  it("computes PV_0 apart from the grid (a grid without a (0, 0) row)", () => {
    // rows S * 1.125 and S * 0.875: PV_0 = 100, PV = [112.5, 87.5]; requirement 100 - 87.5 = 12.5
    // (not 112.5 - 87.5 = 25, as taking row 1 for PV_0 would give)
    const grid = [
      { spotShock: 0.125, volShock: 0, weight: 1 },
      { spotShock: -0.125, volShock: 0, weight: 1 },
    ];
    const report = marginOf([btc100({ grid })], { positions: [position(perpetual(BTC), 1)] });
    expect(report.pairs.BTC.scenarioPV).toEqual([112.5, 87.5]);
    expect(report.pairs.BTC.requirement).toBe(12.5);
    expect(report.pairs.BTC.worstScenario).toBe(2);
  });

  it("weights each row's loss (CME's extreme moves at 35%)", () => {
    // long 1 perp at 100; weighted losses: row 2 (-25%) 25 * 1 = 25, row 3 (+50%) -50 * 0.35,
    // row 4 (-50%) 50 * 0.35 = 17.5: requirement 25 (row 2); a -75% row at 0.35 counts 26.25
    const grid: BookGridRow[] = [
      { spotShock: 0, volShock: 0, weight: 1 },
      { spotShock: -0.25, volShock: 0, weight: 1 },
      { spotShock: 0.5, volShock: 0, weight: 0.35 },
      { spotShock: -0.5, volShock: 0, weight: 0.35 },
    ];
    const report = marginOf([btc100({ grid })], { positions: [position(perpetual(BTC), 1)] });
    expect(report.pairs.BTC.requirement).toBe(25);
    expect(report.pairs.BTC.worstScenario).toBe(2);
    const extreme = [...grid, { spotShock: -0.75, volShock: 0, weight: 0.35 }];
    const reportExtreme = marginOf([btc100({ grid: extreme })], { positions: [position(perpetual(BTC), 1)] });
    expectRelClose(reportExtreme.pairs.BTC.requirement, 26.25);
    expect(reportExtreme.pairs.BTC.worstScenario).toBe(5);
    expect(reportExtreme.pairs.BTC.scenarioPV).toEqual([100, 75, 150, 50, 25]); // unweighted PVs
  });

  it("reports a requirement of 0 and the first scenario when no scenario loses", () => {
    // long 1 perp + short 1 perp: PV 0 everywhere
    const report = marginOf([btc100()], { positions: [position(perpetual(BTC), 1), position(perpetual(BTC), -1)] });
    expect(report.pairs.BTC.requirement).toBe(0);
    expect(report.pairs.BTC.worstScenario).toBe(1);
  });
});

describe("scenario margin: options", () => {
  it("values an expired option at intrinsic on the shocked spot without reading the surface", () => {
    // surface null: a read would throw. Call K = 90: max(S' - 90, 0) = 10, 35, 0; long 1 loses
    // 10 in scenarios 7-9. Put K = 110: max(110 - S', 0) = 10, 0, 35, worst in scenario 4.
    for (const tenorYears of [-0.01, 0]) {
      const callReport = marginOf([btc100()], { positions: [position(call(BTC, 90, tenorYears), 1)] });
      expect(callReport.pairs.BTC.scenarioPV).toEqual([10, 10, 10, 35, 35, 35, 0, 0, 0]);
      expect(callReport.pairs.BTC.requirement).toBe(10);
      expect(callReport.pairs.BTC.worstScenario).toBe(7);
      expect(callReport.equity).toBe(10);
      const putReport = marginOf([btc100()], { positions: [position(put(BTC, 110, tenorYears), 1)] });
      expect(putReport.pairs.BTC.scenarioPV).toEqual([10, 10, 10, 0, 0, 0, 35, 35, 35]);
      expect(putReport.pairs.BTC.requirement).toBe(10);
      expect(putReport.pairs.BTC.worstScenario).toBe(4);
    }
  });

  it("values a zero-vol option at DF max(F - K, 0) with DF = exp(-r T)", () => {
    // r = 5%, T = 0.5: DF = exp(-0.025); call K = 90 on F = S': DF * (10, 35, 0); vol 0 stays 0
    // under the vol shocks; requirement DF * 10 = 9.753099120283326
    const discountFactor = Math.exp(-0.05 * 0.5);
    const pair = btc100({ surface: flatSurface(0) });
    const report = marginOf([pair], { positions: [position(call(BTC, 90, 0.5), 1)] }, { usdRate: 0.05 });
    const [base, up, down] = [10 * discountFactor, 35 * discountFactor, 0];
    expectAllRelClose(report.pairs.BTC.scenarioPV, [base, base, base, up, up, up, down, down, down]);
    expectRelClose(report.pairs.BTC.requirement, 10 * discountFactor);
    expectRelClose(report.equity, 10 * discountFactor);
  });

  it("floors a shocked vol at 0: IV * max(0, 1 + volShock)", () => {
    // ATM call K = 100, T = 1, IV 0.2: base 100 (2 N(0.1) - 1) = 7.965567455405797;
    // row 2 vol 0.2 * max(0, -0.5) = 0: worth max(100 - 100, 0) = 0;
    // row 3 vol 0.2 * 1.5 = 0.3: 100 (2 N(0.15) - 1) = 11.92353847404850
    const grid: BookGridRow[] = [
      { spotShock: 0, volShock: 0, weight: 1 },
      { spotShock: 0, volShock: -1.5, weight: 1 },
      { spotShock: 0, volShock: 0.5, weight: 1 },
    ];
    const pair = btc100({ surface: flatSurface(0.2), grid });
    const report = marginOf([pair], { positions: [position(call(BTC, 100, 1), 1)] });
    const atm = 100 * (2 * N_0_100 - 1);
    expectAllRelClose(report.pairs.BTC.scenarioPV, [atm, 0, 100 * (2 * N_0_150 - 1)]);
    expectRelClose(report.pairs.BTC.requirement, atm);
    expect(report.pairs.BTC.worstScenario).toBe(2);
  });

  it("has option deltas DF exp(bT) N(d1) and DF exp(bT) (N(d1) - 1), and the expired/zero-vol edges", () => {
    // F = S = 100, T = 1, vol 0.2, r = 5%: d1 = 0.1; call delta e^-0.05 N(0.1), put e^-0.05 (N(0.1) - 1)
    const pair = btc100({ surface: flatSurface(0.2) });
    expectRelClose(instrumentDelta(pair, call(BTC, 100, 1), 0.05), Math.exp(-0.05) * N_0_100);
    expectRelClose(instrumentDelta(pair, put(BTC, 100, 1), 0.05), Math.exp(-0.05) * (N_0_100 - 1));
    // with carry: b = 2% from a mark at T = 1 (F = 100 e^0.02): d1 = (0.02 + 0.02)/0.2 = 0.2
    // N(0.2) = 0.5792597094391030 (mpmath); delta e^-0.05 e^0.02 N(0.2)
    const carry = btc100({ surface: flatSurface(0.2), futures: [{ tenorYears: 1, mark: 100 * Math.exp(0.02) }] });
    expectRelClose(instrumentDelta(carry, call(BTC, 100, 1), 0.05), Math.exp(-0.03) * 0.579259709439103, 1e-11);
    // expired: call 1[S > K], put -1[S < K]
    expect(instrumentDelta(pair, call(BTC, 90, 0), 0)).toBe(1);
    expect(instrumentDelta(pair, call(BTC, 100, -1), 0)).toBe(0);
    expect(instrumentDelta(pair, put(BTC, 110, 0), 0)).toBe(-1);
    expect(instrumentDelta(pair, put(BTC, 100, 0), 0)).toBe(0);
    // zero vol: N(d1) read as 1[F > K]
    const flat0 = btc100({ surface: flatSurface(0) });
    expectRelClose(instrumentDelta(flat0, call(BTC, 90, 1), 0.05), Math.exp(-0.05));
    expect(instrumentDelta(flat0, call(BTC, 110, 1), 0.05)).toBe(0);
    expect(instrumentDelta(flat0, put(BTC, 110, 1), 0)).toBe(-1);
  });
});

describe("scenario margin: coin inventory", () => {
  // Short 1 call K = 70, T = 0.5, vol 0 (r = 0, b = 0): worth max(S' - 70, 0) = 30 at base,
  // 55 up, 5 down (vol shocks keep 0 at 0); its delta is -1[F > K] = -1.
  const zeroVolPair = () => btc100({ surface: flatSurface(0) });
  const shortCall = () => position(call(BTC, 70, 0.5), -1);

  it("capped: a coin covers the short call only up to its delta", () => {
    // coin 3, delta -1: min(3, max(0, 1)) = 1 coin enters: PV = -max(S' - 70, 0) + S' =
    // -30 + 100 = -55 + 125 = -5 + 75 = 70 in every scenario: requirement 0, worst the first
    const report = marginOf([zeroVolPair()], { coins: { BTC: 3 }, positions: [shortCall()] }, { coinPolicy: "capped" });
    expect(report.pairs.BTC.scenarioPV).toEqual([70, 70, 70, 70, 70, 70, 70, 70, 70]);
    expect(report.pairs.BTC.requirement).toBe(0);
    expect(report.pairs.BTC.worstScenario).toBe(1);
    expect(report.equity).toBe(270); // 3 * 100 - 30: the whole balance counts in equity
  });

  it("capped: a coin below the delta enters whole", () => {
    // coin 0.5: PV = -max(S' - 70, 0) + 0.5 S' = 20, 7.5, 32.5: requirement 12.5 in scenario 4
    const report = marginOf([zeroVolPair()], { coins: { BTC: 0.5 }, positions: [shortCall()] });
    expect(report.pairs.BTC.scenarioPV).toEqual([20, 20, 20, 7.5, 7.5, 7.5, 32.5, 32.5, 32.5]);
    expect(report.pairs.BTC.requirement).toBe(12.5);
    expect(report.pairs.BTC.worstScenario).toBe(4);
  });

  it("full: the whole balance enters", () => {
    // PV = -max(S' - 70, 0) + 3 S' = 270, 320, 220: requirement 50 in scenario 7
    const report = marginOf([zeroVolPair()], { coins: { BTC: 3 }, positions: [shortCall()] }, { coinPolicy: "full" });
    expect(report.pairs.BTC.scenarioPV).toEqual([270, 270, 270, 320, 320, 320, 220, 220, 220]);
    expect(report.pairs.BTC.requirement).toBe(50);
    expect(report.pairs.BTC.worstScenario).toBe(7);
  });

  it("none: no coin enters", () => {
    // PV = -max(S' - 70, 0) = -30, -55, -5: requirement 25 in scenario 4
    const report = marginOf([zeroVolPair()], { coins: { BTC: 3 }, positions: [shortCall()] }, { coinPolicy: "none" });
    expect(report.pairs.BTC.scenarioPV).toEqual([-30, -30, -30, -55, -55, -55, -5, -5, -5]);
    expect(report.pairs.BTC.requirement).toBe(25);
    expect(report.pairs.BTC.worstScenario).toBe(4);
    expect(report.equity).toBe(270);
  });

  it("capped: enters up to the base-scenario N(d1) of a short ATM call (vol 0.2)", () => {
    // short 1 call K = 100, T = 1, vol 0.2: delta = -N(0.1) = -0.539827837277029, so with 5 coins
    // 0.539827837277029 enter; the same book under `full` with exactly that balance must agree
    const pair = btc100({ surface: flatSurface(0.2) });
    const positions = [position(call(BTC, 100, 1), -1)];
    const book = makeBook([pair], [{ coins: { BTC: 5 }, positions }]);
    expectRelClose(evaluateFillSet(book, book.accounts[0], 0, "none").coinEntering, N_0_100);
    const capped = marginOf([pair], { coins: { BTC: 5 }, positions });
    const full = marginOf([pair], { coins: { BTC: N_0_100 }, positions }, { coinPolicy: "full" });
    expectAllRelClose(capped.pairs.BTC.scenarioPV, full.pairs.BTC.scenarioPV, 1e-12);
    expectRelClose(capped.pairs.BTC.requirement, full.pairs.BTC.requirement, 1e-9);
    expect(capped.pairs.BTC.requirement).toBeGreaterThan(0);
  });

  it("capped: a long put's negative delta also takes coin; a short put's positive delta takes none", () => {
    // long 1 put K = 110, vol 0: worth max(110 - S', 0) = 10, 0, 35; delta DF (1[F > K] - 1) = -1,
    // so min(2, 1) = 1 coin enters: PV = 10 + 100 = 110, 0 + 125 = 125, 35 + 75 = 110: requirement 0
    const longPut = marginOf([zeroVolPair()], { coins: { BTC: 2 }, positions: [position(put(BTC, 110, 0.5), 1)] });
    expect(longPut.pairs.BTC.scenarioPV).toEqual([110, 110, 110, 125, 125, 125, 110, 110, 110]);
    expect(longPut.pairs.BTC.requirement).toBe(0);
    // short 1 put K = 110: delta +1, max(0, -1) = 0: no coin; PV = -10, 0, -35: requirement 25 (scenario 7)
    const shortPut = marginOf([zeroVolPair()], { coins: { BTC: 2 }, positions: [position(put(BTC, 110, 0.5), -1)] });
    expect(shortPut.pairs.BTC.scenarioPV).toEqual([-10, -10, -10, 0, 0, 0, -35, -35, -35]);
    expect(shortPut.pairs.BTC.requirement).toBe(25);
    expect(shortPut.pairs.BTC.worstScenario).toBe(7);
  });

  it("capped: a coin with no derivatives on the pair enters nowhere; a spot position is no derivative", () => {
    // coin 3 alone: the pair is reported (non-zero balance) with PV 0 everywhere
    const alone = marginOf([btc100()], { coins: { BTC: 3 } });
    expect(alone.pairs.BTC).toEqual({ requirement: 0, worstScenario: 1, fillSet: "none", scenarioPV: Array(9).fill(0) });
    expect(alone.equity).toBe(300);
    // full: 3 S' enters: requirement 3 * 25 = 75
    expect(marginOf([btc100()], { coins: { BTC: 3 } }, { coinPolicy: "full" }).pairs.BTC.requirement).toBe(75);
    // spot position 1 (BTC-USD) + coin 3, capped: only the position's S' counts: requirement 25
    const withSpot = marginOf([btc100()], { coins: { BTC: 3 }, positions: [position(spotInstrument(BTC), 1)] });
    expect(withSpot.pairs.BTC.scenarioPV).toEqual([100, 100, 100, 125, 125, 125, 75, 75, 75]);
    expect(withSpot.pairs.BTC.requirement).toBe(25);
    expect(withSpot.equity).toBe(400); // 3 coins + 1 spot position at 100
  });

  it("capped: a short coin balance (a loan) enters whole", () => {
    // coin -1, nothing else: PV = -S' = -100, -125, -75: requirement 25 in scenario 4
    const report = marginOf([btc100()], { usd: 500, coins: { BTC: -1 } });
    expect(report.pairs.BTC.scenarioPV).toEqual([-100, -100, -100, -125, -125, -125, -75, -75, -75]);
    expect(report.pairs.BTC.requirement).toBe(25);
    expect(report.pairs.BTC.worstScenario).toBe(4);
    expect(report.equity).toBe(400);
  });

  it("capped: the delta is the fill set's own", () => {
    // coin 1, short 1 perp, a buy 1 and a sell 1 perp order:
    //   none: delta -1, 1 coin enters: PV = -S' + S' = 0: requirement 0
    //   bids: perp -1 + 1: derivatives' delta 0, no coin: PV = 0: requirement 0
    //   asks: perp -1 - 1: delta -2, 1 coin enters: PV = -2 S' + S' = -S': requirement 25 (scenario 4)
    const report = marginOf([btc100()], {
      coins: { BTC: 1 },
      positions: [position(perpetual(BTC), -1)],
      orders: [order(perpetual(BTC), "buy", 1), order(perpetual(BTC), "sell", 1)],
    });
    expect(report.pairs.BTC).toEqual({
      requirement: 25,
      worstScenario: 4,
      fillSet: "asks",
      scenarioPV: [-100, -100, -100, -125, -125, -125, -75, -75, -75],
    });
  });
});

describe("scenario margin: working orders", () => {
  // short 2 perps at 100: positions alone require 2 * 25 = 50 (scenario 4)
  const shortPerp = () => position(perpetual(BTC), -2);

  it("a buy order that reduces the requirement does not lower it below the positions alone", () => {
    // bids: -2 + 1 = -1 perp: 25 < 50, so the set is `none` with 50
    const report = marginOf([btc100()], { positions: [shortPerp()], orders: [order(perpetual(BTC), "buy", 1)] });
    expect(report.pairs.BTC).toEqual({
      requirement: 50,
      worstScenario: 4,
      fillSet: "none",
      scenarioPV: [-200, -200, -200, -250, -250, -250, -150, -150, -150],
    });
  });

  it("a sell order that increases the requirement sets it", () => {
    // asks: -2 - 1 = -3 perps: PV -300, -375, -225: requirement 75 in scenario 4
    const report = marginOf([btc100()], { positions: [shortPerp()], orders: [order(perpetual(BTC), "sell", 1)] });
    expect(report.pairs.BTC).toEqual({
      requirement: 75,
      worstScenario: 4,
      fillSet: "asks",
      scenarioPV: [-300, -300, -300, -375, -375, -375, -225, -225, -225],
    });
  });

  it("on equal requirements the earlier set wins (none before bids before asks)", () => {
    // buy 4: bids = +2 perps: 200 - 150 = 50 in scenario 7, equal to none's 50 in scenario 4
    const report = marginOf([btc100()], { positions: [shortPerp()], orders: [order(perpetual(BTC), "buy", 4)] });
    expect(report.pairs.BTC.fillSet).toBe("none");
    expect(report.pairs.BTC.worstScenario).toBe(4);
    // buy 5 (bids = +3: 300 - 225 = 75) and sell 1 (asks = -3: -300 + 375 = 75): bids
    const tie = marginOf([btc100()], {
      positions: [shortPerp()],
      orders: [order(perpetual(BTC), "sell", 1), order(perpetual(BTC), "buy", 5)],
    });
    expect(tie.pairs.BTC.fillSet).toBe("bids");
    expect(tie.pairs.BTC.requirement).toBe(75);
    expect(tie.pairs.BTC.worstScenario).toBe(7);
  });

  it("ignores the order price and counts no order in equity", () => {
    const cheap = marginOf([btc100()], { usd: 100, positions: [shortPerp()], orders: [order(perpetual(BTC), "sell", 1, 1)] });
    const dear = marginOf([btc100()], { usd: 100, positions: [shortPerp()], orders: [order(perpetual(BTC), "sell", 1, 1e6)] });
    expect(dear).toEqual(cheap);
    expect(cheap.equity).toBe(100);
    expect(cheap.initialMargin).toBe(75);
    expect(cheap.status).toBe("ok"); // 100 >= IM 75
  });

  it("reports a pair with orders only; the positions-alone set is then empty", () => {
    // a buy of 1 call K = 80 (vol 0): bids PV = max(S' - 80, 0) = 20, 45, 0: requirement 20
    const report = marginOf([btc100({ surface: flatSurface(0) })], { orders: [order(call(BTC, 80, 0.5), "buy", 1)] });
    expect(report.pairs.BTC).toEqual({
      requirement: 20,
      worstScenario: 7,
      fillSet: "bids",
      scenarioPV: [20, 20, 20, 45, 45, 45, 0, 0, 0],
    });
    expect(report.equity).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Account summary

describe("account summary", () => {
  it("sums equity from USD, coins at spot, options at value and futures/perpetual PnL", () => {
    // 1000 USD + 2 coins * 100 + perp -1 entry 90: -1 * (100 - 90) = -10 + expired call K=90 x 3: 30
    // + spot position 0.5 * 100 = 50 + future x 2 without entry: 0 + future x 1 entry 95 on
    // F = 100 e^{0.02 * 0.5}: (100 e^0.01 - 95); orders count nothing
    const pair = btc100({ futures: [{ tenorYears: 0.5, mark: 100 * Math.exp(0.01) }] });
    const report = marginOf([pair], {
      usd: 1000,
      coins: { BTC: 2 },
      positions: [
        position(perpetual(BTC), -1, 90),
        position(call(BTC, 90, -0.01), 3),
        position(spotInstrument(BTC), 0.5),
        position(future(BTC, 0.5), 2),
        position(future(BTC, 0.5), 1, 95),
      ],
      orders: [order(perpetual(BTC), "buy", 7, 50)],
    });
    expectRelClose(report.equity, 1000 + 200 - 10 + 30 + 50 + (100 * Math.exp(0.01) - 95), 1e-14);
  });

  it("sets status ok / restricted / liquidation at IM and MM, and available = max(0, equity - IM)", () => {
    // long 1 perp at 100: IM = 25, MM = 12.5 (mmFraction 0.5)
    const at = (usd: number, mmFraction = 0.5) =>
      marginOf([btc100()], { usd, positions: [position(perpetual(BTC), 1)] }, { mmFraction });
    expect([at(30).status, at(30).available]).toEqual(["ok", 5]);
    expect([at(25).status, at(25).available]).toEqual(["ok", 0]); // equity = IM
    expect([at(20).status, at(20).available]).toEqual(["restricted", 0]);
    expect(at(12.5).status).toBe("restricted"); // equity = MM
    expect(at(12).status).toBe("liquidation");
    expect(at(0).status).toBe("liquidation");
    expect(at(19, 0.8).maintenanceMargin).toBe(20); // 25 * 0.8
    expect(at(19, 0.8).status).toBe("liquidation");
    expect(at(21, 0.8).status).toBe("restricted");
    // unrealised PnL counts: usd 30 with entry 110: equity 30 + (100 - 110) = 20: restricted
    const withLoss = marginOf([btc100()], { usd: 30, positions: [position(perpetual(BTC), 1, 110)] });
    expect([withLoss.equity, withLoss.status, withLoss.available]).toEqual([20, "restricted", 0]);
  });

  it("sums pairs, or combines them as sqrt(R^T rho R) with a pair correlation", () => {
    // BTC 100, long 1 perp: R = 25; ETH 240 (SSF 0.25), long 1 perp: R = 60
    const pairs = [btc100(), makePair({ name: "ETH", spot: 240, ssf: 0.25, vsf: 0.5 })];
    const both = { positions: [position(perpetual(BTC), 1), position(perpetual(ETH), 1)] };
    expect(marginOf(pairs, both).initialMargin).toBe(85); // plain sum
    expect(marginOf(pairs, both, { pairCorrelation: [[1, 0], [0, 1]] }).initialMargin).toBe(65); // sqrt(625 + 3600)
    expect(marginOf(pairs, both, { pairCorrelation: [[1, 1], [1, 1]] }).initialMargin).toBe(85); // ones = sum
    // rho 0.5: sqrt(625 + 3600 + 2 * 0.5 * 25 * 60) = sqrt(5725)
    expectRelClose(marginOf(pairs, both, { pairCorrelation: [[1, 0.5], [0.5, 1]] }).initialMargin, Math.sqrt(5725));
    // ETH not in this account's report: R_ETH = 0, IM = sqrt(25^2) = 25
    const btcOnly = marginOf(pairs, { positions: [position(perpetual(BTC), 1)] }, { pairCorrelation: [[1, 0.5], [0.5, 1]] });
    expect(Object.keys(btcOnly.pairs)).toEqual(["BTC"]);
    expect(btcOnly.initialMargin).toBe(25);
    expect(btcOnly.maintenanceMargin).toBe(12.5);
  });

  it("floors a negative quadratic form at 0 (a matrix that is not positive semi-definite)", () => {
    // R = (1, 1), rho = [[1, -1.5], [-1.5, 1]]: 1 + 1 - 3 = -1 -> IM 0
    expect(combineRequirements([1, 1], [[1, -1.5], [-1.5, 1]])).toBe(0);
    expect(combineRequirements([3, 4], null)).toBe(7);
  });

  it("reports a pair only with a position, an order or a non-zero coin balance on it", () => {
    const pairs = [btc100(), makePair({ name: "ETH", spot: 200 })];
    const report = marginOf(pairs, { coins: { ETH: 0 }, positions: [position(perpetual(BTC), 1)] });
    expect(Object.keys(report.pairs)).toEqual(["BTC"]);
    const withCoin = marginOf(pairs, { coins: { ETH: 0.5 }, positions: [position(perpetual(BTC), 1)] });
    expect(Object.keys(withCoin.pairs)).toEqual(["BTC", "ETH"]);
    expect(withCoin.equity).toBe(100); // 0.5 * 200
    const withOrder = marginOf(pairs, { orders: [order(perpetual(ETH), "sell", 1)] });
    expect(Object.keys(withOrder.pairs)).toEqual(["ETH"]);
  });

  it("margins accounts separately and in book order", () => {
    const book = makeBook(
      [btc100()],
      [
        { id: "a", usd: 100, positions: [position(perpetual(BTC), 1)] },
        { id: "b", usd: 100, positions: [position(perpetual(BTC), -1)] },
      ],
    );
    const report = referenceMargin(book);
    expect(report.accounts.map((account) => account.id)).toEqual(["a", "b"]);
    expect(report.accounts.map((account) => account.initialMargin)).toEqual([25, 25]); // no offset between accounts
  });
});
