import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { ErrorCode, MarginError, type ErrorCodeValue } from "../bindings/errors.js";
import type { Book, BookOptionMark, BookSurface } from "../bindings/model/book.js";
import type { AccountReport, InstrumentInput, PortfolioFile, Report } from "../bindings/model/types.js";
import { nodesFromMarks } from "../bindings/surface-marks.js";
import { normalize, normalizeMarketUpdate } from "../bindings/validate.js";
import { referenceImpliedVol, referenceSurfaceFromMarks, withReferenceSurfaces } from "./reference/marks.js";
import { black76, forwardPrice, referenceMargin, surfaceVol } from "./reference/model.js";
import { randomFile } from "./support/random.js";

// Surfaces built from option marks (SPEC.md "Implied-volatility surface", docs/surface-construction.md):
// validation against the no-arbitrage bounds, the construction, and margin end to end against the
// reference model with its independently built nodes.

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const AS_OF = "2026-11-21T08:00:00Z";
const AS_OF_MS = Date.parse(AS_OF);
const YEAR_MS = 365 * 86_400_000;
const SPOT = 91_000;
const USD_RATE = 0.03;
const FUTURES = [
  { expiry: "2026-12-25T08:00:00Z", mark: 91_500 },
  { expiry: "2027-03-26T08:00:00Z", mark: 93_000 },
];
/** Deribit codes of the marked expiries: before the first future, on it, between the two, after the last */
const EXPIRIES = ["4DEC26", "25DEC26", "29JAN27", "26MAR27", "25JUN27"];
const MONTHS: Record<string, number> = { DEC: 11, JAN: 0, MAR: 2, JUN: 5 };

function tenorOf(code: string): number {
  const [, day, month, year] = /^(\d+)([A-Z]{3})(\d\d)$/.exec(code)!;
  return (Date.UTC(2000 + Number(year), MONTHS[month], Number(day), 8) - AS_OF_MS) / YEAR_MS;
}

/** F(T) by SPEC.md "Instruments", written out here: b_j = ln(F_j/S)/T_j, linear in T between, flat outside. */
function forwardByHand(tenorYears: number, spot = SPOT, futures = FUTURES): number {
  const nodes = futures.map((f) => {
    const t = (Date.parse(f.expiry) - AS_OF_MS) / YEAR_MS;
    return { t, b: Math.log(f.mark / spot) / t };
  });
  let b: number;
  if (tenorYears <= nodes[0].t) b = nodes[0].b;
  else if (tenorYears >= nodes[1].t) b = nodes[1].b;
  else b = nodes[0].b + ((tenorYears - nodes[0].t) / (nodes[1].t - nodes[0].t)) * (nodes[1].b - nodes[0].b);
  return spot * Math.exp(b * tenorYears);
}

/** The smile the marks are priced with: vol(k, T) with k = ln(K/F). */
function smile(k: number, tenorYears: number): number {
  return 0.5 + 0.01 / Math.sqrt(tenorYears + 0.05) + 0.6 * k * k - 0.15 * k;
}

interface MarkSpec {
  code: string;
  strike: number;
  right: "C" | "P";
  /** vol to price with; default the smile */
  vol?: number;
}

function markOf(spec: MarkSpec, spot = SPOT): { instrument: InstrumentInput; mark: number } {
  const tenorYears = tenorOf(spec.code);
  const forward = forwardByHand(tenorYears, spot);
  const vol = spec.vol ?? smile(Math.log(spec.strike / forward), tenorYears);
  const mark = black76(forward, spec.strike, tenorYears, vol, Math.exp(-USD_RATE * tenorYears), spec.right === "C");
  return { instrument: `BTC-${spec.code}-${spec.strike}-${spec.right}`, mark };
}

/** Calls at and above the forward, puts below, both at a few strikes; every expiry. */
function markSpecs(): MarkSpec[] {
  const specs: MarkSpec[] = [];
  for (const code of EXPIRIES) {
    const forward = forwardByHand(tenorOf(code));
    const wing = code === "4DEC26" ? 0.12 : code === "25JUN27" ? 0.5 : 0.3;
    for (let strike = Math.round((forward * (1 - wing)) / 1000) * 1000; strike <= forward * (1 + wing); strike += 5000) {
      specs.push({ code, strike, right: strike < forward ? "P" : "C" });
      if (strike % 10000 === 0) specs.push({ code, strike, right: strike < forward ? "C" : "P" });
    }
  }
  return specs;
}

function marksFile(specs: MarkSpec[] = markSpecs()): PortfolioFile {
  return {
    asOf: AS_OF,
    params: { usdRate: USD_RATE },
    market: {
      BTC: { spot: SPOT, futures: FUTURES, surface: { options: specs.map((s) => markOf(s)) } },
      ETH: { spot: 3100, surface: { atmVol: 0.7 } },
    },
    accounts: [
      {
        id: "writer",
        balances: { USD: 400_000, BTC: 2 },
        positions: [
          { instrument: "BTC-25DEC26-95000-C", qty: -5 },
          { instrument: "BTC-29JAN27-80000-P", qty: -3 },
          { instrument: "BTC-26MAR27-100000-C", qty: 2 },
          { instrument: "BTC-26MAR27-93000-P", qty: 1 },
          { instrument: { kind: "option", pair: "BTC", right: "call", strike: 150000, expiry: "2027-09-24T08:00:00Z" }, qty: -1 },
          { instrument: "BTC-10DEC26-88000-P", qty: 4 },
          { instrument: "BTC-1DEC26-91000-C", qty: -2 },
          { instrument: "BTC-PERPETUAL", qty: 1, entryPrice: 90_000 },
        ],
        orders: [{ instrument: "BTC-25DEC26-100000-C", side: "sell", qty: 2, price: 1500 }],
      },
      {
        id: "spreader",
        balances: { USD: 50_000 },
        positions: [
          { instrument: "BTC-26MAR27-90000-C", qty: 1 },
          { instrument: "BTC-26MAR27-110000-C", qty: -1 },
          { instrument: "BTC-25JUN27-60000-P", qty: -1 },
          { instrument: { kind: "option", pair: "ETH", right: "put", strike: 3000, expiry: "2027-03-26T08:00:00Z" }, qty: 10 },
        ],
      },
    ],
  };
}

function thrown(f: () => unknown): MarginError {
  try {
    f();
  } catch (e) {
    if (e instanceof MarginError) return e;
    throw e;
  }
  throw new Error("expected a MarginError");
}

/** |a - b| <= tol * max(|b|, scale) for every number of two reports. */
function reportDifferences(kernel: Report, ref: Report, tol: number): string[] {
  const out: string[] = [];
  const num = (what: string, a: number, b: number, scale: number): void => {
    if (!(Math.abs(a - b) <= tol * Math.max(Math.abs(b), scale))) out.push(`${what}: kernel ${a} reference ${b}`);
  };
  kernel.accounts.forEach((k: AccountReport, a) => {
    const r = ref.accounts[a];
    const scale = Math.max(1, Math.abs(r.equity), r.initialMargin);
    num(`${r.id}.equity`, k.equity, r.equity, scale);
    num(`${r.id}.initialMargin`, k.initialMargin, r.initialMargin, scale);
    for (const [pair, rp] of Object.entries(r.pairs)) {
      const kp = k.pairs[pair];
      const pairScale = Math.max(1, ...rp.scenarioPV.map(Math.abs));
      num(`${r.id}.${pair}.requirement`, kp.requirement, rp.requirement, pairScale);
      if (kp.fillSet === rp.fillSet) rp.scenarioPV.forEach((pv, s) => num(`${r.id}.${pair}.pv[${s}]`, kp.scenarioPV[s], pv, pairScale));
    }
  });
  return out;
}

describe("validation of a surface of option marks", () => {
  it("keeps the marks with their forward and discount factor; the surface waits for the engine", () => {
    const book = normalize(marksFile());
    const btc = book.pairs[0];
    expect(btc.surface).toBeNull();
    expect(btc.optionMarks).toHaveLength(markSpecs().length);
    for (const mark of btc.optionMarks!) {
      expect(Math.abs(mark.forward / forwardByHand(mark.tenorYears) - 1)).toBeLessThan(1e-14);
      expect(mark.discountFactor).toBe(Math.exp(-USD_RATE * mark.tenorYears));
    }
    expect(btc.optionMarks![0].path).toBe("market.BTC.surface.options[0]");
    expect(book.pairs[1].optionMarks).toBeUndefined();
  });

  const cases: { name: string; mutate: (options: { instrument: unknown; mark: unknown }[], f: PortfolioFile) => void; path: string; code: ErrorCodeValue }[] = [
    { name: "no marks", mutate: (o) => o.splice(0), path: "market.BTC.surface.options", code: ErrorCode.SHAPE },
    { name: "a mark not an object", mutate: (o) => ((o as unknown[])[2] = 5), path: "market.BTC.surface.options[2]", code: ErrorCode.TYPE },
    { name: "an unknown key", mutate: (o) => ((o[2] as Record<string, unknown>).price = 5), path: "market.BTC.surface.options[2].price", code: ErrorCode.UNKNOWN },
    { name: "a future", mutate: (o) => (o[2].instrument = "BTC-25DEC26"), path: "market.BTC.surface.options[2].instrument", code: ErrorCode.TYPE },
    { name: "an option on another pair", mutate: (o) => (o[2].instrument = "ETH-25DEC26-3000-C"), path: "market.BTC.surface.options[2].instrument", code: ErrorCode.RANGE },
    {
      name: "an option object on another pair",
      mutate: (o) => (o[2].instrument = { kind: "option", pair: "ETH", right: "call", strike: 3000, expiry: "2026-12-25T08:00:00Z" }),
      path: "market.BTC.surface.options[2].instrument.pair",
      code: ErrorCode.RANGE,
    },
    {
      name: "a multiplier other than 1",
      mutate: (o) => (o[2].instrument = { kind: "option", pair: "BTC", right: "call", strike: 95000, expiry: "2026-12-25T08:00:00Z", multiplier: 10 }),
      path: "market.BTC.surface.options[2].instrument.multiplier",
      code: ErrorCode.RANGE,
    },
    { name: "an unparseable name", mutate: (o) => (o[2].instrument = "BTC-25DEC26-95000-X"), path: "market.BTC.surface.options[2].instrument", code: ErrorCode.PARSE },
    { name: "an expired option", mutate: (o) => (o[2].instrument = "BTC-20NOV26-95000-C"), path: "market.BTC.surface.options[2].instrument", code: ErrorCode.RANGE },
    { name: "an option expiring at asOf", mutate: (o) => (o[2].instrument = "BTC-21NOV26-95000-C"), path: "market.BTC.surface.options[2].instrument", code: ErrorCode.RANGE },
    { name: "the same option twice", mutate: (o) => (o[3].instrument = o[2].instrument), path: "market.BTC.surface.options[3].instrument", code: ErrorCode.ORDER },
    { name: "a zero mark", mutate: (o) => (o[2].mark = 0), path: "market.BTC.surface.options[2].mark", code: ErrorCode.RANGE },
    { name: "a negative mark", mutate: (o) => (o[2].mark = -10), path: "market.BTC.surface.options[2].mark", code: ErrorCode.RANGE },
    { name: "a NaN mark", mutate: (o) => (o[2].mark = NaN), path: "market.BTC.surface.options[2].mark", code: ErrorCode.NOT_FINITE },
    { name: "a mark as a string", mutate: (o) => (o[2].mark = "100"), path: "market.BTC.surface.options[2].mark", code: ErrorCode.TYPE },
    { name: "a missing mark", mutate: (o) => delete (o[2] as Record<string, unknown>).mark, path: "market.BTC.surface.options[2].mark", code: ErrorCode.MISSING },
    {
      name: "options with atmVol",
      mutate: (_, f) => ((f.market.BTC.surface as unknown as Record<string, unknown>).atmVol = 0.5),
      path: "market.BTC.surface.atmVol",
      code: ErrorCode.TYPE,
    },
  ];
  it.each(cases)("rejects $name with $code at $path", ({ mutate, path, code }) => {
    const f = marksFile();
    mutate((f.market.BTC.surface as { options: { instrument: unknown; mark: unknown }[] }).options, f);
    const error = thrown(() => normalize(f));
    expect([error.code, error.path]).toEqual([code, path]);
  });

  const withMark = (index: number, spec: MarkSpec, mark: number): PortfolioFile => {
    const specs = markSpecs();
    specs[index] = spec;
    const f = marksFile(specs);
    (f.market.BTC.surface as { options: { mark: number }[] }).options[index].mark = mark;
    return f;
  };

  it("rejects a call mark below DF max(F - K, 0) with E_ARBITRAGE at the mark, naming the option and the bound", () => {
    const tenorYears = tenorOf("29JAN27");
    const forward = forwardByHand(tenorYears); // between the two futures: b(T) interpolated
    const df = Math.exp(-USD_RATE * tenorYears);
    const intrinsic = df * (forward - 80_000);
    const error = thrown(() => normalize(withMark(3, { code: "29JAN27", strike: 80_000, right: "C" }, intrinsic - 0.01)));
    expect([error.code, error.path]).toEqual([ErrorCode.ARBITRAGE, "market.BTC.surface.options[3].mark"]);
    expect(error.message).toContain("is below the intrinsic value");
    expect(error.message).toContain("BTC-29JAN27-80000-C");
    const stated = Number(/intrinsic value ([0-9.e+-]+)/.exec(error.message)![1]);
    expect(Math.abs(stated - intrinsic)).toBeLessThan(1e-9 * intrinsic);
    // at the bound itself the mark is accepted (vol 0 on that strike) and a cent above it too
    expect(() => normalize(withMark(3, { code: "29JAN27", strike: 80_000, right: "C" }, intrinsic + 0.01))).not.toThrow();
  });

  it("rejects a put mark below DF max(K - F, 0)", () => {
    const tenorYears = tenorOf("26MAR27");
    const intrinsic = Math.exp(-USD_RATE * tenorYears) * (123_000 - forwardByHand(tenorYears));
    const error = thrown(() => normalize(withMark(1, { code: "26MAR27", strike: 123_000, right: "P" }, intrinsic * 0.999)));
    expect([error.code, error.path]).toEqual([ErrorCode.ARBITRAGE, "market.BTC.surface.options[1].mark"]);
    expect(error.message).toContain("BTC-26MAR27-123000-P");
  });

  it("rejects a call at or above DF F and a put at or above DF K, naming the bound", () => {
    const tenorYears = tenorOf("25JUN27"); // beyond the last future: b flat
    const df = Math.exp(-USD_RATE * tenorYears);
    const forward = forwardByHand(tenorYears);
    const call = thrown(() => normalize(withMark(0, { code: "25JUN27", strike: 50_000, right: "C" }, df * forward * 1.000001)));
    expect([call.code, call.path]).toEqual([ErrorCode.ARBITRAGE, "market.BTC.surface.options[0].mark"]);
    expect(call.message).toContain("at or above the no-arbitrage bound");
    const stated = Number(/bound ([0-9.e+-]+)/.exec(call.message)![1]);
    expect(Math.abs(stated - df * forward)).toBeLessThan(1e-9 * forward);
    const put = thrown(() => normalize(withMark(0, { code: "25JUN27", strike: 150_000, right: "P" }, df * 150_000)));
    expect([put.code, put.path]).toEqual([ErrorCode.ARBITRAGE, "market.BTC.surface.options[0].mark"]);
    expect(put.message).toContain("a put is worth less than DF K");
  });

  it("discounts the bound with usdRate: a put between DF K and K is rejected", () => {
    const tenorYears = tenorOf("25JUN27");
    const df = Math.exp(-USD_RATE * tenorYears);
    const error = thrown(() => normalize(withMark(0, { code: "25JUN27", strike: 150_000, right: "P" }, 150_000 * (1 + df) / 2)));
    expect(error.code).toBe(ErrorCode.ARBITRAGE);
  });

  it("accepts an option position on a pair whose surface is marks", () => {
    const book = normalize(marksFile());
    expect(book.accounts[0].positions[0].instrument.name).toBe("BTC-25DEC26-95000-C");
  });

  it("checks a tick's marks against the spot and futures of the same tick", () => {
    const book = normalize(marksFile());
    const tenorYears = tenorOf("25DEC26");
    const df = Math.exp(-USD_RATE * tenorYears);
    // a deep call worth 95% of the forward of the book's market: F(T) is pinned to the future's
    // mark at its expiry, so a new spot alone leaves it valid, new futures marks 12% lower do not
    const mark = 0.95 * df * forwardByHand(tenorYears);
    const surface = { options: [{ instrument: "BTC-25DEC26-10000-C", mark }] };
    const lower = FUTURES.map((f) => ({ ...f, mark: 0.88 * f.mark }));
    expect(Math.abs(forwardByHand(tenorYears, 80_000) / forwardByHand(tenorYears) - 1)).toBeLessThan(1e-12);
    expect(() => normalizeMarketUpdate({ BTC: { spot: 80_000, surface } }, book.pairs, book.asOfMs, USD_RATE)).not.toThrow();
    const error = thrown(() =>
      normalizeMarketUpdate({ BTC: { spot: 80_000, futures: lower, surface } }, book.pairs, book.asOfMs, USD_RATE),
    );
    expect([error.code, error.path]).toEqual([ErrorCode.ARBITRAGE, "market.BTC.surface.options[0].mark"]);
    expect(mark).toBeGreaterThan(df * forwardByHand(tenorYears, 80_000, lower));
  });
});

describe("the surface the engine builds from marks", () => {
  it("is visible in the prepared book: one row per expiry, nodes on the union of the rows' k", () => {
    const prepared = engine.prepare(marksFile());
    const btc = prepared.book.pairs[0];
    const surface = btc.surface!;
    const marks = btc.optionMarks!;
    expect(surface.tenors).toEqual([...new Set(marks.map((m) => m.tenorYears))].sort((a, b) => a - b));
    const ks = [...new Set(marks.map((m) => Math.log(m.strike / m.forward)))].sort((a, b) => a - b);
    expect(surface.logMoneyness).toEqual(ks);
    expect(surface.vols).toHaveLength(EXPIRIES.length);
    for (const row of surface.vols) expect(row).toHaveLength(ks.length);
    prepared.dispose();
  });

  it("recovers the smile the marks were priced with (to the reference prices' precision)", () => {
    const prepared = engine.prepare(marksFile());
    const { surface, optionMarks } = prepared.book.pairs[0];
    let worst = 0;
    for (const mark of optionMarks!) {
      const k = Math.log(mark.strike / mark.forward);
      worst = Math.max(worst, Math.abs(surfaceVol(surface!, k, mark.tenorYears) / smile(k, mark.tenorYears) - 1));
    }
    expect(worst).toBeLessThan(1e-11);
    prepared.dispose();
  });

  it("agrees with the reference construction (its own forwards, implied vols and nodes) to 1e-10", () => {
    const book = normalize(marksFile());
    const reference = referenceSurfaceFromMarks(book.pairs[0], book.params.usdRate);
    const prepared = engine.prepareBook(book);
    const kernel = prepared.book.pairs[0].surface!;
    expect(kernel.tenors).toEqual(reference.tenors);
    expect(kernel.logMoneyness).toHaveLength(reference.logMoneyness.length);
    let worstK = 0;
    let worstVol = 0;
    kernel.logMoneyness.forEach((k, j) => (worstK = Math.max(worstK, Math.abs(k - reference.logMoneyness[j]))));
    kernel.vols.forEach((row, i) => row.forEach((v, j) => (worstVol = Math.max(worstVol, Math.abs(v / reference.vols[i][j] - 1)))));
    console.log(`kernel vs reference nodes: max |dk| = ${worstK.toExponential(2)}, max |dvol/vol| = ${worstVol.toExponential(2)}`);
    expect(worstK).toBeLessThan(1e-10);
    expect(worstVol).toBeLessThan(1e-10);
    prepared.dispose();
  });

  it("takes the out-of-the-money mark where a call and a put share a strike (put below F, call at or above)", () => {
    // the 26MAR27 90,000 and 100,000 strikes carry both rights; price the in-the-money one at 0.9
    const forward = forwardByHand(tenorOf("26MAR27"));
    const specs = markSpecs().map((s) =>
      s.code === "26MAR27" && (s.strike === 90_000 || s.strike === 100_000) && (s.right === "C") === s.strike < forward
        ? { ...s, vol: 0.9 }
        : s,
    );
    expect(specs.filter((s) => s.vol === 0.9)).toHaveLength(2);
    const prepared = engine.prepare(marksFile(specs));
    const { surface } = prepared.book.pairs[0];
    const tenorYears = tenorOf("26MAR27");
    for (const strike of [90_000, 100_000]) {
      const k = Math.log(strike / forward);
      expect(Math.abs(surfaceVol(surface!, k, tenorYears) / smile(k, tenorYears) - 1)).toBeLessThan(1e-11);
    }
    prepared.dispose();
  });

  it("places each row on the union nodes exactly: every read equals the row's own linear interpolation", () => {
    const book = normalize(marksFile());
    const marks = book.pairs[0].optionMarks!;
    const vols = marks.map((m) => referenceImpliedVol(m.mark, m.forward, m.strike, m.tenorYears, m.discountFactor, m.isCall));
    const surface: BookSurface = nodesFromMarks(marks, vols);
    for (const code of EXPIRIES) {
      const tenorYears = tenorOf(code);
      // the row's own nodes: the out-of-the-money mark per strike
      const own = marks
        .map((m, i) => ({ m, vol: vols[i] }))
        .filter(({ m }) => m.tenorYears === tenorYears && m.isCall === !(m.strike < m.forward))
        .map(({ m, vol }) => ({ k: Math.log(m.strike / m.forward), vol }))
        .sort((a, b) => a.k - b.k);
      const ownRow = { tenors: [tenorYears], logMoneyness: own.map((n) => n.k), vols: [own.map((n) => n.vol)] };
      const probes = [...surface.logMoneyness, ...own.map((n) => n.k + 0.013), -1.5, 1.5];
      for (const k of probes) {
        expect(Math.abs(surfaceVol(surface, k, tenorYears) - surfaceVol(ownRow, k, tenorYears))).toBeLessThan(1e-15);
      }
    }
  });

  it("keeps a mark at exactly the intrinsic value as a zero-vol node", () => {
    // no futures and no rate: F = S and DF = 1 exactly, so the intrinsic value is S - K to the bit
    const f: PortfolioFile = {
      asOf: AS_OF,
      market: {
        BTC: {
          spot: SPOT,
          surface: {
            options: [
              { instrument: "BTC-25DEC26-80000-C", mark: SPOT - 80_000 },
              { instrument: "BTC-25DEC26-100000-C", mark: 1000 },
            ],
          },
        },
      },
      accounts: [{ id: "a", positions: [{ instrument: "BTC-25DEC26-90000-C", qty: 1 }] }],
    };
    const prepared = engine.prepare(f);
    expect(prepared.book.pairs[0].surface!.vols[0][0]).toBe(0);
    expect(prepared.book.pairs[0].surface!.vols[0][1]).toBeGreaterThan(0.1);
    prepared.dispose();
  });
});

describe("margin with a surface of marks, end to end", () => {
  it("agrees with the reference model on the reference's own nodes (1e-9) and on the engine's", () => {
    const file = marksFile();
    const prepared = engine.prepare(file);
    const kernel = prepared.margin();
    const reference = referenceMargin(withReferenceSurfaces(normalize(file)));
    expect(reportDifferences(kernel, reference, 1e-9)).toEqual([]);
    expect(reportDifferences(kernel, referenceMargin(prepared.book), 1e-9)).toEqual([]);
    expect(kernel.accounts[0].initialMargin).toBeGreaterThan(1000);
    expect(engine.margin(file)).toEqual(kernel);
    prepared.dispose();
  });

  it("agrees with the reference on random books with mark surfaces (every grid, policy and rate)", () => {
    const failures: string[] = [];
    let markPairs = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const file = randomFile(seed, { accounts: 12, randomParams: seed % 3 !== 0, markSurfaces: true });
      const book: Book = normalize(file);
      markPairs += book.pairs.filter((p) => p.optionMarks).length;
      const reference = referenceMargin(withReferenceSurfaces(book));
      const kernel = engine.marginBook(book);
      for (const d of reportDifferences(kernel, reference, 1e-9)) failures.push(`seed ${seed} ${d}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(markPairs).toBeGreaterThan(30);
  });

  it("re-resolves on a tick with new marks, keeps the nodes on a spot tick, and drops the marks for a node surface", () => {
    const prepared = engine.prepare(marksFile());
    const before = prepared.margin();
    const nodes = prepared.book.pairs[0].surface;

    prepared.updateMarket({ BTC: { spot: 89_000 } });
    expect(prepared.book.pairs[0].surface).toBe(nodes);
    expect(reportDifferences(prepared.margin(), referenceMargin(prepared.book), 1e-9)).toEqual([]);

    // new marks, priced at 20% higher vols off the new spot, in the same tick as the spot
    const bumped = markSpecs().map((s) => {
      const tenorYears = tenorOf(s.code);
      return { ...markOf({ ...s, vol: 1.2 * smile(Math.log(s.strike / forwardByHand(tenorYears, 89_000)), tenorYears) }, 89_000) };
    });
    prepared.updateMarket({ BTC: { spot: 89_000, surface: { options: bumped } } });
    const btc = prepared.book.pairs[0];
    expect(btc.surface).not.toBe(nodes);
    expect(btc.optionMarks![0].mark).toBe(bumped[0].mark);
    const after = prepared.margin();
    expect(after.accounts[1].initialMargin).not.toBe(before.accounts[1].initialMargin);
    const refBook = withReferenceSurfaces({ ...prepared.book, pairs: prepared.book.pairs.map((p) => ({ ...p })) });
    expect(reportDifferences(after, referenceMargin(refBook), 1e-9)).toEqual([]);

    const flat = { atmVol: 0.6 };
    prepared.updateMarket({ BTC: { surface: flat } });
    expect(prepared.book.pairs[0].optionMarks).toBeNull();
    expect(prepared.book.pairs[0].surface).toEqual({ tenors: [1], logMoneyness: [0], vols: [[0.6]] });
    prepared.dispose();
  });

  it("rejects a tick with a bad mark before changing anything", () => {
    const prepared = engine.prepare(marksFile());
    const nodes = prepared.book.pairs[0].surface;
    const bad = { options: [{ instrument: "BTC-25DEC26-95000-C", mark: 1e9 }] };
    const error = thrown(() => prepared.updateMarket({ BTC: { spot: 90_000, surface: bad } }));
    expect([error.code, error.path]).toEqual([ErrorCode.ARBITRAGE, "market.BTC.surface.options[0].mark"]);
    expect(prepared.book.pairs[0].surface).toBe(nodes);
    expect(prepared.book.pairs[0].spot).toBe(SPOT);
    prepared.dispose();
  });
});

describe("the validated marks", () => {
  it("are what the reference inverts: each mark's vol reprices it to 1e-12 relative", () => {
    const book = normalize(marksFile());
    for (const mark of book.pairs[0].optionMarks! as BookOptionMark[]) {
      const forward = forwardPrice(book.pairs[0], mark.tenorYears, SPOT);
      const vol = referenceImpliedVol(mark.mark, forward, mark.strike, mark.tenorYears, mark.discountFactor, mark.isCall);
      const price = black76(forward, mark.strike, mark.tenorYears, vol, mark.discountFactor, mark.isCall);
      expect(Math.abs(price / mark.mark - 1)).toBeLessThan(1e-12);
    }
  });
});
