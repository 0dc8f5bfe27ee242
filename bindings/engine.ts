/**
 * The engine: validate -> marshal into columns -> call the kernel -> lift the report.
 *
 * A PreparedBook keeps a book resident in the kernel's linear memory in two regions:
 *   - the book region: header, grid, position and account columns, outputs, scratch; written
 *     once by prepare();
 *   - the market region: spots, futures marks and surface nodes; rewritten by updateMarket()
 *     (only the spot column when only spots move; re-allocated when the node counts change).
 * Re-margining after a tick is then one kernel pass over every account. `engine.margin(file)` is
 * prepare -> margin -> dispose on the same regions, so repeated calls reuse the same bytes.
 */
import type { Book, BookAccount, BookPair, ResolvedInstrument } from "./model/book.js";
import type {
  AccountReport, AccountStatus, CovarianceReport, FillSet, PairReport, Report, RiskAttribution,
} from "./model/types.js";
import { normalize, normalizeMarketUpdate } from "./validate.js";
import { Kernel, compileKernel, type KernelBuild, type KernelSource, type SelectedKernel } from "./kernel.js";
import * as L from "./layout.js";
import { marginCovarianceBook, prepareCovariance, type CovarianceBook, type CovarianceOptions } from "./covariance.js";
import { resolveMarkSurface, resolveMarkSurfaces } from "./surface-marks.js";
import {
  pnlCurve, whatIf, worstScenarioContributions,
  type PnlCurve, type PnlCurveOptions, type TradeInput, type WhatIfResult, type WorstScenarioContributions,
} from "./whatif.js";
import { marginIsolated } from "./isolate.js";
import { adlQueue, liquidationPlan, liquidationPrices } from "./liquidation.js";
import type { AdlQueue, LiquidationOptions, LiquidationPlan, LiquidationPricesReport, PositionSide } from "./model/liquidation.js";

export interface EngineOptions {
  /** the kernel's bytes, URL, Response or compiled module; default: the release build (see index.ts, browser.ts) */
  wasm?: KernelSource;
}

export interface MarginOptions {
  /** add each account's per-position risk (worst-scenario PnL, delta, gamma, vega, theta) as `risk` */
  attribution?: boolean;
  /**
   * margin(file) and marginCovariance(file): set aside each account that fails validation (or at
   * which the kernel stops) and list it in the report's `errors` instead of throwing; the other
   * accounts' reports are as if the file had not held it (bindings/isolate.ts)
   */
  isolateAccounts?: boolean;
}

export interface Engine {
  /** Margin every account of a portfolio file (SPEC.md "The portfolio file"); throws MarginError on bad input. */
  margin(file: unknown, options?: MarginOptions): Report;
  /** Margin an already normalized book (see normalize() in validate.ts). */
  marginBook(book: Book, options?: MarginOptions): Report;
  /**
   * The same file under the covariance (OPNX correlation) model, whatever its `params.model` (which
   * only selects what the CLI prints); see bindings/covariance.ts for resident covariance books.
   */
  marginCovariance(file: unknown, options?: Pick<MarginOptions, "isolateAccounts">): CovarianceReport;
  /** The covariance model's resident book: ticks rewrite marks only, the correlation matrix stays. */
  prepareCovariance(file: unknown, options?: CovarianceOptions): CovarianceBook;
  /** Validate a file and lay its book out in linear memory, resident until dispose(), ready for ticks. */
  prepare(file: unknown): PreparedBook;
  /** The same for an already normalized book (the prepared book takes it over: ticks move its market). */
  prepareBook(book: Book): PreparedBook;
  /**
   * What-if (bindings/whatif.ts): a trade's effect on its account, before and after, incremental IM,
   * accepted or not. `book` is a PreparedBook (its market as it stands) or a portfolio file.
   */
  whatIf(book: PreparedBook | object, trade: TradeInput): WhatIfResult;
  /** The account re-margined at `points` spots of `pair`: PnL, equity, IM, MM, scenario points, liquidation prices. */
  pnlCurve(book: PreparedBook | object, accountId: string, pair: string, options?: PnlCurveOptions): PnlCurve;
  /** Each position's (and filled order's, and the coin's) PV change in the pair's worst scenario. */
  worstScenarioContributions(book: PreparedBook | object, accountId: string, pair: string): WorstScenarioContributions;
  /**
   * STAMP liquidation plan of one account (bindings/liquidation.ts, docs/liquidation.md): orders
   * cancelled, then greedy partial closes against `depth`, ADL for what it cannot absorb.
   */
  liquidationPlan(file: unknown, accountId: string, options: LiquidationOptions): LiquidationPlan;
  /** The ADL queue against `side` (the side being deleveraged) on `instrument`: opposite positions, ranked. */
  adlQueue(file: unknown, instrument: string, side: PositionSide): AdlQueue;
  /** Per account and pair, the spots (other pairs fixed) at which equity falls to MM. */
  liquidationPrices(file: unknown): LiquidationPricesReport;
  /** Current size of the kernel's linear memory, bytes. */
  readonly memoryBytes: number;
  /** The kernel build in use: `simd` where the runtime has WebAssembly SIMD, else `scalar`. */
  readonly kernelBuild: KernelBuild;
}

/** Per-account numbers straight from the kernel's output columns (no report objects). */
export interface MarginOutputs {
  /** per account: equity, initialMargin (OUT_ACC_STRIDE f64s each) */
  accounts: Float64Array;
  /** per (account, pair): requirement, worstScenario, fillSet, basePV, equity part (its positions' marks and coins), scenarioPV[G] */
  pairs: Float64Array;
}

/** A book resident in linear memory: re-margin it after each market tick. */
export interface PreparedBook {
  readonly accountIds: readonly string[];
  /** The normalized book as it stands (the market reflects every update). */
  readonly book: Book;
  /**
   * Move the market: `{ BTC: { spot?, futures?, surface? } }`, validated like the file's `market`
   * (paths `market.BTC.spot`); pairs and fields not given stay as they are. Returns the indices
   * (into book.pairs) of the pairs it moved, the ones the next run() re-prices.
   */
  updateMarket(market: unknown): number[];
  /**
   * Bring every account's results up to the market (after which report()/accountReport()/
   * outputs() read them). Only the pairs the market moved since the last run() are revalued: a
   * tick on BTC re-prices the BTC positions and reads every other pair's requirement and equity
   * part back from the last run, with the same bits as revaluing everything. `{ full: true }`
   * revalues every pair regardless (a benchmark of the kernel pass wants that).
   */
  run(options?: { full?: boolean }): void;
  /**
   * Margin accounts [first, end) only: their rows of outputs() become current, the other rows
   * keep what they held (so report() is only meaningful after run()). Every pair is revalued,
   * or with `pairs` only those (indices into book.pairs): each other pair's requirement and
   * equity part are then read back from these accounts' outputs, which the caller vouches were
   * written under the market that pair has now (the pool's workers track this per chunk).
   * Instruments the book shares across accounts are priced once per market: ranges run one after
   * another with no updateMarket() in between reuse the prices of the first (the pool's chunks,
   * bindings/pool.ts). A later run() still revalues every pair moved since the last run().
   */
  runRange(first: number, end: number, options?: { pairs?: readonly number[] }): void;
  /** run() then the full report. */
  margin(): Report;
  /** The report of the last run(). */
  report(): Report;
  /** One account's report from the last run(). */
  accountReport(index: number): AccountReport;
  /** Views of the last run's output columns (valid until the next call into this engine). */
  outputs(): MarginOutputs;
  /** Per position and order of one account: PnL in the worst scenario and greeks, after run() (kernel). */
  attribution(index: number): RiskAttribution[];
  /** Give the book's memory back to the engine; the book is unusable after. */
  dispose(): void;
}

const FILL_SET_NAMES: readonly FillSet[] = ["none", "bids", "asks"];
const COIN_POLICY_CODES = { capped: L.COIN_CAPPED, full: L.COIN_FULL, none: L.COIN_NONE } as const;
const ALIGN = 16;

/** Distinct spot levels of one pair's grid: level 0 is always 1.0 (the unshocked spot). */
interface PairGrid {
  levels: number[];
  rowLevel: number[];
}

function pairGrid(pair: BookPair): PairGrid {
  const levels = [1];
  const rowLevel = pair.grid.map((row) => {
    const mult = 1 + row.spotShock;
    let level = levels.indexOf(mult);
    if (level < 0) level = levels.push(mult) - 1;
    return level;
  });
  return { levels, rowLevel };
}


/**
 * Rows share an instrument when they have the same kind, pair, strike and tenor (their sizes
 * differ). When the distinct instruments are at most this share of the rows, the kernel prices
 * each instrument once per call into a risk array and every row adds size x that array: SPAN's
 * risk arrays, which is what books of listed contracts across many accounts look like. Above
 * it, pricing every row on its own is cheaper than the extra pass.
 */
const SHARED_INSTRUMENTS_RATIO = 0.6;

/**
 * Each row's instrument id (rows in the order writeBook() lays them out), ids from 0. Per pair
 * index (books may hold several pairs under one name, e.g. a pair copied at other spots), the
 * canonical name fixes kind, right, strike and expiry day; the tenor tells apart expiries at
 * other times of that day.
 */
function instrumentIds(book: Book): number[] {
  // (a call made while another is under way, from a getter of the book, gets tables of its own)
  const table = idTable.busy ? new InstrumentIdTable() : idTable;
  table.begin();
  try {
    const out: number[] = [];
    for (const account of book.accounts) {
      for (const position of account.positions) out.push(table.idOf(position.instrument));
      for (const order of account.orders) out.push(table.idOf(order.instrument));
    }
    return out;
  } finally {
    table.end();
  }
}

/**
 * instrumentIds()'s tables, kept across calls so that margining books that name the same
 * instruments as the last one (the same file again, one account after another) allocates
 * nothing: a slot per distinct name (a map from the canonical name, which model/instrument.ts
 * hands out as one string per instrument), and per id its pair index, tenor and the next id of
 * the same name (other pair indices or tenors, rare). A slot's `seenIn` stamps the call that
 * last gave its name an id, so what an earlier call left (or one that threw) is never read as
 * this call's; per-id entries are read only once written in this call. Bounded: past MAX_NAMES
 * names the tables start over, between calls.
 */
class InstrumentIdTable {
  private static readonly MAX_NAMES = 8192;
  private readonly slots = new Map<string, number>();
  private seenIn: number[] = [];
  private firstId: number[] = [];
  private pairOf = new Float64Array(64);
  private tenorOf = new Float64Array(64);
  private nextOfName = new Int32Array(64);
  private call = 0;
  /** ids given in this call */
  private ids = 0;
  /** between begin() and end() */
  busy = false;

  begin(): void {
    this.busy = true;
    this.call++;
    this.ids = 0;
  }

  end(): void {
    this.busy = false;
    this.trim();
  }

  /** Instrument `i`'s id in this call (ids from 0, in order of first sight). */
  idOf(i: ResolvedInstrument): number {
    const slot = this.slotOf(i.name);
    if (this.seenIn[slot] !== this.call) {
      this.seenIn[slot] = this.call;
      return (this.firstId[slot] = this.newId(i));
    }
    let id = this.firstId[slot];
    while (!this.holds(id, i)) {
      if (this.nextOfName[id] < 0) return (this.nextOfName[id] = this.newId(i));
      id = this.nextOfName[id];
    }
    return id;
  }

  /** The slot of `name`, made on first sight. */
  private slotOf(name: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.seenIn.push(0) - 1;
      this.firstId.push(-1);
      this.slots.set(name, slot);
    }
    return slot;
  }

  /** Whether id `id` is instrument `i`'s: the same pair index and tenor (as Map keys compare). */
  private holds(id: number, i: ResolvedInstrument): boolean {
    return sameValueZero(this.pairOf[id], i.pairIndex) && sameValueZero(this.tenorOf[id], i.tenorYears);
  }

  /** The next id, for instrument `i`, the last of its name so far. */
  private newId(i: ResolvedInstrument): number {
    const id = this.ids++;
    if (id >= this.pairOf.length) this.grow(2 * id);
    this.pairOf[id] = i.pairIndex;
    this.tenorOf[id] = i.tenorYears;
    this.nextOfName[id] = -1;
    return id;
  }

  private grow(capacity: number): void {
    const pairOf = new Float64Array(capacity);
    const tenorOf = new Float64Array(capacity);
    const nextOfName = new Int32Array(capacity);
    pairOf.set(this.pairOf);
    tenorOf.set(this.tenorOf);
    nextOfName.set(this.nextOfName);
    this.pairOf = pairOf;
    this.tenorOf = tenorOf;
    this.nextOfName = nextOfName;
  }

  private trim(): void {
    if (this.slots.size <= InstrumentIdTable.MAX_NAMES && this.pairOf.length <= 4 * InstrumentIdTable.MAX_NAMES) return;
    this.slots.clear();
    this.seenIn = [];
    this.firstId = [];
    this.pairOf = new Float64Array(64);
    this.tenorOf = new Float64Array(64);
    this.nextOfName = new Int32Array(64);
  }
}

const idTable = new InstrumentIdTable();

/** Equality as Map keys compare: NaN equals NaN. */
function sameValueZero(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/** Hands out consecutive 16-aligned byte offsets. */
class Cursor {
  constructor(public at = 0) {}
  take(bytes: number): number {
    const at = this.at;
    this.at += Math.ceil(bytes / ALIGN) * ALIGN;
    return at;
  }
}

/** Sizes fixed by the book: accounts, rows, pairs, grid. */
interface BookDims {
  pairs: number;
  rows: number;
  levelStride: number;
  positions: number;
  accounts: number;
  hasCorr: boolean;
  /** distinct instruments when rows share them enough to price each once (else 0) */
  instruments: number;
  /** entries of the tenor table: distinct (pair, tenor > 0) of option and future rows */
  tenors: number;
}

/** Offsets (from the book region's start) of the header and every book column. */
function planBook(d: BookDims): { slots: Map<number, number>; header: number; bytes: number } {
  const c = new Cursor();
  const header = c.take(L.HEADER_BYTES);
  const slots = new Map<number, number>();
  const { pairs: P, rows: G, levelStride: LS, positions: N, accounts: A } = d;
  slots.set(L.H_GRID, c.take(8 * P * L.gridPairF64(LS, G)));
  slots.set(L.H_CORR, c.take(d.hasCorr ? 8 * P * P : 0));
  slots.set(L.H_POS_KIND, c.take(4 * N));
  slots.set(L.H_POS_PAIR, c.take(4 * N));
  slots.set(L.H_POS_TAG, c.take(4 * N));
  slots.set(L.H_POS_SIZE, c.take(8 * N));
  slots.set(L.H_POS_STRIKE, c.take(8 * N));
  slots.set(L.H_POS_TENOR, c.take(8 * N));
  slots.set(L.H_POS_ENTRY, c.take(8 * N));
  slots.set(L.H_POS_TENOR_SLOT, c.take(4 * N));
  slots.set(L.H_POS_LOG_STRIKE, c.take(8 * N));
  slots.set(L.H_TENOR_TABLE, c.take(8 * d.tenors * L.TENOR_ENTRY_F64));
  slots.set(L.H_POS_INSTRUMENT, c.take(d.instruments > 0 ? 4 * N : 0));
  slots.set(L.H_INS_RISK, c.take(8 * Math.max(1, d.instruments) * L.instrumentRiskF64(G)));
  slots.set(L.H_ACC_START, c.take(4 * A));
  slots.set(L.H_ACC_END, c.take(4 * A));
  slots.set(L.H_ACC_USD, c.take(8 * A));
  slots.set(L.H_ACC_COINS, c.take(8 * A * P));
  slots.set(L.H_OUT_ACC, c.take(8 * A * L.OUT_ACC_STRIDE));
  slots.set(L.H_OUT_PAIR, c.take(8 * A * P * L.outPairStride(G)));
  slots.set(L.H_SCRATCH, c.take(8 * L.scratchF64(P, G, LS)));
  return { slots, header, bytes: c.at };
}

/** Offsets (from the market region's start) of the market columns, and where each surface goes. */
function planMarket(pairs: readonly BookPair[]): { slots: Map<number, number>; surfaces: number[]; bytes: number } {
  const c = new Cursor();
  const P = pairs.length;
  const slots = new Map<number, number>();
  slots.set(L.H_PAIR_SPOT, c.take(8 * P));
  slots.set(L.H_PAIR_CURVE_START, c.take(4 * P));
  slots.set(L.H_PAIR_CURVE_COUNT, c.take(4 * P));
  slots.set(L.H_PAIR_SURFACE, c.take(4 * P));
  slots.set(L.H_PAIR_SURFACE_TENORS, c.take(4 * P));
  slots.set(L.H_PAIR_SURFACE_NODES, c.take(4 * P));
  const curveNodes = pairs.reduce((n, pair) => n + pair.futures.length, 0);
  slots.set(L.H_CURVE, c.take(8 * L.CURVE_STRIDE * curveNodes));
  const surfaces = pairs.map((pair) => {
    const s = pair.surface;
    return c.take(s === null ? 0 : 8 * (s.tenors.length + s.logMoneyness.length + s.tenors.length * s.logMoneyness.length));
  });
  return { slots, surfaces, bytes: c.at };
}

/** What lifting a report needs besides the output numbers. */
export interface ReportShape {
  ids: readonly string[];
  pairNames: readonly string[];
  /** per account, the pair indices its report lists */
  reportedPairs: readonly (readonly number[])[];
  rows: number;
  mmFraction: number;
}

/** Indices of the pairs an account's report lists, ascending: positions, orders, or a non-zero coin balance. */
function reportedPairs(account: BookAccount): number[] {
  // a flag per pair index (coins has one entry per pair), then the flagged indices in order
  const used = account.coins.map((coins) => coins !== 0);
  for (const position of account.positions) used[position.instrument.pairIndex] = true;
  for (const order of account.orders) used[order.instrument.pairIndex] = true;
  const pairs: number[] = [];
  used.forEach((flag, p) => {
    if (flag) pairs.push(p);
  });
  return pairs;
}

export function reportShape(book: Book): ReportShape {
  return {
    ids: book.accounts.map((a) => a.id),
    pairNames: book.pairs.map((p) => p.name),
    reportedPairs: book.accounts.map(reportedPairs),
    rows: book.pairs[0].grid.length,
    mmFraction: book.params.mmFraction,
  };
}

/** `count` numbers of `column` from `from`, as an array (what Array.from of a subarray gives, without the view). */
function numbersAt(column: Float64Array, from: number, count: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < count; k++) out.push(column[from + k]);
  return out;
}

/** One account's report from output columns laid out as the kernel writes them. */
export function liftAccount(shape: ReportShape, out: MarginOutputs, a: number): AccountReport {
  const G = shape.rows;
  const P = shape.pairNames.length;
  const stride = L.outPairStride(G);
  const equity = out.accounts[a * L.OUT_ACC_STRIDE];
  const initialMargin = out.accounts[a * L.OUT_ACC_STRIDE + 1];
  const maintenanceMargin = initialMargin * shape.mmFraction;
  const status: AccountStatus =
    equity >= initialMargin ? "ok" : equity >= maintenanceMargin ? "restricted" : "liquidation";
  const pairs: Record<string, PairReport> = {};
  for (const p of shape.reportedPairs[a]) {
    const at = (a * P + p) * stride;
    pairs[shape.pairNames[p]] = {
      requirement: out.pairs[at],
      worstScenario: out.pairs[at + 1],
      fillSet: FILL_SET_NAMES[out.pairs[at + 2]],
      scenarioPV: numbersAt(out.pairs, at + L.OUT_PAIR_FIXED, G),
    };
  }
  return {
    id: shape.ids[a],
    equity,
    initialMargin,
    maintenanceMargin,
    available: Math.max(0, equity - initialMargin),
    status,
    pairs,
  };
}

/** Every pair, for the kernel's pair mask (also what any pair past bit 30 moves). */
const ALL_PAIRS = -1;

/** Pair p's bit in a pair mask; pairs past bit 30 set every bit (the kernel then revalues all). */
function pairBit(p: number): number {
  return p < 31 ? 1 << p : ALL_PAIRS;
}

class ResidentBook implements PreparedBook {
  readonly book: Book;
  readonly accountIds: readonly string[];
  private readonly kernel: Kernel;
  private readonly dims: BookDims;
  /** per row (positions then orders, account by account), its instrument's id */
  private readonly instrumentIds: number[];
  /** per row, its tenor table entry (-1: none) */
  private readonly tenorSlots: number[];
  private readonly shape: ReportShape;
  private readonly header: number;
  private readonly slots: Map<number, number>;
  private bookRegion: number;
  private marketRegion = -1;
  private marketBytes = 0;
  private spotColumn = 0;
  private ran = false;
  /** the instruments' risk arrays hold this market's prices (a pass succeeded since the last update) */
  private riskPriced = false;
  /**
   * The pairs (bit p) whose market moved since the last run() brought every account up to date,
   * ALL_PAIRS before the first run and after a failed pass: run() revalues these only.
   */
  private movedPairs = ALL_PAIRS;
  /** attributePositions() output (allocated on first use), and whether it is the last run's */
  private attributionRegion = -1;
  private attributed = false;
  /** first position row of each account */
  private readonly rowStart: number[] = [];
  /** views of the output columns (views()) */
  private outputViews: MarginOutputs | null = null;

  constructor(kernel: Kernel, book: Book) {
    // surfaces given as option marks become nodes first (kernel implied vols), before any region is held
    resolveMarkSurfaces(kernel, book.pairs);
    this.kernel = kernel;
    this.book = book;
    this.accountIds = book.accounts.map((a) => a.id);
    this.shape = reportShape(book);
    const grids = book.pairs.map(pairGrid);
    this.dims = {
      pairs: book.pairs.length,
      rows: book.pairs[0].grid.length,
      levelStride: Math.max(...grids.map((g) => g.levels.length)),
      positions: book.accounts.reduce((n, a) => n + a.positions.length + a.orders.length, 0),
      accounts: book.accounts.length,
      hasCorr: book.params.pairCorrelation !== null,
      instruments: 0,
      tenors: 0,
    };
    this.instrumentIds = instrumentIds(book);
    const distinct = this.instrumentIds.reduce((m, id) => Math.max(m, id + 1), 0);
    if (distinct <= SHARED_INSTRUMENTS_RATIO * this.dims.positions) this.dims.instruments = distinct;
    const tenors = L.tenorSlots(book.accounts);
    this.tenorSlots = tenors.slots;
    this.dims.tenors = tenors.count;
    const plan = planBook(this.dims);
    this.bookRegion = kernel.alloc(plan.bytes);
    this.header = this.bookRegion + plan.header;
    // the plan's offsets become addresses, in its own map
    const base = this.bookRegion;
    plan.slots.forEach((offset, slot, slots) => slots.set(slot, base + offset));
    this.slots = plan.slots;
    this.writeHeader();
    this.writeGrid(grids);
    this.writeBook();
    this.writeMarket();
  }

  private get live(): boolean {
    return this.bookRegion >= 0;
  }

  private checkLive(): void {
    if (!this.live) throw new Error("PreparedBook: used after dispose()");
  }

  updateMarket(market: unknown): number[] {
    this.checkLive();
    const updates = normalizeMarketUpdate(market, this.book.pairs, this.book.asOfMs, this.book.params.usdRate);
    // new option marks become nodes before anything of the book changes
    for (const u of updates) if (u.optionMarks) u.surface = resolveMarkSurface(this.kernel, u.optionMarks);
    let spotsOnly = true;
    for (const u of updates) {
      const pair = this.book.pairs[u.pairIndex];
      if (u.spot !== undefined) pair.spot = u.spot;
      if (u.futures !== undefined) pair.futures = u.futures;
      if (u.surface !== undefined) pair.surface = u.surface;
      if (u.optionMarks !== undefined) pair.optionMarks = u.optionMarks;
      spotsOnly &&= u.futures === undefined && u.surface === undefined;
    }
    if (spotsOnly) {
      const f64 = this.kernel.f64;
      for (const u of updates) if (u.spot !== undefined) f64[this.spotColumn / 8 + u.pairIndex] = u.spot;
    } else {
      this.writeMarket();
    }
    const moved = updates.map((u) => u.pairIndex);
    for (const p of moved) this.movedPairs |= pairBit(p);
    this.ran = false;
    this.riskPriced = false;
    return moved;
  }

  run(options?: { full?: boolean }): void {
    const moved = options?.full === true ? ALL_PAIRS : this.movedPairs;
    this.pass(0, this.dims.accounts, false, moved);
    this.movedPairs = 0;
  }

  runRange(first: number, end: number, options?: { pairs?: readonly number[] }): void {
    const A = this.dims.accounts;
    if (!(Number.isInteger(first) && Number.isInteger(end) && first >= 0 && first <= end && end <= A)) {
      throw new RangeError(`account range [${first}, ${end}) is not within [0, ${A}]`);
    }
    let mask = ALL_PAIRS;
    if (options?.pairs !== undefined) {
      mask = 0;
      for (const p of options.pairs) {
        if (!(Number.isInteger(p) && p >= 0 && p < this.dims.pairs)) throw new RangeError(`pair index ${p} is not within [0, ${this.dims.pairs})`);
        mask |= pairBit(p);
      }
    }
    // movedPairs is left as it is: it still holds what run() needs for the other accounts
    this.pass(first, end, this.riskPriced, mask);
  }

  /**
   * One kernel pass over accounts [first, end), revaluing the pairs in `pairMask` (bit p; ALL_PAIRS
   * for all) and reusing the instruments' risk arrays if asked.
   */
  private pass(first: number, end: number, reuseRisk: boolean, pairMask: number): void {
    this.checkLive();
    this.riskPriced = false;
    // a pass that stops inside an account (a bad index, say) leaves its outputs half written; the
    // next run() then revalues every pair (so does a non-finite result, which stops after the
    // pair's outputs that hold it are written)
    const moved = this.movedPairs;
    this.movedPairs = ALL_PAIRS;
    const status = this.kernel.exports.marginAccountRange(this.header, first, end, reuseRisk ? 1 : 0, pairMask);
    if (status !== L.STATUS_OK) {
      const failed = this.kernel.i32[(this.header >> 2) + L.H_FAIL_ACCOUNT];
      const path = failed >= 0 && failed < this.book.accounts.length ? this.book.accounts[failed].path : "";
      throw L.kernelStatusError(status, path);
    }
    this.movedPairs = moved;
    this.riskPriced = true;
    this.ran = true;
    this.attributed = false;
  }

  margin(): Report {
    this.run();
    return this.report();
  }

  outputs(): MarginOutputs {
    this.checkLive();
    if (!this.ran) throw new Error("PreparedBook: outputs() before run()");
    return this.views();
  }

  /** The output columns as views of linear memory, made again only when memory has grown. */
  private views(): MarginOutputs {
    const f64 = this.kernel.f64;
    let views = this.outputViews;
    if (views === null || views.accounts.buffer !== f64.buffer) {
      const { accounts: A, pairs: P, rows: G } = this.dims;
      const acc = this.slots.get(L.H_OUT_ACC)! / 8;
      const pair = this.slots.get(L.H_OUT_PAIR)! / 8;
      views = {
        accounts: f64.subarray(acc, acc + A * L.OUT_ACC_STRIDE),
        pairs: f64.subarray(pair, pair + A * P * L.outPairStride(G)),
      };
      this.outputViews = views;
    }
    return views;
  }

  report(): Report {
    const out = this.outputs();
    return { accounts: this.accountIds.map((_, a) => liftAccount(this.shape, out, a)) };
  }

  accountReport(index: number): AccountReport {
    if (!(index >= 0 && index < this.accountIds.length)) throw new RangeError(`account index ${index} out of range`);
    return liftAccount(this.shape, this.outputs(), index);
  }

  attribution(index: number): RiskAttribution[] {
    if (!(index >= 0 && index < this.accountIds.length)) throw new RangeError(`account index ${index} out of range`);
    this.outputs(); // live and run
    if (this.attributionRegion < 0) {
      this.attributionRegion = this.kernel.alloc(8 * L.ATTR_STRIDE * this.dims.positions);
      this.attributed = false;
    }
    if (!this.attributed) {
      const status = this.kernel.exports.attributePositions(this.header, this.attributionRegion);
      if (status !== L.STATUS_OK) throw L.kernelStatusError(status, "");
      this.attributed = true;
    }
    const f64 = this.kernel.f64;
    const account = this.book.accounts[index];
    const rows = [
      ...account.positions.map((p, i) => ({ source: "position" as const, index: i, instrument: p.instrument })),
      ...account.orders.map((o, i) => ({ source: "order" as const, index: i, instrument: o.instrument })),
    ];
    return rows.map((r, k): RiskAttribution => {
      const at = this.attributionRegion / 8 + (this.rowStart[index] + k) * L.ATTR_STRIDE;
      return {
        source: r.source,
        index: r.index,
        instrument: r.instrument.name,
        pair: r.instrument.pair,
        inWorstSet: f64[at] === 1,
        worstScenarioPnL: f64[at + 1],
        delta: f64[at + 2],
        gamma: f64[at + 3],
        vega: f64[at + 4],
        theta: f64[at + 5],
      };
    });
  }

  image(): { memory: WebAssembly.Memory; header: number } {
    this.checkLive();
    return { memory: this.kernel.exports.memory, header: this.header };
  }

  dispose(): void {
    if (!this.live) return;
    this.kernel.release(this.bookRegion);
    if (this.marketRegion >= 0) this.kernel.release(this.marketRegion);
    if (this.attributionRegion >= 0) this.kernel.release(this.attributionRegion);
    this.bookRegion = -1;
    this.marketRegion = -1;
    this.attributionRegion = -1;
    this.outputViews = null;
  }

  private writeHeader(): void {
    const { i32, f64 } = this.kernel;
    const h = this.header >> 2;
    const d = this.dims;
    i32.fill(0, h, h + L.HEADER_I32_SLOTS);
    i32[h + L.H_PAIRS] = d.pairs;
    i32[h + L.H_ROWS] = d.rows;
    i32[h + L.H_LEVEL_STRIDE] = d.levelStride;
    i32[h + L.H_ACCOUNTS] = d.accounts;
    i32[h + L.H_POSITIONS] = d.positions;
    i32[h + L.H_COIN_POLICY] = COIN_POLICY_CODES[this.book.params.coinPolicy];
    i32[h + L.H_HAS_CORR] = d.hasCorr ? 1 : 0;
    i32[h + L.H_INSTRUMENTS] = d.instruments;
    i32[h + L.H_TENORS] = d.tenors;
    i32[h + L.H_FAIL_ACCOUNT] = -1;
    this.slots.forEach((address, slot) => (i32[h + slot] = address));
    f64[(this.header + L.HEADER_F64_OFFSET) / 8 + L.HF_USD_RATE] = this.book.params.usdRate;
    f64[(this.header + L.HEADER_F64_OFFSET) / 8 + L.HF_VSF_TENOR_EXPONENT] = this.book.params.vsfTenorExponent ?? 0;
  }

  /** Spots, futures marks and surface nodes; re-allocates the region when its size changes. */
  private writeMarket(): void {
    const pairs = this.book.pairs;
    const plan = planMarket(pairs);
    if (plan.bytes !== this.marketBytes || this.marketRegion < 0) {
      if (this.marketRegion >= 0) this.kernel.release(this.marketRegion);
      this.marketRegion = this.kernel.alloc(plan.bytes);
      this.marketBytes = plan.bytes;
    }
    const { i32, f64 } = this.kernel; // after alloc: it may have grown memory
    const base = this.marketRegion;
    const h = this.header >> 2;
    const col = (slot: number): number => base + plan.slots.get(slot)!;
    plan.slots.forEach((offset, slot) => (i32[h + slot] = base + offset));
    this.spotColumn = col(L.H_PAIR_SPOT);
    let curveNode = 0;
    pairs.forEach((pair, p) => {
      f64[col(L.H_PAIR_SPOT) / 8 + p] = pair.spot;
      i32[col(L.H_PAIR_CURVE_START) / 4 + p] = curveNode;
      i32[col(L.H_PAIR_CURVE_COUNT) / 4 + p] = pair.futures.length;
      for (const future of pair.futures) {
        const at = col(L.H_CURVE) / 8 + curveNode * L.CURVE_STRIDE;
        f64[at] = future.tenorYears;
        f64[at + 1] = future.mark;
        curveNode++;
      }
      const surface = pair.surface;
      const surfaceAt = base + plan.surfaces[p];
      i32[col(L.H_PAIR_SURFACE) / 4 + p] = surfaceAt;
      i32[col(L.H_PAIR_SURFACE_TENORS) / 4 + p] = surface === null ? 0 : surface.tenors.length;
      i32[col(L.H_PAIR_SURFACE_NODES) / 4 + p] = surface === null ? 0 : surface.logMoneyness.length;
      if (surface !== null) {
        let at = surfaceAt / 8;
        f64.set(surface.tenors, at);
        at += surface.tenors.length;
        f64.set(surface.logMoneyness, at);
        at += surface.logMoneyness.length;
        for (const row of surface.vols) {
          f64.set(row, at);
          at += row.length;
        }
      }
    });
    i32[h + L.H_CURVE_NODES] = curveNode;
  }

  private writeGrid(grids: PairGrid[]): void {
    const { i32, f64 } = this.kernel;
    const { rows: G, levelStride: LS } = this.dims;
    const stride = L.gridPairF64(LS, G);
    this.book.pairs.forEach((pair, p) => {
      const block = this.slots.get(L.H_GRID)! / 8 + p * stride;
      const { levels, rowLevel } = grids[p];
      i32[block * 2] = levels.length;
      f64.set(levels, block + 1);
      pair.grid.forEach((row, s) => {
        i32[(block + 1 + 2 * LS + s) * 2] = rowLevel[s];
        f64[block + 1 + 2 * LS + G + s] = row.volShock;
        f64[block + 1 + 2 * LS + 2 * G + s] = row.weight;
      });
    });
    if (this.dims.hasCorr) {
      const at = this.slots.get(L.H_CORR)! / 8;
      (this.book.params.pairCorrelation as number[][]).forEach((row, i) => f64.set(row, at + i * this.dims.pairs));
    }
  }

  /** Position columns (orders as rows tagged with their fill set) and account columns. */
  private writeBook(): void {
    const { i32, f64 } = this.kernel;
    const s = (slot: number): number => this.slots.get(slot)!;
    const P = this.dims.pairs;
    const kind = s(L.H_POS_KIND) / 4;
    const pair = s(L.H_POS_PAIR) / 4;
    const tag = s(L.H_POS_TAG) / 4;
    const size = s(L.H_POS_SIZE) / 8;
    const strike = s(L.H_POS_STRIKE) / 8;
    const tenor = s(L.H_POS_TENOR) / 8;
    const entry = s(L.H_POS_ENTRY) / 8;
    const ids = s(L.H_POS_INSTRUMENT) / 4;
    const tenorSlot = s(L.H_POS_TENOR_SLOT) / 4;
    const logStrike = s(L.H_POS_LOG_STRIKE) / 8;
    let row = 0;
    const put = (instrument: ResolvedInstrument, rowTag: number, contracts: number, entryPrice: number | null): void => {
      i32[kind + row] = L.kindCode(instrument);
      i32[pair + row] = instrument.pairIndex;
      i32[tag + row] = rowTag;
      f64[size + row] = contracts * instrument.multiplier;
      f64[strike + row] = instrument.strike;
      f64[tenor + row] = instrument.tenorYears;
      f64[entry + row] = entryPrice ?? NaN;
      if (this.dims.instruments > 0) i32[ids + row] = this.instrumentIds[row];
      i32[tenorSlot + row] = this.tenorSlots[row];
      f64[logStrike + row] = L.logStrike(instrument);
      row++;
    };
    this.book.accounts.forEach((account, a) => {
      i32[s(L.H_ACC_START) / 4 + a] = row;
      this.rowStart[a] = row;
      for (const position of account.positions) put(position.instrument, L.TAG_POSITION, position.qty, position.entryPrice);
      for (const order of account.orders) {
        const buy = order.side === "buy";
        put(order.instrument, buy ? L.TAG_BID : L.TAG_ASK, buy ? order.qty : -order.qty, null);
      }
      i32[s(L.H_ACC_END) / 4 + a] = row;
      f64[s(L.H_ACC_USD) / 8 + a] = account.usd;
      f64.set(account.coins, s(L.H_ACC_COINS) / 8 + a * P);
    });
  }
}

/**
 * For benchmarks and tests only (not exported by the package): the kernel's memory and the
 * header address of a prepared book, so another implementation can run on the same image.
 */
export function kernelImage(book: PreparedBook): { memory: WebAssembly.Memory; header: number } {
  if (!(book instanceof ResidentBook)) throw new TypeError("kernelImage: not a book of this engine");
  return book.image();
}

class MarginEngine implements Engine {
  private readonly kernel: Kernel;
  readonly kernelBuild: KernelBuild;

  constructor(kernel: Kernel, build: KernelBuild) {
    this.kernel = kernel;
    this.kernelBuild = build;
  }

  get memoryBytes(): number {
    return this.kernel.memoryBytes;
  }

  margin(file: unknown, options: MarginOptions = {}): Report {
    if (options.isolateAccounts) return marginIsolated(file, (book) => this.marginBook(book, options));
    return this.marginBook(normalize(file), options);
  }

  prepareCovariance(file: unknown, options: CovarianceOptions = {}): CovarianceBook {
    return prepareCovariance(this.kernel, normalize(file), this, options);
  }

  marginCovariance(file: unknown, options: Pick<MarginOptions, "isolateAccounts"> = {}): CovarianceReport {
    if (options.isolateAccounts) return marginIsolated(file, (book) => marginCovarianceBook(this.kernel, book, this));
    return marginCovarianceBook(this.kernel, normalize(file), this);
  }

  marginBook(book: Book, options: MarginOptions = {}): Report {
    const resident = new ResidentBook(this.kernel, book);
    try {
      const report = resident.margin();
      if (options.attribution) report.accounts.forEach((account, a) => (account.risk = resident.attribution(a)));
      return report;
    } finally {
      resident.dispose();
    }
  }

  prepare(file: unknown): PreparedBook {
    return this.prepareBook(normalize(file));
  }

  prepareBook(book: Book): PreparedBook {
    return new ResidentBook(this.kernel, book);
  }

  whatIf(book: PreparedBook | object, trade: TradeInput): WhatIfResult {
    return whatIf(this, book, trade);
  }

  pnlCurve(book: PreparedBook | object, accountId: string, pair: string, options?: PnlCurveOptions): PnlCurve {
    return pnlCurve(this, book, accountId, pair, options);
  }

  worstScenarioContributions(book: PreparedBook | object, accountId: string, pair: string): WorstScenarioContributions {
    return worstScenarioContributions(this, book, accountId, pair);
  }

  liquidationPlan(file: unknown, accountId: string, options: LiquidationOptions): LiquidationPlan {
    return liquidationPlan(this, file, accountId, options);
  }

  adlQueue(file: unknown, instrument: string, side: PositionSide): AdlQueue {
    return adlQueue(this, file, instrument, side);
  }

  liquidationPrices(file: unknown): LiquidationPricesReport {
    return liquidationPrices(this, file);
  }
}

/**
 * An engine over its own kernel instance: `options.wasm` when given, else `defaultKernel()`
 * (each entry point passes its own, selected and compiled once per process).
 */
export async function createEngineWith(
  defaultKernel: () => Promise<SelectedKernel>,
  options: EngineOptions = {},
): Promise<Engine> {
  const { module, build } =
    options.wasm === undefined ? await defaultKernel() : { module: await compileKernel(options.wasm), build: "custom" as const };
  return new MarginEngine(await Kernel.create(module), build);
}
