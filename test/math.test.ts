import { describe, expect, it } from "vitest";
import table from "./fixtures/normal-cdf.json" with { type: "json" };
import { kernelInstance, type Build } from "./support/wasm.js";

// The kernel's N(x) (assembly/math.ts, Cody 1969/1993) against 50-digit mpmath values.
describe.each<Build>(["release", "debug"])("kernel N(x), %s build", (build) => {
  const normCdf = kernelInstance(build).exports.normCdf as (x: number) => number;

  it("is within 1e-15 absolute of mpmath at every tabulated point", () => {
    let worst = 0;
    for (const { x, cdf } of table.points) worst = Math.max(worst, Math.abs(normCdf(x) - Number(cdf)));
    expect(table.points.length).toBeGreaterThan(150);
    expect(worst).toBeLessThan(1e-15);
  });

  it("keeps relative accuracy in the lower tail (1e-14 where N > 1e-300)", () => {
    let worst = 0;
    for (const { x, cdf } of table.points) {
      const exact = Number(cdf);
      if (x < 0 && exact > 1e-300) worst = Math.max(worst, Math.abs(normCdf(x) - exact) / exact);
    }
    expect(worst).toBeLessThan(1e-14);
  });

  it("has the symmetry N(x) + N(-x) = 1 and the limits", () => {
    for (let x = -9; x <= 9; x += 0.01) expect(normCdf(x) + normCdf(-x)).toBeCloseTo(1, 15);
    expect(normCdf(0)).toBe(0.5);
    expect(normCdf(-Infinity)).toBe(0);
    expect(normCdf(Infinity)).toBe(1);
    expect(normCdf(-50)).toBe(0);
    expect(Number.isNaN(normCdf(NaN))).toBe(true);
  });

  it("is monotone across its range boundaries (0.66291, sqrt 32)", () => {
    for (const edge of [0.66291, Math.sqrt(32)]) {
      for (const sign of [-1, 1]) {
        let previous = normCdf(sign * edge - 1e-6);
        for (let i = 1; i <= 2000; i++) {
          const value = normCdf(sign * edge - 1e-6 + i * 1e-9);
          expect(value).toBeGreaterThanOrEqual(previous);
          previous = value;
        }
      }
    }
  });
});
