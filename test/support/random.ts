/**
 * Seeded random portfolio files: valid by construction, covering every feature of the scenario
 * model (names and objects, spot/perpetual/future/option, expired options, zero vols, futures
 * curves, node and flat surfaces (and, behind `markSurfaces`, surfaces of option marks), all grids
 * and coin policies, orders, coin balances, multipliers, pair correlation).
 */
import type {
  AccountInput,
  MarkSurfaceInput,
  InstrumentInput,
  OrderInput,
  PairMarketInput,
  PortfolioFile,
  PositionInput,
} from "../../bindings/model/types.js";
import type { BookSurface } from "../../bindings/model/book.js";
import { black76, surfaceVol } from "../reference/model.js";

/** mulberry32: a small, fast, seedable 32-bit PRNG (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = rng(seed);
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const AS_OF = "2026-11-21T08:00:00Z";
const AS_OF_MS = Date.parse(AS_OF);
const DAY_MS = 86_400_000;
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** A Deribit date code for 08:00 UTC `days` after asOf's day. */
function deribitDate(days: number): { code: string; iso: string } {
  const d = new Date(AS_OF_MS + days * DAY_MS);
  const code = `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, "0")}`;
  return { code, iso: d.toISOString() };
}

function sortedUnique(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function randomMarket(g: Gen, spot: number): PairMarketInput {
  const futures = sortedUnique(Array.from({ length: g.int(0, 4) }, () => g.int(1, 500))).map((days) => ({
    expiry: deribitDate(days).iso,
    mark: spot * Math.exp(g.uniform(-0.05, 0.15) * (days / 365)),
  }));
  if (g.chance(0.25)) return { spot, futures, surface: { atmVol: g.chance(0.05) ? 0 : g.uniform(0.2, 1.2) } };
  const tenors = sortedUnique(Array.from({ length: g.int(1, 5) }, () => Math.round(g.uniform(0.005, 2) * 1e4) / 1e4));
  const logMoneyness = sortedUnique(Array.from({ length: g.int(1, 7) }, () => Math.round(g.uniform(-0.8, 0.8) * 100) / 100));
  const vols = tenors.map(() => logMoneyness.map(() => (g.chance(0.03) ? 0 : g.uniform(0.15, 1.5))));
  return { spot, futures, surface: { tenors, logMoneyness, vols } };
}

export interface RandomFileOptions {
  accounts: number;
  /** positions per account, inclusive range */
  positions?: [number, number];
  /** share of option positions */
  optionShare?: number;
  /** randomize params (grid, policy, rates, correlation); otherwise defaults */
  randomParams?: boolean;
  /**
   * give some pairs a surface of option marks (`{options: [...]}`) priced by Black-76 off the
   * pair's generated node surface, with strikes within 2.5 of their total vols of the forward; drawn from a
   * generator of its own, so the rest of the file is the same as without the flag
   */
  markSurfaces?: boolean;
}

/** A valid portfolio file with `accounts` accounts over BTC, ETH and SOL. */
export function randomFile(seed: number, options: RandomFileOptions): PortfolioFile {
  const g = new Gen(seed);
  const spots: Record<string, number> = { BTC: g.uniform(20000, 120000), ETH: g.uniform(800, 6000), SOL: g.uniform(20, 400) };
  const pairs = Object.keys(spots);
  const market: Record<string, PairMarketInput> = {};
  for (const pair of pairs) market[pair] = randomMarket(g, spots[pair]);
  const [minPos, maxPos] = options.positions ?? [0, 12];
  const optionShare = options.optionShare ?? 0.65;

  const instrument = (pair: string): InstrumentInput => {
    const spot = spots[pair];
    const roll = g.next();
    if (roll < optionShare) {
      const days = g.chance(0.05) ? -g.int(0, 3) : g.int(1, 730);
      const strike = Math.round(spot * g.uniform(0.5, 1.5));
      const right = g.chance(0.5) ? "call" : "put";
      if (g.chance(0.5) && days >= 0) return `${pair}-${deribitDate(days).code}-${strike}-${right === "call" ? "C" : "P"}`;
      return {
        kind: "option", pair, right, strike, expiry: deribitDate(days).iso,
        multiplier: g.pick([1, 1, 0.1, 10]),
      };
    }
    if (roll < optionShare + (1 - optionShare) * 0.4) return `${pair}-PERPETUAL`;
    if (roll < optionShare + (1 - optionShare) * 0.85) {
      const days = g.int(1, 400);
      return g.chance(0.5) ? `${pair}-${deribitDate(days).code}` : { kind: "future", pair, expiry: deribitDate(days).iso };
    }
    return { kind: "spot", pair };
  };
  const isLinear = (i: InstrumentInput): boolean =>
    typeof i === "string" ? !/-[CP]$/.test(i) && !i.endsWith("-USD") : i.kind === "perpetual" || i.kind === "future";

  const accounts: AccountInput[] = [];
  for (let a = 0; a < options.accounts; a++) {
    const positions: PositionInput[] = [];
    for (let i = g.int(minPos, maxPos); i > 0; i--) {
      const pair = g.pick(pairs);
      const inst = instrument(pair);
      const qty = (g.chance(0.5) ? -1 : 1) * g.int(1, 20) * (g.chance(0.2) ? 0.1 : 1);
      const position: PositionInput = { instrument: inst, qty };
      if (isLinear(inst) && g.chance(0.6)) position.entryPrice = spots[pair] * g.uniform(0.8, 1.2);
      positions.push(position);
    }
    const orders: OrderInput[] = [];
    for (let i = g.chance(0.4) ? g.int(1, 3) : 0; i > 0; i--) {
      const pair = g.pick(pairs);
      orders.push({ instrument: instrument(pair), side: g.chance(0.5) ? "buy" : "sell", qty: g.int(1, 10), price: spots[pair] * 0.01 });
    }
    const balances: Record<string, number> = { USD: Math.round(g.uniform(-5000, 500000)) };
    for (const pair of pairs) if (g.chance(0.3)) balances[pair] = g.uniform(-2, 30) * (100000 / spots[pair]);
    accounts.push({ id: `acct-${a}`, balances, positions, orders });
  }

  const file: PortfolioFile = { asOf: AS_OF, market, accounts };
  if (options.randomParams) {
    const rows = Array.from({ length: g.int(1, 12) }, () => ({
      spot: g.uniform(-0.4, 0.4), vol: g.uniform(-1.2, 1), weight: g.pick([1, 1, 0.35, 0.5]),
    }));
    const rho = g.uniform(-0.3, 0.9);
    file.params = {
      grid: g.pick(["powertrade9", "span16", { rows }] as const),
      pairs: { BTC: { ssf: g.uniform(0, 0.3), vsf: g.uniform(0, 1.2) }, ETH: { ssf: g.uniform(0.05, 0.3) } },
      usdRate: g.uniform(-0.01, 0.1),
      mmFraction: g.uniform(0.3, 1),
      coinPolicy: g.pick(["capped", "full", "none"] as const),
      pairCorrelation: g.chance(0.3)
        ? [
            [1, rho, rho / 2],
            [rho, 1, rho / 2],
            [rho / 2, rho / 2, 1],
          ]
        : null,
    };
    // tenor-scaled vol shocks, from a stream of their own so the draws above stay as they were
    const scaling = new Gen(seed ^ 0x7e4047);
    if (scaling.chance(0.4)) file.params.vsfTenorExponent = scaling.pick([0.25, 0.5, 1]);
  }
  if (options.markSurfaces) {
    const marks = new Gen(seed ^ 0x5eed0f);
    for (const pair of pairs) {
      if (marks.chance(0.75)) market[pair] = { ...market[pair], surface: markSurface(marks, pair, market[pair], file.params?.usdRate ?? 0) };
    }
  }
  return file;
}

/** b(T) of SPEC.md "Instruments" from the futures marks (linear between them, flat outside). */
function fundingRate(spot: number, futures: readonly { expiry: string; mark: number }[], tenorYears: number): number {
  const nodes = futures
    .map((f) => ({ t: (Date.parse(f.expiry) - AS_OF_MS) / (365 * DAY_MS), b: 0 }))
    .map((node, j) => ({ ...node, b: Math.log(futures[j].mark / spot) / node.t }));
  if (nodes.length === 0) return 0;
  if (tenorYears <= nodes[0].t) return nodes[0].b;
  const last = nodes[nodes.length - 1];
  if (tenorYears >= last.t) return last.b;
  const j = nodes.findIndex((node) => node.t > tenorYears);
  const [l, r] = [nodes[j - 1], nodes[j]];
  return l.b + ((tenorYears - l.t) / (r.t - l.t)) * (r.b - l.b);
}

/** Option marks on 1 to 4 expiries, 1 to 6 strikes each (calls, puts or both), priced off the pair's node surface. */
function markSurface(g: Gen, pair: string, pm: PairMarketInput, usdRate: number): MarkSurfaceInput {
  const given = pm.surface as { atmVol?: number; tenors?: number[]; logMoneyness?: number[]; vols?: number[][] };
  const nodes: BookSurface =
    given.atmVol !== undefined
      ? { tenors: [1], logMoneyness: [0], vols: [[given.atmVol]] }
      : { tenors: given.tenors!, logMoneyness: given.logMoneyness!, vols: given.vols! };
  const options: MarkSurfaceInput["options"] = [];
  for (const days of sortedUnique(Array.from({ length: g.int(1, 4) }, () => g.int(1, 730)))) {
    const { code, iso } = deribitDate(days);
    const tenorYears = days / 365;
    const forward = pm.spot * Math.exp(fundingRate(pm.spot, pm.futures ?? [], tenorYears) * tenorYears);
    const discountFactor = Math.exp(-usdRate * tenorYears);
    const totalVol = Math.max(0.2, surfaceVol(nodes, 0, tenorYears)) * Math.sqrt(tenorYears);
    const taken = new Set<string>();
    for (let i = g.int(1, 6); i > 0; i--) {
      const raw = forward * Math.exp(totalVol * g.uniform(-2.5, 2.5) * (taken.size === 0 ? 0.01 : 1)); // the first near the money
      const digits = Math.pow(10, Math.floor(Math.log10(raw)) - 3);
      const strike = Math.round(raw / digits) * digits; // 4 significant digits
      const vol = Math.max(0.05, surfaceVol(nodes, Math.log(strike / forward), tenorYears));
      // deeper in the money than 2.5 of its own total vols, a mark carries too little of its vol
      if (Math.abs(Math.log(strike / forward)) > 2.5 * vol * Math.sqrt(tenorYears)) continue;
      const rights = g.pick([["call"], ["put"], ["call", "put"]] as const);
      for (const right of rights) {
        if (taken.has(`${strike}${right}`)) continue;
        taken.add(`${strike}${right}`);
        const mark = black76(forward, strike, tenorYears, vol, discountFactor, right === "call");
        const instrument: InstrumentInput = Number.isInteger(strike) && g.chance(0.5)
          ? `${pair}-${code}-${strike}-${right === "call" ? "C" : "P"}`
          : { kind: "option", pair, right, strike, expiry: iso };
        options.push({ instrument, mark });
      }
    }
  }
  return { options };
}
