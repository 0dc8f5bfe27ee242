/**
 * Input validation and normalization: the portfolio file (model/types.ts) in, the Book
 * (model/book.ts) out. Every field is checked before any computation; the first problem throws
 * `MarginError(code, path, detail)` with the field's path (`accounts[0].positions[2].qty`).
 *
 * Checks run in this order: the file's top level, `asOf`, `market` (pair by pair), `params`,
 * the option marks of `{options}` surfaces against their no-arbitrage bounds (these need
 * `params.usdRate`), `accounts` (account by account, each field in the order the types declare it).
 * `normalizeMarket` and `normalizeAccount` are separate so that one bad account can be caught
 * on its own.
 */
import { ErrorCode, MarginError, type ErrorCodeValue } from "./errors.js";
import type {
  Book,
  BookAccount,
  BookMarketCorrelation,
  BookFuture,
  BookOptionMark,
  BookGridRow,
  BookOrder,
  BookPair,
  BookParams,
  BookPosition,
  BookSurface,
  InstrumentKind,
  ResolvedInstrument,
} from "./model/book.js";
import { isoTimestampMs, parseIsoTimestamp, tenorYears } from "./model/dates.js";
import {
  INSTRUMENT_KINDS,
  PAIR_NAME,
  USD_CODES,
  canonicalName,
  parseInstrumentName,
  placeInstrument,
  resolveInstrument,
  type InstrumentSpec,
} from "./model/instrument.js";
import { memo } from "./model/memo.js";
import type { CoinPolicy, MarginModel } from "./model/types.js";
import { psdFailure, type PsdFailure } from "./model/correlation.js";
import { IV_MAX_LOG_MONEYNESS } from "./layout.js";
import { forwardAt } from "./surface-marks.js";

// ---------------------------------------------------------------------------------------------
// Paths and field checkers

type Obj = Record<string, unknown>;

/** `at("accounts", 0)` -> `accounts[0]`; `at("market", "BTC")` -> `market.BTC`; odd keys are quoted. */
export function at(path: string, key: string | number): string {
  if (typeof key === "number") return path + indexSuffix(key);
  const suffix = keySuffix(key);
  return path === "" && suffix.startsWith(".") ? key : path + suffix;
}

/**
 * What at() appends, made once per key so that a path is one concatenation (not two or three
 * strings): `[i]`, and `.key` or, for a key that is not plain, `["odd key"]`.
 */
const indexSuffix = memo((index: number): string => `[${index}]`);
const keySuffix = memo((key: string): string => (/^[A-Za-z0-9_$]+$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`));

function fail(code: ErrorCodeValue, path: string, detail: string): never {
  throw new MarginError(code, path, detail);
}

function describe(value: unknown): string {
  if (value === null || value === undefined || typeof value === "number") return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  }
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function present(value: unknown, path: string, expected: string): void {
  if (value === undefined) fail(ErrorCode.MISSING, path, `is missing (must be ${expected})`);
}

function isRecord(value: unknown): value is Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function record(value: unknown, path: string): Obj {
  present(value, path, "an object");
  if (!isRecord(value)) fail(ErrorCode.TYPE, path, `must be an object, got ${describe(value)}`);
  return value;
}

function list(value: unknown, path: string): unknown[] {
  present(value, path, "an array");
  if (!Array.isArray(value)) fail(ErrorCode.TYPE, path, `must be an array, got ${describe(value)}`);
  return value;
}

function text(value: unknown, path: string): string {
  present(value, path, "a string");
  if (typeof value !== "string") fail(ErrorCode.TYPE, path, `must be a string, got ${describe(value)}`);
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, options: readonly T[], what: string): T {
  const s = text(value, path);
  if (!(options as readonly string[]).includes(s)) {
    fail(ErrorCode.UNKNOWN, path, `unknown ${what} ${JSON.stringify(s)}; expected one of ${options.join(", ")}`);
  }
  return s as T;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The first own enumerable key of `o` (in Object.keys order) not in `allowed`, else undefined;
 * a for-in walk, so that checking a record's keys allocates no array of them.
 */
function firstKeyNotIn(o: Obj, allowed: readonly string[]): string | undefined {
  for (const key in o) {
    if (hasOwn.call(o, key) && !allowed.includes(key)) return key;
  }
  return undefined;
}

/** Rejects the first key of `o` not in `allowed`, so typos never fall back to defaults silently. */
function knownKeys(o: Obj, path: string, allowed: readonly string[]): void {
  const unknown = firstKeyNotIn(o, allowed);
  if (unknown !== undefined) {
    fail(ErrorCode.UNKNOWN, at(path, unknown), `unknown field; expected one of ${allowed.join(", ")}`);
  }
}

interface Bounds {
  gt?: number;
  ge?: number;
  lt?: number;
  le?: number;
  nonZero?: boolean;
}

function inBounds(x: number, b: Bounds): boolean {
  return (
    (b.gt === undefined || x > b.gt) &&
    (b.ge === undefined || x >= b.ge) &&
    (b.lt === undefined || x < b.lt) &&
    (b.le === undefined || x <= b.le) &&
    (!b.nonZero || x !== 0)
  );
}

/** `> 0`, `>= 0`, `in [0, 1)`, `non-zero` */
function boundsText(b: Bounds): string {
  const low = b.gt !== undefined ? `(${b.gt}` : b.ge !== undefined ? `[${b.ge}` : "";
  const high = b.lt !== undefined ? `${b.lt})` : b.le !== undefined ? `${b.le}]` : "";
  if (low && high) return `in ${low}, ${high}`;
  if (b.gt !== undefined) return `> ${b.gt}`;
  if (b.ge !== undefined) return `>= ${b.ge}`;
  if (b.lt !== undefined) return `< ${b.lt}`;
  if (b.le !== undefined) return `<= ${b.le}`;
  return "non-zero";
}

/**
 * Every field's bounds, made once (not a literal per call) and all of one shape (every key
 * present), so that inBounds() reads them at one place whatever the field.
 */
function bounds(b: Bounds): Readonly<Bounds> {
  return Object.freeze({ gt: b.gt, ge: b.ge, lt: b.lt, le: b.le, nonZero: b.nonZero ?? false });
}
const ANY = bounds({});
const POSITIVE = bounds({ gt: 0 });
const NON_NEGATIVE = bounds({ ge: 0 });
const NON_ZERO = bounds({ nonZero: true });
const ABOVE_MINUS_ONE = bounds({ gt: -1 });
const UNIT_INTERVAL = bounds({ ge: 0, le: 1 });
const CORRELATION = bounds({ ge: -1, le: 1 });
const MM_FRACTION = bounds({ gt: 0, le: 1 });
const SSF = bounds({ ge: 0, lt: 1 });
const VSF_TENOR_EXPONENT = bounds({ ge: 0, le: 4 });

/** Whether `value` is a finite number within `bounds`: what num() accepts. */
function isNumberIn(value: unknown, bounds: Bounds): value is number {
  return typeof value === "number" && Number.isFinite(value) && inBounds(value, bounds);
}

function num(value: unknown, path: string, bounds: Bounds = ANY): number {
  present(value, path, "a finite number");
  if (typeof value !== "number") fail(ErrorCode.TYPE, path, `must be a finite number, got ${describe(value)}`);
  if (!Number.isFinite(value)) fail(ErrorCode.NOT_FINITE, path, `must be a finite number, got ${value}`);
  if (!inBounds(value, bounds)) fail(ErrorCode.RANGE, path, `must be ${boundsText(bounds)}, got ${value}`);
  return value;
}

/**
 * Each item a number within `bounds` (holes skipped, as map() would), then a copy of the list.
 * An item's path is built only for the one that fails; the copy is a slice, which keeps the
 * numbers unboxed (map() through a callback boxes each double).
 */
function numbers(items: unknown[], path: string, bounds: Bounds = ANY): number[] {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isNumberIn(item, bounds) && (item !== undefined || i in items)) num(item, at(path, i), bounds);
  }
  return items.slice() as number[];
}

function sized<T>(items: T[], path: string, length: number, unit: string): T[] {
  if (items.length !== length) fail(ErrorCode.SHAPE, path, `must have ${length} ${unit}, got ${items.length}`);
  return items;
}

/** `read(value)` when the field is given, `fallback` when it is absent (undefined). */
function optional<T, F>(value: unknown, read: (value: unknown) => T, fallback: F): T | F {
  return value === undefined ? fallback : read(value);
}

function timestamp(value: unknown, path: string): number {
  present(value, path, "an ISO-8601 timestamp such as 2026-11-21T08:00:00Z");
  return parseIsoTimestamp(text(value, path), path);
}

// Field readers: `o[key]` checked as the reader of the same name without `Field` checks it, at
// the path `at(path, key)`, which is built only when the check fails (the slow path is that
// reader itself, so the error is the same). An account of 50 positions has some 300 fields,
// nearly all of them good, and building every field's path up front was most of what validating
// it allocated; the paths a book keeps (of accounts, positions and orders) are still built.

function numField(o: Obj, key: string, path: string, bounds: Bounds = ANY): number {
  const value = o[key];
  return isNumberIn(value, bounds) ? value : num(value, at(path, key), bounds);
}

function textField(o: Obj, key: string, path: string): string {
  const value = o[key];
  return typeof value === "string" ? value : text(value, at(path, key));
}

function oneOfField<T extends string>(o: Obj, key: string, path: string, options: readonly T[], what: string): T {
  const value = o[key];
  return typeof value === "string" && (options as readonly string[]).includes(value)
    ? (value as T)
    : oneOf(value, at(path, key), options, what);
}

function timestampField(o: Obj, key: string, path: string): number {
  const value = o[key];
  const ms = typeof value === "string" ? isoTimestampMs(value) : undefined;
  return ms ?? timestamp(value, at(path, key));
}

// ---------------------------------------------------------------------------------------------
// Market

export interface Market {
  asOfMs: number;
  params: BookParams;
  /** in `market` key order */
  pairs: BookPair[];
  /** pair name -> index into `pairs` */
  pairIndex: ReadonlyMap<string, number>;
  /** the file's `accounts`, checked to be an array; each entry still unchecked (see normalizeAccount) */
  rawAccounts: readonly unknown[];
}

const FILE_KEYS = ["asOf", "params", "market", "accounts"];
const PAIR_MARKET_KEYS = ["spot", "futures", "surface"];
const FUTURE_MARK_KEYS = ["expiry", "mark"];
const SURFACE_KEYS = ["tenors", "logMoneyness", "vols", "atmVol", "options"];
const NODE_SURFACE_KEYS = ["tenors", "logMoneyness", "vols"];

/** A pair's market as read; a surface of option marks is `marks` (bounds checked once params are read). */
type PairMarket = Pick<BookPair, "name" | "spot" | "futures" | "surface"> & { marks: OptionMarkRead[] | null };

/** Checks everything in the file but the contents of `accounts`. */
export function normalizeMarket(file: unknown): Market {
  if (!isRecord(file)) fail(ErrorCode.TYPE, "", `the portfolio file must be a JSON object, got ${describe(file)}`);
  knownKeys(file, "", FILE_KEYS);
  const asOfMs = timestampField(file, "asOf", "");

  const market = record(file.market, "market");
  const names = Object.keys(market);
  if (names.length === 0) fail(ErrorCode.MISSING, "market", "must name at least one pair");
  const pairMarkets = names.map((name) => readPairMarket(market[name], name, asOfMs));

  const { params, grid, shocks } = readParams(file.params, names);
  // (spelled out rather than spread: object rest and spread take V8's slow path)
  const pairs = pairMarkets.map(({ name, spot, futures, surface, marks }, i): BookPair => {
    const { ssf, vsf } = shocks[i];
    if (marks === null) return { name, spot, futures, surface, ssf, vsf, grid: pairGrid(grid, ssf, vsf) };
    const optionMarks = boundOptionMarks(marks, spot, futures, params.usdRate);
    return { name, spot, futures, surface, optionMarks, ssf, vsf, grid: pairGrid(grid, ssf, vsf) };
  });
  const rawAccounts = list(file.accounts, "accounts");
  return { asOfMs, params, pairs, pairIndex: new Map(names.map((name, i) => [name, i])), rawAccounts };
}

function readPairMarket(raw: unknown, name: string, asOfMs: number): PairMarket {
  const path = at("market", name);
  if (!PAIR_NAME.test(name)) {
    fail(ErrorCode.PARSE, path, `pair name ${JSON.stringify(name)} must be 2 to 10 upper-case letters or digits`);
  }
  if (USD_CODES.includes(name)) {
    const usd = USD_CODES.join(", ");
    fail(ErrorCode.RANGE, path, `${name} is the quote currency (balances in ${usd} count as USD), not a pair`);
  }
  const o = record(raw, path);
  knownKeys(o, path, PAIR_MARKET_KEYS);
  const spot = numField(o, "spot", path, POSITIVE);
  const futures = optional(o.futures, (v) => readFutureMarks(v, at(path, "futures"), asOfMs), []);
  const surface = optional(o.surface, (v) => readSurface(v, at(path, "surface"), name, asOfMs), null);
  return surface === null || !("marks" in surface)
    ? { name, spot, futures, surface, marks: null }
    : { name, spot, futures, surface: null, marks: surface.marks };
}

/** What a market tick changes for one pair of a prepared book; absent fields stay as they are. */
export interface MarketUpdate {
  pairIndex: number;
  spot?: number;
  futures?: BookFuture[];
  /** null with `optionMarks`: a surface of marks, which the engine resolves to nodes */
  surface?: BookSurface | null;
  /** given with every new surface: the validated marks, or null for a node or flat surface */
  optionMarks?: BookOptionMark[] | null;
}

/**
 * Checks a market tick `{ PAIR: { spot?, futures?, surface? } }` against the pairs of a book:
 * the same rules as the file's `market` (paths `market.BTC.spot`, ...), every pair known. Option
 * marks are checked against the forward of the spot and futures in effect after the update and
 * against DF = exp(-usdRate T): pass the book's `params.usdRate`.
 */
export function normalizeMarketUpdate(
  raw: unknown,
  pairs: readonly BookPair[],
  asOfMs: number,
  usdRate: number = DEFAULTS.usdRate,
): MarketUpdate[] {
  const market = record(raw, "market");
  return Object.keys(market).map((name) => {
    const path = at("market", name);
    const pairIndex = pairs.findIndex((pair) => pair.name === name);
    if (pairIndex < 0) {
      fail(ErrorCode.UNKNOWN, path, `unknown pair ${name}; the book's pairs are ${pairs.map((p) => p.name).join(", ")}`);
    }
    const o = record(market[name], path);
    knownKeys(o, path, PAIR_MARKET_KEYS);
    const update: MarketUpdate = { pairIndex };
    if (o.spot !== undefined) update.spot = numField(o, "spot", path, POSITIVE);
    if (o.futures !== undefined) update.futures = readFutureMarks(o.futures, at(path, "futures"), asOfMs);
    if (o.surface !== undefined) {
      const surface = readSurface(o.surface, at(path, "surface"), name, asOfMs);
      if ("marks" in surface) {
        const spot = update.spot ?? pairs[pairIndex].spot;
        update.surface = null;
        update.optionMarks = boundOptionMarks(surface.marks, spot, update.futures ?? pairs[pairIndex].futures, usdRate);
      } else {
        update.surface = surface;
        update.optionMarks = null;
      }
    }
    return update;
  });
}

/** Sorted ascending by tenor; every expiry after asOf and unique. */
function readFutureMarks(raw: unknown, path: string, asOfMs: number): BookFuture[] {
  const firstIndexOf = new Map<number, number>();
  const marks = list(raw, path).map((item, j): BookFuture => {
    const p = at(path, j);
    const o = record(item, p);
    knownKeys(o, p, FUTURE_MARK_KEYS);
    const expiryMs = timestampField(o, "expiry", p);
    const tenor = tenorYears(expiryMs, asOfMs);
    if (tenor <= 0) fail(ErrorCode.RANGE, at(p, "expiry"), "must be after asOf (a future mark needs time to expiry)");
    const first = firstIndexOf.get(expiryMs);
    if (first !== undefined) fail(ErrorCode.ORDER, at(p, "expiry"), `duplicate expiry; ${at(path, first)} has the same`);
    firstIndexOf.set(expiryMs, j);
    return { expiryMs, tenorYears: tenor, mark: numField(o, "mark", p, POSITIVE) };
  });
  // (sort() allocates even for a list already in order, as files usually give it)
  const sorted = marks.every((m, j) => j === 0 || marks[j - 1].tenorYears <= m.tenorYears);
  return sorted ? marks : marks.sort((a, b) => a.tenorYears - b.tenorYears);
}

function readSurface(raw: unknown, path: string, pair: string, asOfMs: number): BookSurface | { marks: OptionMarkRead[] } {
  const o = record(raw, path);
  knownKeys(o, path, SURFACE_KEYS);
  if (o.options !== undefined) {
    const extra = SURFACE_KEYS.find((key) => key !== "options" && o[key] !== undefined);
    if (extra) {
      fail(ErrorCode.TYPE, at(path, extra), "does not go with options; give {tenors, logMoneyness, vols}, {atmVol} or {options}");
    }
    return { marks: readOptionMarks(o.options, at(path, "options"), pair, asOfMs) };
  }
  if (o.atmVol !== undefined) {
    const extra = NODE_SURFACE_KEYS.find((key) => o[key] !== undefined);
    if (extra) {
      fail(ErrorCode.TYPE, at(path, extra), "does not go with atmVol; give {tenors, logMoneyness, vols} or {atmVol}");
    }
    const vol = numField(o, "atmVol", path, NON_NEGATIVE);
    return { tenors: [1], logMoneyness: [0], vols: [[vol]] };
  }
  const tenors = ascending(o.tenors, at(path, "tenors"), POSITIVE);
  const logMoneyness = ascending(o.logMoneyness, at(path, "logMoneyness"));
  const volsPath = at(path, "vols");
  const rows = sized(list(o.vols, volsPath), volsPath, tenors.length, "rows (one per tenor)");
  const vols = rows.map((row, i) => {
    const rowPath = at(volsPath, i);
    const cells = sized(list(row, rowPath), rowPath, logMoneyness.length, "vols (one per logMoneyness node)");
    return numbers(cells, rowPath, NON_NEGATIVE);
  });
  return { tenors, logMoneyness, vols };
}

/** A non-empty, strictly ascending list of numbers. */
function ascending(raw: unknown, path: string, bounds: Bounds = ANY): number[] {
  const values = numbers(list(raw, path), path, bounds);
  if (values.length === 0) fail(ErrorCode.SHAPE, path, "must have at least one node");
  const j = values.findIndex((x, i) => i > 0 && !(x > values[i - 1]));
  if (j > 0) {
    fail(ErrorCode.ORDER, path, `must be strictly ascending; element ${j} (${values[j]}) follows ${values[j - 1]}`);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Surfaces from option marks (docs/surface-construction.md)

const OPTION_MARK_KEYS = ["instrument", "mark"];

/** A mark as read from the file; its forward and discount factor come with the bounds check. */
type OptionMarkRead = Omit<BookOptionMark, "forward" | "discountFactor">;

/** `{options: [{instrument, mark}]}`: at least one mark, each an unexpired option on `pair`, none twice. */
function readOptionMarks(raw: unknown, path: string, pair: string, asOfMs: number): OptionMarkRead[] {
  const items = list(raw, path);
  if (items.length === 0) fail(ErrorCode.SHAPE, path, `must have at least one option mark on ${pair}`);
  const firstIndexOf = new Map<string, number>();
  return items.map((item, j): OptionMarkRead => {
    const p = at(path, j);
    const o = record(item, p);
    knownKeys(o, p, OPTION_MARK_KEYS);
    const instrumentPath = at(p, "instrument");
    const spec = readMarkInstrument(o.instrument, instrumentPath, pair);
    const name = canonicalName(spec);
    const tenor = tenorYears(spec.expiryMs, asOfMs);
    if (!(tenor > 0)) fail(ErrorCode.RANGE, instrumentPath, `${name} has expired (T <= 0 at asOf); a mark needs time to expiry`);
    const key = `${spec.expiryMs} ${spec.strike} ${spec.isCall}`;
    const first = firstIndexOf.get(key);
    if (first !== undefined) fail(ErrorCode.ORDER, instrumentPath, `duplicate mark of ${name}; ${at(path, first)} marks it too`);
    firstIndexOf.set(key, j);
    const mark = numField(o, "mark", p, POSITIVE);
    return { name, isCall: spec.isCall, strike: spec.strike, expiryMs: spec.expiryMs, tenorYears: tenor, mark, path: p };
  });
}

/** A mark's instrument: a name or an object, an option on `pair`, multiplier 1 (a mark is USD per coin). */
function readMarkInstrument(raw: unknown, path: string, pair: string): InstrumentSpec {
  const notOnPair = (other: string, where: string): never =>
    fail(ErrorCode.RANGE, where, `must be an option on ${pair} (a mark of market.${pair}), not on ${other}`);
  let spec: InstrumentSpec;
  if (typeof raw === "string") {
    spec = parseInstrumentName(raw, path);
    if (spec.pair !== pair) notOnPair(spec.pair, path);
  } else if (isRecord(raw)) {
    const kind = instrumentKind(raw, path);
    const other = textField(raw, "pair", path);
    if (other !== pair) notOnPair(other, at(path, "pair"));
    spec = instrumentSpec(raw, path, kind, pair);
    if (spec.multiplier !== 1) {
      fail(ErrorCode.RANGE, at(path, "multiplier"), `must be 1: a mark is USD per coin, got ${spec.multiplier}`);
    }
  } else {
    present(raw, path, "an option name or object");
    return fail(
      ErrorCode.TYPE,
      path,
      `must be an option name such as ${pair}-27DEC26-30000-C or an object {kind: "option", ...}, got ${describe(raw)}`,
    );
  }
  if (spec.kind !== "option") fail(ErrorCode.TYPE, path, `must be an option on ${pair}, got the ${spec.kind} ${canonicalName(spec)}`);
  return spec;
}

/**
 * Each mark against its no-arbitrage bounds on the forward F(T) = S exp(b(T) T) (b(T) from the
 * futures marks, SPEC.md "Instruments") and DF = exp(-usdRate T), w = +1 call / -1 put:
 * DF max(w (F - K), 0) <= mark < DF F (call) / DF K (put); E_ARBITRAGE at the mark otherwise.
 * The kernel's inversion states the same bounds in the same arithmetic (assembly/implied.ts).
 */
function boundOptionMarks(
  marks: readonly OptionMarkRead[],
  spot: number,
  futures: readonly BookFuture[],
  usdRate: number,
): BookOptionMark[] {
  return marks.map((m): BookOptionMark => {
    const forward = forwardAt(spot, futures, m.tenorYears);
    const discountFactor = Math.exp(-usdRate * m.tenorYears);
    const w = m.isCall ? 1 : -1;
    const intrinsic = discountFactor * Math.max(w * (forward - m.strike), 0);
    const bound = discountFactor * (m.isCall ? forward : m.strike);
    const markPath = at(m.path, "mark");
    const terms = `F(T) = ${forward}, DF = ${discountFactor}`;
    if (m.mark < intrinsic) {
      const formula = m.isCall ? "DF max(F - K, 0)" : "DF max(K - F, 0)";
      fail(ErrorCode.ARBITRAGE, markPath, `${m.mark} is below the intrinsic value ${intrinsic} of ${m.name} (${formula} with ${terms})`);
    }
    if (m.mark >= bound) {
      const formula = m.isCall ? "a call is worth less than DF F" : "a put is worth less than DF K";
      fail(ErrorCode.ARBITRAGE, markPath, `${m.mark} is at or above the no-arbitrage bound ${bound} of ${m.name} (${formula}, ${terms})`);
    }
    if (!(Math.abs(Math.log(m.strike / forward)) <= IV_MAX_LOG_MONEYNESS)) {
      const detail = `${m.name}: |ln(K/F)| must be <= ${IV_MAX_LOG_MONEYNESS} to invert in double precision (F(T) = ${forward})`;
      fail(ErrorCode.RANGE, at(m.path, "instrument"), detail);
    }
    const { name, isCall, strike, expiryMs, tenorYears: tenor, mark, path } = m;
    return { name, isCall, strike, expiryMs, tenorYears: tenor, mark, forward, discountFactor, path };
  });
}

// ---------------------------------------------------------------------------------------------
// Params and grids

const PARAM_KEYS = [
  "grid", "pairs", "usdRate", "mmFraction", "coinPolicy", "pairCorrelation", "vsfTenorExponent",
  "model", "leverage", "ltv", "marketCorrelation",
];
const PAIR_PARAM_KEYS = ["ssf", "vsf"];
const GRID_KEYS = ["rows"];
const GRID_ROW_KEYS = ["spot", "vol", "weight"];
const COIN_POLICIES: readonly CoinPolicy[] = ["capped", "full", "none"];
const MAX_GRID_ROWS = 64;

export const DEFAULTS = {
  grid: "powertrade9",
  ssf: 0.15,
  vsf: 0.4,
  usdRate: 0,
  mmFraction: 0.5,
  coinPolicy: "capped" as CoinPolicy,
} as const;

interface GridRowSpec {
  spot: number;
  vol: number;
  weight: number;
}

/** Rows of a preset are in units of the pair's SSF (spot) and VSF (vol); custom rows are absolute. */
interface GridSpec {
  name: string;
  inShockUnits: boolean;
  rows: readonly GridRowSpec[];
}

const row = (spot: number, vol: number, weight = 1): GridRowSpec => ({ spot, vol, weight });

/** SPEC "Scenario margin": the nine scenarios, in order. */
const POWERTRADE9 = [
  row(0, 0), row(0, 1), row(0, -1),
  row(1, 0), row(1, 1), row(1, -1),
  row(-1, 0), row(-1, 1), row(-1, -1),
];

/** CME SPAN's order: scan points with vol up then down, then the two extreme moves at 35%. */
const SPAN16 = [
  row(0, 1), row(0, -1),
  row(1 / 3, 1), row(1 / 3, -1), row(-1 / 3, 1), row(-1 / 3, -1),
  row(2 / 3, 1), row(2 / 3, -1), row(-2 / 3, 1), row(-2 / 3, -1),
  row(1, 1), row(1, -1), row(-1, 1), row(-1, -1),
  row(2, 0, 0.35), row(-2, 0, 0.35),
];

const PRESETS = new Map<string, readonly GridRowSpec[]>([
  ["powertrade9", POWERTRADE9],
  ["span16", SPAN16],
]);

interface ParamsRead {
  params: BookParams;
  grid: GridSpec;
  /** per pair, in `market` key order */
  shocks: { ssf: number; vsf: number }[];
}

function readParams(raw: unknown, pairNames: string[]): ParamsRead {
  const path = "params";
  const o = optional(raw, (v) => record(v, path), {} as Obj);
  knownKeys(o, path, PARAM_KEYS);
  const grid = optional(o.grid, (v) => readGrid(v, at(path, "grid")), presetGrid(DEFAULTS.grid));
  const shocks = readPairShocks(o.pairs, at(path, "pairs"), pairNames);
  const params: BookParams = {
    gridName: grid.name,
    usdRate: optional(o.usdRate, (v) => num(v, at(path, "usdRate")), DEFAULTS.usdRate),
    mmFraction: optional(o.mmFraction, (v) => num(v, at(path, "mmFraction"), MM_FRACTION), DEFAULTS.mmFraction),
    coinPolicy: optional(
      o.coinPolicy,
      (v) => oneOf(v, at(path, "coinPolicy"), COIN_POLICIES, "coin policy"),
      DEFAULTS.coinPolicy,
    ),
    pairCorrelation:
      o.pairCorrelation === null || o.pairCorrelation === undefined
        ? null
        : readCorrelation(o.pairCorrelation, at(path, "pairCorrelation"), pairNames.length),
  };
  if (o.vsfTenorExponent !== undefined) {
    params.vsfTenorExponent = numField(o, "vsfTenorExponent", path, VSF_TENOR_EXPONENT);
  }
  // covariance-model inputs: kept only when given (bindings/covariance.ts applies the defaults)
  if (o.model !== undefined) params.model = oneOf(o.model, at(path, "model"), MODELS, "margin model");
  if (o.leverage !== undefined) params.leverage = readLeverage(o.leverage, at(path, "leverage"), pairNames);
  if (o.ltv !== undefined) params.ltv = readLtv(o.ltv, at(path, "ltv"), pairNames);
  if (o.marketCorrelation !== undefined) {
    params.marketCorrelation = readMarketCorrelation(o.marketCorrelation, at(path, "marketCorrelation"), pairNames);
  }
  return { params, grid, shocks };
}

function presetGrid(name: string): GridSpec {
  return { name, inShockUnits: true, rows: PRESETS.get(name)! };
}

function readGrid(raw: unknown, path: string): GridSpec {
  if (typeof raw === "string") return presetGrid(oneOf(raw, path, [...PRESETS.keys()], "grid preset"));
  if (!isRecord(raw)) {
    const presets = [...PRESETS.keys()].join(", ");
    fail(ErrorCode.TYPE, path, `must be a preset name (${presets}) or {rows: [...]}, got ${describe(raw)}`);
  }
  knownKeys(raw, path, GRID_KEYS);
  const rowsPath = at(path, "rows");
  const rows = list(raw.rows, rowsPath);
  if (rows.length < 1 || rows.length > MAX_GRID_ROWS) {
    fail(ErrorCode.SHAPE, rowsPath, `must have 1 to ${MAX_GRID_ROWS} rows, got ${rows.length}`);
  }
  return { name: "custom", inShockUnits: false, rows: rows.map((r, i) => readGridRow(r, at(rowsPath, i))) };
}

function readGridRow(raw: unknown, path: string): GridRowSpec {
  const o = record(raw, path);
  knownKeys(o, path, GRID_ROW_KEYS);
  return {
    spot: numField(o, "spot", path, ABOVE_MINUS_ONE),
    vol: num(o.vol, at(path, "vol")),
    weight: optional(o.weight, (v) => num(v, at(path, "weight"), UNIT_INTERVAL), 1),
  };
}

/** The grid's rows for one pair; `+ 0` turns a -0 product (shock factor 0) into 0. */
function pairGrid(grid: GridSpec, ssf: number, vsf: number): BookGridRow[] {
  return grid.rows.map((r) =>
    grid.inShockUnits
      ? { spotShock: r.spot * ssf + 0, volShock: r.vol * vsf + 0, weight: r.weight }
      : { spotShock: r.spot, volShock: r.vol, weight: r.weight },
  );
}

function readPairShocks(raw: unknown, path: string, pairNames: string[]): { ssf: number; vsf: number }[] {
  const overrides = optional(raw, (v) => record(v, path), {} as Obj);
  const stray = Object.keys(overrides).find((key) => !pairNames.includes(key));
  if (stray !== undefined) fail(ErrorCode.UNKNOWN, at(path, stray), unknownPair(stray, pairNames));
  return pairNames.map((name) => {
    if (overrides[name] === undefined) return { ssf: DEFAULTS.ssf, vsf: DEFAULTS.vsf };
    const p = at(path, name);
    const o = record(overrides[name], p);
    knownKeys(o, p, PAIR_PARAM_KEYS);
    return {
      ssf: optional(o.ssf, (v) => num(v, at(p, "ssf"), SSF), DEFAULTS.ssf),
      vsf: optional(o.vsf, (v) => num(v, at(p, "vsf"), NON_NEGATIVE), DEFAULTS.vsf),
    };
  });
}

/** Square over the pairs, entries in [-1, 1], unit diagonal, symmetric (PSD is not checked). */
function readCorrelation(raw: unknown, path: string, n: number): number[][] {
  const matrix = sized(list(raw, path), path, n, "rows (one per pair in market)").map((r, i) => {
    const rowPath = at(path, i);
    return numbers(sized(list(r, rowPath), rowPath, n, "entries (one per pair in market)"), rowPath, CORRELATION);
  });
  return unitSymmetric(matrix, path);
}

/** Rejects a diagonal entry other than 1 and an entry that differs from its mirror (exactly). */
function unitSymmetric(matrix: number[][], path: string): number[][] {
  matrix.forEach((r, i) =>
    r.forEach((x, j) => {
      const cell = at(at(path, i), j);
      if (i === j && x !== 1) fail(ErrorCode.RANGE, cell, `must be 1 (diagonal), got ${x}`);
      if (j < i && x !== matrix[j][i]) {
        fail(ErrorCode.RANGE, cell, `must equal ${at(at(path, j), i)} = ${matrix[j][i]} (symmetric), got ${x}`);
      }
    }),
  );
  return matrix;
}

// ---------------------------------------------------------------------------------------------
// Covariance-model params (SPEC.md "Correlation (covariance) margin")

const MODELS: readonly MarginModel[] = ["scenario", "covariance"];
const MARKET_CORRELATION_KEYS = ["markets", "matrix"];
/** The most markets params.marketCorrelation may list (its PSD check costs n^3 / 6 multiply-adds). */
export const MAX_CORRELATED_MARKETS = 2048;

/** An instrument name as a market: parsed, its pair in `market`, canonical (`BTC-05DEC26` is `BTC-5DEC26`). */
function marketName(name: string, path: string, pairNames: readonly string[]): string {
  const spec = parseInstrumentName(name, path);
  if (!pairNames.includes(spec.pair)) fail(ErrorCode.UNKNOWN, path, unknownPair(spec.pair, pairNames));
  return canonicalName(spec);
}

/** `{ instrumentName: maxLeverage > 0 }`, keyed by canonical name; two keys naming one market are rejected. */
function readLeverage(raw: unknown, path: string, pairNames: readonly string[]): Record<string, number> {
  const leverage: Record<string, number> = {};
  const keyOf = new Map<string, string>();
  for (const [key, value] of Object.entries(record(raw, path))) {
    const p = at(path, key);
    const name = marketName(key, p, pairNames);
    const first = keyOf.get(name);
    if (first !== undefined) fail(ErrorCode.ORDER, p, `names the same market (${name}) as ${at(path, first)}`);
    keyOf.set(name, key);
    leverage[name] = num(value, p, POSITIVE);
  }
  return leverage;
}

/** `{ coin: haircut in [0, 1] }` for USD codes and pairs in `market`. */
function readLtv(raw: unknown, path: string, pairNames: readonly string[]): Record<string, number> {
  const ltv: Record<string, number> = {};
  for (const [key, value] of Object.entries(record(raw, path))) {
    const p = at(path, key);
    if (!USD_CODES.includes(key) && !pairNames.includes(key)) {
      fail(ErrorCode.UNKNOWN, p, `unknown coin ${key}; expected ${[...USD_CODES, ...pairNames].join(", ")}`);
    }
    ltv[key] = num(value, p, UNIT_INTERVAL);
  }
  return ltv;
}

/**
 * `{ markets: [names], matrix: [[...]] }`: each market once (by canonical name), the matrix square
 * over them, entries in [-1, 1], unit diagonal, symmetric, positive semi-definite (model/correlation.ts:
 * pivoted LDL^T with tolerance 4 n eps).
 */
function readMarketCorrelation(raw: unknown, path: string, pairNames: readonly string[]): BookMarketCorrelation {
  const o = record(raw, path);
  knownKeys(o, path, MARKET_CORRELATION_KEYS);
  const marketsPath = at(path, "markets");
  const names = list(o.markets, marketsPath);
  if (names.length === 0) fail(ErrorCode.SHAPE, marketsPath, "must name at least one market");
  if (names.length > MAX_CORRELATED_MARKETS) {
    fail(ErrorCode.SHAPE, marketsPath, `must name at most ${MAX_CORRELATED_MARKETS} markets, got ${names.length}`);
  }
  const indexOf = new Map<string, number>();
  const markets = names.map((item, i) => {
    const p = at(marketsPath, i);
    const name = marketName(text(item, p), p, pairNames);
    const first = indexOf.get(name);
    if (first !== undefined) fail(ErrorCode.ORDER, p, `duplicate market ${name}; ${at(marketsPath, first)} names it too`);
    indexOf.set(name, i);
    return name;
  });
  const matrixPath = at(path, "matrix");
  const n = markets.length;
  const rows = sized(list(o.matrix, matrixPath), matrixPath, n, "rows (one per market in markets)");
  const matrix = rows.map((r, i) => {
    const rowPath = at(matrixPath, i);
    return numbers(sized(list(r, rowPath), rowPath, n, "entries (one per market in markets)"), rowPath, CORRELATION);
  });
  unitSymmetric(matrix, matrixPath);
  const failure = psdFailure(matrix);
  if (failure !== null) fail(ErrorCode.RANGE, matrixPath, notPsd(failure, markets));
  return { markets, matrix };
}

/**
 * A replacement `params.marketCorrelation` for a prepared covariance book, checked like the file's
 * (paths `params.marketCorrelation...`); null or undefined selects the default matrix.
 */
export function normalizeMarketCorrelation(raw: unknown, pairNames: readonly string[]): BookMarketCorrelation | null {
  if (raw === null || raw === undefined) return null;
  return readMarketCorrelation(raw, at("params", "marketCorrelation"), pairNames);
}

function notPsd(failure: PsdFailure, markets: readonly string[]): string {
  const after =
    failure.eliminated.length === 0
      ? ""
      : ` after eliminating ${failure.eliminated.slice(0, 5).map((i) => markets[i]).join(", ")}${failure.eliminated.length > 5 ? ", ..." : ""}`;
  const why =
    failure.kind === "pivot"
      ? `pivot ${+failure.pivot.toPrecision(6)} at ${markets[failure.index]}${after}`
      : `${markets[failure.index]} and ${markets[failure.other]} have no variance left${after} but a covariance of ${+failure.value.toPrecision(6)}`;
  return (
    `is not positive semi-definite: pivoted LDL^T (tolerance 4 n eps = ${failure.tolerance.toPrecision(3)}) finds ${why}, ` +
    "so some portfolio would have a negative variance; give a valid correlation matrix (e.g. the nearest one, Higham 2002)"
  );
}

// ---------------------------------------------------------------------------------------------
// Accounts

const ACCOUNT_KEYS = ["id", "balances", "positions", "orders"];
const POSITION_KEYS = ["instrument", "qty", "entryPrice"];
const ORDER_KEYS = ["instrument", "side", "qty", "price"];
const INSTRUMENT_KEYS = ["kind", "pair", "right", "strike", "expiry", "multiplier"];
const KIND_KEYS: Record<InstrumentKind, readonly string[]> = {
  spot: ["kind", "pair", "multiplier"],
  perpetual: ["kind", "pair", "multiplier"],
  future: ["kind", "pair", "expiry", "multiplier"],
  option: INSTRUMENT_KEYS,
};
const SIDES = ["buy", "sell"] as const;
const RIGHTS = ["call", "put"] as const;

function unknownPair(name: string, pairNames: readonly string[]): string {
  const hint = pairNames.includes(name.toUpperCase()) ? `; pair names are upper case: ${name.toUpperCase()}` : "";
  return `unknown pair ${name} (not in market${hint})`;
}

/** The index of pair `name` in the market, else E_UNKNOWN at `path` (at `at(path, key)` with a key). */
function pairOf(name: string, path: string, market: Market, key?: string): number {
  const index = market.pairIndex.get(name);
  if (index === undefined) {
    fail(ErrorCode.UNKNOWN, key === undefined ? path : at(path, key), unknownPair(name, [...market.pairIndex.keys()]));
  }
  return index;
}

/** One account, checked against an already normalized market; independent of every other account. */
export function normalizeAccount(raw: unknown, index: number, market: Market): BookAccount {
  const path = at("accounts", index);
  const o = record(raw, path);
  knownKeys(o, path, ACCOUNT_KEYS);
  const id = textField(o, "id", path);
  if (id === "") fail(ErrorCode.RANGE, at(path, "id"), "must be a non-empty string");
  const { usd, coins, usdByCode } = readBalances(o.balances, at(path, "balances"), market);
  const positions = optional(
    o.positions,
    (v) => {
      const positionsPath = at(path, "positions");
      return list(v, positionsPath).map((p, i) => readPosition(p, at(positionsPath, i), market));
    },
    [],
  );
  const orders = optional(
    o.orders,
    (v) => {
      const ordersPath = at(path, "orders");
      return list(v, ordersPath).map((r, i) => readOrder(r, at(ordersPath, i), market));
    },
    [],
  );
  return { id, usd, coins, ...(usdByCode && { usdByCode }), positions, orders, path };
}

/** Every account in file order; account ids must be unique. */
export function normalizeAccounts(market: Market): BookAccount[] {
  const firstIndexOf = new Map<string, number>();
  return market.rawAccounts.map((raw, i) => {
    const account = normalizeAccount(raw, i, market);
    const first = firstIndexOf.get(account.id);
    if (first !== undefined) {
      const detail = `duplicate account id ${JSON.stringify(account.id)}; accounts[${first}] has it too`;
      fail(ErrorCode.ORDER, at(account.path, "id"), detail);
    }
    firstIndexOf.set(account.id, i);
    return account;
  });
}

export function normalize(file: unknown): Book {
  const market = normalizeMarket(file);
  const accounts = normalizeAccounts(market);
  return { asOfMs: market.asOfMs, params: market.params, pairs: market.pairs, accounts };
}

function readBalances(
  raw: unknown,
  path: string,
  market: Market,
): { usd: number; coins: number[]; usdByCode?: Record<string, number> } {
  const balances = optional(raw, (v) => record(v, path), {} as Obj);
  const coins = market.pairs.map(() => 0);
  let usd = 0;
  let usdByCode: Record<string, number> | undefined;
  for (const key in balances) {
    if (!hasOwn.call(balances, key)) continue; // own keys only, as Object.entries
    if (USD_CODES.includes(key)) {
      const amount = numField(balances, key, path);
      usd += amount;
      (usdByCode ??= {})[key] = amount;
    } else {
      const pairIndex = pairOf(key, path, market, key);
      coins[pairIndex] += numField(balances, key, path);
    }
  }
  return { usd, coins, usdByCode };
}

function readPosition(raw: unknown, path: string, market: Market): BookPosition {
  const o = record(raw, path);
  knownKeys(o, path, POSITION_KEYS);
  const instrument = readInstrument(o.instrument, at(path, "instrument"), market);
  const qty = numField(o, "qty", path, NON_ZERO);
  let entryPrice: number | null = null;
  if (o.entryPrice !== undefined) {
    if (instrument.kind !== "future" && instrument.kind !== "perpetual") {
      const detail = `applies to futures and perpetuals only, not to ${instrument.kind} ${instrument.name}`;
      fail(ErrorCode.UNKNOWN, at(path, "entryPrice"), detail);
    }
    entryPrice = numField(o, "entryPrice", path, POSITIVE);
  }
  return { instrument, qty, entryPrice, path };
}

function readOrder(raw: unknown, path: string, market: Market): BookOrder {
  const o = record(raw, path);
  knownKeys(o, path, ORDER_KEYS);
  return {
    instrument: readInstrument(o.instrument, at(path, "instrument"), market),
    side: oneOfField(o, "side", path, SIDES, "order side"),
    qty: numField(o, "qty", path, POSITIVE),
    price: numField(o, "price", path, POSITIVE),
    path,
  };
}

/** A name or an object, placed in the market; an option needs its pair's surface (also checks what-if trades, whatif.ts). */
export function readInstrument(raw: unknown, path: string, market: Market): ResolvedInstrument {
  let instrument: ResolvedInstrument;
  if (typeof raw === "string") {
    const spec = parseInstrumentName(raw, path);
    instrument = resolveInstrument(spec, pairOf(spec.pair, path, market), market.asOfMs);
  } else if (isRecord(raw)) {
    const kind = instrumentKind(raw, path);
    const pair = textField(raw, "pair", path);
    const pairIndex = pairOf(pair, path, market, "pair");
    instrument = placedInstrument(raw, path, kind, pair, pairIndex, market.asOfMs);
  } else {
    present(raw, path, "an instrument name or object");
    return fail(
      ErrorCode.TYPE,
      path,
      `must be an instrument name such as BTC-PERPETUAL or an object {kind, pair, ...}, got ${describe(raw)}`,
    );
  }
  const { kind, pair, pairIndex } = instrument;
  if (kind === "option" && market.pairs[pairIndex].surface === null && !market.pairs[pairIndex].optionMarks) {
    const detail = `an option on ${pair} needs a volatility surface, but market.${pair} has none`;
    fail(ErrorCode.MISSING, path, detail);
  }
  return instrument;
}

// An instrument object is read in three steps, in field order: its kind (and that it has no key
// that does not apply to the kind), its pair (`pair`, which the caller places: in the market, or
// the mark's own pair), then the rest (placedInstrument, instrumentSpec).

/** An instrument object's kind, its keys checked. */
function instrumentKind(o: Obj, path: string): InstrumentKind {
  knownKeys(o, path, INSTRUMENT_KEYS);
  const kind = oneOfField(o, "kind", path, INSTRUMENT_KINDS, "instrument kind");
  // (every instrument key applies to an option: nothing more to check)
  const inapplicable = KIND_KEYS[kind] === INSTRUMENT_KEYS ? undefined : firstKeyNotIn(o, KIND_KEYS[kind]);
  if (inapplicable !== undefined) fail(ErrorCode.UNKNOWN, at(path, inapplicable), `does not apply to a ${kind}`);
  return kind;
}

/**
 * The rest of an instrument object of `kind` on `pair` (both read, the pair placed at
 * `pairIndex`), the instrument placed in the market field by field (no spec object each).
 */
function placedInstrument(
  o: Obj,
  path: string,
  kind: InstrumentKind,
  pair: string,
  pairIndex: number,
  asOfMs: number,
): ResolvedInstrument {
  const isOption = kind === "option";
  const isCall = isOption && oneOfField(o, "right", path, RIGHTS, "option right") === "call";
  const strike = isOption ? numField(o, "strike", path, POSITIVE) : 0;
  const expiryMs = kind === "future" || isOption ? timestampField(o, "expiry", path) : NaN;
  const multiplier = o.multiplier === undefined ? 1 : numField(o, "multiplier", path, POSITIVE);
  return placeInstrument(kind, pair, isCall, strike, expiryMs, multiplier, pairIndex, asOfMs);
}

/** The spec of an instrument object of `kind` on `pair` (a mark's, which is not placed: any placement will do). */
function instrumentSpec(o: Obj, path: string, kind: InstrumentKind, pair: string): InstrumentSpec {
  const { isCall, strike, expiryMs, multiplier } = placedInstrument(o, path, kind, pair, 0, 0);
  return { kind, pair, isCall, strike, expiryMs, multiplier };
}
