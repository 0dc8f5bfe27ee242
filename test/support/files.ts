/** Small portfolio files for engine-level tests. */
import type { InstrumentObject, PortfolioFile } from "../../bindings/model/types.js";

export const AS_OF = "2026-01-01T00:00:00Z";
const AS_OF_MS = Date.parse(AS_OF);
const YEAR_MS = 365 * 86_400_000;

/** ISO timestamp `years` (ACT/365) after AS_OF, to the millisecond. */
export function expiryIn(years: number): string {
  return new Date(AS_OF_MS + Math.round(years * YEAR_MS)).toISOString();
}

export interface SingleOption {
  right: "call" | "put";
  spot: number;
  strike: number;
  years: number;
  vol: number;
  /** USD discount rate */
  r: number;
  /** cost of carry b: the futures mark at the option's expiry is spot * exp(b * years) */
  carry: number;
  qty?: number;
}

/** One account holding one option; its equity is qty times the option's value. */
export function singleOptionFile(o: SingleOption): PortfolioFile {
  const expiry = expiryIn(o.years);
  const instrument: InstrumentObject = { kind: "option", pair: "XYZ", right: o.right, strike: o.strike, expiry };
  return {
    asOf: AS_OF,
    params: { usdRate: o.r },
    market: {
      XYZ: {
        spot: o.spot,
        futures: o.carry === 0 ? [] : [{ expiry, mark: o.spot * Math.exp(o.carry * o.years) }],
        surface: { atmVol: o.vol },
      },
    },
    accounts: [{ id: "a", positions: [{ instrument, qty: o.qty ?? 1 }] }],
  };
}
