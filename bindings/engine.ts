/**
 * createEngine(): validate -> marshal into columns -> call the kernel -> lift the report.
 *
 * The memory plan (`planLayout`) puts the market region (pair columns, futures curve, surface
 * nodes) and the grid first, then the position and account columns, then outputs and scratch, all
 * from the kernel's heap base. The regions are rewritten independently (`writeMarket`,
 * `writeGrid`, `writeBook`), so a resident book can be re-margined after rewriting only the market.
 * Memory grows only when a call needs more than any call before it.
 */
import type { Book, BookAccount, BookPair, ResolvedInstrument } from "./model/book.js";
import type { AccountReport, AccountStatus, FillSet, PairReport, Report } from "./model/types.js";
import { normalize } from "./validate.js";
import { ErrorCode, MarginError } from "./errors.js";
import { Kernel, compileKernel, type KernelSource } from "./kernel.js";
import * as L from "./layout.js";

export interface EngineOptions {
  /** the kernel's bytes, URL, Response or compiled module; default: the release build (see index.ts, browser.ts) */
  wasm?: KernelSource;
}

export interface Engine {
  /** Margin every account of a portfolio file (SPEC.md "The portfolio file"); throws MarginError on bad input. */
  margin(file: unknown): Report;
  /** Margin an already normalized book (see normalize() in validate.ts). */
  marginBook(book: Book): Report;
  /** Current size of the kernel's linear memory, bytes. */
  readonly memoryBytes: number;
}

const FILL_SET_NAMES: readonly FillSet[] = ["none", "bids", "asks"];
const COIN_POLICY_CODES = { capped: L.COIN_CAPPED, full: L.COIN_FULL, none: L.COIN_NONE } as const;

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

function kindCode(instrument: ResolvedInstrument): number {
  switch (instrument.kind) {
    case "spot":
      return L.KIND_SPOT;
    case "perpetual":
      return L.KIND_PERPETUAL;
    case "future":
      return L.KIND_FUTURE;
    case "option":
      return instrument.isCall ? L.KIND_CALL : L.KIND_PUT;
  }
}

/** Sizes that decide the memory plan. */
interface Dims {
  pairs: number;
  rows: number;
  levelStride: number;
  curveNodes: number;
  surfaceF64: number;
  positions: number;
  accounts: number;
  hasCorr: boolean;
}

/** Byte address of every column (the header's slots) and the total size. */
interface Plan {
  dims: Dims;
  header: number;
  slots: Record<number, number>;
  surfaceStart: number;
  bytes: number;
}

const ALIGN = 16;

function planLayout(base: number, dims: Dims): Plan {
  let cursor = base;
  const take = (bytes: number): number => {
    const at = cursor;
    cursor += Math.ceil(bytes / ALIGN) * ALIGN;
    return at;
  };
  const { pairs: P, rows: G, levelStride: LS, positions: N, accounts: A } = dims;
  const header = take(L.HEADER_BYTES);
  const slots: Record<number, number> = {};
  // market
  slots[L.H_PAIR_SPOT] = take(8 * P);
  slots[L.H_PAIR_CURVE_START] = take(4 * P);
  slots[L.H_PAIR_CURVE_COUNT] = take(4 * P);
  slots[L.H_PAIR_SURFACE] = take(4 * P);
  slots[L.H_PAIR_SURFACE_TENORS] = take(4 * P);
  slots[L.H_PAIR_SURFACE_NODES] = take(4 * P);
  slots[L.H_CURVE] = take(8 * L.CURVE_STRIDE * dims.curveNodes);
  const surfaceStart = take(8 * dims.surfaceF64);
  slots[L.H_GRID] = take(8 * P * L.gridPairF64(LS, G));
  slots[L.H_CORR] = take(dims.hasCorr ? 8 * P * P : 0);
  // book
  slots[L.H_POS_KIND] = take(4 * N);
  slots[L.H_POS_PAIR] = take(4 * N);
  slots[L.H_POS_TAG] = take(4 * N);
  slots[L.H_POS_SIZE] = take(8 * N);
  slots[L.H_POS_STRIKE] = take(8 * N);
  slots[L.H_POS_TENOR] = take(8 * N);
  slots[L.H_POS_ENTRY] = take(8 * N);
  slots[L.H_ACC_START] = take(4 * A);
  slots[L.H_ACC_END] = take(4 * A);
  slots[L.H_ACC_USD] = take(8 * A);
  slots[L.H_ACC_COINS] = take(8 * A * P);
  // results and workspace
  slots[L.H_OUT_ACC] = take(8 * A * L.OUT_ACC_STRIDE);
  slots[L.H_OUT_PAIR] = take(8 * A * P * L.outPairStride(G));
  slots[L.H_SCRATCH] = take(8 * L.scratchF64(P, G, LS));
  return { dims, header, slots, surfaceStart, bytes: cursor - base };
}

function dimsOf(book: Book, grids: PairGrid[]): Dims {
  let positions = 0;
  for (const account of book.accounts) positions += account.positions.length + account.orders.length;
  return {
    pairs: book.pairs.length,
    rows: book.pairs[0].grid.length,
    levelStride: Math.max(...grids.map((g) => g.levels.length)),
    curveNodes: book.pairs.reduce((n, pair) => n + pair.futures.length, 0),
    surfaceF64: book.pairs.reduce((n, pair) => {
      const s = pair.surface;
      return s === null ? n : n + s.tenors.length + s.logMoneyness.length + s.tenors.length * s.logMoneyness.length;
    }, 0),
    positions,
    accounts: book.accounts.length,
    hasCorr: book.params.pairCorrelation !== null,
  };
}

/** Indices of the pairs an account's report lists: positions, orders, or a non-zero coin balance. */
function reportedPairs(account: BookAccount): Set<number> {
  const used = new Set<number>();
  for (const position of account.positions) used.add(position.instrument.pairIndex);
  for (const order of account.orders) used.add(order.instrument.pairIndex);
  account.coins.forEach((coins, p) => {
    if (coins !== 0) used.add(p);
  });
  return used;
}

class MarginEngine implements Engine {
  private readonly kernel: Kernel;

  constructor(kernel: Kernel) {
    this.kernel = kernel;
  }

  get memoryBytes(): number {
    return this.kernel.memoryBytes;
  }

  margin(file: unknown): Report {
    return this.marginBook(normalize(file));
  }

  marginBook(book: Book): Report {
    const grids = book.pairs.map(pairGrid);
    const plan = planLayout(this.kernel.base, dimsOf(book, grids));
    this.kernel.reserve(plan.bytes);
    this.writeHeader(plan, book);
    this.writeMarket(plan, book);
    this.writeGrid(plan, book, grids);
    this.writeBook(plan, book);
    const status = this.kernel.exports.marginAccounts(plan.header);
    if (status !== L.STATUS_OK) {
      const failed = this.kernel.i32[(plan.header >> 2) + L.H_FAIL_ACCOUNT];
      const path = failed >= 0 && failed < book.accounts.length ? book.accounts[failed].path : "";
      throw new MarginError(ErrorCode.KERNEL, path, L.KERNEL_STATUS_MESSAGES[status] ?? `kernel status ${status}`);
    }
    return this.readReport(plan, book);
  }

  private writeHeader(plan: Plan, book: Book): void {
    const { i32, f64 } = this.kernel;
    const h = plan.header >> 2;
    const d = plan.dims;
    i32.fill(0, h, h + L.HEADER_I32_SLOTS);
    i32[h + L.H_PAIRS] = d.pairs;
    i32[h + L.H_ROWS] = d.rows;
    i32[h + L.H_LEVEL_STRIDE] = d.levelStride;
    i32[h + L.H_ACCOUNTS] = d.accounts;
    i32[h + L.H_POSITIONS] = d.positions;
    i32[h + L.H_CURVE_NODES] = d.curveNodes;
    i32[h + L.H_COIN_POLICY] = COIN_POLICY_CODES[book.params.coinPolicy];
    i32[h + L.H_HAS_CORR] = d.hasCorr ? 1 : 0;
    i32[h + L.H_FAIL_ACCOUNT] = -1;
    for (const [slot, address] of Object.entries(plan.slots)) i32[h + Number(slot)] = address;
    f64[(plan.header + L.HEADER_F64_OFFSET) / 8 + L.HF_USD_RATE] = book.params.usdRate;
  }

  /** Spots, futures marks and surface nodes: the only region a market tick changes. */
  private writeMarket(plan: Plan, book: Book): void {
    const { i32, f64 } = this.kernel;
    const s = plan.slots;
    let curveNode = 0;
    let surfaceAt = plan.surfaceStart;
    book.pairs.forEach((pair, p) => {
      f64[s[L.H_PAIR_SPOT] / 8 + p] = pair.spot;
      i32[s[L.H_PAIR_CURVE_START] / 4 + p] = curveNode;
      i32[s[L.H_PAIR_CURVE_COUNT] / 4 + p] = pair.futures.length;
      for (const future of pair.futures) {
        const at = s[L.H_CURVE] / 8 + curveNode * L.CURVE_STRIDE;
        f64[at] = future.tenorYears;
        f64[at + 1] = future.mark;
        curveNode++;
      }
      const surface = pair.surface;
      i32[s[L.H_PAIR_SURFACE] / 4 + p] = surfaceAt;
      i32[s[L.H_PAIR_SURFACE_TENORS] / 4 + p] = surface === null ? 0 : surface.tenors.length;
      i32[s[L.H_PAIR_SURFACE_NODES] / 4 + p] = surface === null ? 0 : surface.logMoneyness.length;
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
        surfaceAt = at * 8;
      }
    });
    if (plan.dims.hasCorr) {
      const at = s[L.H_CORR] / 8;
      (book.params.pairCorrelation as number[][]).forEach((row, i) => f64.set(row, at + i * plan.dims.pairs));
    }
  }

  private writeGrid(plan: Plan, book: Book, grids: PairGrid[]): void {
    const { i32, f64 } = this.kernel;
    const { rows: G, levelStride: LS } = plan.dims;
    const stride = L.gridPairF64(LS, G);
    book.pairs.forEach((pair, p) => {
      const block = plan.slots[L.H_GRID] / 8 + p * stride;
      const { levels, rowLevel } = grids[p];
      i32[block * 2] = levels.length;
      f64.set(levels, block + 1);
      pair.grid.forEach((row, s) => {
        i32[(block + 1 + 2 * LS + s) * 2] = rowLevel[s];
        f64[block + 1 + 2 * LS + G + s] = 1 + row.volShock;
        f64[block + 1 + 2 * LS + 2 * G + s] = row.weight;
      });
    });
  }

  /** Position columns (orders as tagged rows) and account columns. */
  private writeBook(plan: Plan, book: Book): void {
    const { i32, f64 } = this.kernel;
    const s = plan.slots;
    const P = plan.dims.pairs;
    const kind = s[L.H_POS_KIND] / 4;
    const pair = s[L.H_POS_PAIR] / 4;
    const tag = s[L.H_POS_TAG] / 4;
    const size = s[L.H_POS_SIZE] / 8;
    const strike = s[L.H_POS_STRIKE] / 8;
    const tenor = s[L.H_POS_TENOR] / 8;
    const entry = s[L.H_POS_ENTRY] / 8;
    let row = 0;
    const put = (instrument: ResolvedInstrument, rowTag: number, contracts: number, entryPrice: number | null): void => {
      i32[kind + row] = kindCode(instrument);
      i32[pair + row] = instrument.pairIndex;
      i32[tag + row] = rowTag;
      f64[size + row] = contracts * instrument.multiplier;
      f64[strike + row] = instrument.strike;
      f64[tenor + row] = instrument.tenorYears;
      f64[entry + row] = entryPrice ?? NaN;
      row++;
    };
    book.accounts.forEach((account, a) => {
      i32[s[L.H_ACC_START] / 4 + a] = row;
      for (const position of account.positions) put(position.instrument, L.TAG_POSITION, position.qty, position.entryPrice);
      for (const order of account.orders) {
        const buy = order.side === "buy";
        put(order.instrument, buy ? L.TAG_BID : L.TAG_ASK, buy ? order.qty : -order.qty, null);
      }
      i32[s[L.H_ACC_END] / 4 + a] = row;
      f64[s[L.H_ACC_USD] / 8 + a] = account.usd;
      f64.set(account.coins, s[L.H_ACC_COINS] / 8 + a * P);
    });
  }

  private readReport(plan: Plan, book: Book): Report {
    const { f64 } = this.kernel;
    const { pairs: P, rows: G } = plan.dims;
    const outAcc = plan.slots[L.H_OUT_ACC] / 8;
    const outPair = plan.slots[L.H_OUT_PAIR] / 8;
    const pairStride = L.outPairStride(G);
    const mmFraction = book.params.mmFraction;
    const accounts = book.accounts.map((account, a): AccountReport => {
      const equity = f64[outAcc + a * L.OUT_ACC_STRIDE];
      const initialMargin = f64[outAcc + a * L.OUT_ACC_STRIDE + 1];
      const maintenanceMargin = initialMargin * mmFraction;
      const status: AccountStatus =
        equity >= initialMargin ? "ok" : equity >= maintenanceMargin ? "restricted" : "liquidation";
      const pairs: Record<string, PairReport> = {};
      const used = reportedPairs(account);
      for (let p = 0; p < P; p++) {
        if (!used.has(p)) continue;
        const at = outPair + (a * P + p) * pairStride;
        pairs[book.pairs[p].name] = {
          requirement: f64[at],
          worstScenario: f64[at + 1],
          fillSet: FILL_SET_NAMES[f64[at + 2]],
          scenarioPV: Array.from(f64.subarray(at + L.OUT_PAIR_FIXED, at + L.OUT_PAIR_FIXED + G)),
        };
      }
      return {
        id: account.id,
        equity,
        initialMargin,
        maintenanceMargin,
        available: Math.max(0, equity - initialMargin),
        status,
        pairs,
      };
    });
    return { accounts };
  }
}

/**
 * An engine over its own kernel instance: `options.wasm` when given, else `defaultKernel()`
 * (each entry point passes its own, compiled once per process).
 */
export async function createEngineWith(
  defaultKernel: () => Promise<WebAssembly.Module>,
  options: EngineOptions = {},
): Promise<Engine> {
  const module = options.wasm === undefined ? await defaultKernel() : await compileKernel(options.wasm);
  return new MarginEngine(await Kernel.create(module));
}
