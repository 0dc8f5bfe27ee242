/**
 * The plain-TS reference for the covariance (OPNX correlation) model, written as directly as
 * SPEC.md "Correlation (covariance) margin" and docs/covariance.md read. It shares no code with
 * the kernel or with bindings/covariance.ts: it starts from the normalized Book, values the markets
 * with the reference scenario model's instrumentValue (test/reference/model.ts, its own Black-76,
 * N(x) and surface code), and evaluates the full double sum
 *   v^T rho v = sum_i sum_j v_i rho(i, j) v_j
 * over every market the account holds (no symmetry, no factor aggregation, no sparse/dense choice),
 * with rho(i, j) read from the listed matrix by name, or 1 for two markets of one pair and 0
 * otherwise by default.
 */
import type { Book, BookAccount, ResolvedInstrument } from "../../bindings/model/book.js";
import type { CovarianceAccountReport, CovarianceReport, FillSet } from "../../bindings/model/types.js";
import { BASE_SCENARIO, FILL_SETS, instrumentValue } from "./model.js";

const DEFAULT_LEVERAGE = 20;
const USD_CODES = ["USD", "USDC", "USDT"];

/** USD per coin: the instrument's base value with multiplier 1. */
export function referenceMark(book: Book, instrument: ResolvedInstrument): number {
  return instrumentValue(book.pairs[instrument.pairIndex], instrument, book.params.usdRate, BASE_SCENARIO);
}

const listedIndex = new WeakMap<object, Map<string, number>>();

/** rho between two markets by name. */
export function referenceCorrelation(book: Book, a: ResolvedInstrument, b: ResolvedInstrument): number {
  const listed = book.params.marketCorrelation;
  if (listed === undefined) return a.pair === b.pair ? 1 : 0;
  let index = listedIndex.get(listed);
  if (index === undefined) {
    index = new Map(listed.markets.map((name, i) => [name, i]));
    listedIndex.set(listed, index);
  }
  const i = index.get(a.name);
  const j = index.get(b.name);
  if (i === undefined || j === undefined) throw new Error(`reference: market ${i === undefined ? a.name : b.name} is not listed`);
  return listed.matrix[i][j];
}

export interface ReferenceFillSet {
  fillSet: FillSet;
  /** v^T rho v, USD^2 */
  form: number;
  /** sum_i |v_i|: the scale of the form's rounding error (form error <= n u scale^2) */
  scale: number;
}

/** The account's signed coins per market name in one fill set (positions, plus all bids or all asks). */
function holdings(account: BookAccount, fillSet: FillSet): Map<string, { instrument: ResolvedInstrument; coins: number }> {
  const out = new Map<string, { instrument: ResolvedInstrument; coins: number }>();
  const add = (instrument: ResolvedInstrument, coins: number): void => {
    const held = out.get(instrument.name);
    if (held) held.coins += coins;
    else out.set(instrument.name, { instrument, coins });
  };
  for (const p of account.positions) add(p.instrument, p.qty * p.instrument.multiplier);
  for (const o of account.orders) {
    if (fillSet === "bids" && o.side === "buy") add(o.instrument, o.qty * o.instrument.multiplier);
    if (fillSet === "asks" && o.side === "sell") add(o.instrument, -o.qty * o.instrument.multiplier);
  }
  return out;
}

export function referenceFillSet(book: Book, account: BookAccount, fillSet: FillSet): ReferenceFillSet {
  const leverage = book.params.leverage ?? {};
  const held = [...holdings(account, fillSet).values()];
  const v = held.map((h) => (h.coins * referenceMark(book, h.instrument)) / (leverage[h.instrument.name] ?? DEFAULT_LEVERAGE));
  let form = 0;
  for (let i = 0; i < held.length; i++) {
    for (let j = 0; j < held.length; j++) form += v[i] * referenceCorrelation(book, held[i].instrument, held[j].instrument) * v[j];
  }
  return { fillSet, form, scale: v.reduce((s, x) => s + Math.abs(x), 0) };
}

/** Haircut balances (a debt in full) + PnL of perpetuals and futures + spot and options at mark. */
export function referenceCollateral(book: Book, account: BookAccount): { collateral: number; scale: number } {
  const ltv = book.params.ltv ?? {};
  const terms: number[] = [];
  const byCode = account.usdByCode ?? { USD: account.usd };
  for (const code of USD_CODES) {
    const b = byCode[code] ?? 0;
    terms.push(b * (b > 0 ? (ltv[code] ?? 1) : 1));
  }
  book.pairs.forEach((pair, p) => {
    const b = account.coins[p];
    terms.push(b * pair.spot * (b > 0 ? (ltv[pair.name] ?? 0.9) : 1));
  });
  for (const position of account.positions) {
    const coins = position.qty * position.instrument.multiplier;
    const mark = referenceMark(book, position.instrument);
    const linear = position.instrument.kind === "perpetual" || position.instrument.kind === "future";
    if (!linear) terms.push(coins * mark);
    else if (position.entryPrice !== null) terms.push(coins * (mark - position.entryPrice));
  }
  return { collateral: terms.reduce((s, x) => s + x, 0), scale: terms.reduce((s, x) => s + Math.abs(x), 0) };
}

export interface ReferenceAccount extends CovarianceAccountReport {
  sets: ReferenceFillSet[];
  collateralScale: number;
  /** net position in coins per instrument the account holds a position in */
  netCoins: Record<string, number>;
}

export function referenceCovarianceAccount(book: Book, account: BookAccount): ReferenceAccount {
  const sets = FILL_SETS.map((fillSet) => referenceFillSet(book, account, fillSet));
  let best = sets[0];
  for (const set of sets.slice(1)) if (set.form > best.form) best = set;
  const initialMargin = Math.sqrt(Math.max(0, best.form));
  const maintenanceMargin = initialMargin / 2;
  const { collateral, scale } = referenceCollateral(book, account);
  const net = holdings(account, "none");
  const liquidationPrice: Record<string, number | null> = {};
  const netCoins: Record<string, number> = {};
  for (const position of account.positions) {
    const { coins } = net.get(position.instrument.name)!;
    netCoins[position.instrument.name] = coins;
    liquidationPrice[position.instrument.name] =
      coins === 0 ? null : referenceMark(book, position.instrument) - (collateral - maintenanceMargin) / coins;
  }
  return {
    id: account.id,
    initialMargin,
    maintenanceMargin,
    collateral,
    marginRatio: collateral > 0 ? (100 * maintenanceMargin) / collateral : null,
    liquidationPrice,
    fillSet: best.fillSet,
    sets,
    collateralScale: scale,
    netCoins,
  };
}

export function referenceCovariance(book: Book): CovarianceReport & { accounts: ReferenceAccount[] } {
  return { accounts: book.accounts.map((account) => referenceCovarianceAccount(book, account)) };
}
