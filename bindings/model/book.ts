/**
 * The normalized book: what `normalize(file)` (validate.ts) returns once every field is checked
 * and every instrument resolved. Both the WASM engine (engine.ts) and the plain-TS reference model
 * (test/reference/) start from this object; everything numeric past this point (funding curve,
 * surface interpolation, pricing, scenarios, reductions) each of them derives on its own.
 */
import type { AccountStatus, CoinPolicy, FillSet, MarginModel } from "./types.js";

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
  /**
   * the USD, USDC and USDT balances as the file gives them (their sum is `usd`), for per-code
   * haircuts (`params.ltv`); absent when the file gives none, and then all of `usd` counts as USD
   */
  usdByCode?: Record<string, number>;
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
  /**
   * null when the pair has no options in the file (then no option may reference it); also null
   * while a surface given as option marks (`optionMarks`) is not yet resolved to nodes, which the
   * engine does (kernel implied vols, docs/surface-construction.md) before it writes the market
   */
  surface: BookSurface | null;
  /** the validated option marks of a `{options: [...]}` surface; absent or null for node and flat surfaces */
  optionMarks?: BookOptionMark[] | null;
  grid: BookGridRow[];
}

/**
 * One validated option mark of a surface built from marks (SPEC.md "Implied-volatility surface"):
 * DF max(w (F - K), 0) <= mark < DF F (call) / DF K (put), with F and DF below.
 */
export interface BookOptionMark {
  /** canonical name, e.g. `BTC-25DEC26-95000-C` */
  name: string;
  isCall: boolean;
  /** USD, > 0 */
  strike: number;
  expiryMs: number;
  /** ACT/365 years from asOf, > 0 */
  tenorYears: number;
  /** USD per coin (a contract of multiplier 1), > 0 */
  mark: number;
  /** F(T) = S exp(b(T) T), USD, from the pair's spot and futures marks when the mark was validated */
  forward: number;
  /** DF = exp(-usdRate T) */
  discountFactor: number;
  /** field path of this mark, e.g. `market.BTC.surface.options[3]` */
  path: string;
}

export interface BookParams {
  gridName: string;
  usdRate: number;
  mmFraction: number;
  coinPolicy: CoinPolicy;
  pairCorrelation: number[][] | null;
  /**
   * p of the tenor-scaled vol shocks (Deribit, Paradex): a row's vol shock counts as
   * volShock * (30 / max(1, DTE))^p for an option DTE days from expiry; absent or 0: unscaled
   */
  vsfTenorExponent?: number;
  // Covariance-model inputs, present only when the file gives them (bindings/covariance.ts
  // applies the defaults, which depend on the book's markets):
  /** the report the CLI prints; absent: "scenario" */
  model?: MarginModel;
  /** max leverage per canonical instrument name, > 0; markets not listed: 20 */
  leverage?: Record<string, number>;
  /** haircut (LTV) in [0, 1] per USD code or pair name; not listed: 1 for USD codes, 0.9 for coins */
  ltv?: Record<string, number>;
  /** correlation over named markets (canonical names, each once); absent: 1 within a pair, 0 between pairs */
  marketCorrelation?: BookMarketCorrelation;
}

/** Validated: square, symmetric, unit diagonal, entries in [-1, 1], positive semi-definite. */
export interface BookMarketCorrelation {
  markets: string[];
  matrix: number[][];
}

export interface Book {
  asOfMs: number;
  params: BookParams;
  pairs: BookPair[];
  accounts: BookAccount[];
}

export type { AccountStatus, CoinPolicy, FillSet, MarginModel };
