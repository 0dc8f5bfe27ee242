/**
 * The portfolio file (CLI input; `engine.margin(file)` takes the same object) and the report,
 * exactly as ../SPEC.md "The portfolio file" and "The report" define them.
 * Input types are what a caller may write; everything is checked by `normalize()` (validate.ts).
 */
import type { ErrorCodeValue } from "../errors.js";

export type CoinPolicy = "capped" | "full" | "none";
export type FillSet = "none" | "bids" | "asks";
export type AccountStatus = "ok" | "restricted" | "liquidation";

/** One grid row: signed shock factors, `spot: -0.15` is S * 0.85; `weight` is the fraction of the loss counted. */
export interface GridRowInput {
  spot: number;
  vol: number;
  weight?: number;
}

export interface PairParamsInput {
  /** spot shock factor, default 0.15 */
  ssf?: number;
  /** vol shock factor, default 0.40 */
  vsf?: number;
}

export interface ParamsInput {
  /** preset name (`powertrade9`, `span16`) or explicit rows */
  grid?: string | { rows: GridRowInput[] };
  pairs?: Record<string, PairParamsInput>;
  /** USD discount rate r, continuously compounded, default 0 */
  usdRate?: number;
  /** maintenance margin = initial margin * mmFraction, default 0.5 */
  mmFraction?: number;
  coinPolicy?: CoinPolicy;
  /**
   * p of the tenor-scaled vol shocks (Deribit, Paradex): an option DTE days from expiry takes
   * the row's vol shock times (30 / max(1, DTE))^p; default 0 (unscaled), at most 4
   */
  vsfTenorExponent?: number;
  /** correlation matrix over pairs (in `market` key order), null = plain sum */
  pairCorrelation?: number[][] | null;
  /** which report the CLI prints (its `--model` flag overrides this); default `scenario`. The API offers both. */
  model?: MarginModel;
  /** covariance model: max leverage per instrument name (> 0), e.g. `{ "BTC-PERPETUAL": 50 }`; default 20 */
  leverage?: Record<string, number>;
  /** covariance model: collateral haircut (LTV, in [0, 1]) per coin; default 1.0 for USD, USDC, USDT and 0.9 for other coins */
  ltv?: Record<string, number>;
  /** covariance model: correlation between markets; default 1 between markets of the same pair, 0 between pairs */
  marketCorrelation?: MarketCorrelationInput;
}

/** The margin models: PowerTrade-style scenarios (SPAN) or OPNX-style correlation of leveraged notionals. */
export type MarginModel = "scenario" | "covariance";

/** A correlation matrix over named markets: `matrix[i][j]` is the correlation of `markets[i]` and `markets[j]`. */
export interface MarketCorrelationInput {
  /** instrument names (Deribit style), each once */
  markets: string[];
  /** symmetric, unit diagonal, entries in [-1, 1], positive semi-definite */
  matrix: number[][];
}

export interface InstrumentObject {
  kind: "spot" | "perpetual" | "future" | "option";
  pair: string;
  /** options: call or put */
  right?: "call" | "put";
  /** options: strike in USD */
  strike?: number;
  /** futures and options: ISO-8601 UTC timestamp */
  expiry?: string;
  /** coins per contract, default 1 */
  multiplier?: number;
}

/** A Deribit-style name (`BTC-PERPETUAL`, `BTC-27DEC26`, `BTC-27DEC26-30000-C`) or an object. */
export type InstrumentInput = string | InstrumentObject;

export interface FutureMarkInput {
  expiry: string;
  mark: number;
}

export interface NodeSurfaceInput {
  tenors: number[];
  logMoneyness: number[];
  vols: number[][];
}
export interface FlatSurfaceInput {
  atmVol: number;
}
export interface MarkSurfaceInput {
  options: { instrument: InstrumentInput; mark: number }[];
}
export type SurfaceInput = NodeSurfaceInput | FlatSurfaceInput | MarkSurfaceInput;

export interface PairMarketInput {
  spot: number;
  futures?: FutureMarkInput[];
  surface?: SurfaceInput;
}

export interface PositionInput {
  instrument: InstrumentInput;
  /** signed contracts */
  qty: number;
  /** futures and perpetuals: entry price for unrealised PnL, default the mark */
  entryPrice?: number;
}

export interface OrderInput {
  instrument: InstrumentInput;
  side: "buy" | "sell";
  /** contracts, > 0 */
  qty: number;
  /** limit price, > 0 */
  price: number;
}

export interface AccountInput {
  id: string;
  /** `USD` (also `USDC`, `USDT` at 1.0) and coin balances keyed by pair */
  balances?: Record<string, number>;
  positions?: PositionInput[];
  orders?: OrderInput[];
}

export interface PortfolioFile {
  asOf: string;
  params?: ParamsInput;
  market: Record<string, PairMarketInput>;
  accounts: AccountInput[];
}

export interface PairReport {
  /** max(0, max_s weight_s * (PV_0 - PV_s)) for the fill set that sets it, USD */
  requirement: number;
  /** 1-based grid row of the largest weighted loss */
  worstScenario: number;
  fillSet: FillSet;
  /** the pair's PV in each grid scenario, grid order, USD */
  scenarioPV: number[];
}

/**
 * One row's risk (engine.margin(file, { attribution: true }) or PreparedBook.attribution()): its
 * PnL in its pair's worst scenario and its Black-76 greeks at the base, all for the whole row
 * (qty * multiplier included). See README "Risk attribution" for units.
 */
export interface RiskAttribution {
  /** `position`: accounts[a].positions[index]; `order`: accounts[a].orders[index] */
  source: "position" | "order";
  index: number;
  /** canonical instrument name */
  instrument: string;
  pair: string;
  /** the row counts in the pair's worst scenario: every position; an order when its fill set set the requirement */
  inWorstSet: boolean;
  /** value in the pair's worst scenario minus value at the base, USD */
  worstScenarioPnL: number;
  /** dV/dS, coins */
  delta: number;
  /** d2V/dS2, coins per USD */
  gamma: number;
  /** dV/dvol, USD per 1.00 of implied vol */
  vega: number;
  /** dV/dt as calendar time passes, USD per year */
  theta: number;
}

export interface AccountReport {
  id: string;
  equity: number;
  initialMargin: number;
  maintenanceMargin: number;
  available: number;
  status: AccountStatus;
  pairs: Record<string, PairReport>;
  /** per position and order, with { attribution: true } */
  risk?: RiskAttribution[];
}

export interface Report {
  accounts: AccountReport[];
  /** with `{ isolateAccounts: true }`: the accounts set aside (their reports are absent from `accounts`), in file order */
  errors?: AccountError[];
}

/**
 * An account that `{ isolateAccounts: true }` set aside instead of margining it: its position in
 * the file's `accounts`, its id when it has a readable one, and the MarginError it raised.
 */
export interface AccountError {
  id?: string;
  index: number;
  error: { code: ErrorCodeValue; path: string; message: string };
}

/** One account under the covariance (OPNX correlation) model; money in USD. */
export interface CovarianceAccountReport {
  id: string;
  /** sqrt(v^T rho v), v_i = x_i p_i / L_i per market, for the fill set that sets it */
  initialMargin: number;
  /** initialMargin / 2 */
  maintenanceMargin: number;
  /** balances x price x LTV (debts in full) + unrealised PnL of perpetuals and futures + spot and option positions at mark */
  collateral: number;
  /** 100 * maintenanceMargin / collateral, percent; null when collateral <= 0 (at or past liquidation) */
  marginRatio: number | null;
  /**
   * per instrument the account holds a position in: mark - (collateral - MM) / x, USD per coin, x the
   * net position in coins; null when the net position is 0
   */
  liquidationPrice: Record<string, number | null>;
  /** the working-order fill set whose quadratic form is the largest (none on ties) */
  fillSet: FillSet;
}

export interface CovarianceReport {
  accounts: CovarianceAccountReport[];
  /** with `{ isolateAccounts: true }`: the accounts set aside, as in Report */
  errors?: AccountError[];
}
