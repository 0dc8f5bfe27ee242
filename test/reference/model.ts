/**
 * The plain-TS reference model: SPEC.md's scenario margin ("Instruments", "Implied-volatility
 * surface", "Scenario margin", "Account summary") with docs/model-decisions.md, written as
 * directly as the documents read. It is the tests' oracle for the WASM kernel and shares no code
 * with it: it starts from the normalized Book (bindings/model/book.ts) and derives the funding
 * curve, the surface reads, the prices, the scenarios and the reductions on its own.
 *
 * Clarity over speed: nothing is cached or vectorised; every number is recomputed where the
 * specification defines it.
 *
 * Settled here where neither document is explicit (the kernel must match):
 * - A surface read at a tenor equal to a row's tenor returns that row's vol as is (no
 *   sqrt(vol^2 * tenor / tenor) round trip).
 * - With `pairCorrelation`, the account's IM is sqrt(max(0, R^T rho R)): a quadratic form that
 *   rounds (or, for a matrix that is not positive semi-definite, falls) below 0 counts as 0.
 * - The order of the sums (positions in book order, then the filled orders in book order, then
 *   the coin) is this model's; the kernel may sum in another order, so its results agree to
 *   rounding, and the choice between fill sets whose requirements differ only by rounding may
 *   differ.
 */
import type {
  Book,
  BookAccount,
  BookGridRow,
  BookPair,
  BookSurface,
  CoinPolicy,
  FillSet,
  ResolvedInstrument,
} from "../../bindings/model/book.js";
import type { AccountReport, AccountStatus, PairReport, Report } from "../../bindings/model/types.js";
import { normalCdf } from "./normal.js";

/**
 * A market scenario: spot level S * (1 + spotShock), vols IV * max(0, 1 + volShock * scale) with
 * scale = (30 / max(1, DTE))^vsfTenorExponent for an option DTE = 365 T days from expiry (1 when
 * the exponent is absent or 0).
 */
export interface Scenario {
  spotShock: number;
  volShock: number;
  vsfTenorExponent?: number;
}

/** The unshocked market: the scenario of PV_0 and of every delta. */
export const BASE_SCENARIO: Scenario = { spotShock: 0, volShock: 0 };

/** The fill sets in tie-breaking order (on equal requirements the earlier wins). */
export const FILL_SETS: readonly FillSet[] = ["none", "bids", "asks"];

/**
 * Black-76 value of a European option on a forward (SPEC.md "Instruments"; Black 1976,
 * "The pricing of commodity contracts", J. Financial Economics 3):
 *   call = DF (F N(d1) - K N(d2)), put = DF (K N(-d2) - F N(-d1)),
 *   d1 = (ln(F/K) + vol^2 T / 2) / (vol sqrt T), d2 = d1 - vol sqrt T.
 * With vol = 0 the limit DF max(F - K, 0) (call) / DF max(K - F, 0) (put) is returned.
 * Accuracy: that of N (3.4e-16 absolute, normal.ts) times F and K, plus a few ulps of rounding.
 * @param forward F, USD
 * @param strike K, USD
 * @param tenorYears T > 0
 * @param vol annualised, >= 0
 * @param discountFactor DF = exp(-r T)
 */
export function black76(
  forward: number,
  strike: number,
  tenorYears: number,
  vol: number,
  discountFactor: number,
  isCall: boolean,
): number {
  if (!(tenorYears > 0)) throw new RangeError(`black76: tenorYears must be > 0, got ${tenorYears}`);
  if (!(vol >= 0)) throw new RangeError(`black76: vol must be >= 0, got ${vol}`);
  if (vol === 0) {
    return discountFactor * (isCall ? Math.max(forward - strike, 0) : Math.max(strike - forward, 0));
  }
  const stdDev = vol * Math.sqrt(tenorYears);
  const d1 = (Math.log(forward / strike) + (vol * vol * tenorYears) / 2) / stdDev;
  const d2 = d1 - stdDev;
  return isCall
    ? discountFactor * (forward * normalCdf(d1) - strike * normalCdf(d2))
    : discountFactor * (strike * normalCdf(-d2) - forward * normalCdf(-d1));
}

/**
 * b(T), the pair's funding (basis) rate per year, implied from its futures marks (SPEC.md
 * "Instruments"): node j is (T_j, ln(F_j / S) / T_j); linear in T between nodes, flat before the
 * first and after the last; 0 without futures. Exact up to rounding (a few ulps).
 */
export function fundingRate(pair: BookPair, tenorYears: number): number {
  const nodes = pair.futures.map((future) => ({
    tenorYears: future.tenorYears,
    rate: Math.log(future.mark / pair.spot) / future.tenorYears,
  }));
  if (nodes.length === 0) return 0;
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  if (tenorYears <= first.tenorYears) return first.rate;
  if (tenorYears >= last.tenorYears) return last.rate;
  for (let i = 0; i + 1 < nodes.length; i++) {
    const left = nodes[i];
    const right = nodes[i + 1];
    if (tenorYears < right.tenorYears) {
      // (at a node exactly, the next interval's fraction 0 returns the node's rate as is)
      const fraction = (tenorYears - left.tenorYears) / (right.tenorYears - left.tenorYears);
      return left.rate + fraction * (right.rate - left.rate);
    }
  }
  throw new Error("fundingRate: unreachable (tenor between the first and last node but in no interval)");
}

/** F(T; S') = S' exp(b(T) T), USD: the forward at spot level `spotLevel` (b does not move with the spot). */
export function forwardPrice(pair: BookPair, tenorYears: number, spotLevel: number): number {
  return spotLevel * Math.exp(fundingRate(pair, tenorYears) * tenorYears);
}

/** Vol on one tenor row: linear in k between nodes, flat beyond the first and last node. */
function rowVol(logMoneynessNodes: number[], rowVols: number[], logMoneyness: number): number {
  const last = logMoneynessNodes.length - 1;
  if (logMoneyness <= logMoneynessNodes[0]) return rowVols[0];
  if (logMoneyness >= logMoneynessNodes[last]) return rowVols[last];
  for (let j = 0; j < last; j++) {
    const left = logMoneynessNodes[j];
    const right = logMoneynessNodes[j + 1];
    if (logMoneyness < right) {
      const fraction = (logMoneyness - left) / (right - left);
      return rowVols[j] + fraction * (rowVols[j + 1] - rowVols[j]);
    }
  }
  throw new Error("rowVol: unreachable (k between the first and last node but in no interval)");
}

/**
 * Implied vol at log-moneyness k = ln(K/F) and tenor T (SPEC.md "Implied-volatility surface"):
 * on each row linear in k, flat outside; across rows total variance vol^2 * tenor linear in T;
 * for T <= tenors[0] the first row's vol as is, for T >= tenors[last] the last row's; at a row's
 * tenor exactly, that row's vol. Exact up to rounding (a few ulps).
 */
export function surfaceVol(surface: BookSurface, logMoneyness: number, tenorYears: number): number {
  const { tenors, logMoneyness: nodes, vols } = surface;
  const last = tenors.length - 1;
  if (tenorYears <= tenors[0]) return rowVol(nodes, vols[0], logMoneyness);
  if (tenorYears >= tenors[last]) return rowVol(nodes, vols[last], logMoneyness);
  for (let i = 0; i < last; i++) {
    if (tenorYears === tenors[i]) return rowVol(nodes, vols[i], logMoneyness);
    if (tenorYears < tenors[i + 1]) {
      const leftVol = rowVol(nodes, vols[i], logMoneyness);
      const rightVol = rowVol(nodes, vols[i + 1], logMoneyness);
      const leftVariance = leftVol * leftVol * tenors[i];
      const rightVariance = rightVol * rightVol * tenors[i + 1];
      const fraction = (tenorYears - tenors[i]) / (tenors[i + 1] - tenors[i]);
      const totalVariance = leftVariance + fraction * (rightVariance - leftVariance);
      return Math.sqrt(totalVariance / tenorYears);
    }
  }
  throw new Error("surfaceVol: unreachable (tenor between the first and last row but in no interval)");
}

function requireSurface(pair: BookPair, instrument: ResolvedInstrument): BookSurface {
  if (pair.surface === null) {
    throw new Error(`reference model: option ${instrument.name} on pair ${pair.name}, which has no surface`);
  }
  return pair.surface;
}

/**
 * The option's vol in a scenario: the surface read at the scenario's spot (sticky moneyness,
 * k = ln(K / F(T; S'))), times max(0, 1 + volShock). Only for options with T > 0.
 */
export function scenarioOptionVol(pair: BookPair, instrument: ResolvedInstrument, scenario: Scenario): number {
  const spotLevel = pair.spot * (1 + scenario.spotShock);
  const forward = forwardPrice(pair, instrument.tenorYears, spotLevel);
  const impliedVol = surfaceVol(requireSurface(pair, instrument), Math.log(instrument.strike / forward), instrument.tenorYears);
  const exponent = scenario.vsfTenorExponent ?? 0;
  const scale = exponent === 0 ? 1 : (30 / Math.max(1, instrument.tenorYears * 365)) ** exponent;
  return impliedVol * Math.max(0, 1 + scenario.volShock * scale);
}

/**
 * Value per contract (per coin of multiplier 1), USD, in a scenario (model-decisions.md
 * "Instruments and values"): spot and perpetual S'; future F(T; S') for T > 0, S' when expired;
 * option Black-76 on F(T; S') with DF = exp(-usdRate T) for T > 0 (vol 0: discounted forward
 * intrinsic), intrinsic on S' without discounting when T <= 0.
 */
export function instrumentValue(
  pair: BookPair,
  instrument: ResolvedInstrument,
  usdRate: number,
  scenario: Scenario,
): number {
  const spotLevel = pair.spot * (1 + scenario.spotShock);
  const tenorYears = instrument.tenorYears;
  switch (instrument.kind) {
    case "spot":
    case "perpetual":
      return spotLevel;
    case "future":
      return tenorYears > 0 ? forwardPrice(pair, tenorYears, spotLevel) : spotLevel;
    case "option": {
      if (tenorYears <= 0) {
        return instrument.isCall
          ? Math.max(spotLevel - instrument.strike, 0)
          : Math.max(instrument.strike - spotLevel, 0);
      }
      const forward = forwardPrice(pair, tenorYears, spotLevel);
      const vol = scenarioOptionVol(pair, instrument, scenario);
      return black76(forward, instrument.strike, tenorYears, vol, Math.exp(-usdRate * tenorYears), instrument.isCall);
    }
  }
}

/**
 * dV/dS per contract (per coin of multiplier 1) at the base scenario, in coins, as
 * model-decisions.md "Coin inventory" defines it: spot and perpetual 1; future exp(b T) (T > 0,
 * else 1); option DF exp(bT) N(d1) (call) / DF exp(bT) (N(d1) - 1) (put), N(d1) read as 1[F > K]
 * when the vol is 0; for T <= 0 a call 1[S > K], a put -1[S < K]. (The spot's 1 is returned for
 * completeness; spot positions are not derivatives and never enter the coin cap's delta.)
 */
export function instrumentDelta(pair: BookPair, instrument: ResolvedInstrument, usdRate: number): number {
  const spot = pair.spot;
  const tenorYears = instrument.tenorYears;
  switch (instrument.kind) {
    case "spot":
    case "perpetual":
      return 1;
    case "future":
      return tenorYears > 0 ? Math.exp(fundingRate(pair, tenorYears) * tenorYears) : 1;
    case "option": {
      if (tenorYears <= 0) {
        if (instrument.isCall) return spot > instrument.strike ? 1 : 0;
        return spot < instrument.strike ? -1 : 0;
      }
      const growth = Math.exp(fundingRate(pair, tenorYears) * tenorYears); // F / S
      const forward = spot * growth;
      const discountFactor = Math.exp(-usdRate * tenorYears);
      const vol = scenarioOptionVol(pair, instrument, BASE_SCENARIO);
      let probabilityD1: number; // N(d1)
      if (vol === 0) {
        probabilityD1 = forward > instrument.strike ? 1 : 0;
      } else {
        const stdDev = vol * Math.sqrt(tenorYears);
        probabilityD1 = normalCdf((Math.log(forward / instrument.strike) + (vol * vol * tenorYears) / 2) / stdDev);
      }
      return discountFactor * growth * (instrument.isCall ? probabilityD1 : probabilityD1 - 1);
    }
  }
}

/** Perpetuals, futures and options are derivatives; a spot position is not. */
export function isDerivative(instrument: ResolvedInstrument): boolean {
  return instrument.kind !== "spot";
}

/** A holding in a fill set: a position, or a working order taken as filled. */
export interface Holding {
  instrument: ResolvedInstrument;
  /** signed contracts */
  qty: number;
}

/**
 * The holdings of fill set `fillSet` on pair `pairIndex`: the positions, plus every buy order as
 * a long (`bids`) or every sell order as a short (`asks`). Positions first, then orders, in book order.
 */
export function fillSetHoldings(account: BookAccount, pairIndex: number, fillSet: FillSet): Holding[] {
  const holdings: Holding[] = account.positions
    .filter((position) => position.instrument.pairIndex === pairIndex)
    .map((position) => ({ instrument: position.instrument, qty: position.qty }));
  for (const order of account.orders) {
    if (order.instrument.pairIndex !== pairIndex) continue;
    if (fillSet === "bids" && order.side === "buy") holdings.push({ instrument: order.instrument, qty: order.qty });
    if (fillSet === "asks" && order.side === "sell") holdings.push({ instrument: order.instrument, qty: -order.qty });
  }
  return holdings;
}

/**
 * The coin balance that enters the scenarios (as coin * S', USD at mark plus a synthetic
 * overnight future), model-decisions.md "Coin inventory": `capped`: a short balance whole, a long
 * one as min(c, max(0, -delta)) when the set holds a derivative on the pair, else 0; `full`: the
 * whole balance; `none`: 0.
 */
export function coinEntering(
  coinPolicy: CoinPolicy,
  coinBalance: number,
  holdsDerivative: boolean,
  derivativesDeltaCoins: number,
): number {
  switch (coinPolicy) {
    case "none":
      return 0;
    case "full":
      return coinBalance;
    case "capped":
      if (coinBalance < 0) return coinBalance;
      return holdsDerivative ? Math.min(coinBalance, Math.max(0, -derivativesDeltaCoins)) : 0;
  }
}

/** PV of holdings plus the entering coin, USD, in a scenario. */
function portfolioValue(
  pair: BookPair,
  holdings: Holding[],
  coinCoins: number,
  usdRate: number,
  scenario: Scenario,
): number {
  let value = 0;
  for (const holding of holdings) {
    value += holding.qty * holding.instrument.multiplier * instrumentValue(pair, holding.instrument, usdRate, scenario);
  }
  return value + coinCoins * pair.spot * (1 + scenario.spotShock);
}

/** One fill set's evaluation on one pair. */
export interface FillSetResult {
  fillSet: FillSet;
  /** coins of the balance that enter the scenarios */
  coinEntering: number;
  /** PV_0, USD: the unshocked market */
  baseValue: number;
  /** PV_s per grid row, USD */
  scenarioPV: number[];
  /** weight_s * (PV_0 - PV_s) per grid row, USD */
  weightedLoss: number[];
  /** max(0, max_s weightedLoss_s), USD */
  requirement: number;
  /** 1-based row of the largest weighted loss, the first on ties */
  worstScenario: number;
}

/** Evaluates fill set `fillSet` of `account` on pair `pairIndex` (SPEC.md "Scenario margin"). */
export function evaluateFillSet(book: Book, account: BookAccount, pairIndex: number, fillSet: FillSet): FillSetResult {
  const pair = book.pairs[pairIndex];
  const usdRate = book.params.usdRate;
  const grid: BookGridRow[] = pair.grid;
  if (grid.length === 0) throw new Error(`reference model: pair ${pair.name} has an empty grid`);

  const holdings = fillSetHoldings(account, pairIndex, fillSet);
  const derivatives = holdings.filter((holding) => isDerivative(holding.instrument));
  let derivativesDeltaCoins = 0;
  for (const holding of derivatives) {
    derivativesDeltaCoins += holding.qty * holding.instrument.multiplier * instrumentDelta(pair, holding.instrument, usdRate);
  }
  const coins = coinEntering(book.params.coinPolicy, account.coins[pairIndex], derivatives.length > 0, derivativesDeltaCoins);

  const baseValue = portfolioValue(pair, holdings, coins, usdRate, BASE_SCENARIO);
  const vsfTenorExponent = book.params.vsfTenorExponent ?? 0;
  const scenarioPV = grid.map((row) => portfolioValue(pair, holdings, coins, usdRate, { ...row, vsfTenorExponent }));
  const weightedLoss = grid.map((row, s) => row.weight * (baseValue - scenarioPV[s]));
  let worstIndex = 0;
  for (let s = 1; s < weightedLoss.length; s++) {
    if (weightedLoss[s] > weightedLoss[worstIndex]) worstIndex = s;
  }
  return {
    fillSet,
    coinEntering: coins,
    baseValue,
    scenarioPV,
    weightedLoss,
    requirement: Math.max(0, weightedLoss[worstIndex]),
    worstScenario: worstIndex + 1,
  };
}

/** The pair's report: the fill set with the largest requirement (the earlier of none, bids, asks on ties). */
export function pairReport(book: Book, account: BookAccount, pairIndex: number): PairReport {
  let chosen = evaluateFillSet(book, account, pairIndex, FILL_SETS[0]);
  for (const fillSet of FILL_SETS.slice(1)) {
    const candidate = evaluateFillSet(book, account, pairIndex, fillSet);
    if (candidate.requirement > chosen.requirement) chosen = candidate;
  }
  return {
    requirement: chosen.requirement,
    worstScenario: chosen.worstScenario,
    fillSet: chosen.fillSet,
    scenarioPV: chosen.scenarioPV,
  };
}

/** A pair is in the account's report when the account has a position or an order on it, or a non-zero coin balance of it. */
export function accountHasPair(account: BookAccount, pairIndex: number): boolean {
  return (
    account.positions.some((position) => position.instrument.pairIndex === pairIndex) ||
    account.orders.some((order) => order.instrument.pairIndex === pairIndex) ||
    account.coins[pairIndex] !== 0
  );
}

/**
 * Equity, USD (model-decisions.md "Account summary"): USD + coins at spot + per position (never
 * orders) qty * mult * v with v = the option's base value, the spot S, or for futures and
 * perpetuals mark - entryPrice (mark = the model's base value; no entry price = no PnL).
 */
export function accountEquity(book: Book, account: BookAccount): number {
  let equity = account.usd;
  book.pairs.forEach((pair, pairIndex) => {
    equity += account.coins[pairIndex] * pair.spot;
  });
  for (const position of account.positions) {
    const instrument = position.instrument;
    const pair = book.pairs[instrument.pairIndex];
    const contracts = position.qty * instrument.multiplier;
    switch (instrument.kind) {
      case "option":
      case "spot":
        equity += contracts * instrumentValue(pair, instrument, book.params.usdRate, BASE_SCENARIO);
        break;
      case "future":
      case "perpetual":
        if (position.entryPrice !== null) {
          const mark = instrumentValue(pair, instrument, book.params.usdRate, BASE_SCENARIO);
          equity += contracts * (mark - position.entryPrice);
        }
        break;
    }
  }
  return equity;
}

/**
 * The account's initial margin from its per-pair requirements R (pairs not in the report count
 * as 0): the plain sum, or sqrt(max(0, R^T rho R)) with a pair correlation matrix.
 */
export function combineRequirements(pairRequirements: number[], pairCorrelation: number[][] | null): number {
  if (pairCorrelation === null) return pairRequirements.reduce((sum, requirement) => sum + requirement, 0);
  let quadraticForm = 0;
  for (let i = 0; i < pairRequirements.length; i++) {
    for (let j = 0; j < pairRequirements.length; j++) {
      quadraticForm += pairRequirements[i] * pairCorrelation[i][j] * pairRequirements[j];
    }
  }
  return Math.sqrt(Math.max(0, quadraticForm));
}

/** ok when equity >= IM; restricted when MM <= equity < IM; liquidation when equity < MM. */
export function accountStatus(equity: number, initialMargin: number, maintenanceMargin: number): AccountStatus {
  if (equity >= initialMargin) return "ok";
  if (equity >= maintenanceMargin) return "restricted";
  return "liquidation";
}

/** One account's report. */
export function accountReport(book: Book, account: BookAccount): AccountReport {
  const pairs: Record<string, PairReport> = {};
  const pairRequirements = book.pairs.map(() => 0);
  book.pairs.forEach((pair, pairIndex) => {
    if (!accountHasPair(account, pairIndex)) return;
    const report = pairReport(book, account, pairIndex);
    pairs[pair.name] = report;
    pairRequirements[pairIndex] = report.requirement;
  });
  const equity = accountEquity(book, account);
  const initialMargin = combineRequirements(pairRequirements, book.params.pairCorrelation);
  const maintenanceMargin = initialMargin * book.params.mmFraction;
  return {
    id: account.id,
    equity,
    initialMargin,
    maintenanceMargin,
    available: Math.max(0, equity - initialMargin),
    status: accountStatus(equity, initialMargin, maintenanceMargin),
    pairs,
  };
}

/** The reference report for a normalized book: every account, in book order. */
export function referenceMargin(book: Book): Report {
  return { accounts: book.accounts.map((account) => accountReport(book, account)) };
}
