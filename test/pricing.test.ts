import { beforeAll, describe, expect, it } from "vitest";
import haug from "./fixtures/haug.json" with { type: "json" };
import { createEngine, type Engine } from "../bindings/index.js";
import { singleOptionFile, type SingleOption } from "./support/files.js";

// Option values through the whole engine: one account holding one option has equity = value.
let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const value = (o: SingleOption): number => engine.margin(singleOptionFile(o)).accounts[0].equity;

describe("Haug's published generalized Black-Scholes-Merton values, via Black-76 on the forward", () => {
  it.each(haug.rows.map((row) => [`${row.page} ${row.type} S${row.spot} K${row.strike} T${row.t} v${row.vol}`, row] as const))(
    "%s",
    (_, row) => {
      const got = value({
        right: row.type as "call" | "put", spot: row.spot, strike: row.strike, years: row.t,
        vol: row.vol, r: row.r, carry: row.r - row.q,
      });
      expect(Math.abs(got - row.value)).toBeLessThanOrEqual(row.tol);
    },
  );

  it("gives Haug's two headline values exactly to 4 decimals", () => {
    // call K65 S60 r.08 T.25 vol.30 (b = r): 2.1334
    expect(value({ right: "call", spot: 60, strike: 65, years: 0.25, vol: 0.3, r: 0.08, carry: 0.08 })).toBeCloseTo(2.1334, 4);
    // Black-76 F19 K19 r.10 T.75 vol.28 (b = 0): call = put = 1.7011
    const b76 = { spot: 19, strike: 19, years: 0.75, vol: 0.28, r: 0.1, carry: 0 } as const;
    expect(value({ ...b76, right: "call" })).toBeCloseTo(1.7011, 4);
    expect(value({ ...b76, right: "put" })).toBeCloseTo(1.7011, 4);
  });
});

describe("put-call parity C - P = DF (F - K)", () => {
  const cases: [number, number, number, number, number, number][] = [];
  for (const strike of [50, 90, 100, 110, 200])
    for (const years of [0.01, 0.5, 2])
      for (const vol of [0.05, 0.6, 1.5]) cases.push([100, strike, years, vol, 0.05, 0.02]);
  it.each(cases)("S%d K%d T%d vol%d r%d b%d", (spot, strike, years, vol, r, carry) => {
    const o = { spot, strike, years, vol, r, carry };
    const parity = Math.exp(-r * years) * (spot * Math.exp(carry * years) - strike);
    const diff = value({ ...o, right: "call" }) - value({ ...o, right: "put" });
    expect(Math.abs(diff - parity)).toBeLessThanOrEqual(1e-12 * Math.max(spot, strike));
  });
});

describe("expiry and zero-vol edges", () => {
  it("values options at or past expiry at intrinsic on spot, undiscounted", () => {
    for (const years of [0, -0.01]) {
      expect(value({ right: "call", spot: 100, strike: 90, years, vol: 0.5, r: 0.05, carry: 0 })).toBe(10);
      expect(value({ right: "put", spot: 100, strike: 90, years, vol: 0.5, r: 0.05, carry: 0 })).toBe(0);
      expect(value({ right: "put", spot: 80, strike: 90, years, vol: 0.5, r: 0.05, carry: 0 })).toBe(10);
    }
  });

  it("values zero-vol options at the discounted intrinsic on the forward", () => {
    const o = { spot: 100, strike: 95, years: 0.5, vol: 0, r: 0.05, carry: 0.1 };
    const forward = 100 * Math.exp(0.1 * 0.5);
    expect(value({ ...o, right: "call" })).toBeCloseTo(Math.exp(-0.025) * (forward - 95), 12);
    expect(value({ ...o, right: "put" })).toBe(0);
  });

  it("is monotone in vol and never below the zero-vol value", () => {
    let previous = 0;
    for (let vol = 0; vol <= 3; vol += 0.05) {
      const v = value({ right: "call", spot: 100, strike: 120, years: 0.3, vol, r: 0.02, carry: 0 });
      expect(v).toBeGreaterThanOrEqual(previous);
      previous = v;
    }
  });
});
