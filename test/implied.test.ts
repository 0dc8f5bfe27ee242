import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { kernelImpliedVols, type ImpliedVols, type MarkColumns } from "../bindings/implied.js";
import { Kernel } from "../bindings/kernel.js";
import * as L from "../bindings/layout.js";
import { black76 } from "./reference/model.js";
import { normalCdf } from "./reference/normal.js";
import { rng } from "./support/random.js";

// The kernel's implied vols (assembly/implied.ts): Jaeckel's normalised Black b(x, s) against
// 60-digit mpmath values, its inversion against the exact vols, round trips vol -> price -> vol
// over a dense grid, the mark statuses, extreme inputs, and the scalar build against the SIMD one.

const EPS = 2.220446049250313e-16;
/** unit roundoff: the relative error of one correctly rounded operation */
const U = EPS / 2;
/**
 * The price carries the vol to 1e-12 when its elasticity to vol E = (vol / price) dprice/dvol is
 * at least this: a relative error of 1 ulp in the price then moves the vol by u / E <= 1.1e-13,
 * which leaves room for the few ulps of the price's own rounding.
 */
const INFORMATIVE_ELASTICITY = 1e-3;

interface RawExports {
  memory: WebAssembly.Memory;
  normalisedBlackCall(x: number, s: number): number;
  normalisedImpliedTotalVol(beta: number, x: number): number;
  impliedLastIterations(): number;
  black76Normalised(forward: number, strike: number, stdDev: number, discount: number, isCall: number): number;
}

function wasmBytes(build: "release" | "scalar" | "debug"): Uint8Array {
  return readFileSync(new URL(`../build/${build}.wasm`, import.meta.url));
}

async function kernelOf(build: "release" | "scalar" | "debug"): Promise<Kernel> {
  return Kernel.create(new WebAssembly.Module(wasmBytes(build) as Uint8Array<ArrayBuffer>));
}

let simd: Kernel;
let scalar: Kernel;
let raw: RawExports;
beforeAll(async () => {
  simd = await kernelOf("release");
  scalar = await kernelOf("scalar");
  raw = simd.exports as unknown as RawExports;
});

interface FixturePoint {
  x: number;
  s: number;
  b: string;
  elasticity: string;
}
const FIXTURE: FixturePoint[] = JSON.parse(
  readFileSync(new URL("./fixtures/normalised-black.json", import.meta.url), "utf8"),
).points;

describe("normalised Black b(x, s) (assembly/implied.ts) against 60-digit mpmath", () => {
  it(`has ${FIXTURE.length} points over x in [-600, 600], s in [1e-7, 60] and every region boundary`, () => {
    expect(FIXTURE.length).toBeGreaterThan(1500);
  });

  it("is accurate to a few eps times the condition 1 + (h^2 + t^2)/2 of b itself", () => {
    // b depends on h = x/s through exp(-(h^2 + t^2)/2): a 1-ulp change of its inputs moves b by
    // (h^2 + t^2)/2 ulps, so no evaluation in double can do better than that
    let worst = 0;
    let at: FixturePoint | null = null;
    for (const p of FIXTURE) {
      const exact = Number(p.b);
      const h = p.x / p.s;
      const t = p.s / 2;
      const error = Math.abs(raw.normalisedBlackCall(p.x, p.s) - exact) / exact / (EPS * (1 + (h * h + t * t) / 2));
      if (error > worst) [worst, at] = [error, p];
    }
    console.log(`b(x, s): max relative error ${worst.toFixed(2)} eps x (1 + (h^2+t^2)/2), at x = ${at?.x}, s = ${at?.s}`);
    expect(worst).toBeLessThan(8);
  });
});

describe("the inversion of exact prices (normalisedImpliedTotalVol) against the exact total vols", () => {
  it("finds s to c eps max(1, 1/E): as far as the price's last bit determines it", () => {
    let worst = 0;
    let worstInformative = 0;
    let inverted = 0;
    for (const p of FIXTURE) {
      const beta = Number(p.b);
      const elasticity = Number(p.elasticity);
      const s = raw.normalisedImpliedTotalVol(beta, p.x);
      expect(Number.isNaN(s), `x = ${p.x}, s = ${p.s}`).toBe(false);
      // -1: the rounded price is at or beyond a bound (b_max = e^{x/2}, or intrinsic for x > 0)
      if (s === -1) {
        const intrinsic = p.x > 0 ? 2 * Math.sinh(p.x / 2) : 0;
        const atBound = beta >= Math.exp(p.x / 2) * (1 - 4 * EPS) || beta <= intrinsic * (1 + 4 * EPS);
        expect(atBound, `x = ${p.x}, s = ${p.s}: -1 away from the bounds`).toBe(true);
        continue;
      }
      if (s === 0) {
        // the rounded price has no time value left: only when it is within a few ulps of intrinsic
        const intrinsic = p.x > 0 ? 2 * Math.sinh(p.x / 2) : 0;
        expect(beta - intrinsic, `x = ${p.x}, s = ${p.s}: vol 0 above intrinsic`).toBeLessThanOrEqual(4 * EPS * beta);
        continue;
      }
      inverted++;
      const relative = Math.abs(s - p.s) / p.s;
      const scaled = relative / (EPS * Math.max(1, 1 / elasticity));
      worst = Math.max(worst, scaled);
      if (elasticity >= INFORMATIVE_ELASTICITY) worstInformative = Math.max(worstInformative, relative);
    }
    console.log(
      `inversion of ${inverted} mpmath prices: |ds/s| <= ${worst.toFixed(2)} eps max(1, 1/E); ` +
        `max |ds/s| where E >= ${INFORMATIVE_ELASTICITY}: ${worstInformative.toExponential(2)}`,
    );
    expect(inverted).toBeGreaterThan(1000);
    expect(worst).toBeLessThan(16);
    expect(worstInformative).toBeLessThan(1e-12);
  });
});

/** Elasticity of a Black-76 price to vol, E = vol * vega / price, from the normalised vega. */
function elasticity(price: number, forward: number, strike: number, totalVol: number, discount: number): number {
  const x = Math.log(forward / strike);
  const h = x / totalVol;
  const t = totalVol / 2;
  const normalisedVega = Math.exp(-0.5 * (h * h + t * t)) / Math.sqrt(2 * Math.PI);
  return (discount * Math.sqrt(forward) * Math.sqrt(strike) * totalVol * normalisedVega) / price;
}

const HOUR = 1 / (365 * 24);
const TENORS = [HOUR, 4 * HOUR, 1 / 365, 3 / 365, 7 / 365, 30 / 365, 91 / 365, 0.5, 1, 2, 5, 10];
const VOLS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.65, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5];
const MONEYNESS_STEPS = 60; // k / (vol sqrt T) from -3 to 3 in steps of 0.1
const FORWARD = 91500;
const USD_RATE = 0.04;

interface GridPoint {
  tenorYears: number;
  vol: number;
  /** k = ln(K/F) in units of total vol */
  m: number;
  isCall: boolean;
}

function denseGrid(): GridPoint[] {
  const points: GridPoint[] = [];
  for (const tenorYears of TENORS)
    for (const vol of VOLS)
      for (let i = 0; i <= MONEYNESS_STEPS; i++)
        for (const isCall of [true, false]) points.push({ tenorYears, vol, m: -3 + (6 * i) / MONEYNESS_STEPS, isCall });
  return points;
}

interface GridMarks {
  mark: number[];
  forward: number[];
  strike: number[];
  tenorYears: number[];
  discountFactor: number[];
  isCall: boolean[];
  elasticity: number[];
}

/** Marks priced by the kernel's normalised Black-76 (the same b the inversion solves). */
function gridMarks(points: readonly GridPoint[]): GridMarks {
  const columns: GridMarks = {
    mark: [],
    forward: [],
    strike: [],
    tenorYears: [],
    discountFactor: [],
    isCall: [],
    elasticity: [],
  };
  for (const p of points) {
    const totalVol = p.vol * Math.sqrt(p.tenorYears);
    const strike = FORWARD * Math.exp(p.m * totalVol);
    const discount = Math.exp(-USD_RATE * p.tenorYears);
    const mark = raw.black76Normalised(FORWARD, strike, totalVol, discount, p.isCall ? 1 : 0);
    columns.mark.push(mark);
    columns.forward.push(FORWARD);
    columns.strike.push(strike);
    columns.tenorYears.push(p.tenorYears);
    columns.discountFactor.push(discount);
    columns.isCall.push(p.isCall);
    columns.elasticity.push(elasticity(mark, FORWARD, strike, totalVol, discount));
  }
  return columns;
}

describe("round trips vol -> price -> vol (impliedVols, the engine's batch)", () => {
  const points = denseGrid();

  it(`recovers the vol to 1e-12 wherever the price carries it, on ${points.length} marks`, () => {
    const marks = gridMarks(points);
    const out = kernelImpliedVols(simd, marks);
    let worstInformative = 0;
    let worstScaled = 0;
    let informative = 0;
    const uninformative = { count: 0, itm: [] as { m: number; s: number }[], minTotalVolOtm: Infinity, worst: 0 };
    const iterations = new Map<number, number>();
    let atBound = 0;
    points.forEach((p, i) => {
      // the bound exactly as the kernel states it: a price rounded onto DF F (call) / DF K (put)
      const bound = marks.discountFactor[i] * (p.isCall ? marks.forward[i] : marks.strike[i]);
      if (marks.mark[i] >= bound) {
        atBound++;
        expect(out.statuses[i], `${JSON.stringify(p)}`).toBe(L.IV_ABOVE_BOUND);
        expect(marks.elasticity[i]).toBeLessThan(1e-12);
        return;
      }
      expect(out.statuses[i], `${JSON.stringify(p)}`).toBe(L.IV_OK);
      const vol = out.vols[i];
      expect(Number.isFinite(vol)).toBe(true);
      const relative = Math.abs(vol - p.vol) / p.vol;
      const e = marks.elasticity[i];
      worstScaled = Math.max(worstScaled, relative / (EPS * Math.max(1, 1 / e)));
      if (e >= INFORMATIVE_ELASTICITY) {
        informative++;
        worstInformative = Math.max(worstInformative, relative);
        iterations.set(out.iterations[i], (iterations.get(out.iterations[i]) ?? 0) + 1);
      } else {
        uninformative.count++;
        uninformative.worst = Math.max(uninformative.worst, relative);
        const inTheMoney = p.isCall ? p.m < 0 : p.m > 0;
        if (inTheMoney) {
          uninformative.itm.push({ m: Math.abs(p.m), s: p.vol * Math.sqrt(p.tenorYears) });
        } else {
          uninformative.minTotalVolOtm = Math.min(uninformative.minTotalVolOtm, p.vol * Math.sqrt(p.tenorYears));
        }
      }
    });
    // below the total vol at which out-of-the-money prices saturate, how deep in the money a mark loses its vol
    const saturation = uninformative.minTotalVolOtm;
    const deep = uninformative.itm.filter((q) => q.s < saturation);
    const minDepth = Math.min(...deep.map((q) => q.m));
    console.log(
      `round trip: max |dvol/vol| = ${worstInformative.toExponential(2)} on ${informative} marks with E >= ${INFORMATIVE_ELASTICITY}; ` +
        `everywhere |dvol/vol| <= ${worstScaled.toFixed(2)} eps max(1, 1/E)\n` +
        `  not informative (E < ${INFORMATIVE_ELASTICITY}): ${uninformative.count} marks: ${deep.length} in the money by ` +
        `|k| >= ${minDepth.toFixed(1)} total vols, the other ${uninformative.count - deep.length} at total vol >= ${saturation.toFixed(2)} ` +
        `(prices at their bound); max |dvol/vol| there ${uninformative.worst.toExponential(2)}; ${atBound} marks rounded onto ` +
        `the bound (IV_ABOVE_BOUND)\n` +
        `  Householder steps (the last one below sqrt(eps) s) where E >= ${INFORMATIVE_ELASTICITY}: ` +
        JSON.stringify(Object.fromEntries([...iterations].sort((a, b) => a[0] - b[0]))),
    );
    expect(informative).toBeGreaterThan(0.75 * points.length);
    expect(worstInformative).toBeLessThan(1e-12);
    expect(worstScaled).toBeLessThan(16);
    expect(Math.max(...iterations.keys())).toBeLessThanOrEqual(3);
  });

  it("recovers the vol of marks priced by the reference model's Black-76 (its own N) to that price's precision", () => {
    // an independent price: DF w (F N(w d1) - K N(w d2)) carries a relative rounding error of about
    // eps C with C = DF (F N(w d1) + K N(w d2)) / price, the cancellation of its two terms
    const usable = points.filter((p) => (p.isCall ? p.m >= -0.5 : p.m <= 0.5));
    const marks = gridMarks(usable);
    const cancellation: number[] = [];
    usable.forEach((p, i) => {
      const totalVol = p.vol * Math.sqrt(p.tenorYears);
      const strike = marks.strike[i];
      const discount = marks.discountFactor[i];
      marks.mark[i] = black76(FORWARD, strike, p.tenorYears, p.vol, discount, p.isCall);
      marks.elasticity[i] = elasticity(marks.mark[i], FORWARD, strike, totalVol, discount);
      const d1 = Math.log(FORWARD / strike) / totalVol + totalVol / 2;
      const w = p.isCall ? 1 : -1;
      cancellation.push((discount * (FORWARD * normalCdf(w * d1) + strike * normalCdf(w * (d1 - totalVol)))) / marks.mark[i]);
    });
    const out = kernelImpliedVols(simd, marks);
    let worst = 0;
    usable.forEach((p, i) => {
      if (marks.mark[i] >= marks.discountFactor[i] * (p.isCall ? FORWARD : marks.strike[i])) {
        expect(out.statuses[i]).toBe(L.IV_ABOVE_BOUND);
        return;
      }
      expect(out.statuses[i]).toBe(L.IV_OK);
      const relative = Math.abs(out.vols[i] - p.vol) / p.vol;
      worst = Math.max(worst, relative / (EPS * Math.max(1, cancellation[i] / marks.elasticity[i])));
    });
    console.log(`reference-priced marks: |dvol/vol| <= ${worst.toFixed(2)} eps max(1, C/E) on ${usable.length} marks`);
    expect(worst).toBeLessThan(16);
  });

  it("gives the same bits in the scalar build as in the SIMD build", () => {
    const marks = gridMarks(points);
    const a: ImpliedVols = kernelImpliedVols(simd, marks);
    const b: ImpliedVols = kernelImpliedVols(scalar, marks);
    expect(Buffer.from(b.vols.buffer).equals(Buffer.from(a.vols.buffer))).toBe(true);
    expect([...b.statuses]).toEqual([...a.statuses]);
  });
});

describe("mark statuses", () => {
  const F = 100;
  const K = 90;
  const T = 0.5;
  const DF = Math.exp(-0.05 * T);
  const one = (mark: number, isCall: boolean, over: Partial<Record<keyof MarkColumns, number>> = {}) =>
    kernelImpliedVols(simd, {
      mark: [mark],
      forward: [over.forward ?? F],
      strike: [over.strike ?? K],
      tenorYears: [over.tenorYears ?? T],
      discountFactor: [over.discountFactor ?? DF],
      isCall: [isCall],
    });

  it("a call mark below DF (F - K) is IV_BELOW_INTRINSIC, at it vol 0, just above it a small positive vol", () => {
    const intrinsic = DF * (F - K);
    expect(one(intrinsic * (1 - 1e-12), true).statuses[0]).toBe(L.IV_BELOW_INTRINSIC);
    const at = one(F - K, true, { discountFactor: 1 }); // mark / DF - (F - K) is exactly 0
    expect([at.statuses[0], at.vols[0]]).toEqual([L.IV_OK, 0]);
    // with DF < 1 the rounding of mark / DF leaves a time value of an ulp: a vol of a few percent at most
    const rounded = one(intrinsic, true);
    expect(rounded.statuses[0]).toBe(L.IV_OK);
    expect(rounded.vols[0]).toBeLessThan(0.05);
    const above = one(intrinsic + 1e-6, true);
    expect(above.statuses[0]).toBe(L.IV_OK);
    expect(above.vols[0]).toBeGreaterThan(0);
    expect(above.vols[0]).toBeLessThan(0.2);
  });

  it("a put mark below DF (K - F) is IV_BELOW_INTRINSIC (an in-the-money put: K above F)", () => {
    expect(one(DF * 9.99, false, { strike: 110 }).statuses[0]).toBe(L.IV_BELOW_INTRINSIC);
    expect(one(DF * 10.01, false, { strike: 110 }).statuses[0]).toBe(L.IV_OK);
  });

  it("a call at or above DF F and a put at or above DF K are IV_ABOVE_BOUND; just below, a finite vol", () => {
    expect(one(DF * F, true).statuses[0]).toBe(L.IV_ABOVE_BOUND);
    expect(one(DF * F * 1.01, true).statuses[0]).toBe(L.IV_ABOVE_BOUND);
    expect(one(DF * K, false).statuses[0]).toBe(L.IV_ABOVE_BOUND);
    const below = one(DF * F * (1 - 1e-9), true);
    expect(below.statuses[0]).toBe(L.IV_OK);
    expect(Number.isFinite(below.vols[0]) && below.vols[0] > 5).toBe(true);
  });

  it("non-finite or non-positive inputs are IV_BAD_INPUT, with vol 0", () => {
    for (const over of [{ forward: NaN }, { forward: 0 }, { strike: -1 }, { tenorYears: 0 }, { discountFactor: 0 }, { discountFactor: Infinity }]) {
      const out = one(5, true, over);
      expect([out.statuses[0], out.vols[0]], JSON.stringify(over)).toEqual([L.IV_BAD_INPUT, 0]);
    }
    expect(one(NaN, true).statuses[0]).toBe(L.IV_BAD_INPUT);
    expect(one(-1, true).statuses[0]).toBe(L.IV_BAD_INPUT);
  });

  it(`|ln(F/K)| above ${L.IV_MAX_LOG_MONEYNESS} is IV_OUT_OF_DOMAIN`, () => {
    expect(one(1e-300, true, { strike: F * Math.exp(701) }).statuses[0]).toBe(L.IV_OUT_OF_DOMAIN);
    expect(one(1e-300, true, { strike: F * Math.exp(699) }).statuses[0]).toBe(L.IV_OK);
  });

  it("a bad header is STATUS_BAD_HEADER, not a trap", () => {
    const fn = (simd.exports as unknown as { impliedVols(header: number): number }).impliedVols;
    expect(fn(simd.memoryBytes)).toBe(L.STATUS_BAD_HEADER);
    expect(fn(3)).toBe(L.STATUS_BAD_HEADER);
  });
});

describe("extreme inputs", () => {
  it("never returns NaN or infinity, and inverts its own prices wherever E >= 1e-3", () => {
    // log-uniform forwards and strikes over 20 decades, tenors from a minute to a century, total
    // vols from 1e-6 to 40, |ln(F/K)| up to 700
    const random = rng(20150101);
    const n = 20000;
    const columns: GridMarks & { totalVol: number[] } = {
      mark: [], forward: [], strike: [], tenorYears: [], discountFactor: [], isCall: [], totalVol: [], elasticity: [],
    };
    for (let i = 0; i < n; i++) {
      const forward = 10 ** (20 * random() - 10);
      const x = i % 10 === 0 ? (random() - 0.5) * 1400 : (random() - 0.5) * 60;
      const strike = forward * Math.exp(-x);
      const tenorYears = 10 ** (6.7 * random() - 4.7);
      const totalVol = 10 ** (7.6 * random() - 6);
      const discount = Math.exp(-0.1 * random() * Math.min(tenorYears, 10));
      const isCall = random() < 0.5;
      const mark = raw.black76Normalised(forward, strike, totalVol, discount, isCall ? 1 : 0);
      columns.mark.push(mark);
      columns.forward.push(forward);
      columns.strike.push(strike);
      columns.tenorYears.push(tenorYears);
      columns.discountFactor.push(discount);
      columns.isCall.push(isCall);
      columns.totalVol.push(totalVol);
      columns.elasticity.push(elasticity(mark, forward, strike, totalVol, discount));
    }
    const out = kernelImpliedVols(simd, columns);
    let worst = 0;
    let checked = 0;
    const seen = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      seen.set(out.statuses[i], (seen.get(out.statuses[i]) ?? 0) + 1);
      expect(Number.isFinite(out.vols[i]), `mark ${i}`).toBe(true);
      // each non-OK status for its reason: an input overflowed, or the price rounded onto its bound
      const inputs = [columns.forward[i], columns.strike[i], columns.mark[i]];
      const bound = columns.discountFactor[i] * (columns.isCall[i] ? columns.forward[i] : columns.strike[i]);
      const expected = !inputs.every((v) => v >= 0 && Number.isFinite(v)) || !(columns.strike[i] > 0)
        ? L.IV_BAD_INPUT
        : columns.mark[i] >= bound
          ? L.IV_ABOVE_BOUND
          : L.IV_OK;
      expect(out.statuses[i], `mark ${i}`).toBe(expected);
      expect(out.iterations[i]).toBeLessThanOrEqual(64);
      if (out.statuses[i] !== L.IV_OK || !(columns.elasticity[i] >= INFORMATIVE_ELASTICITY)) continue;
      // the mark and the normalised price mark / (DF sqrt(F K)) must be normal doubles to carry 53 bits
      const beta = columns.mark[i] / (columns.discountFactor[i] * Math.sqrt(columns.forward[i]) * Math.sqrt(columns.strike[i]));
      if (!(beta >= 1e-300 && columns.mark[i] >= 1e-300)) continue;
      checked++;
      const s = out.vols[i] * Math.sqrt(columns.tenorYears[i]);
      worst = Math.max(worst, Math.abs(s - columns.totalVol[i]) / columns.totalVol[i]);
    }
    console.log(`extremes: statuses ${JSON.stringify(Object.fromEntries(seen))}; max |ds/s| = ${worst.toExponential(2)} on ${checked} informative marks`);
    expect(checked).toBeGreaterThan(n / 10);
    expect(worst).toBeLessThan(1e-12);
  });
});
