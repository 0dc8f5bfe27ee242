/**
 * What the liquidation modules share: marks from the kernel, accounts as working copies (one
 * position per instrument, unrealised PnL of linear positions realised at the mark), and batches
 * of working accounts margined in one kernel call. No pricing happens here: every value and every
 * requirement comes from the kernel through prepared books (engine.prepareBook), so the plan, the
 * ADL queue and the liquidation prices use exactly the numbers `engine.margin` reports.
 */
import type { Book, BookAccount, BookOrder, ResolvedInstrument } from "./model/book.js";
import type { PreparedBook } from "./engine.js";
import type { MarginState } from "./model/liquidation.js";
import { ErrorCode, MarginError } from "./errors.js";
import * as L from "./layout.js";

/** What the liquidation modules need from the engine: resident books on the kernel. */
export interface LiquidationEngine {
  prepareBook(book: Book): PreparedBook;
}

/** An instrument's market identity: its canonical name and expiry (instrument objects may differ within a named day). */
export function marketKey(instrument: ResolvedInstrument): string {
  return `${instrument.name}|${instrument.expiryMs}`;
}

/** A position's identity in a working account: market and contract size. */
export function positionKey(instrument: ResolvedInstrument): string {
  return `${marketKey(instrument)}|${instrument.multiplier}`;
}

export const isLinear = (instrument: ResolvedInstrument): boolean =>
  instrument.kind === "perpetual" || instrument.kind === "future";

/**
 * Marks, USD per coin, of every instrument the book holds or orders: one synthetic account per
 * market holding one coin of it; its pair's base PV (kernel output slot `basePV`) is the mark
 * (spot and perpetual S, future F(T), option its Black-76 value on the surface), as the scenario
 * model values positions in equity.
 */
export function kernelMarks(engine: LiquidationEngine, book: Book): Map<string, number> {
  const instruments = new Map<string, ResolvedInstrument>();
  for (const account of book.accounts) {
    for (const p of account.positions) instruments.set(marketKey(p.instrument), p.instrument);
    for (const o of account.orders) instruments.set(marketKey(o.instrument), o.instrument);
  }
  const marks = new Map<string, number>();
  if (instruments.size === 0) return marks;
  const keys = [...instruments.keys()];
  const zeros = book.pairs.map(() => 0);
  const markBook: Book = {
    asOfMs: book.asOfMs,
    params: book.params,
    pairs: book.pairs,
    accounts: keys.map((key, m) => ({
      id: key,
      usd: 0,
      coins: zeros.slice(),
      positions: [{ instrument: { ...instruments.get(key)!, multiplier: 1 }, qty: 1, entryPrice: null, path: `marks[${m}]` }],
      orders: [],
      path: `marks[${m}]`,
    })),
  };
  const resident = engine.prepareBook(markBook);
  try {
    resident.run();
    const out = resident.outputs();
    const P = book.pairs.length;
    const stride = L.outPairStride(book.pairs[0].grid.length);
    keys.forEach((key, m) => {
      const p = instruments.get(key)!.pairIndex;
      marks.set(key, out.pairs[(m * P + p) * stride + 3]);
    });
  } finally {
    resident.dispose();
  }
  return marks;
}

/** One position of a working account: every book position of one instrument and size, netted. */
export interface WorkPosition {
  instrument: ResolvedInstrument;
  /** signed contracts (never 0 in a working account) */
  qty: number;
  /** USD per coin, from the kernel */
  mark: number;
  /** the book positions netted into this one */
  paths: string[];
}

/**
 * An account as the plan works on it. Linear positions carry their entry at the mark: their
 * unrealised PnL at the start, qty x mult x (mark - entry), is moved into `usd`, which changes
 * neither equity nor any scenario PV difference (so neither IM), and makes a close's cash flow
 * the same for every instrument (closing x coins at price f pays sign x (f - mark) for linear
 * positions, sign x f for spot and options).
 */
export interface WorkAccount {
  id: string;
  path: string;
  usd: number;
  coins: number[];
  positions: WorkPosition[];
  orders: BookOrder[];
}

export function workAccount(account: BookAccount, marks: ReadonlyMap<string, number>): WorkAccount {
  let usd = account.usd;
  const byKey = new Map<string, WorkPosition>();
  for (const p of account.positions) {
    const mark = marks.get(marketKey(p.instrument));
    if (mark === undefined) throw new Error(`liquidation: no mark for ${p.instrument.name}`);
    if (isLinear(p.instrument) && p.entryPrice !== null) usd += p.qty * p.instrument.multiplier * (mark - p.entryPrice);
    const key = positionKey(p.instrument);
    const merged = byKey.get(key);
    if (merged === undefined) byKey.set(key, { instrument: p.instrument, qty: p.qty, mark, paths: [p.path] });
    else {
      merged.qty += p.qty;
      merged.paths.push(p.path);
    }
  }
  return {
    id: account.id,
    path: account.path,
    usd,
    coins: account.coins.slice(),
    positions: [...byKey.values()].filter((p) => p.qty !== 0),
    orders: account.orders.slice(),
  };
}

export function copyWork(w: WorkAccount): WorkAccount {
  return { ...w, coins: w.coins.slice(), positions: w.positions.map((p) => ({ ...p, paths: p.paths.slice() })), orders: w.orders.slice() };
}

/** The working account as a book account (linear entries at their marks). */
export function bookAccount(w: WorkAccount, id: string): BookAccount {
  return {
    id,
    usd: w.usd,
    coins: w.coins,
    positions: w.positions.map((p) => ({
      instrument: p.instrument,
      qty: p.qty,
      entryPrice: isLinear(p.instrument) ? p.mark : null,
      path: p.paths[0],
    })),
    orders: w.orders,
    path: w.path,
  };
}

/** Gross mark value of the positions, USD: sum of |qty x multiplier x mark|. */
export function grossValue(w: WorkAccount): number {
  return w.positions.reduce((g, p) => g + Math.abs(p.qty * p.instrument.multiplier * p.mark), 0);
}

/** Equity and IM of each working account: one kernel pass over a book of all of them. */
export function marginWork(engine: LiquidationEngine, book: Book, accounts: readonly WorkAccount[]): { equity: Float64Array; im: Float64Array } {
  const equity = new Float64Array(accounts.length);
  const im = new Float64Array(accounts.length);
  if (accounts.length === 0) return { equity, im };
  const batch: Book = {
    asOfMs: book.asOfMs,
    params: book.params,
    pairs: book.pairs,
    accounts: accounts.map((w, i) => bookAccount(w, `c${i}`)),
  };
  const resident = engine.prepareBook(batch);
  try {
    resident.run();
    const out = resident.outputs().accounts;
    for (let i = 0; i < accounts.length; i++) {
      equity[i] = out[i * L.OUT_ACC_STRIDE];
      im[i] = out[i * L.OUT_ACC_STRIDE + 1];
    }
  } finally {
    resident.dispose();
  }
  for (let i = 0; i < accounts.length; i++) {
    if (!Number.isFinite(equity[i]) || !Number.isFinite(im[i])) {
      throw new MarginError(ErrorCode.KERNEL, accounts[i].path, "the kernel returned a non-finite equity or requirement");
    }
  }
  return { equity, im };
}

/** The margin state at equity E and requirement IM: target = MM + buffer (IM - MM), exactly IM at buffer 1. */
export function marginState(equity: number, im: number, mmFraction: number, buffer: number): MarginState {
  const mm = im * mmFraction;
  return {
    equity,
    initialMargin: im,
    maintenanceMargin: mm,
    target: buffer === 1 ? im : mm + buffer * (im - mm),
    status: equity >= im ? "ok" : equity >= mm ? "restricted" : "liquidation",
  };
}
