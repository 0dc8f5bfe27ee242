import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { black76 } from "./reference/model.js";
import { AS_OF, expiryIn } from "./support/files.js";

// The kernel's surface reads, seen through option values: each case states the vol it must read,
// computed by hand from the nodes below, and checks the kernel's value against Black-76 at it.
// S = 100, no futures (F = S), r = 0.
const SURFACE = {
  tenors: [0.1, 0.5],
  logMoneyness: [-0.2, 0, 0.2],
  vols: [
    [0.9, 0.6, 0.7],
    [0.7, 0.5, 0.55],
  ],
};

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

function single(strike: number, years: number): PortfolioFile {
  return {
    asOf: AS_OF,
    market: { XYZ: { spot: 100, surface: SURFACE } },
    accounts: [{ id: "a", positions: [{ instrument: { kind: "option", pair: "XYZ", right: "call", strike, expiry: expiryIn(years) }, qty: 1 }] }],
  };
}

const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, want));

describe("surface interpolation in the kernel", () => {
  it.each([
    ["on a row's tenor, between nodes: linear in k", 0.1, 0.1, 0.6 + 0.5 * (0.7 - 0.6)],
    ["between tenors: total variance linear in T", 0.0, 0.3, Math.sqrt((0.5 * 0.6 ** 2 * 0.1 + 0.5 * 0.5 ** 2 * 0.5) / 0.3)],
    ["between tenors and nodes", -0.1, 0.2, Math.sqrt((0.75 * 0.75 ** 2 * 0.1 + 0.25 * 0.6 ** 2 * 0.5) / 0.2)],
    ["beyond the last node: flat", 0.5, 0.5, 0.55],
    ["before the first node: flat", -1, 0.1, 0.9],
    ["before the first tenor: the first row as is", 0, 0.05, 0.6],
    ["after the last tenor: the last row as is", 0.2, 1.5, 0.55],
  ])("%s (k=%d, T=%d)", (_, k, years, vol) => {
    const strike = 100 * Math.exp(k);
    const value = engine.margin(single(strike, years)).accounts[0].equity;
    close(value, black76(100, strike, years, vol, 1, true));
  });

  it("re-reads the surface at each scenario's shocked spot (sticky moneyness)", () => {
    const pv = engine.margin(single(100, 0.5)).accounts[0].pairs.XYZ.scenarioPV;
    // base: k = 0 -> 0.5
    close(pv[0], black76(100, 100, 0.5, 0.5, 1, true));
    // spot 85: k = ln(100/85) = 0.1625 -> 0.5 + (k / 0.2) * 0.05, then the vol shocks
    const down = 0.5 + (Math.log(100 / 85) / 0.2) * 0.05;
    close(pv[6], black76(85, 100, 0.5, down, 1, true));
    close(pv[7], black76(85, 100, 0.5, down * 1.4, 1, true));
    close(pv[8], black76(85, 100, 0.5, down * 0.6, 1, true));
    // spot 115: k = ln(100/115) = -0.1398, on the left wing -> 0.5 + (k / -0.2) * (0.7 - 0.5)
    const up = 0.5 + (Math.log(100 / 115) / -0.2) * (0.7 - 0.5);
    close(pv[3], black76(115, 100, 0.5, up, 1, true));
  });

  it("reads at the forward, not the spot: futures marks move k", () => {
    const file = single(100, 0.5);
    file.market.XYZ.futures = [{ expiry: expiryIn(0.5), mark: 100 * Math.exp(0.2 * 0.5) }]; // F = 110.52
    const value = engine.margin(file).accounts[0].equity;
    const forward = 100 * Math.exp(0.1);
    const vol = 0.5 + (Math.log(100 / forward) / -0.2) * (0.7 - 0.5);
    close(value, black76(forward, 100, 0.5, vol, 1, true));
  });
});
