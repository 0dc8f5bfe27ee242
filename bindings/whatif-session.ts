/**
 * A what-if session: a portfolio file being edited by a trader (the demo page's model, usable by
 * any UI). It keeps the file and its normalized book in step: every edit (a position's quantity,
 * a removed position, an applied trade, a spot or vol shift of a pair) is written into both, and
 * the book is re-margined in one kernel call, exactly as engine.margin(session.file) margins it,
 * so the session's report is that report bit for bit:
 *   - a position edit or a trade lays the whole book out again in a resident PreparedBook and
 *     runs it (the trader's file is small; margining an account alone would agree to the last
 *     bit only while the kernel does not price instruments shared across accounts once);
 *   - a market shift goes through updateMarket on that resident book and re-runs it.
 * Previews, curves and contributions read the account's run from the resident book (its report,
 * base PVs and the kernel's risk attribution), so they share its numbers.
 * Market shifts are relative to the market the session was opened with: spot S0 (1 + spot) with
 * the pair's futures marks times the same factor (the funding rate b(T) stays), and every surface
 * vol times (1 + vol). A surface given as option marks is shifted as its nodes.
 */
import type { Engine, PreparedBook } from "./engine.js";
import { ErrorCode, MarginError } from "./errors.js";
import type { Book, BookAccount, BookFuture, BookSurface } from "./model/book.js";
import type { AccountReport, PortfolioFile, Report } from "./model/types.js";
import { at, normalize } from "./validate.js";
import {
  accountAfterTrade,
  accountRunOf,
  contributionsBook,
  finiteNumber,
  pairIndexOf,
  pnlCurveBook,
  whatIfBook,
  type AccountRun,
  type PnlCurve,
  type PnlCurveOptions,
  type WhatIfResult,
  type WorstScenarioContributions,
} from "./whatif.js";

/** A pair's shift from the market the session was opened with: spot S0 (1 + spot), vols IV (1 + vol). */
export interface MarketShift {
  spot: number;
  vol: number;
}

interface BaseMarket {
  spot: number;
  futures: BookFuture[];
  surface: BookSurface | null;
  /** the file gave `{ atmVol }`: shifted surfaces are written the same way */
  flat: boolean;
}

type RawFile = PortfolioFile & Record<string, unknown>;
type RawAccount = RawFile["accounts"][number];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class WhatIfSession {
  readonly engine: Engine;
  /** The file as edited (a copy of the one given): engine.margin(file) equals report(), bit for bit. */
  readonly file: RawFile;
  /** The normalized book as edited (its market moves with shiftMarket). */
  readonly book: Book;
  private reports: AccountReport[];
  private readonly runs = new Map<number, AccountRun>();
  /** the book laid out and run (re-laid out after every edit of positions) */
  private live: PreparedBook;
  private readonly base: BaseMarket[];
  private readonly shifts: MarketShift[];

  /** Validates the file (MarginError with the field's path) and margins every account. */
  constructor(engine: Engine, file: unknown) {
    const book = normalize(file);
    this.engine = engine;
    this.file = structuredClone(file) as RawFile;
    this.book = book;
    this.live = engine.prepareBook(book); // resolves surfaces of option marks in place
    this.reports = this.live.margin().accounts;
    this.base = book.pairs.map((pair) => {
      const raw = (this.file.market as Record<string, { surface?: object }>)[pair.name];
      return {
        spot: pair.spot,
        futures: pair.futures.map((f) => ({ ...f })),
        surface: pair.surface,
        flat: raw.surface !== undefined && "atmVol" in raw.surface,
      };
    });
    this.shifts = book.pairs.map(() => ({ spot: 0, vol: 0 }));
  }

  /** Every account's report as the book stands. */
  report(): Report {
    return { accounts: [...this.reports] };
  }

  accountReport(a: number): AccountReport {
    this.account(a);
    return this.reports[a];
  }

  /** The current shift of a pair. */
  shift(pair: string): MarketShift {
    return { ...this.shifts[pairIndexOf(this.book, pair, "pair")] };
  }

  /** Set position i of account a to `qty` contracts (checked like the file's: finite, non-zero); returns the account's report. */
  setQty(a: number, i: number, qty: unknown): AccountReport {
    const account = this.account(a);
    const position = this.position(account, i);
    const value = finiteNumber(qty, at(position.path, "qty"), { ok: (x) => x !== 0, must: "non-zero" });
    const positions = [...account.positions];
    positions[i] = { ...position, qty: value };
    this.book.accounts[a] = { ...account, positions };
    (this.rawAccount(a).positions as { qty: number }[])[i].qty = value;
    this.remargin();
    return this.reports[a];
  }

  /** Remove position i of account a; returns the account's report. */
  removePosition(a: number, i: number): AccountReport {
    const account = this.account(a);
    this.position(account, i);
    const positionsPath = at(account.path, "positions");
    const positions = account.positions.filter((_, j) => j !== i).map((p, j) => ({ ...p, path: at(positionsPath, j) }));
    this.book.accounts[a] = { ...account, positions };
    (this.rawAccount(a).positions as unknown[]).splice(i, 1);
    this.remargin();
    return this.reports[a];
  }

  /** The trade's effect (whatIf), nothing changed. */
  previewTrade(trade: unknown): WhatIfResult {
    const a = this.tradeAccount(trade);
    return whatIfBook(this.engine, this.book, trade, a < 0 ? undefined : this.run(a));
  }

  /**
   * Apply the trade: a new position line (futures and perpetuals at entry `price` when given),
   * options and spot paid from balances.USD; returns the what-if it applied (`after` is the
   * account's report now).
   */
  applyTrade(trade: unknown): WhatIfResult {
    const result = this.previewTrade(trade);
    const a = result.trade.accountIndex;
    this.book.accounts[a] = accountAfterTrade(this.book.accounts[a], result.trade);
    const raw = this.rawAccount(a);
    const input = (trade as { instrument: unknown }).instrument;
    const line: Record<string, unknown> = { instrument: structuredClone(input), qty: result.trade.qty };
    if (result.trade.entryPrice !== null) line.entryPrice = result.trade.entryPrice;
    (raw.positions ??= []).push(line as never);
    if (result.trade.cash !== 0) {
      const balances = (raw.balances ??= {});
      balances.USD = (balances.USD ?? 0) - result.trade.cash;
    }
    this.remargin();
    return result;
  }

  /**
   * Shift one pair's market from the one the session opened with (`shift.spot` > -1: spot and
   * futures marks times 1 + spot; `shift.vol` >= -1: surface vols times 1 + vol) through
   * PreparedBook.updateMarket; re-margins every account and returns the report.
   */
  shiftMarket(pair: string, shift: Partial<MarketShift>): Report {
    const p = pairIndexOf(this.book, pair, "pair");
    const current = this.shifts[p];
    const next: MarketShift = {
      spot: shift.spot === undefined ? current.spot : finiteNumber(shift.spot, "shift.spot", { ok: (x) => x > -1, must: "> -1" }),
      vol: shift.vol === undefined ? current.vol : finiteNumber(shift.vol, "shift.vol", { ok: (x) => x >= -1, must: ">= -1" }),
    };
    const base = this.base[p];
    const m = 1 + next.spot;
    const update: Record<string, unknown> = { spot: base.spot * m };
    if (base.futures.length > 0) update.futures = base.futures.map((f) => ({ expiry: iso(f.expiryMs), mark: f.mark * m }));
    if (base.surface !== null) {
      const v = 1 + next.vol;
      const vols = base.surface.vols.map((row) => row.map((vol) => vol * v));
      update.surface = base.flat
        ? { atmVol: vols[0][0] }
        : { tenors: [...base.surface.tenors], logMoneyness: [...base.surface.logMoneyness], vols };
    }
    this.live.updateMarket({ [pair]: update });
    this.shifts[p] = next;
    const raw = (this.file.market as unknown as Record<string, Record<string, unknown>>)[pair];
    raw.spot = update.spot;
    if (update.futures !== undefined) raw.futures = structuredClone(update.futures);
    if (update.surface !== undefined) raw.surface = structuredClone(update.surface);
    this.reports = this.live.margin().accounts;
    this.runs.clear();
    return this.report();
  }

  /** pnlCurve of account a on `pair` (see whatif.ts). */
  pnlCurve(a: number, pair: string, options?: PnlCurveOptions): PnlCurve {
    return pnlCurveBook(this.engine, this.book, this.account(a).id, pair, options, this.run(a));
  }

  /** worstScenarioContributions of account a on `pair` (see whatif.ts). */
  contributions(a: number, pair: string): WorstScenarioContributions {
    return contributionsBook(this.engine, this.book, this.account(a).id, pair, this.run(a));
  }

  /** The session's file as JSON text. */
  json(): string {
    return JSON.stringify(this.file, null, 2);
  }

  dispose(): void {
    this.live.dispose();
  }

  private account(a: number): BookAccount {
    if (!(Number.isInteger(a) && a >= 0 && a < this.book.accounts.length)) {
      throw new MarginError(ErrorCode.RANGE, at("accounts", a), `no such account: the book has ${this.book.accounts.length}`);
    }
    return this.book.accounts[a];
  }

  private position(account: BookAccount, i: number): BookAccount["positions"][number] {
    if (!(Number.isInteger(i) && i >= 0 && i < account.positions.length)) {
      throw new MarginError(ErrorCode.RANGE, at(at(account.path, "positions"), i), `no such position: the account has ${account.positions.length}`);
    }
    return account.positions[i];
  }

  private rawAccount(a: number): RawAccount {
    return this.file.accounts[a];
  }

  /** The trade's account index, or -1 when the trade does not name a known account (whatIf reports that). */
  private tradeAccount(trade: unknown): number {
    const id = typeof trade === "object" && trade !== null ? (trade as { account?: unknown }).account : undefined;
    return this.book.accounts.findIndex((account) => account.id === id);
  }

  /** Account a's run in the resident book (report, base PVs, risk attribution), read once per state. */
  private run(a: number): AccountRun {
    let run = this.runs.get(a);
    if (run === undefined) {
      run = accountRunOf(this.live, a, true);
      this.runs.set(a, run);
    }
    return run;
  }

  /** Lay the edited book out again and margin it. */
  private remargin(): void {
    this.live.dispose();
    this.live = this.engine.prepareBook(this.book);
    this.reports = this.live.margin().accounts;
    this.runs.clear();
  }
}
