/**
 * Seeded random books for the liquidation property tests: leveraged traders on BTC and ETH
 * (perpetuals, a future, options), working orders, two well-capitalised "whales" holding every
 * instrument long and short (so the ADL queue can always take what a book cannot), random depth
 * around the marks (sometimes thin or empty), and a random spot shock that puts some traders below
 * maintenance and some below zero equity. Marks for the depth come from the plain-TS reference
 * model (test/reference/model.ts), not from the kernel.
 */
import type { AccountInput, OrderInput, PortfolioFile, PositionInput } from "../../bindings/model/types.js";
import type { DepthInput, DepthLevelInput } from "../../bindings/model/liquidation.js";
import { normalize } from "../../bindings/validate.js";
import { BASE_SCENARIO, instrumentValue } from "../reference/model.js";
import { Gen } from "./random.js";

export interface LiquidationCase {
  /** the shocked file */
  file: PortfolioFile;
  depth: DepthInput;
  /** the traders (every account but the whales) */
  traders: string[];
}

const INSTRUMENTS = [
  "BTC-PERPETUAL",
  "ETH-PERPETUAL",
  "BTC-26MAR27",
  "BTC-25DEC26-80000-P",
  "BTC-25DEC26-100000-C",
  "BTC-26MAR27-90000-C",
  "ETH-25DEC26-3000-P",
  "ETH-26MAR27-3500-C",
] as const;

const isLinear = (name: string): boolean => name.endsWith("PERPETUAL") || /^[A-Z]+-\d+[A-Z]{3}\d{2}$/.test(name);
const pairOf = (name: string): "BTC" | "ETH" => (name.startsWith("BTC") ? "BTC" : "ETH");

/** Reference-model marks (USD per coin) of the pool's instruments in `file`. */
export function referenceMarks(file: PortfolioFile): Map<string, number> {
  const probe: PortfolioFile = {
    ...file,
    accounts: [{ id: "probe", positions: INSTRUMENTS.map((instrument) => ({ instrument, qty: 1 })) }],
  };
  const book = normalize(probe);
  const marks = new Map<string, number>();
  for (const p of book.accounts[0].positions) {
    marks.set(p.instrument.name, instrumentValue(book.pairs[p.instrument.pairIndex], p.instrument, book.params.usdRate, BASE_SCENARIO));
  }
  return marks;
}

function levels(g: Gen, mark: number, unit: number, direction: -1 | 1): DepthLevelInput[] {
  const out: DepthLevelInput[] = [];
  let price = mark * (1 + direction * g.uniform(0, 0.004));
  for (let n = g.int(0, 4); n > 0; n--) {
    price *= 1 + direction * g.uniform(0.0005, 0.03);
    if (!(price > 0)) break;
    out.push([price, unit * g.uniform(0.05, 2)]);
  }
  return out;
}

/** A shocked random book with depth; every trader holds each instrument at most once. */
export function liquidationCase(seed: number): LiquidationCase {
  const g = new Gen(seed);
  const spot = { BTC: g.uniform(70_000, 110_000), ETH: g.uniform(2_000, 4_500) };
  const expiry = "2027-03-26T08:00:00Z";
  const file: PortfolioFile = {
    asOf: "2026-11-21T08:00:00Z",
    params: { mmFraction: g.pick([0.5, 0.5, 0.6, 0.75]) },
    market: {
      BTC: {
        spot: spot.BTC,
        futures: [{ expiry, mark: spot.BTC * Math.exp(g.uniform(-0.02, 0.08) * (125 / 365)) }],
        surface: g.chance(0.5)
          ? { atmVol: g.uniform(0.35, 0.9) }
          : { tenors: [0.05, 0.35], logMoneyness: [-0.3, 0, 0.3], vols: [[0.8, 0.6, 0.7], [0.7, 0.55, 0.6]] },
      },
      ETH: { spot: spot.ETH, surface: { atmVol: g.uniform(0.45, 1) } },
    },
    accounts: [],
  };
  const unit = (name: string): number => (pairOf(name) === "BTC" ? 1 : 15);
  const traders: string[] = [];
  for (let t = g.int(3, 6); t > 0; t--) {
    const id = `t${traders.length}`;
    traders.push(id);
    const held = [...INSTRUMENTS].filter(() => g.chance(0.35));
    if (held.length === 0) held.push(g.pick(INSTRUMENTS));
    let notional = 0;
    const positions: PositionInput[] = held.map((instrument) => {
      const qty = (g.chance(0.5) ? 1 : -1) * unit(instrument) * Math.round(g.uniform(0.2, 5) * 100) / 100;
      notional += Math.abs(qty) * spot[pairOf(instrument)];
      const position: PositionInput = { instrument, qty };
      if (isLinear(instrument) && g.chance(0.8)) position.entryPrice = spot[pairOf(instrument)] * g.uniform(0.85, 1.15);
      return position;
    });
    const orders: OrderInput[] = [];
    for (let n = g.chance(0.5) ? g.int(1, 2) : 0; n > 0; n--) {
      const instrument = g.pick(held);
      orders.push({ instrument, side: g.chance(0.5) ? "buy" : "sell", qty: unit(instrument) * g.uniform(0.5, 3), price: spot[pairOf(instrument)] * 0.01 });
    }
    const account: AccountInput = { id, balances: { USD: Math.round(notional * g.uniform(0.01, 0.3)) }, positions, orders };
    file.accounts.push(account);
  }
  for (const [id, sign] of [["whale-long", 1], ["whale-short", -1]] as const) {
    file.accounts.push({
      id,
      balances: { USD: 1e9 },
      positions: INSTRUMENTS.map((instrument) => ({ instrument, qty: sign * 200 * unit(instrument) })),
    });
  }
  // the shock: both spots move, the futures mark with BTC's (its basis rate kept)
  const move = { BTC: 1 + g.uniform(-0.25, 0.25), ETH: 1 + g.uniform(-0.25, 0.25) };
  file.market.BTC.spot = spot.BTC * move.BTC;
  file.market.BTC.futures = file.market.BTC.futures!.map((f) => ({ ...f, mark: f.mark * move.BTC }));
  file.market.ETH.spot = spot.ETH * move.ETH;

  const marks = referenceMarks(file);
  const depth: DepthInput = {};
  for (const name of INSTRUMENTS) {
    if (g.chance(0.15)) continue;
    const mark = marks.get(name)!;
    depth[name] = { bids: levels(g, mark, unit(name), -1), asks: levels(g, mark, unit(name), 1) };
  }
  return { file, depth, traders };
}
