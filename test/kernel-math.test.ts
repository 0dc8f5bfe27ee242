import { describe, expect, it } from "vitest";
import table from "./fixtures/normal-cdf.json" with { type: "json" };
import { normalCdf } from "./reference/normal.js";
import { rng } from "./support/random.js";
import { kernelInstance, scratchF64, type Build } from "./support/wasm.js";

// The revaluation kernel's own exp and N (assembly/math.ts: expKernel/expX2/expPairX2 and
// cdfKernel/cdfX2 given e = exp(-x^2/2)), through the test entries expBatch and normCdfBatch, which
// run the f64x2 code in the SIMD builds (release, debug) and the scalar code in the scalar build.

interface MathExports {
  expBatch(src: number, dst: number, n: number): void;
  normCdfBatch(src: number, dst: number, n: number): void;
}

type Batch = (xs: ArrayLike<number>) => Float64Array;

function batches(build: Build): { exp: Batch; cdf: Batch } {
  const instance = kernelInstance(build);
  const exports = instance.exports as unknown as MathExports;
  const run = (fn: (src: number, dst: number, n: number) => void): Batch => (xs) => {
    const n = xs.length;
    const { at, view } = scratchF64(instance, 2 * n);
    view.set(xs);
    fn(at, at + 8 * n, n);
    return view.slice(n, 2 * n);
  };
  return { exp: run(exports.expBatch), cdf: run(exports.normCdfBatch) };
}

const bits = new Float64Array(1);
const bitsI64 = new BigInt64Array(bits.buffer);

/** Distance in ulps between two finite doubles of the same sign (their bit patterns' difference). */
function ulps(a: number, b: number): number {
  bits[0] = a;
  const ia = bitsI64[0];
  bits[0] = b;
  const ib = bitsI64[0];
  return Math.abs(Number(ia - ib));
}

/**
 * 200,000 exp arguments where exp is a normal double: the whole range [-708.39, 709.78], [-50, 0],
 * [-1, 1] and the pricer's -d^2/2 for |d| < 37.6.
 */
function expPoints(): Float64Array {
  const next = rng(20240601);
  const xs = new Float64Array(200_000);
  for (let i = 0; i < xs.length; i++) {
    const u = next();
    switch (i % 4) {
      case 0: xs[i] = -708.39 + (709.78 + 708.39) * u; break;
      case 1: xs[i] = -50 * u; break;
      case 2: xs[i] = 2 * u - 1; break;
      default: xs[i] = -0.5 * (37.6 * u) ** 2;
    }
  }
  return xs;
}

describe.each<Build>(["release", "scalar", "debug"])("kernel exp, %s build", (build) => {
  const { exp } = batches(build);

  it("is within 1 ulp of Math.exp on 200,000 points", () => {
    const xs = expPoints();
    const ys = exp(xs);
    let worst = 0;
    let differ = 0;
    for (let i = 0; i < xs.length; i++) {
      const d = ulps(ys[i], Math.exp(xs[i]));
      if (d > 0) differ++;
      worst = Math.max(worst, d);
    }
    console.log(`kernel exp (${build}) vs Math.exp: max ${worst} ulp, ${differ} of ${xs.length} differ`);
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("gives 0 below ln 2^-1022 and for -Infinity, +Infinity beyond ln DBL_MAX, NaN for NaN", () => {
    const xs = [-Infinity, -1e300, -1000, -745.2, -708.4, -708.39, -1e-300, 0, -0, 1e-300, 1, 709, 709.5, 709.78, 709.79, 1e10, Infinity, NaN];
    const ys = exp(xs);
    expect([ys[0], ys[1], ys[2], ys[3], ys[4]]).toEqual([0, 0, 0, 0, 0]);
    for (const i of [5, 6, 7, 8, 9, 10, 11, 12, 13]) expect(ulps(ys[i], Math.exp(xs[i])), `exp(${xs[i]})`).toBeLessThanOrEqual(1);
    expect(ys[7]).toBe(1);
    expect([ys[14], ys[15], ys[16]]).toEqual([Infinity, Infinity, Infinity]);
    expect(Number.isNaN(ys[17])).toBe(true);
  });
});

describe.each<Build>(["release", "scalar", "debug"])("kernel N on the pricing path (e from the kernel's exp), %s build", (build) => {
  const { cdf } = batches(build);

  it("is within 1e-15 absolute of 50-digit mpmath values at every tabulated point", () => {
    const ys = cdf(table.points.map((p) => p.x));
    let worst = 0;
    table.points.forEach((p, i) => (worst = Math.max(worst, Math.abs(ys[i] - Number(p.cdf)))));
    console.log(`kernel N (${build}) vs mpmath: max ${worst.toExponential(2)} absolute on ${table.points.length} points`);
    expect(table.points.length).toBeGreaterThan(150);
    expect(worst).toBeLessThan(1e-15);
  });

  it("keeps 1e-12 relative accuracy in the lower tail where N > 1e-300", () => {
    const ys = cdf(table.points.map((p) => p.x));
    let worst = 0;
    table.points.forEach((p, i) => {
      const exact = Number(p.cdf);
      if (p.x < 0 && exact > 1e-300) worst = Math.max(worst, Math.abs(ys[i] - exact) / exact);
    });
    console.log(`kernel N (${build}) lower tail: max ${worst.toExponential(2)} relative`);
    expect(worst).toBeLessThan(1e-12);
  });

  it("agrees with the reference model's N to 1e-15 absolute on 100,000 random points", () => {
    const next = rng(7);
    const xs = Float64Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? -40 + 50 * next() : 16 * next() - 8));
    const ys = cdf(xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(ys[i] - normalCdf(xs[i])));
    console.log(`kernel N (${build}) vs reference N: max ${worst.toExponential(2)} absolute`);
    expect(worst).toBeLessThan(1e-15);
  });

  it("has the symmetry N(x) + N(-x) = 1 and the limits", () => {
    const xs: number[] = [];
    for (let x = -9; x <= 9; x += 0.01) xs.push(x, -x);
    const ys = cdf(xs);
    for (let i = 0; i < xs.length; i += 2) expect(ys[i] + ys[i + 1]).toBeCloseTo(1, 15);
    const edges = cdf([0, -Infinity, Infinity, -50, 50, NaN]);
    expect(Array.from(edges.subarray(0, 5))).toEqual([0.5, 0, 1, 0, 1]);
    expect(Number.isNaN(edges[5])).toBe(true);
  });

  it("is monotone across its range boundaries (0.66291, sqrt 32)", () => {
    for (const edge of [0.66291, Math.sqrt(32)]) {
      for (const sign of [-1, 1]) {
        const xs = Array.from({ length: 2001 }, (_, i) => sign * edge - 1e-6 + i * 1e-9);
        const ys = cdf(xs);
        for (let i = 1; i < ys.length; i++) expect(ys[i]).toBeGreaterThanOrEqual(ys[i - 1]);
      }
    }
  });
});

describe("SIMD and scalar kernel math", () => {
  it("give identical bits for exp and N (every lane runs the scalar form's operations)", () => {
    const simd = batches("release");
    const scalar = batches("scalar");
    const xs = expPoints();
    expect(simd.exp(xs)).toEqual(scalar.exp(xs));
    const next = rng(3);
    const ns = Float64Array.from({ length: 50_000 }, () => -40 + 50 * next());
    expect(simd.cdf(ns)).toEqual(scalar.cdf(ns));
  });
});
