import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { MarginError } from "../bindings/errors.js";
import { black76 } from "./reference/model.js";
import { singleOptionFile } from "./support/files.js";

// Tenor-scaled vol shocks (Deribit, Paradex): VSF * (30 / max(1, DTE))^p per position.
let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

/** Scenario PVs of one long call (S = K = 100, flat 50% vol, r = 0) under `params`. */
function pvs(days: number, vsfTenorExponent?: number): number[] {
  const file = singleOptionFile({ right: "call", spot: 100, strike: 100, years: days / 365, vol: 0.5, r: 0, carry: 0 });
  file.params = { vsfTenorExponent };
  return engine.margin(file).accounts[0].pairs.XYZ.scenarioPV;
}

const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));

describe("tenor-scaled vol shocks", () => {
  it("at 15 days with p = 0.5 the 0.40 vol shock becomes 0.566", () => {
    const scaled = 0.4 * Math.sqrt(30 / 15);
    expect(scaled).toBeCloseTo(0.566, 3);
    const T = 15 / 365;
    const pv = pvs(15, 0.5);
    close(pv[1], black76(100, 100, T, 0.5 * (1 + scaled), 1, true)); // row 2: vol up
    close(pv[2], black76(100, 100, T, 0.5 * (1 - scaled), 1, true)); // row 3: vol down
    close(pv[0], black76(100, 100, T, 0.5, 1, true)); // unshocked rows are untouched
  });

  it("leaves 30 days unscaled and shrinks longer tenors", () => {
    close(pvs(30, 0.5)[1], pvs(30)[1]);
    const T = 120 / 365;
    close(pvs(120, 0.5)[1], black76(100, 100, T, 0.5 * (1 + 0.4 * Math.sqrt(30 / 120)), 1, true));
  });

  it("caps the scale at DTE = 1 day (30^p) and floors the shocked vol at 0", () => {
    const T = 6 / 24 / 365; // six hours: max(1, DTE) = 1
    const scale = 30 ** 0.5; // 5.48: 1 - 0.4 * 5.48 < 0, so vol down is floored at 0
    const pv = pvs(6 / 24, 0.5);
    close(pv[1], black76(100, 100, T, 0.5 * (1 + 0.4 * scale), 1, true));
    close(pv[2], black76(100, 100, T, 0, 1, true));
  });

  it("p = 0 is exactly the unscaled model", () => {
    expect(pvs(7, 0)).toEqual(pvs(7));
  });

  it("rejects an exponent out of [0, 4] with its path", () => {
    const file = singleOptionFile({ right: "put", spot: 100, strike: 90, years: 0.1, vol: 0.5, r: 0, carry: 0 });
    file.params = { vsfTenorExponent: -0.5 };
    expect(() => engine.margin(file)).toThrow(MarginError);
    expect(() => engine.margin(file)).toThrow(/^params\.vsfTenorExponent: must be in \[0, 4\]/);
  });
});
