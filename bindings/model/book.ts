/**
 * The normalized book: what `normalize(file)` (validate.ts) returns once every field is checked
 * and every instrument resolved. Both the WASM engine (engine.ts) and the plain-TS reference model
 * (test/reference/) start from this object; everything numeric past this point (funding curve,
 * surface interpolation, pricing, scenarios, reductions) each of them derives on its own.
 */
import type { AccountStatus, CoinPolicy, FillSet } from "./types.js";

export type InstrumentKind = "spot" | "perpetual" | "future" | "option";

export interface ResolvedInstrument {
  /** canonical Deribit-style name, e.g. `BTC-25DEC26-95000-C`, `BTC-PERPETUAL`, `BTC-USD` (spot) */
  name: string;
  kind: InstrumentKind;
  /** index into Book.pairs */
  pairIndex: number;
  pair: string;
  /** options only */
  isCall: boolean;
  /** options only, USD; 0 otherwise */
  strike: number;
  /** futures and options: epoch ms; NaN otherwise */
  expiryMs: number;
  /** ACT/365 years from asOf to expiry; may be <= 0 (expired); 0 for spot and perpetual */
  tenorYears: number;
  /** coins per contract */
  multiplier: number;
}

export interface BookPosition {
  instrument: ResolvedInstrument;
  /** signed contracts, non-zero */
  qty: number;
  /** futures and perpetuals: entry price; null = at the mark (no unrealised PnL). Always null for spot and options. */
  entryPrice: number | null;
  /** field path of this position, e.g. `accounts[0].positions[2]` */
  path: string;
}

export interface BookOrder {
  instrument: ResolvedInstrument;
  side: "buy" | "sell";
  /** contracts, > 0 */
  qty: number;
  /** limit price, > 0 (does not enter the requirement: the premium is cash, not scenario risk) */
  price: number;
  path: string;
}

export interface BookAccount {
  id: string;
  /** USD + USDC + USDT balances */
  usd: number;
  /** coin balance per pair index (length = pairs.length, 0 where none) */
  coins: number[];
  positions: BookPosition[];
  orders: BookOrder[];
  path: string;
}

export interface BookFuture {
  expiryMs: number;
  /** > 0 */
  tenorYears: number;
  mark: number;
}

/** Surface nodes; a flat `atmVol` becomes tenors [1], logMoneyness [0], vols [[atmVol]]. */
export interface BookSurface {
  /** strictly ascending, > 0 */
  tenors: number[];
  /** strictly ascending, k = ln(K/F) */
  logMoneyness: number[];
  /** vols[i][j] for tenor i, node j; >= 0 */
  vols: number[][];
}

/** A grid row with the pair's SSF/VSF already applied: spot level S * (1 + spotShock), vol IV * max(0, 1 + volShock). */
export interface BookGridRow {
  spotShock: number;
  volShock: number;
  weight: number;
}

export interface BookPair {
  name: string;
  spot: number;
  ssf: number;
  vsf: number;
  /** ascending by tenor, unique expiries, every tenor > 0 */
  futures: BookFuture[];
  /** null when the pair has no options in the file (then no option may reference it) */
  surface: BookSurface | null;
  grid: BookGridRow[];
}

export interface BookParams {
  gridName: string;
  usdRate: number;
  mmFraction: number;
  coinPolicy: CoinPolicy;
  pairCorrelation: number[][] | null;
}

export interface Book {
  asOfMs: number;
  params: BookParams;
  pairs: BookPair[];
  accounts: BookAccount[];
}

export type { AccountStatus, CoinPolicy, FillSet };
