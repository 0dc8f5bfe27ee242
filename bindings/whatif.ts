/**
 * What-if analysis of one account, every number from the kernel (docs/browser.md):
 *
 *   whatIf          a trade's effect: the account's report before and after, the incremental IM,
 *                   and whether the venue accepts it: yes when equity covers IM after the trade;
 *                   for a restricted account (MM <= equity < IM, SPEC.md "Account summary": only
 *                   risk-reducing orders) also when the trade lowers its IM without taking it
 *                   below MM.
 *   pnlCurve        the account's PnL at `points` spots S (1 + x) of one pair, x evenly in
 *                   [-range, range], the other pairs fixed (the pair's futures marks move with the
 *                   spot, so b(T) stays; vols are read at the moved forward, sticky moneyness, as
 *                   in the scenarios); the account re-margined at `marginPoints` such spots; the
 *                   pair's scenario points as the margin sees them; and the liquidation prices,
 *                   the spots nearest to S below and above where equity = MM, bracketed on the
 *                   margin points and refined by Brent's zeroin (root.ts) on exact re-margins.
 *   contributions   each position's (and filled order's, and the coin balance's) PV change in the
 *                   pair's worst scenario.
 *
 * Each is a few kernel calls on books derived from the source book, which is never modified:
 *   - the account alone (runAccount), or read from a prepared whole book (accountRunOf);
 *   - the PnL: the account's positions and coin on the pair alone, one grid row per point
 *     (spot shock x, vol shock 0): PnL = PV_row - PV_0, one call;
 *   - the margin points: one pseudo-pair per spot (the pair at S (1 + x), its futures marks
 *     times 1 + x) and one pseudo-account per pseudo-pair holding the account's positions, orders
 *     and coin on the pair: one kernel pass gives every point's pair equity and requirement
 *     (CURVE_CHUNK points per call). The account's IM at a point combines that requirement with
 *     the other pairs' (unchanged) requirements in the kernel's arithmetic (the plain sum in pair
 *     order, or sqrt(max(0, R^T rho R)) over the upper triangle), so the point at S reproduces
 *     the account's IM bit for bit;
 *   - the contributions: the kernel's risk attribution of the account's rows (PreparedBook.attribution).
 */
import type { Engine, MarginOutputs, PreparedBook } from "./engine.js";
import { ErrorCode, MarginError, type ErrorCodeValue } from "./errors.js";
import * as L from "./layout.js";
import type { Book, BookAccount, BookOrder, BookPair, BookPosition, ResolvedInstrument } from "./model/book.js";
import { formatIsoTimestamp } from "./model/dates.js";
import type { AccountReport, AccountStatus, FillSet, InstrumentInput, RiskAttribution } from "./model/types.js";
import { at, normalize, readInstrument, type Market } from "./validate.js";
import { SPOT_XTOL } from "./liquidation-price.js";
import { brentLockstep, type Bracket } from "./root.js";

// ---------------------------------------------------------------------------------------------
// Types

/** A trade to simulate: `qty` signed contracts (+ buy, - sell); `price` USD per coin, default the mark. */
export interface TradeInput {
  account: string;
  instrument: InstrumentInput;
  qty: number;
  price?: number;
}

/** The trade as simulated. */
export interface ResolvedTrade {
  accountIndex: number;
  account: string;
  instrument: ResolvedInstrument;
  qty: number;
  /** USD per coin: the price given, else the kernel's mark (the instrument's model value now) */
  price: number;
  priceSource: "given" | "mark";
  /** futures and perpetuals: the new position line's entry price, `price` (so its PnL follows the spot from there); null otherwise */
  entryPrice: number | null;
  /** options and spot: USD paid, qty x multiplier x price (negative when sold), taken from balances.USD; 0 otherwise */
  cash: number;
}

/** Which rule decided: accepted by `covered` or `risk-reducing`, rejected by the others. */
export type WhatIfRule = "covered" | "risk-reducing" | "insufficient-margin" | "not-risk-reducing" | "liquidation";

export interface WhatIfResult {
  trade: ResolvedTrade;
  before: AccountReport;
  after: AccountReport;
  /** after.initialMargin - before.initialMargin, USD */
  incrementalIM: number;
  accepted: boolean;
  rule: WhatIfRule;
  /** the decision in words, with the numbers */
  reason: string;
}

export interface PnlCurveOptions {
  /** PnL points, an integer in [2, 1001]; default 101 */
  points?: number;
  /** the points span S (1 - range) .. S (1 + range); in (0, 1), default 0.5 */
  range?: number;
  /** spots over the same span where the account is re-margined (IM, MM), an integer in [2, 201]; default 21 */
  marginPoints?: number;
}

/** The account's PnL with the pair's spot at `spot` (positions revalued, vols read at the new forward). */
export interface CurvePoint {
  spot: number;
  /** spot / S - 1 */
  move: number;
  /** equity(spot) - equity now, USD */
  pnl: number;
  /** equity now + pnl */
  equity: number;
}

/** The account re-margined with the pair's spot and futures marks moved to `spot`. */
export interface MarginPoint {
  spot: number;
  move: number;
  equity: number;
  initialMargin: number;
  maintenanceMargin: number;
  status: AccountStatus;
}

/** One grid scenario of the pair as the margin sees it (the fill set that sets the requirement, the coin that enters). */
export interface ScenarioPoint {
  /** 1-based grid row */
  scenario: number;
  /** S (1 + spotShock) */
  spot: number;
  spotShock: number;
  volShock: number;
  weight: number;
  /** PV_s - PV_0, USD */
  pnl: number;
  /** weight x (PV_0 - PV_s), USD: the requirement is the largest (at least 0) */
  loss: number;
  worst: boolean;
}

export interface LiquidationPrices {
  /** the spot nearest below S where equity = MM, within the range (bracketed on the margin points); null when none */
  below: number | null;
  /** the same above S */
  above: number | null;
  /** equity < MM already at S (then below and above are null) */
  now: boolean;
  /**
   * re-margins spent refining: the trial spots Brent's zeroin evaluated, both sides together (the
   * two sides' trials of a step share one kernel call); 0 when nothing needed refining
   */
  refinements: number;
}

export interface PnlCurve {
  account: string;
  pair: string;
  /** the pair's spot now */
  spot: number;
  equity: number;
  initialMargin: number;
  maintenanceMargin: number;
  status: AccountStatus;
  /** the pair's requirement now, and the fill set and 1-based scenario that set it (null: no exposure) */
  requirement: number;
  fillSet: FillSet | null;
  worstScenario: number | null;
  points: CurvePoint[];
  margins: MarginPoint[];
  scenarios: ScenarioPoint[];
  liquidation: LiquidationPrices;
}

export interface Contribution {
  kind: "position" | "order" | "coin";
  /** index into the account's positions or orders; -1 for the coin */
  index: number;
  /** canonical instrument name; the pair's name for the coin */
  instrument: string;
  /** signed contracts (a filled bid +, a filled ask -); the coin balance for the coin */
  qty: number;
  /** PV change in the worst scenario, USD (negative: a loss) */
  pvChange: number;
}

export interface WorstScenarioContributions {
  account: string;
  pair: string;
  /** 1-based worst grid row, null when the account has no exposure to the pair */
  scenario: number | null;
  spotShock: number;
  volShock: number;
  weight: number;
  fillSet: FillSet | null;
  requirement: number;
  /** PV_w - PV_0 of the fill set, from the account's report (the items add up to it, to rounding) */
  pvChange: number;
  /** the fill set's positions (then its filled orders) in account order, then the coin when the account holds one */
  items: Contribution[];
}

/**
 * One account's margin run: its report, per pair index the kernel's base PV (PV_0), and its rows'
 * risk attribution when asked for. `scope` says which book it was margined in: `account` alone
 * (runAccount) or the whole `book` (accountRunOf a prepared book). The two agree to the last bit
 * unless the kernel prices instruments shared across accounts once per call (risk arrays), which
 * depends on the book; then to rounding (1e-12). whatIf margins `after` in the scope of `before`.
 */
export interface AccountRun {
  index: number;
  report: AccountReport;
  basePV: number[];
  risk?: RiskAttribution[];
  scope: "account" | "book";
}

// ---------------------------------------------------------------------------------------------
// Checks

const TRADE_KEYS = ["account", "instrument", "qty", "price"];
const CURVE_OPTION_KEYS = ["points", "range", "marginPoints"];
export const CURVE_DEFAULTS = { points: 101, range: 0.5, marginPoints: 21 } as const;
export const MAX_CURVE_POINTS = 1001;
export const MAX_MARGIN_POINTS = 201;
/** Pseudo-pairs per kernel call: the kernel reduces every pair of every account, so a call costs points^2. */
export const CURVE_CHUNK = 128;
/** Liquidation prices are refined to within this fraction of S (+ 4 eps x) of equity = MM, as engine.liquidationPrices'. */
export const LIQUIDATION_TOLERANCE = SPOT_XTOL;

function fail(code: ErrorCodeValue, path: string, detail: string): never {
  throw new MarginError(code, path, detail);
}

function describe(value: unknown): string {
  if (value === null || value === undefined || typeof value === "number") return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function record(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) fail(ErrorCode.MISSING, path, "is missing (must be an object)");
  if (!isRecord(value)) fail(ErrorCode.TYPE, path, `must be an object, got ${describe(value)}`);
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) fail(ErrorCode.UNKNOWN, at(path, unknown), `unknown field; expected one of ${allowed.join(", ")}`);
  return value;
}

/** A finite number (checked like the file's numbers: E_MISSING, E_TYPE, E_NOT_FINITE), then `check` (E_RANGE). */
export function finiteNumber(value: unknown, path: string, check?: { ok: (x: number) => boolean; must: string }): number {
  if (value === undefined) fail(ErrorCode.MISSING, path, "is missing (must be a finite number)");
  if (typeof value !== "number") fail(ErrorCode.TYPE, path, `must be a finite number, got ${describe(value)}`);
  if (!Number.isFinite(value)) fail(ErrorCode.NOT_FINITE, path, `must be a finite number, got ${value}`);
  if (check && !check.ok(value)) fail(ErrorCode.RANGE, path, `must be ${check.must}, got ${value}`);
  return value;
}

const NON_ZERO = { ok: (x: number) => x !== 0, must: "non-zero" };
const POSITIVE = { ok: (x: number) => x > 0, must: "> 0" };

function listed(names: readonly string[]): string {
  return names.length <= 8 ? names.join(", ") : `${names.slice(0, 8).join(", ")}, ... (${names.length} in all)`;
}

/** The index of account `id` in the book; E_TYPE / E_UNKNOWN at `path` otherwise. */
export function accountIndexOf(book: Book, id: unknown, path: string): number {
  if (id === undefined) fail(ErrorCode.MISSING, path, "is missing (must be an account id)");
  if (typeof id !== "string") fail(ErrorCode.TYPE, path, `must be an account id (a string), got ${describe(id)}`);
  const index = book.accounts.findIndex((account) => account.id === id);
  if (index < 0) {
    fail(ErrorCode.UNKNOWN, path, `unknown account ${JSON.stringify(id)}; the book's accounts are ${listed(book.accounts.map((a) => a.id))}`);
  }
  return index;
}

/** The index of pair `name` in the book; E_TYPE / E_UNKNOWN at `path` otherwise. */
export function pairIndexOf(book: Book, name: unknown, path: string): number {
  if (name === undefined) fail(ErrorCode.MISSING, path, "is missing (must be a pair name such as BTC)");
  if (typeof name !== "string") fail(ErrorCode.TYPE, path, `must be a pair name (a string), got ${describe(name)}`);
  const index = book.pairs.findIndex((pair) => pair.name === name);
  if (index < 0) fail(ErrorCode.UNKNOWN, path, `unknown pair ${name}; the book's pairs are ${listed(book.pairs.map((p) => p.name))}`);
  return index;
}

function readCurveOptions(raw: unknown): { points: number; range: number; marginPoints: number } {
  if (raw === undefined) return { ...CURVE_DEFAULTS };
  const o = record(raw, "options", CURVE_OPTION_KEYS);
  const count = (key: "points" | "marginPoints", max: number): number =>
    o[key] === undefined
      ? CURVE_DEFAULTS[key]
      : finiteNumber(o[key], `options.${key}`, { ok: (x) => Number.isInteger(x) && x >= 2 && x <= max, must: `an integer in [2, ${max}]` });
  const range =
    o.range === undefined ? CURVE_DEFAULTS.range : finiteNumber(o.range, "options.range", { ok: (x) => x > 0 && x < 1, must: "in (0, 1)" });
  return { points: count("points", MAX_CURVE_POINTS), range, marginPoints: count("marginPoints", MAX_MARGIN_POINTS) };
}

// ---------------------------------------------------------------------------------------------
// Sources and kernel runs

/** A PreparedBook (duck-typed: its `book`, `run` and `updateMarket`), as opposed to a portfolio file. */
export function isPreparedBook(source: unknown): source is PreparedBook {
  if (typeof source !== "object" || source === null) return false;
  const s = source as Partial<PreparedBook>;
  return typeof s.run === "function" && typeof s.updateMarket === "function" && typeof s.book === "object" && s.book !== null;
}

/**
 * Surfaces given as option marks become nodes (kernel implied vols) in place, as prepare() does,
 * so that the books derived from `book` do not resolve them again on every call.
 */
export function resolveSurfaces(engine: Engine, book: Book): void {
  if (book.pairs.some((pair) => pair.surface === null && pair.optionMarks)) engine.prepareBook({ ...book, accounts: [] }).dispose();
}

/** The normalized book of a source: a PreparedBook's book as it stands (market ticks included), or a validated file. */
export function bookOf(engine: Engine, source: unknown): Book {
  if (isPreparedBook(source)) return source.book;
  const book = normalize(source);
  resolveSurfaces(engine, book);
  return book;
}

/** Prepare `book`, run the kernel once, read, dispose. */
function withRun<T>(engine: Engine, book: Book, read: (prepared: PreparedBook, out: MarginOutputs) => T): T {
  const prepared = engine.prepareBook(book);
  try {
    prepared.run();
    return read(prepared, prepared.outputs());
  } finally {
    prepared.dispose();
  }
}

/** Offset of (account a, pair p)'s block in the pair outputs: requirement, worst, fill set, basePV, equity part, PVs. */
function pairBlock(a: number, p: number, pairs: number, rows: number): number {
  return (a * pairs + p) * L.outPairStride(rows);
}

function readBasePV(out: MarginOutputs, a: number, pairs: number, rows: number): number[] {
  return Array.from({ length: pairs }, (_, p) => out.pairs[pairBlock(a, p, pairs, rows) + 3]);
}

/** Account `a` margined alone, with the kernel's risk attribution of its rows when `attribution` is set. */
export function runAccount(engine: Engine, book: Book, a: number, attribution = false): AccountRun {
  return withRun(engine, { ...book, accounts: [book.accounts[a]] }, (prepared) => ({ ...accountRunOf(prepared, 0, attribution), index: a, scope: "account" }));
}

/** Account `a` of a prepared book after its run() (scope `book`). */
export function accountRunOf(prepared: PreparedBook, a: number, attribution = false): AccountRun {
  const book = prepared.book;
  const run: AccountRun = {
    index: a,
    report: prepared.accountReport(a),
    basePV: readBasePV(prepared.outputs(), a, book.pairs.length, book.pairs[0].grid.length),
    scope: "book",
  };
  if (attribution) run.risk = prepared.attribution(a);
  return run;
}

/** Instruments moved to another pair index, cached so that repeated curves reuse the same objects. */
const moved = new WeakMap<ResolvedInstrument, ResolvedInstrument[]>();

function onPair(instrument: ResolvedInstrument, pairIndex: number): ResolvedInstrument {
  let copies = moved.get(instrument);
  if (copies === undefined) moved.set(instrument, (copies = []));
  return (copies[pairIndex] ??= { ...instrument, pairIndex });
}

/** Positions moved to another pair index, cached alike (a session replaces only the positions it edits). */
const movedPositions = new WeakMap<BookPosition, BookPosition[]>();

function positionOnPair(position: BookPosition, pairIndex: number): BookPosition {
  let copies = movedPositions.get(position);
  if (copies === undefined) movedPositions.set(position, (copies = []));
  return (copies[pairIndex] ??= { ...position, instrument: onPair(position.instrument, pairIndex) });
}

/** A position with its entry pinned at `mark`, cached per position while the mark stays the same. */
const pinned = new WeakMap<BookPosition, BookPosition>();

function pinnedAt(position: BookPosition, mark: number): BookPosition {
  const cached = pinned.get(position);
  if (cached !== undefined && cached.entryPrice === mark) return cached;
  const copy = { ...position, entryPrice: mark };
  pinned.set(position, copy);
  return copy;
}

function emptyAccount(id: string, path: string, pairs: number): BookAccount {
  return { id, usd: 0, coins: new Array<number>(pairs).fill(0), positions: [], orders: [], path };
}

// ---------------------------------------------------------------------------------------------
// Trades

function marketOf(book: Book): Market {
  return {
    asOfMs: book.asOfMs,
    params: book.params,
    pairs: book.pairs,
    pairIndex: new Map(book.pairs.map((pair, i) => [pair.name, i])),
    rawAccounts: [],
  };
}

const isLinear = (instrument: ResolvedInstrument): boolean => instrument.kind === "future" || instrument.kind === "perpetual";

/** A trade checked against the book (paths `trade.account`, `trade.instrument`, `trade.qty`, `trade.price`); the price stays null when not given. */
export function readTrade(book: Book, raw: unknown): { accountIndex: number; instrument: ResolvedInstrument; qty: number; price: number | null } {
  const o = record(raw, "trade", TRADE_KEYS);
  const accountIndex = accountIndexOf(book, o.account, "trade.account");
  const instrument = readInstrument(o.instrument, "trade.instrument", marketOf(book));
  const qty = finiteNumber(o.qty, "trade.qty", NON_ZERO);
  const price = o.price === undefined ? null : finiteNumber(o.price, "trade.price", POSITIVE);
  return { accountIndex, instrument, qty, price };
}

/**
 * The kernel's mark of each instrument, USD per coin (its model value now: option Black-76 on the
 * surface, future F(T), perpetual and spot S): one account per instrument holding one coin of it.
 */
export function kernelMarks(engine: Engine, book: Book, instruments: readonly ResolvedInstrument[]): number[] {
  const P = book.pairs.length;
  const rows = book.pairs[0].grid.length;
  const accounts = instruments.map((instrument, i): BookAccount => ({
    ...emptyAccount(`mark-${i}`, "trade", P),
    positions: [{ instrument: { ...instrument, multiplier: 1 }, qty: 1, entryPrice: null, path: "trade" }],
  }));
  return withRun(engine, { ...book, accounts }, (_, out) =>
    instruments.map((instrument, i) => out.pairs[pairBlock(i, instrument.pairIndex, P, rows) + 3]),
  );
}

/**
 * The account after the trade: the trade appended as a new position line (futures and
 * perpetuals with entry `entryPrice`), and for options and spot `cash` taken from balances.USD,
 * summed with the other USD codes in the file's key order exactly as normalize() sums them (so
 * the account equals the one normalize() reads from the file with the trade written into it).
 */
export function accountAfterTrade(account: BookAccount, trade: ResolvedTrade): BookAccount {
  const position: BookPosition = {
    instrument: trade.instrument,
    qty: trade.qty,
    entryPrice: trade.entryPrice,
    path: at(at(account.path, "positions"), account.positions.length),
  };
  const after: BookAccount = { ...account, positions: [...account.positions, position] };
  if (trade.cash !== 0) {
    const usdByCode: Record<string, number> = { ...account.usdByCode, USD: (account.usdByCode?.USD ?? 0) - trade.cash };
    let usd = 0;
    for (const code of Object.keys(usdByCode)) usd += usdByCode[code];
    after.usd = usd;
    after.usdByCode = usdByCode;
  }
  return after;
}

function usd(x: number): string {
  return x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** The venue's decision (see the module comment). */
export function decide(before: AccountReport, after: AccountReport): { accepted: boolean; rule: WhatIfRule; reason: string } {
  const imChange = `IM ${usd(before.initialMargin)} -> ${usd(after.initialMargin)}`;
  if (after.equity >= after.initialMargin) {
    return { accepted: true, rule: "covered", reason: `equity ${usd(after.equity)} covers the initial margin ${usd(after.initialMargin)} after the trade` };
  }
  const shortfall = `equity ${usd(after.equity)} < IM ${usd(after.initialMargin)} after the trade`;
  if (before.status === "restricted") {
    if (after.status === "liquidation") {
      return { accepted: false, rule: "liquidation", reason: `the trade would take the account into liquidation: equity ${usd(after.equity)} < MM ${usd(after.maintenanceMargin)}` };
    }
    if (after.initialMargin < before.initialMargin) {
      return { accepted: true, rule: "risk-reducing", reason: `restricted account, risk-reducing trade: ${imChange}` };
    }
    return { accepted: false, rule: "not-risk-reducing", reason: `restricted account (MM <= equity < IM) takes only risk-reducing trades; this one does not lower the IM: ${imChange}` };
  }
  if (before.status === "liquidation") {
    return { accepted: false, rule: "liquidation", reason: `the account is in liquidation (equity ${usd(before.equity)} < MM ${usd(before.maintenanceMargin)}) and ${shortfall}` };
  }
  return { accepted: false, rule: "insufficient-margin", reason: `insufficient margin: ${shortfall} (short ${usd(after.initialMargin - after.equity)})` };
}

/**
 * whatIf on a normalized book (mark surfaces resolved: see bookOf). `run`, when given, is the
 * account's current run (its report is `before`); `after` is margined in the same scope: the
 * account alone, or the whole book with the account replaced (bit-identical then to margining the
 * file with the trade written in).
 */
export function whatIfBook(engine: Engine, book: Book, rawTrade: unknown, run?: AccountRun): WhatIfResult {
  const { accountIndex, instrument, qty, price } = readTrade(book, rawTrade);
  const account = book.accounts[accountIndex];
  const tradePrice = price ?? kernelMarks(engine, book, [instrument])[0];
  const linear = isLinear(instrument);
  const trade: ResolvedTrade = {
    accountIndex,
    account: account.id,
    instrument,
    qty,
    price: tradePrice,
    priceSource: price === null ? "mark" : "given",
    entryPrice: linear ? tradePrice : null,
    cash: linear ? 0 : qty * instrument.multiplier * tradePrice,
  };
  const after = accountAfterTrade(account, trade);
  const scope = run !== undefined && run.index === accountIndex ? run.scope : "account";
  let before: AccountReport;
  let afterReport: AccountReport;
  if (scope === "book") {
    before = (run as AccountRun).report;
    const accounts = book.accounts.map((x, i) => (i === accountIndex ? after : x));
    afterReport = withRun(engine, { ...book, accounts }, (prepared) => prepared.accountReport(accountIndex));
  } else {
    before = run !== undefined && run.index === accountIndex ? run.report : runAccount(engine, book, accountIndex).report;
    afterReport = withRun(engine, { ...book, accounts: [after] }, (prepared) => prepared.accountReport(0));
  }
  return {
    trade,
    before,
    after: afterReport,
    incrementalIM: afterReport.initialMargin - before.initialMargin,
    ...decide(before, afterReport),
  };
}

// ---------------------------------------------------------------------------------------------
// The PnL curve and the liquidation prices

/** The account's IM from per-pair requirements, in the kernel's arithmetic (assembly/scenarios.ts, covariance.ts quadraticForm). */
export function combineRequirements(requirements: readonly number[], correlation: readonly (readonly number[])[] | null): number {
  if (correlation === null) {
    let im = 0;
    for (const r of requirements) im += r;
    return im;
  }
  const n = requirements.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const vi = requirements[i];
    if (vi === 0) continue;
    let off = 0;
    for (let j = i + 1; j < n; j++) off += correlation[i][j] * requirements[j];
    total += vi * (correlation[i][i] * vi + 2 * off);
  }
  return Math.sqrt(Math.max(0, total));
}

/**
 * The account's positions on pair p with their entries pinned: a future or perpetual without an
 * entry price is at the mark now (no PnL), and keeps that entry (the kernel's mark) when the spot
 * moves, so its PnL follows the spot.
 */
function pinnedPositions(engine: Engine, book: Book, account: BookAccount, p: number): BookPosition[] {
  const positions = account.positions.filter((position) => position.instrument.pairIndex === p);
  const unpinned = positions.filter((position) => isLinear(position.instrument) && position.entryPrice === null);
  if (unpinned.length === 0) return positions;
  const marks = kernelMarks(engine, book, unpinned.map((position) => position.instrument));
  const entries = new Map(unpinned.map((position, i) => [position, marks[i]]));
  return positions.map((position) => (entries.has(position) ? pinnedAt(position, entries.get(position) as number) : position));
}

/**
 * PnL at spots S (1 + move) in one kernel call: the account's positions on the pair and its
 * whole coin balance, the pair alone with a grid of one row per move (spot shock = move, vol
 * shock 0: vols read at the moved forward), PnL = PV_row - PV_0 (no working orders: a fill is
 * not PnL).
 */
function pnlAt(book: Book, engine: Engine, positions: readonly BookPosition[], coin: number, p: number, moves: readonly number[]): number[] {
  const pair: BookPair = { ...book.pairs[p], grid: moves.map((move) => ({ spotShock: move, volShock: 0, weight: 1 })) };
  const account: BookAccount = {
    ...emptyAccount("pnl", "pnl", 1),
    coins: [coin],
    positions: positions.map((position) => positionOnPair(position, 0)),
  };
  const params = { ...book.params, coinPolicy: "full" as const, pairCorrelation: null };
  return withRun(engine, { ...book, params, pairs: [pair], accounts: [account] }, (_, out) => {
    const base = out.pairs[3];
    return moves.map((_m, i) => out.pairs[L.OUT_PAIR_FIXED + i] - base);
  });
}

/** A copy of the pair at spot S m, its futures marks times m (b(T) stays), named apart. */
function pairAt(pair: BookPair, m: number, name: string): BookPair {
  return { ...pair, name, spot: pair.spot * m, futures: pair.futures.map((future) => ({ ...future, mark: future.mark * m })) };
}

/** The account's holdings on one pair (positions pinned, orders, coin) moved to pair index k of `pairs` pairs. */
function holdingsOn(account: BookAccount, positions: readonly BookPosition[], p: number, k: number, pairs: number): BookAccount {
  const pseudo = emptyAccount(`${account.id}@${k}`, account.path, pairs);
  pseudo.coins[k] = account.coins[p];
  pseudo.positions = positions.map((position) => positionOnPair(position, k));
  pseudo.orders = account.orders
    .filter((order) => order.instrument.pairIndex === p)
    .map((order): BookOrder => ({ ...order, instrument: onPair(order.instrument, k) }));
  return pseudo;
}

/**
 * The pair's equity and requirement of the account's holdings on pair p, with that pair at spot
 * S m for each m: one pseudo-pair (pairAt) and one pseudo-account (holdingsOn) per m, CURVE_CHUNK
 * per kernel call (every pseudo-account reduces every pseudo-pair of its call).
 */
function pairMargins(engine: Engine, book: Book, account: BookAccount, positions: readonly BookPosition[], p: number, multipliers: readonly number[]): { spot: number[]; equity: number[]; requirement: number[] } {
  const pair = book.pairs[p];
  const result = { spot: [] as number[], equity: [] as number[], requirement: [] as number[] };
  const params = { ...book.params, pairCorrelation: null };
  for (let from = 0; from < multipliers.length; from += CURVE_CHUNK) {
    const chunk = multipliers.slice(from, from + CURVE_CHUNK);
    const pairs = chunk.map((m, k) => pairAt(pair, m, `${pair.name}@${k}`));
    const accounts = chunk.map((_, k) => holdingsOn(account, positions, p, k, chunk.length));
    withRun(engine, { ...book, params, pairs, accounts }, (_, out) => {
      chunk.forEach((_m, k) => {
        result.spot.push(pairs[k].spot);
        result.equity.push(out.accounts[k * L.OUT_ACC_STRIDE]);
        // the pseudo-account's IM is its one pair's requirement (every other pair adds 0)
        result.requirement.push(out.accounts[k * L.OUT_ACC_STRIDE + 1]);
      });
    });
  }
  return result;
}


const statusOf = (equity: number, im: number, mm: number): AccountStatus => (equity >= im ? "ok" : equity >= mm ? "restricted" : "liquidation");

const movesOf = (count: number, range: number): number[] =>
  Array.from({ length: count }, (_, i) => (range * (2 * i - (count - 1))) / (count - 1));

/** pnlCurve on a normalized book; `run`, when given, is the account's current run. */
export function pnlCurveBook(engine: Engine, book: Book, accountId: unknown, pairName: unknown, rawOptions?: unknown, run?: AccountRun): PnlCurve {
  const a = accountIndexOf(book, accountId, "accountId");
  const p = pairIndexOf(book, pairName, "pair");
  const { points, range, marginPoints } = readCurveOptions(rawOptions);
  const account = book.accounts[a];
  const pair = book.pairs[p];
  const now = run !== undefined && run.index === a ? run : runAccount(engine, book, a);
  const report = now.report;
  const mmFraction = book.params.mmFraction;
  const requirements = book.pairs.map((q) => report.pairs[q.name]?.requirement ?? 0);
  // the account's IM and MM with the pair's requirement at a moved spot (the other pairs' stay)
  const imWith = (pairRequirement: number): number => combineRequirementsAt(requirements, p, pairRequirement, book.params.pairCorrelation);
  const mmWith = (pairRequirement: number): number => imWith(pairRequirement) * mmFraction;
  const positions = pinnedPositions(engine, book, account, p);

  const moves = movesOf(points, range);
  const pnl = pnlAt(book, engine, positions, account.coins[p], p, moves);
  const curvePoints = moves.map((move, i): CurvePoint => ({ spot: pair.spot * (1 + move), move, pnl: pnl[i], equity: report.equity + pnl[i] }));

  // the base (m = 1) first, then the margin points
  const marginMoves = movesOf(marginPoints, range);
  const at = pairMargins(engine, book, account, positions, p, [1, ...marginMoves.map((x) => 1 + x)]);
  const baseEquity = at.equity[0];
  const margins = marginMoves.map((move, j): MarginPoint => {
    const equity = report.equity + (at.equity[j + 1] - baseEquity);
    const initialMargin = imWith(at.requirement[j + 1]);
    const maintenanceMargin = initialMargin * mmFraction;
    return { spot: at.spot[j + 1], move, equity, initialMargin, maintenanceMargin, status: statusOf(equity, initialMargin, maintenanceMargin) };
  });
  const liquidation = liquidationPrices(engine, book, account, positions, p, report.equity - report.maintenanceMargin, margins, (e) => report.equity + (e - baseEquity), mmWith);

  const pairReport = report.pairs[pair.name];
  const scenarios: ScenarioPoint[] =
    pairReport === undefined
      ? []
      : pair.grid.map((row, s): ScenarioPoint => {
          const pv = pairReport.scenarioPV[s];
          const pv0 = now.basePV[p];
          return {
            scenario: s + 1,
            spot: pair.spot * (1 + row.spotShock),
            spotShock: row.spotShock,
            volShock: row.volShock,
            weight: row.weight,
            pnl: pv - pv0,
            loss: row.weight * (pv0 - pv),
            worst: s + 1 === pairReport.worstScenario,
          };
        });
  return {
    account: account.id,
    pair: pair.name,
    spot: pair.spot,
    equity: report.equity,
    initialMargin: report.initialMargin,
    maintenanceMargin: report.maintenanceMargin,
    status: report.status,
    requirement: pairReport?.requirement ?? 0,
    fillSet: pairReport?.fillSet ?? null,
    worstScenario: pairReport?.worstScenario ?? null,
    points: curvePoints,
    margins,
    scenarios,
    liquidation,
  };
}

/** combineRequirements with requirement p replaced. */
function combineRequirementsAt(requirements: number[], p: number, pairRequirement: number, correlation: readonly (readonly number[])[] | null): number {
  const saved = requirements[p];
  requirements[p] = pairRequirement;
  const im = combineRequirements(requirements, correlation);
  requirements[p] = saved;
  return im;
}

/**
 * The spots nearest to S below and above where equity - MM crosses from >= 0 to < 0: on each side
 * the first bracket on the margin points walking out from S (a point, or S, with equity - MM >= 0
 * and the next with < 0), then Brent's zeroin (root.ts, Brent 1973 ch. 4) on exact re-margins to
 * LIQUIDATION_TOLERANCE x S: the spot returned is within 1e-9 S + 4 eps x of where equity - MM
 * changes sign (an end of the bracket where equity = MM exactly is returned as it is). The
 * re-margins run on a resident two-pseudo-pair book (one per side) moved with updateMarket, the
 * two sides' searches side by side (brentLockstep), both trial spots in one kernel call per step.
 */
function liquidationPrices(
  engine: Engine,
  book: Book,
  account: BookAccount,
  positions: readonly BookPosition[],
  p: number,
  slackNow: number,
  margins: readonly MarginPoint[],
  equityOf: (pairEquity: number) => number,
  mmWith: (pairRequirement: number) => number,
): LiquidationPrices {
  if (slackNow < 0) return { below: null, above: null, now: true, refinements: 0 };
  const pair = book.pairs[p];
  const spot = pair.spot;
  // side 0 below S, 1 above; a: the spot with equity - MM >= 0, b: the one with < 0
  const find = (side: 0 | 1): Bracket | null => {
    let ok = spot;
    let fOk = slackNow;
    const ordered = side === 0 ? [...margins].reverse() : margins;
    for (const point of ordered) {
      if (side === 0 ? point.spot >= spot : point.spot <= spot) continue;
      const f = point.equity - point.maintenanceMargin;
      if (f < 0) return { a: ok, fa: fOk, b: point.spot, fb: f };
      ok = point.spot;
      fOk = f;
    }
    return null;
  };
  const brackets = [find(0), find(1)];
  if (brackets[0] === null && brackets[1] === null) return { below: null, above: null, now: false, refinements: 0 };
  const names = [`${pair.name}@below`, `${pair.name}@above`];
  const futures = pair.futures.map((f) => ({ expiry: formatIsoTimestamp(f.expiryMs), mark: f.mark }));
  const probe = engine.prepareBook({
    ...book,
    params: { ...book.params, pairCorrelation: null },
    pairs: names.map((name) => pairAt(pair, 1, name)),
    accounts: [0, 1].map((k) => holdingsOn(account, positions, p, k, 2)),
  });
  try {
    const { roots, evaluations } = brentLockstep(brackets, LIQUIDATION_TOLERANCE * spot, (trials) => {
      const update: Record<string, unknown> = {};
      trials.forEach((x, side) => {
        if (x !== null) update[names[side]] = { spot: x, futures: futures.map((f) => ({ expiry: f.expiry, mark: f.mark * (x / spot) })) };
      });
      probe.updateMarket(update);
      probe.run();
      const out = probe.outputs().accounts;
      return trials.map((x, side) => (x === null ? NaN : equityOf(out[side * L.OUT_ACC_STRIDE]) - mmWith(out[side * L.OUT_ACC_STRIDE + 1])));
    });
    return { below: roots[0], above: roots[1], now: false, refinements: evaluations };
  } finally {
    probe.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Contributions to the worst scenario

/**
 * contributionsBook on a normalized book; `run`, when given, is the account's current run (with
 * its attribution). The positions' and filled orders' parts are the kernel's risk attribution
 * (`worstScenarioPnL` of the rows in the worst set); the coin's part is what the coin balance
 * that enters the scenarios adds: the pair's worst-scenario PV change (the report's) minus those
 * rows, listed when the account holds a coin balance of the pair.
 */
export function contributionsBook(engine: Engine, book: Book, accountId: unknown, pairName: unknown, run?: AccountRun): WorstScenarioContributions {
  const a = accountIndexOf(book, accountId, "accountId");
  const p = pairIndexOf(book, pairName, "pair");
  const account = book.accounts[a];
  const pair = book.pairs[p];
  const now = run !== undefined && run.index === a && run.risk !== undefined ? run : runAccount(engine, book, a, true);
  const pairReport = now.report.pairs[pair.name];
  if (pairReport === undefined) {
    return { account: account.id, pair: pair.name, scenario: null, spotShock: 0, volShock: 0, weight: 0, fillSet: null, requirement: 0, pvChange: 0, items: [] };
  }
  const s = pairReport.worstScenario - 1;
  const row = pair.grid[s];
  const pvChange = pairReport.scenarioPV[s] - now.basePV[p];
  const items: Contribution[] = [];
  for (const r of now.risk as RiskAttribution[]) {
    if (r.pair !== pair.name || !r.inWorstSet) continue;
    const qty = r.source === "position" ? account.positions[r.index].qty : account.orders[r.index].side === "buy" ? account.orders[r.index].qty : -account.orders[r.index].qty;
    items.push({ kind: r.source, index: r.index, instrument: r.instrument, qty, pvChange: r.worstScenarioPnL });
  }
  const coin = account.coins[p];
  if (coin !== 0) {
    let rows = 0;
    for (const item of items) rows += item.pvChange;
    items.push({ kind: "coin", index: -1, instrument: pair.name, qty: coin, pvChange: pvChange - rows });
  }
  return {
    account: account.id,
    pair: pair.name,
    scenario: s + 1,
    spotShock: row.spotShock,
    volShock: row.volShock,
    weight: row.weight,
    fillSet: pairReport.fillSet,
    requirement: pairReport.requirement,
    pvChange,
    items,
  };
}

// ---------------------------------------------------------------------------------------------
// Entry points on a source (a PreparedBook or a portfolio file)

/** The trade's effect on its account; `source` is a PreparedBook (its market as it stands) or a portfolio file. */
export function whatIf(engine: Engine, source: unknown, trade: unknown): WhatIfResult {
  return whatIfBook(engine, bookOf(engine, source), trade);
}

/** The account's PnL, equity and margin against the pair's spot, with the scenario points and the liquidation prices. */
export function pnlCurve(engine: Engine, source: unknown, accountId: unknown, pair: unknown, options?: unknown): PnlCurve {
  return pnlCurveBook(engine, bookOf(engine, source), accountId, pair, options);
}

/** Each holding's PV change in the pair's worst scenario (the scenario that sets the pair's requirement). */
export function worstScenarioContributions(engine: Engine, source: unknown, accountId: unknown, pair: unknown): WorstScenarioContributions {
  return contributionsBook(engine, bookOf(engine, source), accountId, pair);
}
