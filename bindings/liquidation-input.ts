/**
 * Checks of the liquidation inputs (bindings/model/liquidation.ts): the options `{ depth, buffer }`,
 * an account id, an instrument name and a side. Like validate.ts, every problem throws a
 * MarginError naming the field: `depth["BTC-PERPETUAL"].bids[2][1]`, `buffer`, `accountId`.
 */
import { ErrorCode, MarginError, type ErrorCodeValue } from "./errors.js";
import type { Book, BookPair } from "./model/book.js";
import { canonicalName, parseInstrumentName } from "./model/instrument.js";
import type { PositionSide } from "./model/liquidation.js";
import { at } from "./validate.js";

/** One level of a normalized book side. */
export interface DepthLevel {
  /** USD per coin, > 0 */
  price: number;
  /** coins, > 0 */
  coins: number;
}

/** The depth of one instrument, normalized: bids strictly descending, asks strictly ascending, not crossed. */
export interface InstrumentDepth {
  bids: DepthLevel[];
  asks: DepthLevel[];
}

export interface NormalizedLiquidationOptions {
  /** by canonical instrument name */
  depth: Map<string, InstrumentDepth>;
  /** in [0, 1]; 1 (target = IM) by default */
  buffer: number;
}

const OPTION_KEYS = ["depth", "buffer"];
const SIDE_KEYS = ["bids", "asks"];
const SIDES: readonly PositionSide[] = ["long", "short"];

function fail(code: ErrorCodeValue, path: string, detail: string): never {
  throw new MarginError(code, path, detail);
}

function kind(value: unknown): string {
  if (value === null || value === undefined || typeof value === "number") return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined) fail(ErrorCode.MISSING, path, "is missing (must be an object)");
  if (!isRecord(value)) fail(ErrorCode.TYPE, path, `must be an object, got ${kind(value)}`);
  return value;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) fail(ErrorCode.MISSING, path, "is missing (must be an array)");
  if (!Array.isArray(value)) fail(ErrorCode.TYPE, path, `must be an array, got ${kind(value)}`);
  return value;
}

function knownKeys(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  const unknown = Object.keys(o).find((key) => !allowed.includes(key));
  if (unknown !== undefined) fail(ErrorCode.UNKNOWN, at(path, unknown), `unknown field; expected one of ${allowed.join(", ")}`);
}

function positive(value: unknown, path: string): number {
  if (value === undefined) fail(ErrorCode.MISSING, path, "is missing (must be a finite number > 0)");
  if (typeof value !== "number") fail(ErrorCode.TYPE, path, `must be a finite number, got ${kind(value)}`);
  if (!Number.isFinite(value)) fail(ErrorCode.NOT_FINITE, path, `must be a finite number, got ${value}`);
  if (!(value > 0)) fail(ErrorCode.RANGE, path, `must be > 0, got ${value}`);
  return value;
}

/** `buffer`: a finite number in [0, 1]. */
export function readBuffer(value: unknown, path = "buffer"): number {
  if (value === undefined) return 1;
  if (typeof value !== "number") fail(ErrorCode.TYPE, path, `must be a finite number, got ${kind(value)}`);
  if (!Number.isFinite(value)) fail(ErrorCode.NOT_FINITE, path, `must be a finite number, got ${value}`);
  if (!(value >= 0 && value <= 1)) fail(ErrorCode.RANGE, path, `must be in [0, 1], got ${value}`);
  return value;
}

/** One side of a book: `[[price, size], ...]`, prices strictly descending (bids) or ascending (asks). */
function readSide(raw: unknown, path: string, descending: boolean): DepthLevel[] {
  if (raw === undefined) return [];
  const levels = list(raw, path).map((item, i): DepthLevel => {
    const p = at(path, i);
    const pair = list(item, p);
    if (pair.length !== 2) fail(ErrorCode.SHAPE, p, `must be [price, size], got ${pair.length} entries`);
    return { price: positive(pair[0], at(p, 0)), coins: positive(pair[1], at(p, 1)) };
  });
  levels.forEach((level, i) => {
    if (i === 0) return;
    const prev = levels[i - 1].price;
    const ok = descending ? level.price < prev : level.price > prev;
    if (!ok) {
      const order = descending ? "strictly descending (best bid first)" : "strictly ascending (best ask first)";
      fail(ErrorCode.ORDER, at(at(path, i), 0), `prices must be ${order}; ${level.price} follows ${prev}`);
    }
  });
  return levels;
}

/**
 * `depth`: `{ NAME: { bids?, asks? } }`; names parse as instruments of the book's pairs and name each
 * market once (`BTC-05DEC26` and `BTC-5DEC26` are one); the book may not be crossed.
 */
export function readDepth(raw: unknown, pairs: readonly BookPair[], path = "depth"): Map<string, InstrumentDepth> {
  const o = record(raw, path);
  const depth = new Map<string, InstrumentDepth>();
  const keyOf = new Map<string, string>();
  for (const [key, value] of Object.entries(o)) {
    const p = at(path, key);
    const spec = parseInstrumentName(key, p);
    if (!pairs.some((pair) => pair.name === spec.pair)) {
      fail(ErrorCode.UNKNOWN, p, `unknown pair ${spec.pair} (not in market)`);
    }
    const name = canonicalName(spec);
    const first = keyOf.get(name);
    if (first !== undefined) fail(ErrorCode.ORDER, p, `names the same market (${name}) as ${at(path, first)}`);
    keyOf.set(name, key);
    const sides = record(value, p);
    knownKeys(sides, p, SIDE_KEYS);
    const bids = readSide(sides.bids, at(p, "bids"), true);
    const asks = readSide(sides.asks, at(p, "asks"), false);
    if (bids.length > 0 && asks.length > 0 && asks[0].price <= bids[0].price) {
      fail(ErrorCode.ORDER, at(at(at(p, "asks"), 0), 0), `best ask ${asks[0].price} crosses the best bid ${bids[0].price}`);
    }
    depth.set(name, { bids, asks });
  }
  return depth;
}

/** The options of a plan: `{ depth, buffer? }`, paths from the root (`depth[...]`, `buffer`). */
export function readLiquidationOptions(raw: unknown, book: Book): NormalizedLiquidationOptions {
  const o = record(raw, "options");
  knownKeys(o, "", OPTION_KEYS);
  return { depth: readDepth(o.depth, book.pairs), buffer: readBuffer(o.buffer) };
}

/** The index of the account with id `raw` (path `accountId`). */
export function readAccountId(raw: unknown, book: Book, path = "accountId"): number {
  if (raw === undefined) fail(ErrorCode.MISSING, path, "is missing (must be an account id)");
  if (typeof raw !== "string") fail(ErrorCode.TYPE, path, `must be a string, got ${kind(raw)}`);
  const index = book.accounts.findIndex((a) => a.id === raw);
  if (index < 0) fail(ErrorCode.UNKNOWN, path, `no account has id ${JSON.stringify(raw)}`);
  return index;
}

/** An instrument name of the book's pairs, canonical (path `instrument`). */
export function readInstrumentName(raw: unknown, book: Book, path = "instrument"): string {
  if (raw === undefined) fail(ErrorCode.MISSING, path, "is missing (must be an instrument name)");
  if (typeof raw !== "string") fail(ErrorCode.TYPE, path, `must be an instrument name, got ${kind(raw)}`);
  const spec = parseInstrumentName(raw, path);
  if (!book.pairs.some((pair) => pair.name === spec.pair)) fail(ErrorCode.UNKNOWN, path, `unknown pair ${spec.pair} (not in market)`);
  return canonicalName(spec);
}

/** `long` or `short` (path `side`). */
export function readPositionSide(raw: unknown, path = "side"): PositionSide {
  if (raw === undefined) fail(ErrorCode.MISSING, path, "is missing (must be long or short)");
  if (typeof raw !== "string") fail(ErrorCode.TYPE, path, `must be a string, got ${kind(raw)}`);
  if (!(SIDES as readonly string[]).includes(raw)) {
    fail(ErrorCode.UNKNOWN, path, `unknown side ${JSON.stringify(raw)}; expected long or short (the side being deleveraged)`);
  }
  return raw as PositionSide;
}
