/**
 * The covariance (OPNX correlation) margin model: the normalized Book -> the kernel's CV_ columns
 * -> covarianceAccounts (assembly/covariance.ts) -> the CovarianceReport. SPEC.md "Correlation
 * (covariance) margin"; the decisions where it is silent are in docs/covariance.md.
 *
 * - A market is an instrument by canonical name (`BTC-PERPETUAL`, `BTC-5DEC26`, ...). A market's mark
 *   (USD per coin) is the scenario kernel's base value of one coin of it (PV_0, out slot `basePV`):
 *   spot and perpetual S, a future F(T) on the futures curve, an option its Black-76 value on the
 *   surface, exactly as the scenario model values it. The marks are computed by a resident scenario
 *   book of one synthetic account per market, re-run on every market tick.
 * - The correlation matrix is over factors: the markets listed in `params.marketCorrelation`, or,
 *   by default, the pairs (ones within a pair and zeros between pairs is the identity over pairs
 *   once each pair's v is summed, exactly). It lives in its own region of linear memory, written
 *   once per prepared book and rewritten only by an updateCorrelation() that changes it.
 * - Collateral assets: USD, USDC, USDT, then each pair's coin, with prices 1 and the spots.
 */
import type { Book, BookAccount, BookMarketCorrelation, ResolvedInstrument } from "./model/book.js";
import type { CovarianceAccountReport, CovarianceReport, FillSet } from "./model/types.js";
import type { PreparedBook } from "./engine.js";
import type { Kernel } from "./kernel.js";
import { USD_CODES } from "./model/instrument.js";
import { ErrorCode, MarginError } from "./errors.js";
import { at, normalizeMarketCorrelation } from "./validate.js";
import * as L from "./layout.js";

/** Max leverage of a market not in `params.leverage` (SPEC.md). */
export const DEFAULT_LEVERAGE = 20;
/** Haircut of USD, USDC and USDT not in `params.ltv`. */
export const DEFAULT_USD_LTV = 1;
/** Haircut of any other coin not in `params.ltv`. */
export const DEFAULT_COIN_LTV = 0.9;

/** How each account's quadratic form is evaluated: `auto` (dense when it touches at least half of the factors), or forced. */
export type CovariancePath = "auto" | "sparse" | "dense";

export interface CovarianceOptions {
  path?: CovariancePath;
}

/** What the covariance model needs from the scenario engine: a resident scenario book, for the marks. */
export interface ScenarioEngine {
  prepareBook(book: Book): PreparedBook;
}

/** A book resident in linear memory under the covariance model. */
export interface CovarianceBook {
  readonly book: Book;
  readonly accountIds: readonly string[];
  /** the markets the book trades (canonical instrument names), in order of first appearance */
  readonly markets: readonly string[];
  /** how many times the correlation matrix has been written to linear memory (1 after prepare) */
  readonly correlationWrites: number;
  /** Move the market (`{ BTC: { spot?, futures?, surface? } }`, validated like the file's); the matrix is not rewritten. */
  updateMarket(market: unknown): void;
  /** Replace `params.marketCorrelation` (null: the default); rewrites the matrix only if it changes. */
  updateCorrelation(marketCorrelation: unknown): void;
  /** One kernel pass over every account. */
  run(): void;
  /** run() then report(). */
  margin(): CovarianceReport;
  /** The report of the last run(). */
  report(): CovarianceReport;
  dispose(): void;
}

interface CovarianceExports {
  covarianceAccounts(header: number): number;
}

const FILL_SET_NAMES: readonly FillSet[] = ["none", "bids", "asks"];
const PATH_CODES: Record<CovariancePath, number> = {
  auto: L.CV_PATH_AUTO,
  sparse: L.CV_PATH_SPARSE,
  dense: L.CV_PATH_DENSE,
};
const ALIGN = 16;


/** The book's markets: each distinct instrument name once, with the instrument that defines it. */
interface Markets {
  names: string[];
  instruments: ResolvedInstrument[];
  /** for every position then order of every account, in book order: its market index */
  rowMarket: Int32Array;
}

/**
 * Collect the markets in order of first appearance (positions, then orders, account by account).
 * Instruments with one name must be one market: an instrument object whose expiry differs (within
 * the named day) from an earlier one of the same name is rejected at its path.
 */
export function bookMarkets(book: Book): Markets {
  const indexOf = new Map<string, number>();
  const names: string[] = [];
  const instruments: ResolvedInstrument[] = [];
  const firstPath: string[] = [];
  const rows: number[] = [];
  const visit = (instrument: ResolvedInstrument, path: string): void => {
    let m = indexOf.get(instrument.name);
    if (m === undefined) {
      m = names.push(instrument.name) - 1;
      indexOf.set(instrument.name, m);
      instruments.push(instrument);
      firstPath.push(path);
    } else if (!Object.is(instruments[m].expiryMs, instrument.expiryMs)) {
      const detail =
        `expires ${new Date(instrument.expiryMs).toISOString()}, but ${firstPath[m]}, the same market ` +
        `${instrument.name}, expires ${new Date(instruments[m].expiryMs).toISOString()}; one name is one market`;
      throw new MarginError(ErrorCode.RANGE, path, detail);
    }
    rows.push(m);
  };
  for (const account of book.accounts) {
    for (const position of account.positions) visit(position.instrument, at(position.path, "instrument"));
    for (const order of account.orders) visit(order.instrument, at(order.path, "instrument"));
  }
  return { names, instruments, rowMarket: Int32Array.from(rows) };
}

/** The correlation factors: the listed markets, or the pairs; and each market's factor. */
interface Factors {
  count: number;
  /** row-major count x count */
  matrix: Float64Array;
  marketFactor: Int32Array;
}

function factorsOf(book: Book, markets: Markets, correlation: BookMarketCorrelation | undefined): Factors {
  if (correlation === undefined) {
    const P = book.pairs.length;
    const matrix = new Float64Array(P * P);
    for (let p = 0; p < P; p++) matrix[p * P + p] = 1;
    return { count: P, matrix, marketFactor: Int32Array.from(markets.instruments, (i) => i.pairIndex) };
  }
  const listed = new Map(correlation.markets.map((name, i) => [name, i]));
  const marketFactor = new Int32Array(markets.names.length);
  markets.names.forEach((name, m) => {
    const factor = listed.get(name);
    if (factor === undefined) {
      const path = firstUse(book, name);
      throw new MarginError(
        ErrorCode.MISSING,
        path,
        `market ${name} is not in params.marketCorrelation.markets; list every market the book trades`,
      );
    }
    marketFactor[m] = factor;
  });
  const n = correlation.markets.length;
  const matrix = new Float64Array(n * n);
  correlation.matrix.forEach((row, i) => matrix.set(row, i * n));
  return { count: n, matrix, marketFactor };
}

/** Path of the first position or order on market `name`. */
function firstUse(book: Book, name: string): string {
  for (const account of book.accounts) {
    for (const position of account.positions) if (position.instrument.name === name) return at(position.path, "instrument");
    for (const order of account.orders) if (order.instrument.name === name) return at(order.path, "instrument");
  }
  return "params.marketCorrelation.markets";
}

/** One synthetic account per market holding one coin of it: its pair's base PV is the market's mark. */
function markBook(book: Book, markets: Markets): Book {
  const zeros = book.pairs.map(() => 0);
  return {
    asOfMs: book.asOfMs,
    params: book.params,
    pairs: book.pairs, // shared: a tick moves both books
    accounts: markets.instruments.map((instrument, m) => ({
      id: markets.names[m],
      usd: 0,
      coins: zeros.slice(),
      positions: [{ instrument: { ...instrument, multiplier: 1 }, qty: 1, entryPrice: null, path: `markets[${m}]` }],
      orders: [],
      path: `markets[${m}]`,
    })),
  };
}

/** Hands out consecutive 16-aligned byte offsets. */
class Cursor {
  at = 0;
  take(bytes: number): number {
    const at = this.at;
    this.at += Math.ceil(bytes / ALIGN) * ALIGN;
    return at;
  }
}

const ASSET_CODES = USD_CODES;

class ResidentCovariance implements CovarianceBook {
  readonly book: Book;
  readonly accountIds: readonly string[];
  readonly markets: readonly string[];
  correlationWrites = 0;
  private readonly kernel: Kernel;
  private readonly run$: (header: number) => number;
  private readonly resolved: Markets;
  private factors: Factors;
  private readonly marks: PreparedBook;
  private readonly dims: { M: number; A: number; N: number; K: number };
  private readonly slots = new Map<number, number>();
  private bookRegion: number;
  private factorRegion = -1;
  private header: number;
  private ran = false;

  constructor(kernel: Kernel, book: Book, scenarios: ScenarioEngine, options: CovarianceOptions) {
    const exports = kernel.exports as unknown as Partial<CovarianceExports>;
    if (typeof exports.covarianceAccounts !== "function") {
      throw new MarginError(ErrorCode.KERNEL, "", "this kernel has no covariance model (no covarianceAccounts export)");
    }
    this.run$ = exports.covarianceAccounts.bind(exports);
    // every check before any memory is touched
    this.resolved = bookMarkets(book);
    this.factors = factorsOf(book, this.resolved, book.params.marketCorrelation);
    this.kernel = kernel;
    this.book = book;
    this.accountIds = book.accounts.map((a) => a.id);
    this.markets = this.resolved.names;
    this.marks = scenarios.prepareBook(markBook(book, this.resolved));
    const M = this.resolved.names.length;
    const N = this.resolved.rowMarket.length;
    const A = book.accounts.length;
    const K = ASSET_CODES.length + book.pairs.length;
    this.dims = { M, A, N, K };

    const c = new Cursor();
    const header = c.take(L.CV_HEADER_BYTES);
    const columns: [number, number][] = [
      [L.CV_MARKET_KIND, 4 * M],
      [L.CV_MARKET_FACTOR, 4 * M],
      [L.CV_MARKET_MARK, 8 * M],
      [L.CV_MARKET_LEVERAGE, 8 * M],
      [L.CV_ROW_MARKET, 4 * N],
      [L.CV_ROW_TAG, 4 * N],
      [L.CV_ROW_SIZE, 8 * N],
      [L.CV_ROW_ENTRY, 8 * N],
      [L.CV_ACC_START, 4 * A],
      [L.CV_ACC_END, 4 * A],
      [L.CV_ACC_BALANCE, 8 * A * K],
      [L.CV_ASSET_PRICE, 8 * K],
      [L.CV_ASSET_LTV, 8 * K],
      [L.CV_OUT_ACC, 8 * A * L.CV_OUT_ACC_STRIDE],
      [L.CV_OUT_ROW, 8 * N],
    ];
    const offsets = columns.map(([slot, bytes]) => [slot, c.take(bytes)] as const);
    try {
      this.bookRegion = kernel.alloc(c.at);
    } catch (error) {
      this.marks.dispose();
      throw error;
    }
    this.header = this.bookRegion + header;
    for (const [slot, offset] of offsets) this.slots.set(slot, this.bookRegion + offset);
    try {
      this.writeHeader(M, A, N, K, options);
      this.writeBook();
      this.writeFactors(true);
      this.writeMarks();
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private writeHeader(M: number, A: number, N: number, K: number, options: CovarianceOptions): void {
    const { i32 } = this.kernel;
    const h = this.header >> 2;
    i32.fill(0, h, h + L.CV_HEADER_I32_SLOTS);
    i32[h + L.CV_MARKETS] = M;
    i32[h + L.CV_ACCOUNTS] = A;
    i32[h + L.CV_ROWS] = N;
    i32[h + L.CV_ASSETS] = K;
    i32[h + L.CV_PATH] = PATH_CODES[options.path ?? "auto"];
    i32[h + L.CV_FAIL_ACCOUNT] = -1;
    for (const [slot, address] of this.slots) i32[h + slot] = address;
  }

  private get live(): boolean {
    return this.bookRegion >= 0;
  }

  private checkLive(): void {
    if (!this.live) throw new Error("CovarianceBook: used after dispose()");
  }

  private col(slot: number): number {
    return this.slots.get(slot)!;
  }

  /** Markets (kind, leverage), rows, accounts, balances, haircuts: fixed for the book's life. */
  private writeBook(): void {
    const { i32, f64 } = this.kernel;
    const { book, resolved } = this;
    const leverage = book.params.leverage ?? {};
    resolved.instruments.forEach((instrument, m) => {
      i32[this.col(L.CV_MARKET_KIND) / 4 + m] = L.kindCode(instrument);
      f64[this.col(L.CV_MARKET_LEVERAGE) / 8 + m] = leverage[instrument.name] ?? DEFAULT_LEVERAGE;
    });
    const ltv = book.params.ltv ?? {};
    const assetLtv = this.col(L.CV_ASSET_LTV) / 8;
    ASSET_CODES.forEach((code, k) => (f64[assetLtv + k] = ltv[code] ?? DEFAULT_USD_LTV));
    book.pairs.forEach((pair, p) => (f64[assetLtv + ASSET_CODES.length + p] = ltv[pair.name] ?? DEFAULT_COIN_LTV));

    const { K } = this.dims;
    const rowMarket = this.col(L.CV_ROW_MARKET) / 4;
    const rowTag = this.col(L.CV_ROW_TAG) / 4;
    const rowSize = this.col(L.CV_ROW_SIZE) / 8;
    const rowEntry = this.col(L.CV_ROW_ENTRY) / 8;
    const balance = this.col(L.CV_ACC_BALANCE) / 8;
    let row = 0;
    book.accounts.forEach((account, a) => {
      i32[this.col(L.CV_ACC_START) / 4 + a] = row;
      for (const position of account.positions) {
        i32[rowMarket + row] = resolved.rowMarket[row];
        i32[rowTag + row] = L.TAG_POSITION;
        f64[rowSize + row] = position.qty * position.instrument.multiplier;
        f64[rowEntry + row] = position.entryPrice ?? NaN;
        row++;
      }
      for (const order of account.orders) {
        const buy = order.side === "buy";
        i32[rowMarket + row] = resolved.rowMarket[row];
        i32[rowTag + row] = buy ? L.TAG_BID : L.TAG_ASK;
        f64[rowSize + row] = (buy ? order.qty : -order.qty) * order.instrument.multiplier;
        f64[rowEntry + row] = NaN;
        row++;
      }
      i32[this.col(L.CV_ACC_END) / 4 + a] = row;
      f64.set(accountAssets(account), balance + a * K);
    });
  }

  /**
   * The factor region (matrix, then scratch, whose size depends on the factor count) and each
   * market's factor. `force` writes the matrix; otherwise it is written only if it differs from the
   * resident one (the region is reallocated only when the factor count changes).
   */
  private writeFactors(force: boolean): void {
    const { count: C, matrix, marketFactor } = this.factors;
    const h = this.header >> 2;
    const resized = this.factorRegion < 0 || this.kernel.i32[h + L.CV_FACTORS] !== C;
    if (resized) {
      if (this.factorRegion >= 0) this.kernel.release(this.factorRegion);
      this.factorRegion = -1;
      const c = new Cursor();
      const corr = c.take(8 * C * C);
      const scratch = c.take(8 * L.cvScratchF64(this.dims.M, C));
      this.factorRegion = this.kernel.alloc(c.at);
      const i32 = this.kernel.i32; // after alloc: memory may have grown
      i32[h + L.CV_FACTORS] = C;
      i32[h + L.CV_CORR] = this.factorRegion + corr;
      i32[h + L.CV_SCRATCH] = this.factorRegion + scratch;
    }
    const { i32, f64 } = this.kernel;
    i32.set(marketFactor, this.col(L.CV_MARKET_FACTOR) / 4);
    const at = i32[h + L.CV_CORR] / 8;
    const resident = f64.subarray(at, at + C * C);
    if (force || resized || !sameValues(resident, matrix)) {
      resident.set(matrix);
      this.correlationWrites++;
    }
  }

  /** Marks from the scenario kernel's base values, and the coins' prices (spots). */
  private writeMarks(): void {
    this.marks.run();
    const out = this.marks.outputs().pairs;
    const P = this.book.pairs.length;
    const stride = L.outPairStride(this.book.pairs[0].grid.length);
    const marks = this.resolved.instruments.map((instrument, m) => out[(m * P + instrument.pairIndex) * stride + 3]);
    const f64 = this.kernel.f64;
    f64.set(marks, this.col(L.CV_MARKET_MARK) / 8);
    const prices = this.col(L.CV_ASSET_PRICE) / 8;
    ASSET_CODES.forEach((_, k) => (f64[prices + k] = 1));
    this.book.pairs.forEach((pair, p) => (f64[prices + ASSET_CODES.length + p] = pair.spot));
  }

  updateMarket(market: unknown): void {
    this.checkLive();
    this.marks.updateMarket(market);
    this.writeMarks();
    this.ran = false;
  }

  updateCorrelation(marketCorrelation: unknown): void {
    this.checkLive();
    const correlation = normalizeMarketCorrelation(marketCorrelation, this.book.pairs.map((p) => p.name)) ?? undefined;
    this.factors = factorsOf(this.book, this.resolved, correlation);
    if (correlation === undefined) delete this.book.params.marketCorrelation;
    else this.book.params.marketCorrelation = correlation;
    this.writeFactors(false);
    this.ran = false;
  }

  run(): void {
    this.checkLive();
    const status = this.run$(this.header);
    if (status !== L.STATUS_OK) {
      const failed = this.kernel.i32[(this.header >> 2) + L.CV_FAIL_ACCOUNT];
      const path = failed >= 0 && failed < this.book.accounts.length ? this.book.accounts[failed].path : "";
      throw L.kernelStatusError(status, path);
    }
    this.ran = true;
  }

  margin(): CovarianceReport {
    this.run();
    return this.report();
  }

  report(): CovarianceReport {
    this.checkLive();
    if (!this.ran) throw new Error("CovarianceBook: report() before run()");
    const f64 = this.kernel.f64;
    const outAcc = this.col(L.CV_OUT_ACC) / 8;
    const outRow = this.col(L.CV_OUT_ROW) / 8;
    let row = 0;
    const accounts = this.book.accounts.map((account, a): CovarianceAccountReport => {
      const out = outAcc + a * L.CV_OUT_ACC_STRIDE;
      const liquidationPrice: Record<string, number | null> = {};
      for (const position of account.positions) {
        const price = f64[outRow + row++];
        liquidationPrice[position.instrument.name] = Number.isNaN(price) ? null : price;
      }
      row += account.orders.length;
      const ratio = f64[out + 3];
      return {
        id: account.id,
        initialMargin: f64[out],
        maintenanceMargin: f64[out + 1],
        collateral: f64[out + 2],
        marginRatio: Number.isNaN(ratio) ? null : ratio,
        liquidationPrice,
        fillSet: FILL_SET_NAMES[f64[out + 4]],
      };
    });
    return { accounts };
  }

  dispose(): void {
    if (!this.live) return;
    this.marks.dispose();
    this.kernel.release(this.bookRegion);
    if (this.factorRegion >= 0) this.kernel.release(this.factorRegion);
    this.bookRegion = -1;
    this.factorRegion = -1;
  }
}

/** An account's holdings of the collateral assets: USD, USDC, USDT, then each pair's coin. */
function accountAssets(account: BookAccount): number[] {
  const byCode = account.usdByCode ?? { USD: account.usd };
  return [...ASSET_CODES.map((code) => byCode[code] ?? 0), ...account.coins];
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * Lay a normalized book out for the covariance kernel, resident until dispose(). `scenarios` values
 * the markets (an Engine is one; it may run on another kernel instance). Throws MarginError before
 * touching memory when a traded market is missing from `params.marketCorrelation` or one name
 * stands for two expiries.
 */
export function prepareCovariance(
  kernel: Kernel,
  book: Book,
  scenarios: ScenarioEngine,
  options: CovarianceOptions = {},
): CovarianceBook {
  return new ResidentCovariance(kernel, book, scenarios, options);
}

/** prepare -> margin -> dispose: the covariance report of a normalized book. */
export function marginCovarianceBook(
  kernel: Kernel,
  book: Book,
  scenarios: ScenarioEngine,
  options: CovarianceOptions = {},
): CovarianceReport {
  const resident = prepareCovariance(kernel, book, scenarios, options);
  try {
    return resident.margin();
  } finally {
    resident.dispose();
  }
}
