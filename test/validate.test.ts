import { describe, expect, it } from "vitest";
import { ErrorCode, MarginError, type ErrorCodeValue } from "../bindings/errors.js";
import {
  formatDeribitDate,
  parseDeribitDate,
  parseIsoTimestamp,
  tenorYears,
} from "../bindings/model/dates.js";
import { canonicalName, parseInstrumentName, type InstrumentSpec } from "../bindings/model/instrument.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { normalize, normalizeAccount, normalizeMarket } from "../bindings/validate.js";

/** SPEC.md "The portfolio file", plus a second account so cross-account rules have something to hit. */
const BASE: PortfolioFile = {
  asOf: "2026-11-21T08:00:00Z",
  params: {
    grid: "powertrade9",
    pairs: { BTC: { ssf: 0.15, vsf: 0.4 } },
    usdRate: 0,
    mmFraction: 0.5,
    coinPolicy: "capped",
    pairCorrelation: null,
  },
  market: {
    BTC: {
      spot: 91000,
      futures: [{ expiry: "2026-12-25T08:00:00Z", mark: 91500 }],
      surface: {
        tenors: [0.02, 0.1, 0.5],
        logMoneyness: [-0.4, -0.1, 0, 0.1, 0.4],
        vols: [
          [0.9, 0.7, 0.65, 0.68, 0.85],
          [0.8, 0.66, 0.6, 0.62, 0.75],
          [0.7, 0.6, 0.56, 0.57, 0.66],
        ],
      },
    },
    ETH: { spot: 3100, surface: { atmVol: 0.7 } },
  },
  accounts: [
    {
      id: "alice",
      balances: { USD: 250000, BTC: 1.5 },
      positions: [
        { instrument: "BTC-25DEC26-95000-C", qty: -2 },
        { instrument: "BTC-PERPETUAL", qty: 1, entryPrice: 90000 },
        {
          instrument: {
            kind: "option",
            pair: "ETH",
            right: "put",
            strike: 3000,
            expiry: "2027-03-26T08:00:00Z",
            multiplier: 1,
          },
          qty: 10,
        },
      ],
      orders: [{ instrument: "BTC-PERPETUAL", side: "buy", qty: 1, price: 90500 }],
    },
    { id: "bob", balances: { USDC: 1000 }, positions: [{ instrument: "ETH-PERPETUAL", qty: -3 }] },
  ],
};

/** Mutations reach into arbitrary places of a deliberately broken file. */
type Loose = any;

function file(mutate: (f: Loose) => void = () => {}): Loose {
  const f = structuredClone(BASE) as Loose;
  mutate(f);
  return f;
}

const DAY = 86_400_000;
const utc = (y: number, m: number, d: number, h = 8) => Date.UTC(y, m - 1, d, h);
const ASOF = utc(2026, 11, 21);

const alice = (f: Loose) => f.accounts[0];
const pos = (f: Loose, i: number) => f.accounts[0].positions[i];
const order = (f: Loose) => f.accounts[0].orders[0];
const obj = (f: Loose) => f.accounts[0].positions[2].instrument;
const btc = (f: Loose) => f.market.BTC;
const surf = (f: Loose) => f.market.BTC.surface;
const setName = (i: number, name: string) => (f: Loose) => (pos(f, i).instrument = name);
/** Adds SOL, a pair without a surface. */
const withSol = (f: Loose) => {
  f.market.SOL = { spot: 200 };
};

interface BadCase {
  name: string;
  mutate?: (f: Loose) => void;
  /** the whole input, when it is not a mutation of BASE */
  input?: unknown;
  path: string;
  code: ErrorCodeValue;
}

const P0 = "accounts[0].positions[0]";
const P2 = "accounts[0].positions[2]";
const O0 = "accounts[0].orders[0]";
const I2 = `${P2}.instrument`;
const { MISSING, TYPE, NOT_FINITE, RANGE, UNKNOWN, PARSE, ORDER, SHAPE } = ErrorCode;

const BAD: BadCase[] = [
  // top level
  { name: "file is null", input: null, path: "", code: TYPE },
  { name: "file is an array", input: [], path: "", code: TYPE },
  { name: "unknown top-level key", mutate: (f) => (f.acounts = []), path: "acounts", code: UNKNOWN },
  { name: "asOf missing", mutate: (f) => delete f.asOf, path: "asOf", code: MISSING },
  { name: "asOf a number", mutate: (f) => (f.asOf = 1795248000000), path: "asOf", code: TYPE },
  { name: "asOf date only", mutate: (f) => (f.asOf = "2026-11-21"), path: "asOf", code: PARSE },
  { name: "asOf without offset", mutate: (f) => (f.asOf = "2026-11-21T08:00:00"), path: "asOf", code: PARSE },
  { name: "asOf without seconds", mutate: (f) => (f.asOf = "2026-11-21T08:00Z"), path: "asOf", code: PARSE },
  { name: "asOf 29 Feb of a common year", mutate: (f) => (f.asOf = "2026-02-29T08:00:00Z"), path: "asOf", code: PARSE },
  { name: "asOf hour 24", mutate: (f) => (f.asOf = "2026-11-21T24:00:00Z"), path: "asOf", code: PARSE },
  { name: "asOf month 13", mutate: (f) => (f.asOf = "2026-13-01T08:00:00Z"), path: "asOf", code: PARSE },
  { name: "market missing", mutate: (f) => delete f.market, path: "market", code: MISSING },
  { name: "market an array", mutate: (f) => (f.market = []), path: "market", code: TYPE },
  { name: "market empty", mutate: (f) => (f.market = {}), path: "market", code: MISSING },
  { name: "accounts missing", mutate: (f) => delete f.accounts, path: "accounts", code: MISSING },
  { name: "accounts an object", mutate: (f) => (f.accounts = {}), path: "accounts", code: TYPE },

  // market pairs
  { name: "lower-case pair name", mutate: (f) => (f.market.btc = { spot: 1 }), path: "market.btc", code: PARSE },
  { name: "pair name too long", mutate: (f) => (f.market.ABCDEFGHIJK = { spot: 1 }), path: "market.ABCDEFGHIJK", code: PARSE },
  { name: "pair name with a dash", mutate: (f) => (f.market["BTC-X"] = { spot: 1 }), path: 'market["BTC-X"]', code: PARSE },
  { name: "USD as a pair", mutate: (f) => (f.market.USD = { spot: 1 }), path: "market.USD", code: RANGE },
  { name: "pair market a number", mutate: (f) => (f.market.ETH = 3100), path: "market.ETH", code: TYPE },
  { name: "unknown key in a pair market", mutate: (f) => (f.market.ETH.spotPrice = 1), path: "market.ETH.spotPrice", code: UNKNOWN },
  { name: "spot missing", mutate: (f) => delete f.market.ETH.spot, path: "market.ETH.spot", code: MISSING },
  { name: "spot a string", mutate: (f) => (f.market.ETH.spot = "3100"), path: "market.ETH.spot", code: TYPE },
  { name: "spot zero", mutate: (f) => (f.market.ETH.spot = 0), path: "market.ETH.spot", code: RANGE },
  { name: "spot negative", mutate: (f) => (f.market.ETH.spot = -1), path: "market.ETH.spot", code: RANGE },
  { name: "spot NaN", mutate: (f) => (f.market.ETH.spot = NaN), path: "market.ETH.spot", code: NOT_FINITE },
  { name: "spot Infinity", mutate: (f) => (f.market.ETH.spot = Infinity), path: "market.ETH.spot", code: NOT_FINITE },

  // futures marks
  { name: "futures not an array", mutate: (f) => (btc(f).futures = {}), path: "market.BTC.futures", code: TYPE },
  { name: "future mark not an object", mutate: (f) => (btc(f).futures[0] = 91500), path: "market.BTC.futures[0]", code: TYPE },
  { name: "unknown key in a future mark", mutate: (f) => (btc(f).futures[0].price = 1), path: "market.BTC.futures[0].price", code: UNKNOWN },
  { name: "future expiry missing", mutate: (f) => delete btc(f).futures[0].expiry, path: "market.BTC.futures[0].expiry", code: MISSING },
  { name: "future expiry as a Deribit code", mutate: (f) => (btc(f).futures[0].expiry = "25DEC26"), path: "market.BTC.futures[0].expiry", code: PARSE },
  { name: "future expiry at asOf", mutate: (f) => (btc(f).futures[0].expiry = BASE.asOf), path: "market.BTC.futures[0].expiry", code: RANGE },
  { name: "future expiry before asOf", mutate: (f) => (btc(f).futures[0].expiry = "2026-11-20T08:00:00Z"), path: "market.BTC.futures[0].expiry", code: RANGE },
  {
    name: "duplicate future expiry (same instant, another offset)",
    mutate: (f) => btc(f).futures.push({ expiry: "2026-12-25T09:00:00+01:00", mark: 91600 }),
    path: "market.BTC.futures[1].expiry",
    code: ORDER,
  },
  { name: "future mark zero", mutate: (f) => (btc(f).futures[0].mark = 0), path: "market.BTC.futures[0].mark", code: RANGE },
  { name: "future mark missing", mutate: (f) => delete btc(f).futures[0].mark, path: "market.BTC.futures[0].mark", code: MISSING },

  // surfaces
  { name: "surface from no option marks", mutate: (f) => (btc(f).surface = { options: [] }), path: "market.BTC.surface.options", code: SHAPE },
  { name: "surface a string", mutate: (f) => (btc(f).surface = "flat"), path: "market.BTC.surface", code: TYPE },
  { name: "surface with a typo key", mutate: (f) => (f.market.ETH.surface = { atmvol: 0.7 }), path: "market.ETH.surface.atmvol", code: UNKNOWN },
  { name: "empty surface", mutate: (f) => (btc(f).surface = {}), path: "market.BTC.surface.tenors", code: MISSING },
  { name: "atmVol negative", mutate: (f) => (f.market.ETH.surface.atmVol = -0.1), path: "market.ETH.surface.atmVol", code: RANGE },
  { name: "atmVol NaN", mutate: (f) => (f.market.ETH.surface.atmVol = NaN), path: "market.ETH.surface.atmVol", code: NOT_FINITE },
  { name: "atmVol mixed with nodes", mutate: (f) => (f.market.ETH.surface.tenors = [1]), path: "market.ETH.surface.tenors", code: TYPE },
  { name: "tenors unsorted", mutate: (f) => (surf(f).tenors = [0.1, 0.02, 0.5]), path: "market.BTC.surface.tenors", code: ORDER },
  { name: "tenors repeated", mutate: (f) => (surf(f).tenors = [0.02, 0.1, 0.1]), path: "market.BTC.surface.tenors", code: ORDER },
  { name: "tenor zero", mutate: (f) => (surf(f).tenors = [0, 0.1, 0.5]), path: "market.BTC.surface.tenors[0]", code: RANGE },
  { name: "tenors empty", mutate: (f) => (surf(f).tenors = []), path: "market.BTC.surface.tenors", code: SHAPE },
  { name: "tenor a string", mutate: (f) => (surf(f).tenors[1] = "0.1"), path: "market.BTC.surface.tenors[1]", code: TYPE },
  {
    name: "logMoneyness unsorted",
    mutate: (f) => (surf(f).logMoneyness = [-0.4, 0, -0.1, 0.1, 0.4]),
    path: "market.BTC.surface.logMoneyness",
    code: ORDER,
  },
  { name: "vols missing", mutate: (f) => delete surf(f).vols, path: "market.BTC.surface.vols", code: MISSING },
  { name: "vols with a row too few", mutate: (f) => surf(f).vols.pop(), path: "market.BTC.surface.vols", code: SHAPE },
  { name: "vols row too short", mutate: (f) => surf(f).vols[1].pop(), path: "market.BTC.surface.vols[1]", code: SHAPE },
  { name: "vols row not an array", mutate: (f) => (surf(f).vols[1] = 0.6), path: "market.BTC.surface.vols[1]", code: TYPE },
  { name: "vol negative", mutate: (f) => (surf(f).vols[1][2] = -0.01), path: "market.BTC.surface.vols[1][2]", code: RANGE },
  { name: "vol Infinity", mutate: (f) => (surf(f).vols[2][4] = Infinity), path: "market.BTC.surface.vols[2][4]", code: NOT_FINITE },

  // params
  { name: "params an array", mutate: (f) => (f.params = []), path: "params", code: TYPE },
  { name: "params key typo", mutate: (f) => (f.params.mmFracton = 0.4), path: "params.mmFracton", code: UNKNOWN },
  { name: "unknown grid preset", mutate: (f) => (f.params.grid = "powertrade16"), path: "params.grid", code: UNKNOWN },
  { name: "grid a number", mutate: (f) => (f.params.grid = 9), path: "params.grid", code: TYPE },
  { name: "grid key typo", mutate: (f) => (f.params.grid = { row: [] }), path: "params.grid.row", code: UNKNOWN },
  { name: "grid rows missing", mutate: (f) => (f.params.grid = {}), path: "params.grid.rows", code: MISSING },
  { name: "grid rows empty", mutate: (f) => (f.params.grid = { rows: [] }), path: "params.grid.rows", code: SHAPE },
  {
    name: "grid with 65 rows",
    mutate: (f) => (f.params.grid = { rows: Array.from({ length: 65 }, () => ({ spot: 0, vol: 0 })) }),
    path: "params.grid.rows",
    code: SHAPE,
  },
  { name: "grid row spot -1", mutate: (f) => (f.params.grid = { rows: [{ spot: -1, vol: 0 }] }), path: "params.grid.rows[0].spot", code: RANGE },
  { name: "grid row vol missing", mutate: (f) => (f.params.grid = { rows: [{ spot: 0.1 }] }), path: "params.grid.rows[0].vol", code: MISSING },
  {
    name: "grid row weight above 1",
    mutate: (f) => (f.params.grid = { rows: [{ spot: 0, vol: 0 }, { spot: 0.1, vol: 0, weight: 1.5 }] }),
    path: "params.grid.rows[1].weight",
    code: RANGE,
  },
  {
    name: "grid row unknown key",
    mutate: (f) => (f.params.grid = { rows: [{ spot: 0, vol: 0, wieght: 1 }] }),
    path: "params.grid.rows[0].wieght",
    code: UNKNOWN,
  },
  { name: "params.pairs for an unknown pair", mutate: (f) => (f.params.pairs.XRP = { ssf: 0.2 }), path: "params.pairs.XRP", code: UNKNOWN },
  { name: "params.pairs not an object", mutate: (f) => (f.params.pairs = []), path: "params.pairs", code: TYPE },
  { name: "ssf 1", mutate: (f) => (f.params.pairs.BTC.ssf = 1), path: "params.pairs.BTC.ssf", code: RANGE },
  { name: "ssf negative", mutate: (f) => (f.params.pairs.BTC.ssf = -0.1), path: "params.pairs.BTC.ssf", code: RANGE },
  { name: "vsf negative", mutate: (f) => (f.params.pairs.BTC.vsf = -0.4), path: "params.pairs.BTC.vsf", code: RANGE },
  { name: "pair params key typo", mutate: (f) => (f.params.pairs.BTC.sff = 0.2), path: "params.pairs.BTC.sff", code: UNKNOWN },
  { name: "usdRate a string", mutate: (f) => (f.params.usdRate = "0.05"), path: "params.usdRate", code: TYPE },
  { name: "usdRate Infinity", mutate: (f) => (f.params.usdRate = Infinity), path: "params.usdRate", code: NOT_FINITE },
  { name: "mmFraction 0", mutate: (f) => (f.params.mmFraction = 0), path: "params.mmFraction", code: RANGE },
  { name: "mmFraction above 1", mutate: (f) => (f.params.mmFraction = 1.5), path: "params.mmFraction", code: RANGE },
  { name: "unknown coin policy", mutate: (f) => (f.params.coinPolicy = "partial"), path: "params.coinPolicy", code: UNKNOWN },
  { name: "pairCorrelation not an array", mutate: (f) => (f.params.pairCorrelation = 1), path: "params.pairCorrelation", code: TYPE },
  { name: "pairCorrelation 1x1 for 2 pairs", mutate: (f) => (f.params.pairCorrelation = [[1]]), path: "params.pairCorrelation", code: SHAPE },
  {
    name: "pairCorrelation row too short",
    mutate: (f) => (f.params.pairCorrelation = [[1, 0], [0]]),
    path: "params.pairCorrelation[1]",
    code: SHAPE,
  },
  {
    name: "pairCorrelation entry above 1",
    mutate: (f) => (f.params.pairCorrelation = [[1, 1.5], [1.5, 1]]),
    path: "params.pairCorrelation[0][1]",
    code: RANGE,
  },
  {
    name: "pairCorrelation diagonal not 1",
    mutate: (f) => (f.params.pairCorrelation = [[1, 0.5], [0.5, 0.9]]),
    path: "params.pairCorrelation[1][1]",
    code: RANGE,
  },
  {
    name: "pairCorrelation asymmetric",
    mutate: (f) => (f.params.pairCorrelation = [[1, 0.5], [0.4, 1]]),
    path: "params.pairCorrelation[1][0]",
    code: RANGE,
  },

  // accounts
  { name: "account not an object", mutate: (f) => (f.accounts[0] = "alice"), path: "accounts[0]", code: TYPE },
  { name: "unknown key in an account", mutate: (f) => (alice(f).balance = {}), path: "accounts[0].balance", code: UNKNOWN },
  { name: "account id missing", mutate: (f) => delete alice(f).id, path: "accounts[0].id", code: MISSING },
  { name: "account id a number", mutate: (f) => (alice(f).id = 7), path: "accounts[0].id", code: TYPE },
  { name: "account id empty", mutate: (f) => (alice(f).id = ""), path: "accounts[0].id", code: RANGE },
  { name: "duplicate account id", mutate: (f) => (f.accounts[1].id = "alice"), path: "accounts[1].id", code: ORDER },
  { name: "balances an array", mutate: (f) => (alice(f).balances = []), path: "accounts[0].balances", code: TYPE },
  { name: "balance of an unknown pair", mutate: (f) => (f.accounts[1].balances.XRP = 10), path: "accounts[1].balances.XRP", code: UNKNOWN },
  { name: "balance in lower case", mutate: (f) => (f.accounts[1].balances.btc = 1), path: "accounts[1].balances.btc", code: UNKNOWN },
  { name: "USD balance a string", mutate: (f) => (alice(f).balances.USD = "250000"), path: "accounts[0].balances.USD", code: TYPE },
  { name: "coin balance NaN", mutate: (f) => (alice(f).balances.BTC = NaN), path: "accounts[0].balances.BTC", code: NOT_FINITE },

  // positions
  { name: "positions an object", mutate: (f) => (alice(f).positions = {}), path: "accounts[0].positions", code: TYPE },
  { name: "position null", mutate: (f) => (alice(f).positions[1] = null), path: "accounts[0].positions[1]", code: TYPE },
  { name: "unknown key in a position", mutate: (f) => (pos(f, 0).quantity = 1), path: `${P0}.quantity`, code: UNKNOWN },
  { name: "qty missing", mutate: (f) => delete pos(f, 2).qty, path: `${P2}.qty`, code: MISSING },
  { name: "qty a string", mutate: (f) => (pos(f, 2).qty = "10"), path: `${P2}.qty`, code: TYPE },
  { name: "qty NaN", mutate: (f) => (pos(f, 2).qty = NaN), path: `${P2}.qty`, code: NOT_FINITE },
  { name: "qty zero", mutate: (f) => (pos(f, 2).qty = 0), path: `${P2}.qty`, code: RANGE },
  { name: "entryPrice on an option", mutate: (f) => (pos(f, 0).entryPrice = 1000), path: `${P0}.entryPrice`, code: UNKNOWN },
  {
    name: "entryPrice on spot",
    mutate: (f) => Object.assign(pos(f, 0), { instrument: "BTC-USD", entryPrice: 90000 }),
    path: `${P0}.entryPrice`,
    code: UNKNOWN,
  },
  { name: "entryPrice zero", mutate: (f) => (pos(f, 1).entryPrice = 0), path: "accounts[0].positions[1].entryPrice", code: RANGE },
  { name: "entryPrice null", mutate: (f) => (pos(f, 1).entryPrice = null), path: "accounts[0].positions[1].entryPrice", code: TYPE },
  { name: "instrument missing", mutate: (f) => delete pos(f, 0).instrument, path: `${P0}.instrument`, code: MISSING },
  { name: "instrument a number", mutate: (f) => (pos(f, 0).instrument = 42), path: `${P0}.instrument`, code: TYPE },

  // instrument names
  { name: "lower-case name", mutate: setName(0, "btc-perpetual"), path: `${P0}.instrument`, code: PARSE },
  { name: "lower-case month", mutate: setName(0, "BTC-25dec26-95000-C"), path: `${P0}.instrument`, code: PARSE },
  { name: "abbreviated perpetual", mutate: setName(0, "BTC-PERP"), path: `${P0}.instrument`, code: PARSE },
  { name: "31 FEB", mutate: setName(0, "BTC-31FEB27"), path: `${P0}.instrument`, code: PARSE },
  { name: "day zero", mutate: setName(0, "BTC-0DEC26"), path: `${P0}.instrument`, code: PARSE },
  { name: "unknown month", mutate: setName(0, "BTC-25DEK26"), path: `${P0}.instrument`, code: PARSE },
  { name: "four-digit year", mutate: setName(0, "BTC-25DEC2026"), path: `${P0}.instrument`, code: PARSE },
  { name: "three-digit day", mutate: setName(0, "BTC-025DEC26"), path: `${P0}.instrument`, code: PARSE },
  { name: "option right X", mutate: setName(0, "BTC-25DEC26-95000-X"), path: `${P0}.instrument`, code: PARSE },
  { name: "option right lower case", mutate: setName(0, "BTC-25DEC26-95000-c"), path: `${P0}.instrument`, code: PARSE },
  { name: "strike in exponent form", mutate: setName(0, "BTC-25DEC26-1e5-C"), path: `${P0}.instrument`, code: PARSE },
  { name: "strike with upper-case D", mutate: setName(0, "BTC-25DEC26-0D5-C"), path: `${P0}.instrument`, code: PARSE },
  { name: "strike zero", mutate: setName(0, "BTC-25DEC26-0-C"), path: `${P0}.instrument`, code: RANGE },
  { name: "three-part name", mutate: setName(0, "BTC-25DEC26-95000"), path: `${P0}.instrument`, code: PARSE },
  { name: "linear perpetual", mutate: setName(0, "BTC_USDC-PERPETUAL"), path: `${P0}.instrument`, code: PARSE },
  { name: "name on an unknown pair", mutate: setName(0, "XRP-PERPETUAL"), path: `${P0}.instrument`, code: UNKNOWN },
  {
    name: "option name on a pair without a surface",
    mutate: (f) => {
      withSol(f);
      pos(f, 0).instrument = "SOL-25DEC26-200-C";
    },
    path: `${P0}.instrument`,
    code: MISSING,
  },

  // instrument objects
  { name: "object kind missing", mutate: (f) => delete obj(f).kind, path: `${I2}.kind`, code: MISSING },
  { name: "object kind unknown", mutate: (f) => (obj(f).kind = "swap"), path: `${I2}.kind`, code: UNKNOWN },
  { name: "object unknown key", mutate: (f) => (obj(f).type = "put"), path: `${I2}.type`, code: UNKNOWN },
  {
    name: "object right on a perpetual",
    mutate: (f) => (pos(f, 2).instrument = { kind: "perpetual", pair: "ETH", right: "call" }),
    path: `${I2}.right`,
    code: UNKNOWN,
  },
  {
    name: "object expiry on spot",
    mutate: (f) => (pos(f, 2).instrument = { kind: "spot", pair: "ETH", expiry: "2027-03-26T08:00:00Z" }),
    path: `${I2}.expiry`,
    code: UNKNOWN,
  },
  { name: "object pair missing", mutate: (f) => delete obj(f).pair, path: `${I2}.pair`, code: MISSING },
  { name: "object pair unknown", mutate: (f) => (obj(f).pair = "XRP"), path: `${I2}.pair`, code: UNKNOWN },
  { name: "object right P", mutate: (f) => (obj(f).right = "P"), path: `${I2}.right`, code: UNKNOWN },
  { name: "object right missing", mutate: (f) => delete obj(f).right, path: `${I2}.right`, code: MISSING },
  { name: "object strike negative", mutate: (f) => (obj(f).strike = -3000), path: `${I2}.strike`, code: RANGE },
  { name: "object strike missing", mutate: (f) => delete obj(f).strike, path: `${I2}.strike`, code: MISSING },
  { name: "object expiry date only", mutate: (f) => (obj(f).expiry = "2027-03-26"), path: `${I2}.expiry`, code: PARSE },
  {
    name: "object future without expiry",
    mutate: (f) => (pos(f, 2).instrument = { kind: "future", pair: "ETH" }),
    path: `${I2}.expiry`,
    code: MISSING,
  },
  { name: "object multiplier zero", mutate: (f) => (obj(f).multiplier = 0), path: `${I2}.multiplier`, code: RANGE },
  { name: "object multiplier NaN", mutate: (f) => (obj(f).multiplier = NaN), path: `${I2}.multiplier`, code: NOT_FINITE },
  {
    name: "object option on a pair without a surface",
    mutate: (f) => {
      withSol(f);
      obj(f).pair = "SOL";
    },
    path: I2,
    code: MISSING,
  },

  // orders
  { name: "orders an object", mutate: (f) => (alice(f).orders = {}), path: "accounts[0].orders", code: TYPE },
  { name: "unknown key in an order", mutate: (f) => (order(f).limit = 1), path: `${O0}.limit`, code: UNKNOWN },
  { name: "order side missing", mutate: (f) => delete order(f).side, path: `${O0}.side`, code: MISSING },
  { name: "order side bid", mutate: (f) => (order(f).side = "bid"), path: `${O0}.side`, code: UNKNOWN },
  { name: "order qty negative", mutate: (f) => (order(f).qty = -1), path: `${O0}.qty`, code: RANGE },
  { name: "order qty zero", mutate: (f) => (order(f).qty = 0), path: `${O0}.qty`, code: RANGE },
  { name: "order price zero", mutate: (f) => (order(f).price = 0), path: `${O0}.price`, code: RANGE },
  { name: "order price missing", mutate: (f) => delete order(f).price, path: `${O0}.price`, code: MISSING },
  { name: "order on an unknown pair", mutate: (f) => (order(f).instrument = "XRP-PERPETUAL"), path: `${O0}.instrument`, code: UNKNOWN },
  {
    name: "option order on a pair without a surface",
    mutate: (f) => {
      withSol(f);
      order(f).instrument = "SOL-25DEC26-200-P";
    },
    path: `${O0}.instrument`,
    code: MISSING,
  },
];

function thrown(run: () => unknown): MarginError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(MarginError);
    return e as MarginError;
  }
  throw new Error("expected a MarginError, nothing was thrown");
}

describe("normalize rejects bad input", () => {
  it("accepts the base file", () => {
    expect(() => normalize(file())).not.toThrow();
    expect(normalize(JSON.parse(JSON.stringify(BASE)))).toEqual(normalize(file()));
  });

  it.each(BAD)("$name -> $code at $path", ({ mutate, input, path, code }) => {
    const error = thrown(() => normalize(mutate ? file(mutate) : input));
    expect({ path: error.path, code: error.code }).toEqual({ path, code });
    expect(error.message.startsWith(path ? `${path}: ` : "")).toBe(true);
    expect(error.message.length).toBeGreaterThan(path.length + 2);
  });

  it("uses the SPEC's wording for a non-finite number", () => {
    const error = thrown(() => normalize(file((f) => (pos(f, 2).qty = Infinity))));
    expect(error.message).toBe("accounts[0].positions[2].qty: must be a finite number, got Infinity");
  });

  it("names the unknown pair of a balance", () => {
    const error = thrown(() => normalize(file((f) => (f.accounts[1].balances.XRP = 10))));
    expect(error.message).toBe("accounts[1].balances.XRP: unknown pair XRP (not in market)");
  });

  it("says why a surface is not ascending", () => {
    const error = thrown(() => normalize(file((f) => (surf(f).logMoneyness = [-0.4, -0.1, -0.1, 0.1, 0.4]))));
    expect(error.message).toBe("market.BTC.surface.logMoneyness: must be strictly ascending; element 2 (-0.1) follows -0.1");
  });

  it("tells how to write a lower-case name", () => {
    const error = thrown(() => normalize(file(setName(0, "btc-25dec26-0d5-c"))));
    expect(error.message).toContain("write BTC-25DEC26-0d5-C");
  });

  it("asks for at least one mark in a surface from option marks", () => {
    const error = thrown(() => normalize(file((f) => (btc(f).surface = { options: [] }))));
    expect(error.message).toBe("market.BTC.surface.options: must have at least one option mark on BTC");
  });

  it("names the pair when an option has no surface", () => {
    const error = thrown(() =>
      normalize(
        file((f) => {
          withSol(f);
          pos(f, 0).instrument = "SOL-25DEC26-200-C";
        }),
      ),
    );
    expect(error.message).toContain("SOL");
  });

  it("reports the first problem in check order", () => {
    const error = thrown(() =>
      normalize(
        file((f) => {
          pos(f, 2).qty = "x";
          f.params.mmFraction = 2;
        }),
      ),
    );
    expect(error.path).toBe("params.mmFraction");
  });
});

describe("dates", () => {
  it.each([
    ["2026-11-21T08:00:00Z", ASOF],
    ["2026-11-21T08:00:00.250Z", ASOF + 250],
    ["2026-11-21T08:00:00.123456Z", ASOF + 123.456],
    ["2026-11-21T09:30:00+01:30", ASOF],
    ["2026-11-21T05:00:00-03:00", ASOF],
    ["2028-02-29T00:00:00Z", Date.UTC(2028, 1, 29)],
  ])("parses %s", (iso, ms) => {
    expect(parseIsoTimestamp(iso, "t")).toBe(ms);
  });

  it.each(["2026-12-25", "2026-11-21 08:00:00Z", "2026-11-21T08:00:00z", "2026-11-21T08:00:00+0100", "2026-04-31T08:00:00Z"])(
    "rejects %s",
    (iso) => {
      const error = thrown(() => parseIsoTimestamp(iso, "x.expiry"));
      expect(error.code).toBe(ErrorCode.PARSE);
      expect(error.message.startsWith("x.expiry: ")).toBe(true);
    },
  );

  it.each([
    ["27DEC26", utc(2026, 12, 27)],
    ["5DEC26", utc(2026, 12, 5)],
    ["05DEC26", utc(2026, 12, 5)],
    ["29FEB28", utc(2028, 2, 29)],
    ["1JAN00", utc(2000, 1, 1)],
  ])("parses the Deribit code %s at 08:00 UTC", (code, ms) => {
    expect(parseDeribitDate(code, "i")).toBe(ms);
  });

  it.each(["31FEB26", "29FEB27", "31APR27", "0DEC26", "27Dec26", "27DEC2026"])("rejects the Deribit code %s", (code) => {
    expect(thrown(() => parseDeribitDate(code, "i")).code).toBe(ErrorCode.PARSE);
  });

  it("formats Deribit codes without a leading zero", () => {
    expect(formatDeribitDate(utc(2026, 12, 5))).toBe("5DEC26");
    expect(formatDeribitDate(utc(2026, 12, 27))).toBe("27DEC26");
    expect(formatDeribitDate(utc(2030, 1, 9))).toBe("9JAN30");
  });

  it("measures tenors ACT/365", () => {
    expect(tenorYears(utc(2026, 12, 25), ASOF)).toBe(34 / 365);
    expect(tenorYears(ASOF + 365 * DAY, ASOF)).toBe(1);
    // 2028 is a leap year: 366 days are more than one ACT/365 year
    expect(tenorYears(utc(2028, 11, 21), utc(2027, 11, 21))).toBe(366 / 365);
    expect(tenorYears(ASOF - 73 * DAY, ASOF)).toBe(-0.2);
    expect(tenorYears(ASOF + 12 * 3_600_000, ASOF)).toBe(0.5 / 365);
  });
});

describe("instrument names", () => {
  const spec = (over: Partial<InstrumentSpec>): InstrumentSpec => ({
    kind: "perpetual",
    pair: "BTC",
    isCall: false,
    strike: 0,
    expiryMs: NaN,
    multiplier: 1,
    ...over,
  });

  it.each<[string, InstrumentSpec, string]>([
    ["BTC-PERPETUAL", spec({}), "BTC-PERPETUAL"],
    ["ETH-PERPETUAL", spec({ pair: "ETH" }), "ETH-PERPETUAL"],
    ["BTC-27DEC26", spec({ kind: "future", expiryMs: utc(2026, 12, 27) }), "BTC-27DEC26"],
    ["BTC-5DEC26", spec({ kind: "future", expiryMs: utc(2026, 12, 5) }), "BTC-5DEC26"],
    ["BTC-05DEC26", spec({ kind: "future", expiryMs: utc(2026, 12, 5) }), "BTC-5DEC26"],
    [
      "BTC-27DEC26-30000-C",
      spec({ kind: "option", isCall: true, strike: 30000, expiryMs: utc(2026, 12, 27) }),
      "BTC-27DEC26-30000-C",
    ],
    ["ETH-5DEC26-2500-P", spec({ kind: "option", pair: "ETH", strike: 2500, expiryMs: utc(2026, 12, 5) }), "ETH-5DEC26-2500-P"],
    ["XRP-05DEC26-0d5-C", spec({ kind: "option", pair: "XRP", isCall: true, strike: 0.5, expiryMs: utc(2026, 12, 5) }), "XRP-5DEC26-0d5-C"],
    ["XRP-5DEC26-0.5-C", spec({ kind: "option", pair: "XRP", isCall: true, strike: 0.5, expiryMs: utc(2026, 12, 5) }), "XRP-5DEC26-0d5-C"],
    ["BTC-27DEC26-30000.25-P", spec({ kind: "option", strike: 30000.25, expiryMs: utc(2026, 12, 27) }), "BTC-27DEC26-30000d25-P"],
    ["BTC-USD", spec({ kind: "spot" }), "BTC-USD"],
    ["BTC_USDC", spec({ kind: "spot" }), "BTC-USD"],
    ["ETH_USDT", spec({ kind: "spot", pair: "ETH" }), "ETH-USD"],
    ["1INCH-PERPETUAL", spec({ pair: "1INCH" }), "1INCH-PERPETUAL"],
  ])("%s", (name, expected, canonical) => {
    const parsed = parseInstrumentName(name, "i");
    expect(parsed).toEqual(expected);
    expect(canonicalName(parsed)).toBe(canonical);
  });

  it("treats BTC-5DEC26 and BTC-05DEC26 as the same instrument", () => {
    expect(parseInstrumentName("BTC-5DEC26", "i")).toEqual(parseInstrumentName("BTC-05DEC26", "i"));
    expect(new Date(parseInstrumentName("BTC-5DEC26", "i").expiryMs).toISOString()).toBe("2026-12-05T08:00:00.000Z");
  });

  it("writes strikes in plain decimals", () => {
    const option = (strike: number) => canonicalName(spec({ kind: "option", isCall: true, strike, expiryMs: utc(2026, 12, 5) }));
    expect(option(1e-7)).toBe("BTC-5DEC26-0d0000001-C");
    expect(option(2.5e21)).toBe("BTC-5DEC26-2500000000000000000000-C");
  });
});

describe("normalize builds the Book", () => {
  const book = normalize(file());
  const [btcPair, ethPair] = book.pairs;
  const [a, b] = book.accounts;

  it("keeps asOf, pairs in market key order, spots", () => {
    expect(book.asOfMs).toBe(ASOF);
    expect(book.pairs.map((p) => [p.name, p.spot])).toEqual([
      ["BTC", 91000],
      ["ETH", 3100],
    ]);
  });

  it("resolves names and objects with tenors", () => {
    const [call, perp, put] = a.positions;
    expect(call.instrument).toEqual({
      name: "BTC-25DEC26-95000-C",
      kind: "option",
      pairIndex: 0,
      pair: "BTC",
      isCall: true,
      strike: 95000,
      expiryMs: utc(2026, 12, 25),
      tenorYears: 34 / 365,
      multiplier: 1,
    });
    expect(call).toMatchObject({ qty: -2, entryPrice: null, path: "accounts[0].positions[0]" });
    expect(perp.instrument).toMatchObject({ name: "BTC-PERPETUAL", kind: "perpetual", tenorYears: 0, strike: 0 });
    expect(perp.instrument.expiryMs).toBeNaN();
    expect(perp.entryPrice).toBe(90000);
    expect(put.instrument).toMatchObject({ name: "ETH-26MAR27-3000-P", pairIndex: 1, isCall: false, tenorYears: 125 / 365 });
    expect(a.orders).toEqual([
      { instrument: perp.instrument, side: "buy", qty: 1, price: 90500, path: "accounts[0].orders[0]" },
    ]);
    expect(b.orders).toEqual([]);
  });

  it("keeps expired instruments with a negative tenor", () => {
    const expired = normalize(file(setName(0, "BTC-14NOV26-95000-C"))).accounts[0].positions[0];
    expect(expired.instrument.tenorYears).toBe(-7 / 365);
  });

  it("applies an object's multiplier", () => {
    const f = file((x) => (pos(x, 2).instrument = { kind: "future", pair: "ETH", expiry: "2026-12-05T08:00:00Z", multiplier: 0.1 }));
    expect(normalize(f).accounts[0].positions[2].instrument).toMatchObject({ name: "ETH-5DEC26", multiplier: 0.1 });
  });

  it("turns atmVol into a one-node surface and keeps node surfaces", () => {
    expect(ethPair.surface).toEqual({ tenors: [1], logMoneyness: [0], vols: [[0.7]] });
    expect(btcPair.surface).toEqual(BASE.market.BTC.surface);
    const noSurface = normalize(
      file((f) => {
        delete f.market.ETH.surface;
        pos(f, 2).instrument = "ETH-PERPETUAL";
      }),
    );
    expect(noSurface.pairs[1].surface).toBeNull();
  });

  it("sorts futures marks by tenor", () => {
    const f = file((x) => btc(x).futures.unshift({ expiry: "2027-03-26T08:00:00Z", mark: 93000 }));
    expect(normalize(f).pairs[0].futures).toEqual([
      { expiryMs: utc(2026, 12, 25), tenorYears: 34 / 365, mark: 91500 },
      { expiryMs: utc(2027, 3, 26), tenorYears: 125 / 365, mark: 93000 },
    ]);
    expect(ethPair.futures).toEqual([]);
  });

  it("sums USD, USDC and USDT and places coins by pair index", () => {
    const f = file((x) => (alice(x).balances = { ETH: -2, USDT: 5, USD: 100, USDC: 20.5, BTC: 0.25 }));
    const acc = normalize(f).accounts[0];
    expect(acc.usd).toBe(125.5);
    expect(acc.coins).toEqual([0.25, -2]);
    expect(a.usd).toBe(250000);
    expect(a.coins).toEqual([1.5, 0]);
    expect(b).toMatchObject({ id: "bob", usd: 1000, coins: [0, 0], path: "accounts[1]" });
  });

  it("applies every default when params and optional fields are absent", () => {
    const f = file((x) => {
      delete x.params;
      x.accounts = [{ id: "empty" }];
    });
    const d = normalize(f);
    expect(d.params).toEqual({ gridName: "powertrade9", usdRate: 0, mmFraction: 0.5, coinPolicy: "capped", pairCorrelation: null });
    expect(d.pairs.map((p) => [p.ssf, p.vsf])).toEqual([
      [0.15, 0.4],
      [0.15, 0.4],
    ]);
    expect(d.accounts).toEqual([{ id: "empty", usd: 0, coins: [0, 0], positions: [], orders: [], path: "accounts[0]" }]);
    expect(normalize(file((x) => (x.accounts = []))).accounts).toEqual([]);
  });

  it("scales powertrade9 by each pair's SSF and VSF, in SPEC order", () => {
    const f = file((x) => (x.params.pairs = { ETH: { ssf: 0.1, vsf: 0.5 } }));
    const [btcGrid, ethGrid] = normalize(f).pairs.map((p) => p.grid.map((r) => [r.spotShock, r.volShock, r.weight]));
    expect(btcGrid).toEqual([
      [0, 0, 1], [0, 0.4, 1], [0, -0.4, 1],
      [0.15, 0, 1], [0.15, 0.4, 1], [0.15, -0.4, 1],
      [-0.15, 0, 1], [-0.15, 0.4, 1], [-0.15, -0.4, 1],
    ]);
    expect(ethGrid[4]).toEqual([0.1, 0.5, 1]);
    expect(ethGrid[8]).toEqual([-0.1, -0.5, 1]);
  });

  it("scales span16 in CME order with the extreme moves at 35%", () => {
    const d = normalize(file((x) => (x.params = { grid: "span16", pairs: { BTC: { ssf: 0.3, vsf: 0.3 } } })));
    expect(d.params.gridName).toBe("span16");
    const grid = d.pairs[0].grid;
    expect(grid).toHaveLength(16);
    expect(grid[0]).toEqual({ spotShock: 0, volShock: 0.3, weight: 1 });
    expect(grid[3].spotShock).toBeCloseTo(0.1, 15);
    expect(grid[3].volShock).toBe(-0.3);
    expect(grid[8].spotShock).toBeCloseTo(-0.2, 15);
    expect(grid[13]).toEqual({ spotShock: -0.3, volShock: -0.3, weight: 1 });
    expect(grid[14]).toEqual({ spotShock: 0.6, volShock: 0, weight: 0.35 });
    expect(grid[15]).toEqual({ spotShock: -0.6, volShock: 0, weight: 0.35 });
    expect(d.pairs[1].grid[14]).toEqual({ spotShock: 0.3, volShock: 0, weight: 0.35 });
  });

  it("never produces -0 shocks when a factor is 0", () => {
    const grid = normalize(file((x) => (x.params.pairs.BTC = { ssf: 0, vsf: 0 }))).pairs[0].grid;
    expect(grid.every((r) => Object.is(r.spotShock, 0) && Object.is(r.volShock, 0))).toBe(true);
  });

  it("shares a custom grid across pairs, absolute and with default weight 1", () => {
    const rows = [{ spot: 0.2, vol: -0.5 }, { spot: -0.25, vol: 0.3, weight: 0.5 }];
    const d = normalize(file((x) => (x.params.grid = { rows })));
    expect(d.params.gridName).toBe("custom");
    for (const p of d.pairs) {
      expect(p.grid).toEqual([
        { spotShock: 0.2, volShock: -0.5, weight: 1 },
        { spotShock: -0.25, volShock: 0.3, weight: 0.5 },
      ]);
    }
  });

  it("accepts a valid pair correlation and the other params", () => {
    const d = normalize(
      file((x) => {
        x.params.pairCorrelation = [[1, 0.6], [0.6, 1]];
        x.params.usdRate = -0.01;
        x.params.mmFraction = 1;
        x.params.coinPolicy = "none";
      }),
    );
    expect(d.params).toMatchObject({ pairCorrelation: [[1, 0.6], [0.6, 1]], usdRate: -0.01, mmFraction: 1, coinPolicy: "none" });
  });
});

describe("per-account normalization", () => {
  it("isolates one bad account", () => {
    const f = file((x) => (x.accounts[0].positions[0].qty = 0));
    const market = normalizeMarket(f);
    expect(market.rawAccounts).toHaveLength(2);
    const error = thrown(() => normalizeAccount(market.rawAccounts[0], 0, market));
    expect(error.path).toBe("accounts[0].positions[0].qty");
    expect(normalizeAccount(market.rawAccounts[1], 1, market)).toEqual(normalize(file()).accounts[1]);
  });
});
