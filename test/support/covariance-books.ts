/**
 * Seeded random books for the covariance model: a universe of up to a few hundred markets
 * (perpetuals, spot, futures and options on BTC, ETH and SOL, named canonically), random PSD
 * correlation matrices over them (full rank, or singular: a few common factors and nothing else),
 * accounts that touch a handful of markets (the sparse path) or most of them (the dense path),
 * working orders, balances in every USD code and coin, leverage and LTV tables.
 */
import type { AccountInput, PortfolioFile, PositionInput } from "../../bindings/model/types.js";
import { Gen } from "./random.js";

export const AS_OF = "2026-11-21T08:00:00Z";
const AS_OF_MS = Date.parse(AS_OF);
const DAY_MS = 86_400_000;
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const SPOTS: Record<string, number> = { BTC: 91_000, ETH: 3_100, SOL: 140 };

/** Deribit date code (canonical: no leading zero) of 08:00 UTC `days` after asOf's day. */
export function dateCode(days: number): string {
  const d = new Date(AS_OF_MS + days * DAY_MS);
  return `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, "0")}`;
}

/** ISO timestamp of 08:00 UTC `days` after asOf (itself 08:00 UTC). */
export function isoDay(days: number): string {
  return new Date(AS_OF_MS + days * DAY_MS).toISOString();
}

/** `count` distinct canonical market names over the three pairs. */
export function marketUniverse(g: Gen, count: number): string[] {
  const names = new Set<string>();
  const pairs = Object.keys(SPOTS);
  for (const pair of pairs) {
    if (names.size < count) names.add(`${pair}-PERPETUAL`);
  }
  while (names.size < count) {
    const pair = g.pick(pairs);
    const roll = g.next();
    const days = g.int(1, 400);
    if (roll < 0.05) names.add(`${pair}-USD`);
    else if (roll < 0.35) names.add(`${pair}-${dateCode(days)}`);
    else {
      const strike = Math.round((SPOTS[pair] * g.uniform(0.6, 1.5)) / (pair === "SOL" ? 1 : 100)) * (pair === "SOL" ? 1 : 100);
      names.add(`${pair}-${dateCode(days)}-${strike}-${g.chance(0.5) ? "C" : "P"}`);
    }
  }
  return [...names];
}

/**
 * A random correlation matrix: B B^T (+ a diagonal when `fullRank`) scaled to a unit diagonal,
 * exactly symmetric (the upper triangle mirrored), entries clamped to [-1, 1]. With `fullRank`
 * false and `factors` < n it is singular: PSD with zero eigenvalues.
 */
export function randomCorrelation(g: Gen, n: number, factors: number, fullRank: boolean): number[][] {
  const b = Array.from({ length: n }, () => Array.from({ length: factors }, () => g.uniform(-1, 1)));
  const noise = b.map(() => (fullRank ? g.uniform(0.05, 0.6) : 0));
  const cov = (i: number, j: number): number => b[i].reduce((s, x, f) => s + x * b[j][f], 0) + (i === j ? noise[i] : 0);
  const sd = b.map((_, i) => Math.sqrt(cov(i, i)));
  const m = b.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    m[i][i] = 1;
    for (let j = i + 1; j < n; j++) m[i][j] = m[j][i] = Math.min(1, Math.max(-1, cov(i, j) / (sd[i] * sd[j])));
  }
  return m;
}

export interface CovarianceBookOptions {
  markets: number;
  accounts: number;
  /** share of accounts that touch most markets (dense path) */
  denseShare?: number;
  /** explicit correlation over the universe (else the default) */
  correlation?: "full" | "singular" | "default";
}

export function covarianceFile(seed: number, o: CovarianceBookOptions): PortfolioFile {
  const g = new Gen(seed);
  const universe = marketUniverse(g, o.markets);
  const market: PortfolioFile["market"] = {};
  for (const [pair, spot] of Object.entries(SPOTS)) {
    const futures = g.chance(0.7)
      ? [30, 90, 200].map((days) => ({ expiry: isoDay(days), mark: spot * Math.exp(g.uniform(-0.02, 0.12) * (days / 365)) }))
      : [];
    market[pair] = g.chance(0.5)
      ? { spot, futures, surface: { atmVol: g.uniform(0.3, 1.1) } }
      : {
          spot, futures,
          surface: { tenors: [0.05, 0.3, 1], logMoneyness: [-0.5, 0, 0.5], vols: [0, 1, 2].map(() => [0, 1, 2].map(() => g.uniform(0.3, 1.2))) },
        };
  }
  const accounts: AccountInput[] = [];
  for (let a = 0; a < o.accounts; a++) {
    const dense = g.chance(o.denseShare ?? 0.2);
    const count = dense ? Math.max(1, Math.round(universe.length * g.uniform(0.75, 1))) : g.int(1, Math.min(15, universe.length));
    const chosen = new Set<string>();
    while (chosen.size < count) chosen.add(g.pick(universe));
    const positions: PositionInput[] = [...chosen].map((instrument) => {
      const position: PositionInput = { instrument, qty: (g.chance(0.5) ? -1 : 1) * g.int(1, 30) * (g.chance(0.3) ? 0.1 : 1) };
      if (!/-[CP]$/.test(instrument) && !instrument.endsWith("-USD") && g.chance(0.5)) {
        position.entryPrice = SPOTS[instrument.split("-")[0]] * g.uniform(0.85, 1.15);
      }
      return position;
    });
    if (g.chance(0.1)) positions.push({ ...positions[0], qty: -positions[0].qty }); // a flat market: no liquidation price
    const orders = Array.from({ length: g.chance(0.5) ? g.int(1, 6) : 0 }, () => ({
      instrument: g.pick(universe), side: g.chance(0.5) ? ("buy" as const) : ("sell" as const), qty: g.int(1, 20), price: 1,
    }));
    const balances: Record<string, number> = {};
    for (const code of ["USD", "USDC", "USDT"]) if (g.chance(0.6)) balances[code] = Math.round(g.uniform(-20_000, 400_000));
    for (const pair of Object.keys(SPOTS)) if (g.chance(0.4)) balances[pair] = g.uniform(-1, 20) * (50_000 / SPOTS[pair]);
    accounts.push({ id: `c${a}`, balances, positions, orders });
  }
  const leverage: Record<string, number> = {};
  for (const name of universe) if (g.chance(0.3)) leverage[name] = g.pick([2, 5, 10, 25, 50, 100]);
  const kind = o.correlation ?? "full";
  const file: PortfolioFile = {
    asOf: AS_OF,
    params: { model: "covariance", leverage, ltv: { USDT: 0.98, BTC: 0.95, ETH: g.uniform(0.5, 0.9) } },
    market,
    accounts,
  };
  if (kind !== "default") {
    const factors = Math.max(1, Math.min(6, universe.length - 1));
    file.params!.marketCorrelation = { markets: universe, matrix: randomCorrelation(g, universe.length, factors, kind === "full") };
  }
  return file;
}
