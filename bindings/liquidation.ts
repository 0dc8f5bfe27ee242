/**
 * Liquidation and auto-deleverage, STAMP style (SPEC.md "Liquidation and auto-deleverage (STAMP)";
 * the seed is FOTA's STAMP note). docs/liquidation.md is the model in prose; in short:
 *
 * 1. Trigger: equity < MM (status `liquidation`). Otherwise the plan is empty (`not-triggered`).
 * 2. Step 0: every working order is cancelled.
 * 3. Then greedy steps until equity >= target = MM + buffer (IM - MM) (buffer 1: IM). Candidates
 *    of a step, per position: 5%, 10%, 25%, 50% and 100% of the position as the plan found it,
 *    the cumulative sizes of its usable depth levels, and the whole remaining position. Each
 *    candidate is a copy of the account as one extra account of ONE kernel book, so one kernel
 *    pass margins every candidate of a kind at once. The chosen close maximises
 *        score = (IM before - IM after) / max(|slippage|, EPSILON_USD),
 *    slippage = |fill value - mark value| of the close, EPSILON_USD = 0.01 (a cent: a close whose
 *    slippage is below a cent counts as costing a cent, so the ratio stays finite and the largest
 *    requirement reduction wins among free closes). A candidate qualifies only if it lowers IM and
 *    brings equity closer to the target (target - equity falls). Ties (scores within 1e-9
 *    relative) go to the larger close (mark value, then coins), then to the earlier candidate.
 * 4. The book absorbs a close only at prices at or better than the position's bankruptcy price
 *    (bindings/adl.ts): bids >= p_b for a long, asks <= p_b for a short. That keeps equity >= 0
 *    (each fill costs at most the position's share E |markValue| / G of the equity). When no book
 *    close qualifies, the step is an ADL close against the queue (opposite positions ranked by
 *    SPEC's score, bindings/adl.ts) at max(0, p_b); the counterparties are told amount and price.
 * 5. When no single position qualifies (an over-hedged remainder, where closing either leg alone
 *    raises IM), a step may close a slice: the same fraction (the fractions above, capped by what
 *    the depth and the queues can take) of every position, each leg against its usable depth
 *    first and its queue for the rest.
 * 6. The step that reaches the target is shortened to the least quantity (or slice fraction) that
 *    still reaches it: 16-point sections, each one kernel pass, down to 1e-9 of the step;
 *    `minimalWithin` reports the final resolution.
 * 7. If equity is below 0 and nothing qualifies, the close that raises equity most is taken
 *    (closing at a bankrupt account's bankruptcy price moves its equity towards 0).
 * The plan stops when the target is reached (to rounding: ROUNDING of the account's scale), or
 * when no close qualifies and none raises a negative equity (`stuck`, with the reason).
 */
import type { Book } from "./model/book.js";
import type {
  AdlNotification,
  AdlQueue,
  CancelledOrder,
  CloseVia,
  Fill,
  LiquidationOptions,
  LiquidationPlan,
  LiquidationPricesReport,
  LiquidationStep,
  MarginState,
  PositionSide,
  RemainingPosition,
  StepLeg,
} from "./model/liquidation.js";
import { normalize } from "./validate.js";
import {
  copyWork,
  grossValue,
  isLinear,
  kernelMarks,
  marginState,
  marginWork,
  marketKey,
  positionKey,
  workAccount,
  type LiquidationEngine,
  type WorkAccount,
} from "./liquidation-book.js";
import { allocate, bankruptcyFraction, bankruptcyPrice, publicEntry, queueCapacity, rankQueue, type QueueSlot } from "./adl.js";
import { accountPairs, liquidationPricesOf, marginAll } from "./liquidation-price.js";
import {
  readAccountId,
  readInstrumentName,
  readLiquidationOptions,
  readPositionSide,
  type DepthLevel,
  type InstrumentDepth,
  type NormalizedLiquidationOptions,
} from "./liquidation-input.js";

export type { LiquidationEngine } from "./liquidation-book.js";

/** The smallest slippage a close is charged in the score, USD. */
export const EPSILON_USD = 0.01;
/** Candidate fractions of a position (of its size when the plan starts). */
export const CANDIDATE_FRACTIONS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1];
/** Points per section when the last step is shortened, and the relative resolution it stops at. */
const SECTIONS = 16;
const SHORTEN_RESOLUTION = 1e-9;
/** Scores this close (relative) are ties. */
const TIE = 1e-9;
/** A reduction of IM, or of the gap to the target, must exceed this fraction of IM to count (and not be rounding). */
const REDUCTION_FLOOR = 1e-12;
/** Equity within this fraction of the account's scale of the target counts as at it (see PlanState.rounding). */
export const ROUNDING = 1e-12;
/** A close within this fraction of the whole position closes the whole position. */
const SNAP = 1e-9;
/** Safety bound on steps; the candidate sets make every plan finite long before it. */
const MAX_STEPS = 100_000;

/** One position's part of a candidate: `bookCoins` against the usable levels, `adlCoins` against the queue. */
interface Leg {
  index: number;
  /** contracts */
  quantity: number;
  coins: number;
  bookFills: Fill[];
  bookCoins: number;
  bookValue: number;
  adlCoins: number;
  /** max(0, p_b) */
  adlPrice: number;
  /** p_b, unfloored */
  bankruptcy: number;
  value: number;
  slippage: number;
}

/** One candidate step: a copy of the account with its legs closed. */
interface Candidate {
  kind: "position" | "slice";
  /** contracts (position) or fraction (slice): what shortening the step varies */
  param: number;
  fraction: number;
  legs: Leg[];
  slippage: number;
  /** mark value closed, USD, then coins closed: a tie goes to the larger close */
  size: number;
  coins: number;
  account: WorkAccount;
}

interface Evaluated extends Candidate {
  equity: number;
  im: number;
  reduction: number;
  score: number;
}

/** The working state of a plan. */
interface PlanState {
  book: Book;
  engine: LiquidationEngine;
  buffer: number;
  work: WorkAccount;
  equity: number;
  im: number;
  /**
   * ROUNDING x (|USD| + |coins| x spot + gross position value) at the start: how far below the
   * target (and below 0) rounding alone can put equity (closing a bankrupt account whole at its
   * bankruptcy prices lands on 0 only to rounding)
   */
  rounding: number;
  /** contracts of each position (by position key) when the plan started */
  startQty: Map<string, number>;
  /** remaining depth per canonical name (levels copied: the plan consumes them) */
  depth: Map<string, InstrumentDepth>;
  queues: Map<string, QueueSlot[]>;
  marks: ReadonlyMap<string, number>;
  equities: Float64Array;
  accountIndex: number;
}

/** What a position can be closed against at this step. */
interface Outlet {
  /** p_b, unfloored */
  bankruptcy: number;
  levels: DepthLevel[];
  /** coins the usable levels hold */
  bookCoins: number;
  /** max(0, p_b) */
  adlPrice: number;
  /** coins the queue can take at adlPrice */
  adlCoins: number;
}

const side = (qty: number): PositionSide => (qty > 0 ? "long" : "short");
const money = (x: number): string => x.toFixed(2);

function state(s: PlanState): MarginState {
  return marginState(s.equity, s.im, s.book.params.mmFraction, s.buffer);
}

/**
 * Equity at or above the target; `tolerant`: to the rounding of the kernel's sums (`s.rounding`),
 * which decides when the plan stops, while shortening a step asks for the target itself.
 */
function reached(s: PlanState, equity: number, im: number, tolerant = true): boolean {
  return equity >= marginState(equity, im, s.book.params.mmFraction, s.buffer).target - (tolerant ? s.rounding : 0);
}

/** The levels a close of position `index` may take: the closing side's levels at or better than p_b, with coins left. */
function usableLevels(s: PlanState, index: number, pb: number): DepthLevel[] {
  const p = s.work.positions[index];
  const book = s.depth.get(p.instrument.name);
  if (book === undefined) return [];
  const long = p.qty > 0;
  const usable: DepthLevel[] = [];
  for (const level of long ? book.bids : book.asks) {
    if (long ? level.price < pb : level.price > pb) break; // sorted best first: the rest are worse
    if (level.coins > 0) usable.push(level);
  }
  return usable;
}

/** Walk `levels` for `coins` (never more than they hold). */
function walk(levels: readonly DepthLevel[], coins: number): { fills: Fill[]; value: number; filled: number } {
  const fills: Fill[] = [];
  let value = 0;
  let left = coins;
  for (const level of levels) {
    if (left <= 0) break;
    const take = Math.min(left, level.coins);
    fills.push([level.price, take]);
    value += level.price * take;
    left = take === left ? 0 : left - take;
  }
  return { fills, value, filled: coins - left };
}

/** The ADL queue against position `index` (its exact market, the other side), ranked once per plan. */
function queueFor(s: PlanState, index: number): QueueSlot[] {
  const p = s.work.positions[index];
  const market = marketKey(p.instrument);
  const key = `${market}|${side(p.qty)}`;
  let queue = s.queues.get(key);
  if (queue === undefined) {
    queue = rankQueue(s.book, s.marks, s.equities, p.instrument.name, side(p.qty), new Set([s.accountIndex]), (i) => marketKey(i) === market);
    s.queues.set(key, queue);
  }
  return queue;
}

function outlets(s: PlanState): Outlet[] {
  const d = bankruptcyFraction(s.equity, grossValue(s.work));
  return s.work.positions.map((p, i) => {
    const bankruptcy = bankruptcyPrice(p.mark, Math.sign(p.qty), d);
    const levels = usableLevels(s, i, bankruptcy);
    const adlPrice = Math.max(0, bankruptcy);
    return {
      bankruptcy,
      levels,
      bookCoins: levels.reduce((n, l) => n + l.coins, 0),
      adlPrice,
      adlCoins: queueCapacity(queueFor(s, i), adlPrice),
    };
  });
}

/**
 * Position `index`'s leg closing `quantity` contracts (its whole size when quantity >= it): up to
 * `bookLimit` coins against the usable levels, the rest (up to `adlLimit`) against the queue.
 */
function leg(s: PlanState, index: number, quantity: number, o: Outlet, bookLimit: number, adlLimit: number): Leg | null {
  const p = s.work.positions[index];
  const whole = Math.abs(p.qty);
  const full = quantity >= whole;
  const coins = full ? Math.abs(p.qty * p.instrument.multiplier) : quantity * p.instrument.multiplier;
  const book = walk(o.levels, Math.min(coins, bookLimit));
  let adlCoins = coins - book.filled;
  if (adlCoins > 0 && adlLimit === 0 && adlCoins <= SNAP * coins && book.fills.length > 0) {
    // a quantity capped at the book's coins, in contracts, can come back above them by a rounding:
    // the rounding fills at the last level taken
    const last = book.fills[book.fills.length - 1];
    last[1] += adlCoins;
    book.value += last[0] * adlCoins;
    book.filled = coins;
    adlCoins = 0;
  }
  if (adlCoins > adlLimit * (1 + SNAP)) return null;
  const value = book.value + adlCoins * o.adlPrice;
  return {
    index,
    quantity: full ? whole : quantity,
    coins,
    bookFills: book.fills,
    bookCoins: book.filled,
    bookValue: book.value,
    adlCoins,
    adlPrice: o.adlPrice,
    bankruptcy: o.bankruptcy,
    value,
    slippage: Math.sign(p.qty) * (coins * p.mark - value),
  };
}

/** The account with `legs` closed: cash in, positions reduced (closed whole ones removed). */
function candidate(s: PlanState, kind: Candidate["kind"], param: number, fraction: number, legs: Leg[]): Candidate {
  const account = copyWork(s.work);
  let slippage = 0;
  let size = 0;
  let coins = 0;
  for (const l of legs) {
    const p = s.work.positions[l.index];
    const sign = Math.sign(p.qty);
    // linear positions carry their entry at the mark (liquidation-book.ts): realised PnL sign (value - coins mark);
    // spot and options: the proceeds, sign value
    account.usd += isLinear(p.instrument) ? sign * (l.value - l.coins * p.mark) : sign * l.value;
    account.positions[l.index].qty = l.quantity === Math.abs(p.qty) ? 0 : p.qty - sign * l.quantity;
    slippage += l.slippage;
    size += l.coins * p.mark;
    coins += l.coins;
  }
  account.positions = account.positions.filter((p) => p.qty !== 0);
  return { kind, param, fraction, legs, slippage, size, coins, account };
}

/** The candidate quantities (contracts) of position `index`, capped at `capContracts`, ascending, distinct. */
function quantities(s: PlanState, index: number, levelCoins: readonly number[], capContracts: number): number[] {
  const p = s.work.positions[index];
  const whole = Math.abs(p.qty);
  const start = s.startQty.get(positionKey(p.instrument)) ?? whole;
  const raw = [...CANDIDATE_FRACTIONS.map((f) => f * start), ...levelCoins.map((c) => c / p.instrument.multiplier), whole];
  return distinct(raw.map((x) => Math.min(x, whole, capContracts)), whole);
}

/** Positive values, ascending, values within SNAP of `whole` snapped to it, near-duplicates dropped. */
function distinct(values: number[], whole: number): number[] {
  const out: number[] = [];
  for (let q of values.sort((a, b) => a - b)) {
    if (!(q > 0)) continue;
    if (whole - q <= SNAP * whole) q = whole;
    if (out.length > 0 && q - out[out.length - 1] <= SNAP * q) continue;
    out.push(q);
  }
  return out;
}

function positionCandidate(s: PlanState, index: number, quantity: number, o: Outlet, via: "book" | "adl"): Candidate | null {
  const l = via === "book" ? leg(s, index, quantity, o, Infinity, 0) : leg(s, index, quantity, o, 0, o.adlCoins);
  if (l === null) return null;
  return candidate(s, "position", l.quantity, l.quantity / Math.abs(s.work.positions[index].qty), [l]);
}

/** The same fraction of every position: the depth first, the queue for the rest. */
function sliceCandidate(s: PlanState, fraction: number, all: Outlet[]): Candidate | null {
  const legs: Leg[] = [];
  for (let i = 0; i < s.work.positions.length; i++) {
    const whole = Math.abs(s.work.positions[i].qty);
    const l = leg(s, i, fraction >= 1 ? whole : fraction * whole, all[i], Infinity, all[i].adlCoins);
    if (l === null) return null;
    legs.push(l);
  }
  return candidate(s, "slice", fraction, fraction, legs);
}

/** The largest slice fraction the depth and the queues can take, in [0, 1]. */
function sliceLimit(s: PlanState, all: Outlet[]): number {
  let limit = 1;
  s.work.positions.forEach((p, i) => {
    const coins = Math.abs(p.qty * p.instrument.multiplier);
    limit = Math.min(limit, (all[i].bookCoins + all[i].adlCoins) / coins);
  });
  return limit;
}

function evaluate(s: PlanState, candidates: Candidate[]): Evaluated[] {
  const { equity, im } = marginWork(s.engine, s.book, candidates.map((c) => c.account));
  return candidates.map((c, k) => {
    const reduction = s.im - im[k];
    return { ...c, equity: equity[k], im: im[k], reduction, score: reduction / Math.max(Math.abs(c.slippage), EPSILON_USD) };
  });
}

/** How far equity is below the target, USD (negative above it). */
function gap(s: PlanState, equity: number, im: number): number {
  return marginState(equity, im, s.book.params.mmFraction, s.buffer).target - equity;
}

/**
 * The best candidate that qualifies (lowers IM, and brings equity closer to the target: a close
 * whose slippage outweighs what it frees is no progress): highest score; ties to the larger
 * close, then the earlier candidate.
 */
function best(s: PlanState, evaluated: Evaluated[]): Evaluated | null {
  let top: Evaluated | null = null;
  const floor = REDUCTION_FLOOR * s.im;
  const now = gap(s, s.equity, s.im);
  for (const e of evaluated) {
    if (!(e.reduction > floor) || !(gap(s, e.equity, e.im) < now - floor)) continue;
    if (top === null) {
      top = e;
      continue;
    }
    const tie = Math.abs(e.score - top.score) <= TIE * Math.max(Math.abs(e.score), Math.abs(top.score));
    const larger = e.size > top.size || (e.size === top.size && e.coins > top.coins);
    if ((!tie && e.score > top.score) || (tie && larger)) top = e;
  }
  return top;
}

/** Shorten the step that reaches the target to the least `param` (to SHORTEN_RESOLUTION of it) that still reaches it. */
function shorten(s: PlanState, chosen: Evaluated, rebuild: (param: number) => Candidate | null): { chosen: Evaluated; within: number } {
  let lo = 0;
  let hi = chosen.param;
  let top = chosen;
  const resolution = SHORTEN_RESOLUTION * chosen.param;
  while (hi - lo > resolution) {
    const points: number[] = [];
    for (let j = 1; j < SECTIONS; j++) points.push(lo + ((hi - lo) * j) / SECTIONS);
    const built = points.map(rebuild);
    if (built.some((c) => c === null)) break; // smaller closes always fit where the larger one did
    const evaluated = evaluate(s, built as Candidate[]);
    const first = evaluated.findIndex((e) => reached(s, e.equity, e.im, false));
    if (first < 0) {
      lo = points[points.length - 1];
    } else {
      hi = points[first];
      top = evaluated[first];
      if (first > 0) lo = points[first - 1];
    }
  }
  return { chosen: top, within: hi - lo };
}

/** The candidates of one step, in the order SPEC.md puts them: the book, then ADL, then slices. */
function chooseStep(s: PlanState): { chosen: Evaluated | null; any: boolean; outlets: Outlet[] } {
  const all = outlets(s);
  const bookCandidates: Candidate[] = [];
  s.work.positions.forEach((p, i) => {
    const o = all[i];
    if (!(o.bookCoins > 0)) return;
    const cumulative: number[] = [];
    let total = 0;
    for (const level of o.levels) cumulative.push((total += level.coins));
    for (const q of quantities(s, i, cumulative, o.bookCoins / p.instrument.multiplier)) {
      const c = positionCandidate(s, i, q, o, "book");
      if (c !== null) bookCandidates.push(c);
    }
  });
  const evaluated = evaluate(s, bookCandidates);
  let chosen = best(s, evaluated);
  if (chosen !== null) return { chosen, any: true, outlets: all };

  // what the book cannot absorb: ADL at the bankruptcy price
  const adlCandidates: Candidate[] = [];
  s.work.positions.forEach((p, i) => {
    const o = all[i];
    if (!(o.adlCoins > 0)) return;
    for (const q of quantities(s, i, [], o.adlCoins / p.instrument.multiplier)) {
      const c = positionCandidate(s, i, q, o, "adl");
      if (c !== null) adlCandidates.push(c);
    }
  });
  const adlEvaluated = evaluate(s, adlCandidates);
  evaluated.push(...adlEvaluated);
  chosen = best(s, adlEvaluated);
  if (chosen !== null) return { chosen, any: true, outlets: all };

  // no single position lowers IM (e.g. an over-hedged remainder): slices of the whole book
  const limit = sliceLimit(s, all);
  const sliceCandidates: Candidate[] = [];
  for (const f of distinct([...CANDIDATE_FRACTIONS.map((x) => Math.min(x, limit)), limit], 1)) {
    const c = sliceCandidate(s, f, all);
    if (c !== null) sliceCandidates.push(c);
  }
  const sliceEvaluated = evaluate(s, sliceCandidates);
  evaluated.push(...sliceEvaluated);
  chosen = best(s, sliceEvaluated);
  if (chosen === null && s.equity < 0) {
    // a bankrupt account: the close that raises equity most (towards 0)
    for (const e of evaluated) if (e.equity > s.equity && (chosen === null || e.equity > chosen.equity)) chosen = e;
  }
  return { chosen, any: evaluated.length > 0, outlets: all };
}

function remaining(work: WorkAccount): RemainingPosition[] {
  return work.positions.map((p) => ({
    instrument: p.instrument.name,
    multiplier: p.instrument.multiplier,
    qty: p.qty,
    positionPaths: p.paths,
  }));
}

function cancelledOrders(work: WorkAccount): CancelledOrder[] {
  return work.orders.map((o) => ({ instrument: o.instrument.name, side: o.side, qty: o.qty, price: o.price, path: o.path }));
}

/** The plan for account `accountIndex` of a normalized book. */
export function planLiquidation(
  engine: LiquidationEngine,
  book: Book,
  accountIndex: number,
  options: NormalizedLiquidationOptions,
): LiquidationPlan {
  const mmFraction = book.params.mmFraction;
  const { buffer } = options;
  const all = marginAll(engine, book);
  const marks = kernelMarks(engine, book);
  const account = book.accounts[accountIndex];
  const original = workAccount(account, marks);
  const before = marginState(all.equity[accountIndex], all.im[accountIndex], mmFraction, buffer);
  const pricesBefore = liquidationPricesOf(engine, book, original);
  const base = { account: account.id, buffer, before };
  if (!(before.equity < before.maintenanceMargin)) {
    return {
      ...base,
      triggered: false,
      outcome: "not-triggered",
      reason: `equity ${money(before.equity)} is not below the maintenance margin ${money(before.maintenanceMargin)}`,
      cancelled: { orders: [], after: before },
      steps: [],
      after: before,
      positionsAfter: remaining(original),
      adl: [],
      totals: { bookSlippage: 0, adlSlippage: 0 },
      liquidationPrices: { before: pricesBefore, after: pricesBefore },
    };
  }

  // step 0: cancel every working order
  const work = copyWork(original);
  const orders = cancelledOrders(work);
  work.orders = [];
  const cancelledMargin = marginWork(engine, book, [work]);
  const depth = new Map<string, InstrumentDepth>();
  for (const [name, d] of options.depth) {
    depth.set(name, { bids: d.bids.map((l) => ({ ...l })), asks: d.asks.map((l) => ({ ...l })) });
  }
  const s: PlanState = {
    book,
    engine,
    buffer,
    work,
    equity: cancelledMargin.equity[0],
    im: cancelledMargin.im[0],
    rounding: ROUNDING * (Math.abs(work.usd) + work.coins.reduce((t, c, p) => t + Math.abs(c * book.pairs[p].spot), 0) + grossValue(work)),
    startQty: new Map(work.positions.map((p) => [positionKey(p.instrument), Math.abs(p.qty)])),
    depth,
    queues: new Map(),
    marks,
    equities: all.equity,
    accountIndex,
  };
  const cancelled = { orders, after: state(s) };

  const steps: LiquidationStep[] = [];
  let outcome: LiquidationPlan["outcome"] = "stuck";
  let reason = "";
  for (;;) {
    if (reached(s, s.equity, s.im)) {
      outcome = "target-reached";
      const t = state(s).target;
      reason = steps.length === 0
        ? `with the orders cancelled, equity ${money(s.equity)} is at or above the target ${money(t)}`
        : `equity ${money(s.equity)} reaches the target ${money(t)}`;
      break;
    }
    if (s.work.positions.length === 0) {
      reason = s.equity < 0
        ? "every position is closed and equity is still below 0: the ADL queue could not take the rest at the bankruptcy prices"
        : "every position is closed; the requirement left comes from coin balances, which a liquidation does not sell";
      break;
    }
    if (steps.length >= MAX_STEPS) throw new Error(`liquidation: more than ${MAX_STEPS} steps`);
    const step = chooseStep(s);
    let chosen = step.chosen;
    if (chosen === null) {
      reason = step.any
        ? "no close lowers the requirement, of a single position or of a slice of every position"
        : "neither the depth (within the bankruptcy prices) nor the ADL queue can absorb any more";
      break;
    }
    let within: number | undefined;
    if (reached(s, chosen.equity, chosen.im)) {
      const c = chosen;
      const rebuild = (t: number): Candidate | null => {
        if (c.kind === "slice") return sliceCandidate(s, t, step.outlets);
        const i = c.legs[0].index;
        return positionCandidate(s, i, t, step.outlets[i], c.legs[0].adlCoins > 0 ? "adl" : "book");
      };
      const short = shorten(s, c, rebuild);
      chosen = short.chosen;
      within = short.within;
    }
    steps.push(apply(s, chosen, steps.length + 1, within));
  }

  const adl = steps.flatMap((step) => step.deleveraged);
  let bookSlippage = 0;
  let adlSlippage = 0;
  for (const step of steps) {
    for (const l of step.legs) {
      // a leg's slippage is its book part plus its ADL part
      const sign = l.positionSide === "long" ? 1 : -1;
      for (const [price, coins] of l.bookFills) bookSlippage += sign * coins * (l.markPrice - price);
      if (l.adlCoins > 0) adlSlippage += sign * l.adlCoins * (l.markPrice - Math.max(0, l.bankruptcyPrice));
    }
  }
  return {
    ...base,
    triggered: true,
    outcome,
    reason,
    cancelled,
    steps,
    after: state(s),
    positionsAfter: remaining(s.work),
    adl,
    totals: { bookSlippage, adlSlippage },
    liquidationPrices: { before: pricesBefore, after: liquidationPricesOf(engine, book, s.work) },
  };
}

/** Make `chosen` the new state: consume the depth, allocate across the queues, and record the step. */
function apply(s: PlanState, chosen: Evaluated, step: number, within: number | undefined): LiquidationStep {
  const deleveraged: AdlNotification[] = [];
  const legs: StepLeg[] = chosen.legs.map((l) => {
    const p = s.work.positions[l.index];
    const sign = Math.sign(p.qty);
    if (l.bookCoins > 0) {
      const book = s.depth.get(p.instrument.name)!;
      const levels = sign > 0 ? book.bids : book.asks;
      for (const [price, coins] of l.bookFills) {
        const level = levels.find((x) => x.price === price)!;
        level.coins = coins >= level.coins ? 0 : level.coins - coins;
      }
    }
    if (l.adlCoins > 0) deleveraged.push(...allocate(queueFor(s, l.index), l.adlCoins, l.adlPrice, step));
    return {
      instrument: p.instrument.name,
      multiplier: p.instrument.multiplier,
      positionPaths: p.paths,
      positionSide: side(p.qty),
      side: sign > 0 ? "sell" : "buy",
      via: viaOf(l.bookCoins, l.adlCoins),
      quantity: l.quantity,
      coins: l.coins,
      averagePrice: l.value / l.coins,
      markPrice: p.mark,
      bankruptcyPrice: l.bankruptcy,
      bookFills: l.bookFills,
      adlCoins: l.adlCoins,
      slippage: l.slippage,
    };
  });
  const vias = new Set(legs.map((l) => l.via));
  const record: LiquidationStep = {
    step,
    kind: chosen.kind,
    via: vias.size === 1 ? legs[0].via : "book+adl",
    fraction: chosen.fraction,
    legs,
    slippage: chosen.slippage,
    requirementReduction: chosen.reduction,
    score: chosen.score,
    after: marginState(chosen.equity, chosen.im, s.book.params.mmFraction, s.buffer),
    deleveraged,
  };
  if (within !== undefined) record.minimalWithin = within;
  s.work = chosen.account;
  s.equity = chosen.equity;
  s.im = chosen.im;
  return record;
}

function viaOf(bookCoins: number, adlCoins: number): CloseVia {
  if (adlCoins > 0) return bookCoins > 0 ? "book+adl" : "adl";
  return "book";
}

/** `engine.liquidationPlan(file, accountId, { depth, buffer? })`. */
export function liquidationPlan(engine: LiquidationEngine, file: unknown, accountId: string, options: LiquidationOptions): LiquidationPlan {
  const book = normalize(file);
  const index = readAccountId(accountId, book);
  return planLiquidation(engine, book, index, readLiquidationOptions(options, book));
}

/** `engine.adlQueue(file, instrument, side)`: the opposite positions to `side` on `instrument`, ranked. */
export function adlQueue(engine: LiquidationEngine, file: unknown, instrument: string, positionSide: PositionSide): AdlQueue {
  const book = normalize(file);
  const name = readInstrumentName(instrument, book);
  const which = readPositionSide(positionSide);
  const all = marginAll(engine, book);
  const marks = kernelMarks(engine, book);
  return { instrument: name, side: which, entries: rankQueue(book, marks, all.equity, name, which).map(publicEntry) };
}

/** `engine.liquidationPrices(file)`: per account and pair, the spots at which equity falls to MM. */
export function liquidationPrices(engine: LiquidationEngine, file: unknown): LiquidationPricesReport {
  const book = normalize(file);
  const all = marginAll(engine, book);
  const marks = kernelMarks(engine, book);
  const mmFraction = book.params.mmFraction;
  return {
    accounts: book.accounts.map((account, a) => {
      const m = marginState(all.equity[a], all.im[a], mmFraction, 1);
      const pairs = accountPairs(account).length === 0 ? {} : liquidationPricesOf(engine, book, workAccount(account, marks));
      return { id: account.id, equity: m.equity, maintenanceMargin: m.maintenanceMargin, status: m.status, pairs };
    }),
  };
}
