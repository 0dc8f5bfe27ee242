/**
 * The benchmark books, seeded so every run margins the same inputs.
 *   optionsBook(n):   n options only (accounts of 20), BTC, strikes 0.5-1.5x spot, 1 day to 1 year
 *   mixedBook(a, k):  a accounts x k positions, about two thirds options, BTC and ETH, like the
 *                     bundled example (perpetuals, futures, coin balances, a working order), all
 *                     from a listed universe as on Deribit: 8 expiries (1 day to 7 months),
 *                     strikes every 1,000 (BTC) or 50 (ETH) from 0.5x to 1.5x spot: about
 *                     2,450 options, 6 futures, 2 perpetuals shared by every account
 */
import type { AccountInput, PortfolioFile, PositionInput } from "../bindings/model/types.js";
import { Gen } from "../test/support/random.js";

const AS_OF = "2026-11-21T08:00:00Z";
const AS_OF_MS = Date.parse(AS_OF);
const DAY_MS = 86_400_000;

const iso = (days: number): string => new Date(AS_OF_MS + days * DAY_MS).toISOString();

const MARKET: PortfolioFile["market"] = {
  BTC: {
    spot: 91_000,
    futures: [
      { expiry: iso(6), mark: 91_090 },
      { expiry: iso(34), mark: 91_520 },
      { expiry: iso(125), mark: 92_950 },
      { expiry: iso(216), mark: 94_380 },
    ],
    surface: {
      tenors: [0.0192, 0.0959, 0.3452, 0.5945, 1.0],
      logMoneyness: [-0.6, -0.4, -0.2, -0.1, 0, 0.1, 0.2, 0.4, 0.6],
      vols: [
        [1.05, 0.88, 0.66, 0.57, 0.52, 0.54, 0.61, 0.8, 0.98],
        [0.95, 0.8, 0.63, 0.56, 0.53, 0.54, 0.58, 0.71, 0.86],
        [0.85, 0.72, 0.61, 0.56, 0.54, 0.54, 0.56, 0.64, 0.75],
        [0.8, 0.68, 0.6, 0.56, 0.55, 0.55, 0.56, 0.61, 0.7],
        [0.75, 0.66, 0.59, 0.56, 0.55, 0.55, 0.56, 0.6, 0.67],
      ],
    },
  },
  ETH: {
    spot: 3_100,
    futures: [{ expiry: iso(34), mark: 3_114 }, { expiry: iso(125), mark: 3_165 }],
    surface: {
      tenors: [0.0384, 0.0959, 0.3452, 1.0],
      logMoneyness: [-0.4, -0.1, 0, 0.1, 0.4],
      vols: [
        [0.95, 0.72, 0.66, 0.68, 0.86],
        [0.88, 0.69, 0.64, 0.65, 0.79],
        [0.8, 0.67, 0.63, 0.63, 0.72],
        [0.76, 0.66, 0.63, 0.63, 0.7],
      ],
    },
  },
};

function option(g: Gen, pair: "BTC" | "ETH"): PositionInput {
  const spot = MARKET[pair].spot;
  return {
    instrument: {
      kind: "option", pair, right: g.chance(0.5) ? "call" : "put",
      strike: Math.round(spot * g.uniform(0.5, 1.5)), expiry: iso(g.int(1, 365)),
    },
    qty: (g.chance(0.5) ? -1 : 1) * g.int(1, 25),
  };
}

/** n option positions on BTC, in accounts of 20 (one account when n < 20). */
export function optionsBook(n: number, seed = 1): PortfolioFile {
  const g = new Gen(seed);
  const perAccount = Math.min(20, n);
  const accounts: AccountInput[] = [];
  for (let made = 0; made < n; made += perAccount) {
    const count = Math.min(perAccount, n - made);
    accounts.push({ id: `o${accounts.length}`, balances: { USD: 1e6 }, positions: Array.from({ length: count }, () => option(g, "BTC")) });
  }
  return { asOf: AS_OF, market: MARKET, accounts };
}

const LISTED_DAYS = [1, 2, 6, 13, 34, 62, 125, 216];
const STRIKE_STEP = { BTC: 1_000, ETH: 50 } as const;

/** A listed option: an expiry of LISTED_DAYS, a strike on the pair's grid within 0.5x to 1.5x spot. */
function listedOption(g: Gen, pair: "BTC" | "ETH"): PositionInput {
  const spot = MARKET[pair].spot;
  const step = STRIKE_STEP[pair];
  const strike = step * Math.round((spot * g.uniform(0.5, 1.5)) / step);
  return {
    instrument: { kind: "option", pair, right: g.chance(0.5) ? "call" : "put", strike, expiry: iso(g.pick(LISTED_DAYS)) },
    qty: (g.chance(0.5) ? -1 : 1) * g.int(1, 25),
  };
}

/** `accounts` accounts of `positions` positions each, about two thirds options, like the example. */
export function mixedBook(accounts: number, positions: number, seed = 2): PortfolioFile {
  const g = new Gen(seed);
  const book: AccountInput[] = [];
  for (let a = 0; a < accounts; a++) {
    const list: PositionInput[] = [];
    for (let i = 0; i < positions; i++) {
      const pair = g.chance(0.7) ? "BTC" : "ETH";
      const roll = g.next();
      if (roll < 2 / 3) list.push(listedOption(g, pair));
      else if (roll < 0.85) list.push({ instrument: `${pair}-PERPETUAL`, qty: g.int(-5, 5) || 1, entryPrice: MARKET[pair].spot * g.uniform(0.9, 1.1) });
      else list.push({ instrument: { kind: "future", pair, expiry: iso(g.pick([34, 125, 216])) }, qty: g.int(-5, 5) || 1 });
    }
    book.push({
      id: `m${a}`,
      balances: { USD: g.uniform(1e4, 1e6), BTC: g.chance(0.3) ? g.uniform(0, 3) : 0 },
      positions: list,
      orders: g.chance(0.3) ? [{ instrument: "BTC-PERPETUAL", side: g.chance(0.5) ? "buy" : "sell", qty: g.int(1, 3), price: 90_500 }] : [],
    });
  }
  return { asOf: AS_OF, market: MARKET, accounts: book };
}
