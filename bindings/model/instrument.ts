/**
 * Instruments: Deribit-style names (`BTC-PERPETUAL`, `BTC-27DEC26`, `BTC-27DEC26-30000-C`,
 * spot `BTC-USD` / `BTC_USDC`) parsed to an `InstrumentSpec`, and a spec placed in a market as a
 * `ResolvedInstrument` with its canonical name and tenor. Checking instrument objects field by
 * field is validate.ts's job; it produces the same `InstrumentSpec`.
 */
import { ErrorCode, MarginError } from "../errors.js";
import type { InstrumentKind, ResolvedInstrument } from "./book.js";
import { formatDeribitDate, parseDeribitDate, tenorYears } from "./dates.js";
import { memo } from "./memo.js";

export const INSTRUMENT_KINDS: readonly InstrumentKind[] = ["spot", "perpetual", "future", "option"];

/** Pair (underlying coin) names, as keys of `market` and in instrument names. */
export const PAIR_NAME = /^[A-Z0-9]{2,10}$/;

/** Balances under these keys count as USD at 1.0; none of them may name a pair. */
export const USD_CODES: readonly string[] = ["USD", "USDC", "USDT"];

/** What a name or an instrument object says, before it is placed in a market. */
export interface InstrumentSpec {
  kind: InstrumentKind;
  pair: string;
  /** options only; false otherwise */
  isCall: boolean;
  /** options only, USD; 0 otherwise */
  strike: number;
  /** futures and options, epoch ms; NaN otherwise */
  expiryMs: number;
  /** coins per contract; 1 for every name */
  multiplier: number;
}

const SPOT_NAME = /^([^-_]+)[-_](USD|USDC|USDT)$/;
/** `30000`, `0.5`, or Deribit's `0d5` */
const STRIKE = /^\d+(?:[.d]\d+)?$/;
const NAME_FORMS = "PAIR-PERPETUAL, PAIR-DDMMMYY, PAIR-DDMMMYY-STRIKE-C|P, PAIR-USD or PAIR_USDC";

/** Parse a Deribit-style name; throws `E_PARSE` (or `E_RANGE` for a zero strike) at `path`. */
export function parseInstrumentName(name: string, path: string): InstrumentSpec {
  return parsedName(name) ?? parseNameOrThrow(name, path);
}

/** The spec of a valid name (frozen: shared by every position that names it), else undefined; memoized. */
const parsedName = memo((name: string): InstrumentSpec | undefined => {
  try {
    return Object.freeze(parseNameOrThrow(name, ""));
  } catch {
    return undefined;
  }
});

function parseNameOrThrow(name: string, path: string): InstrumentSpec {
  const fail = (why: string): never => {
    throw new MarginError(ErrorCode.PARSE, path, `cannot parse instrument name ${JSON.stringify(name)}: ${why}`);
  };
  const parts = name.split("-");
  // the strike of an option name may hold Deribit's lower-case decimal mark `d`
  const upper = parts.map((part, i) => (parts.length === 4 && i === 2 ? part : part.toUpperCase()));
  if (upper.some((part, i) => part !== parts[i])) fail(`names are upper case: write ${upper.join("-")}`);

  const spot = SPOT_NAME.exec(name);
  const pair = spot ? spot[1] : parts[0];
  if (!PAIR_NAME.test(pair)) fail(`pair ${JSON.stringify(pair)} is not 2 to 10 upper-case letters or digits`);
  const base = { pair, isCall: false, strike: 0, expiryMs: NaN, multiplier: 1 };
  if (spot) return { ...base, kind: "spot" };

  const rest = parts.slice(1);
  if (rest.length === 1 && rest[0] === "PERPETUAL") return { ...base, kind: "perpetual" };
  if (rest.length === 1 && /^\d/.test(rest[0])) {
    return { ...base, kind: "future", expiryMs: parseDeribitDate(rest[0], path) };
  }
  if (rest.length !== 3) return fail(`expected ${NAME_FORMS}`);

  const [date, strikeText, right] = rest;
  const expiryMs = parseDeribitDate(date, path);
  if (!STRIKE.test(strikeText)) fail(`strike ${JSON.stringify(strikeText)} is not a number like 30000, 0.5 or 0d5`);
  const strike = Number(strikeText.replace("d", "."));
  if (strike <= 0) {
    throw new MarginError(ErrorCode.RANGE, path, `strike in ${JSON.stringify(name)} must be > 0`);
  }
  if (right !== "C" && right !== "P") fail(`option right ${JSON.stringify(right)} must be C or P`);
  return { ...base, kind: "option", isCall: right === "C", strike, expiryMs };
}

/** A number in plain decimal notation (never exponent form), e.g. 1e-7 -> "0.0000001". */
function plainDecimal(x: number): string {
  const text = String(x);
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const digits = m[1] + (m[2] ?? "");
  const exponent = Number(m[3]);
  return exponent < 0
    ? `0.${"0".repeat(-exponent - 1)}${digits}`
    : digits + "0".repeat(exponent - (digits.length - 1));
}

/** Strike as Deribit writes it in names: `95000`, `0d5`. */
export function formatStrike(strike: number): string {
  return plainDecimal(strike).replace(".", "d");
}

const deribitDate = memo(formatDeribitDate);
const strikeText = memo(formatStrike);

/** One pair's canonical names: futures by expiry ms, options by expiry ms then strike. */
interface PairNames {
  spot?: string;
  perpetual?: string;
  futures: Map<number, string>;
  calls: Map<number, Map<number, string>>;
  puts: Map<number, Map<number, string>>;
}

/**
 * Canonical names memoized by what they are made of (pair, kind, expiry, strike, right), with
 * no key to build: books name the same listed contracts over and over, and a name built once is
 * also hashed once wherever it is a key (the engine groups rows by name). Bounded as memo() is:
 * past NAMES_LIMIT names the cache starts over.
 */
const namesByPair = new Map<string, PairNames>();
const NAMES_LIMIT = 4096;
let namesHeld = 0;

/** `BTC-USD`, `BTC-PERPETUAL`, `BTC-5DEC26`, `BTC-5DEC26-0d5-C`: the expiry's UTC calendar day, Deribit style. */
export function canonicalName(spec: InstrumentSpec): string {
  if (namesHeld >= NAMES_LIMIT) {
    namesByPair.clear();
    namesHeld = 0;
  }
  let names = namesByPair.get(spec.pair);
  if (names === undefined) {
    names = { futures: new Map(), calls: new Map(), puts: new Map() };
    namesByPair.set(spec.pair, names);
  }
  switch (spec.kind) {
    case "spot":
      return names.spot ?? (names.spot = held(`${spec.pair}-USD`));
    case "perpetual":
      return names.perpetual ?? (names.perpetual = held(`${spec.pair}-PERPETUAL`));
    case "future": {
      let name = names.futures.get(spec.expiryMs);
      if (name === undefined) {
        name = held(`${spec.pair}-${deribitDate(spec.expiryMs)}`);
        names.futures.set(spec.expiryMs, name);
      }
      return name;
    }
    case "option": {
      const byExpiry = spec.isCall ? names.calls : names.puts;
      let byStrike = byExpiry.get(spec.expiryMs);
      if (byStrike === undefined) byExpiry.set(spec.expiryMs, (byStrike = new Map()));
      let name = byStrike.get(spec.strike);
      if (name === undefined) {
        name = held(`${spec.pair}-${deribitDate(spec.expiryMs)}-${strikeText(spec.strike)}-${spec.isCall ? "C" : "P"}`);
        byStrike.set(spec.strike, name);
      }
      return name;
    }
  }
}

/** Counts a name the cache now holds. */
function held(name: string): string {
  namesHeld++;
  return name;
}

/** Place a spec in the market: `pairIndex` indexes Book.pairs, tenors are ACT/365 from `asOfMs`. */
export function resolveInstrument(spec: InstrumentSpec, pairIndex: number, asOfMs: number): ResolvedInstrument {
  return placeInstrument(spec.kind, spec.pair, spec.isCall, spec.strike, spec.expiryMs, spec.multiplier, pairIndex, asOfMs);
}

/** resolveInstrument() of a spec given field by field (validate.ts reads instrument objects so: no spec object each). */
export function placeInstrument(
  kind: InstrumentKind,
  pair: string,
  isCall: boolean,
  strike: number,
  expiryMs: number,
  multiplier: number,
  pairIndex: number,
  asOfMs: number,
): ResolvedInstrument {
  const expires = kind === "future" || kind === "option";
  const instrument: ResolvedInstrument = {
    name: "", // (named below, from the instrument itself: it has every field of a spec)
    kind,
    pairIndex,
    pair,
    isCall,
    strike,
    expiryMs,
    tenorYears: expires ? tenorYears(expiryMs, asOfMs) : 0,
    multiplier,
  };
  instrument.name = canonicalName(instrument);
  return instrument;
}
