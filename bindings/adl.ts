/**
 * Auto-deleverage (SPEC.md "Liquidation and auto-deleverage (STAMP)"): bankruptcy prices, the ADL
 * queue and the allocation of a close across it. docs/liquidation.md has the definitions:
 *
 * - Bankruptcy point of an account with equity E and positions of gross mark value
 *   G = sum |qty x mult x mark|: every position's price moved against it by the same fraction
 *   d = E / G. There its equity is exactly 0: sum over positions of qty mult (p_b - mark) =
 *   -sum |qty mult mark| d = -E. A position's bankruptcy price is p_b = mark (1 - sign d)
 *   (mark (1 - d) for a long, mark (1 + d) for a short); its bankruptValue = qty mult p_b.
 * - effectiveLeverage = |markValue| / (markValue - bankruptValue) = G / E (the account's
 *   effective leverage, the same for all its positions, as the FOTA seed describes it).
 * - PnL% = (markValue - entryValue) / |entryValue|, entryValue = sum qty mult entry (the mark where
 *   a position has no entry price: options, spot, linear positions without entryPrice).
 * - score = PnL% x effectiveLeverage (PnL% > 0), PnL% / effectiveLeverage (PnL% < 0), 0 at 0;
 *   the queue is sorted by score, highest first, ties in file order (account, then position).
 * - Accounts with equity <= 0 are bankrupt themselves (no finite leverage) and are not in a queue.
 */
import type { Book, ResolvedInstrument } from "./model/book.js";
import type { AdlNotification, AdlQueueEntry, PositionSide } from "./model/liquidation.js";
import { grossValue, isLinear, positionKey, workAccount, marketKey } from "./liquidation-book.js";

/** The fraction d = E / G by which every price must move against the account for its equity to reach 0. */
export function bankruptcyFraction(equity: number, gross: number): number {
  return gross > 0 ? equity / gross : 0;
}

/** p_b = mark (1 - sign d): the position's price at the account's bankruptcy point (may be <= 0 for a long when E >= G). */
export function bankruptcyPrice(mark: number, sign: number, fraction: number): number {
  return mark * (1 - sign * fraction);
}

/** The ranking score of SPEC.md: PnL% x leverage when profitable, PnL% / leverage when losing. */
export function adlScore(pnlPercent: number, effectiveLeverage: number): number {
  if (pnlPercent > 0) return pnlPercent * effectiveLeverage;
  if (pnlPercent < 0) return pnlPercent / effectiveLeverage;
  return 0;
}

/** A queue entry with what the allocation needs. */
export interface QueueSlot extends AdlQueueEntry {
  accountIndex: number;
  /** coins still to deleverage */
  remaining: number;
  /** equity after the allocations so far */
  equityNow: number;
}

/**
 * The opposite positions to `side` on market `name` (canonical instrument name), ranked. One entry
 * per (account, instrument and contract size), netted over the account's positions; accounts
 * listed in `exclude` and accounts with equity <= 0 are left out. `match` narrows the instruments
 * further (the plan matches the liquidated position's exact market, expiry included).
 */
export function rankQueue(
  book: Book,
  marks: ReadonlyMap<string, number>,
  equities: ArrayLike<number>,
  name: string,
  side: PositionSide,
  exclude: ReadonlySet<number> = new Set(),
  match: (instrument: ResolvedInstrument) => boolean = () => true,
): QueueSlot[] {
  const opposite = side === "long" ? -1 : 1;
  const slots: Omit<QueueSlot, "rank">[] = [];
  book.accounts.forEach((account, a) => {
    const equity = equities[a];
    if (exclude.has(a) || !(equity > 0)) return;
    const groups = new Map<string, { qty: number; entryValue: number; paths: string[]; mark: number; multiplier: number }>();
    for (const p of account.positions) {
      if (p.instrument.name !== name || !match(p.instrument)) continue;
      const mark = marks.get(marketKey(p.instrument))!;
      const mult = p.instrument.multiplier;
      const entry = isLinear(p.instrument) && p.entryPrice !== null ? p.entryPrice : mark;
      const key = positionKey(p.instrument);
      const g = groups.get(key) ?? { qty: 0, entryValue: 0, paths: [], mark, multiplier: mult };
      g.qty += p.qty;
      g.entryValue += p.qty * mult * entry;
      g.paths.push(p.path);
      groups.set(key, g);
    }
    if (groups.size === 0) return;
    const gross = grossValue(workAccount(account, marks));
    const fraction = bankruptcyFraction(equity, gross);
    for (const g of groups.values()) {
      if (Math.sign(g.qty) !== opposite) continue;
      const markValue = g.qty * g.multiplier * g.mark;
      const pnlPercent = g.entryValue === 0 ? 0 : (markValue - g.entryValue) / Math.abs(g.entryValue);
      const pb = bankruptcyPrice(g.mark, opposite, fraction);
      const bankruptValue = g.qty * g.multiplier * pb;
      // = G / E; a position marked at 0 (a worthless option) has 0 / 0 there, and takes the identity's value
      const cushion = markValue - bankruptValue;
      const effectiveLeverage = cushion > 0 ? Math.abs(markValue) / cushion : gross / equity;
      slots.push({
        account: account.id,
        accountIndex: a,
        instrument: name,
        multiplier: g.multiplier,
        positionPaths: g.paths,
        positionSide: g.qty > 0 ? "long" : "short",
        qty: g.qty,
        coins: Math.abs(g.qty * g.multiplier),
        markPrice: g.mark,
        markValue,
        entryValue: g.entryValue,
        pnlPercent,
        equity,
        grossValue: gross,
        bankruptcyPrice: pb,
        bankruptValue,
        effectiveLeverage,
        score: adlScore(pnlPercent, effectiveLeverage),
        remaining: Math.abs(g.qty * g.multiplier),
        equityNow: equity,
      });
    }
  });
  // Array.prototype.sort is stable: equal scores keep file order
  return slots.sort((x, y) => y.score - x.score).map((slot, i) => ({ ...slot, rank: i + 1 }));
}

/** A queue entry as the API returns it (without the allocation state). */
export function publicEntry(slot: QueueSlot): AdlQueueEntry {
  const { accountIndex: _a, remaining: _r, equityNow: _e, ...entry } = slot;
  return entry;
}

/**
 * A counterparty's equity change per coin when it closes its position at `price`: it is on the
 * other side of the liquidated account (sign -liquidatedSign), so sign_C (price - mark).
 */
function perCoin(slot: QueueSlot, price: number): number {
  return Math.sign(slot.qty) * (price - slot.markPrice);
}

/**
 * How much one slot can take at `price`: its remaining coins, and, where the price is adverse to
 * it, no more than its equity covers (no counterparty is left with negative equity).
 */
function slotCapacity(slot: QueueSlot, price: number): number {
  if (slot.remaining <= 0) return 0;
  const gain = perCoin(slot, price);
  return gain < 0 ? Math.min(slot.remaining, Math.max(0, slot.equityNow) / -gain) : slot.remaining;
}

/** Total coins the queue can take at `price`. */
export function queueCapacity(queue: readonly QueueSlot[], price: number): number {
  return queue.reduce((n, slot) => n + slotCapacity(slot, price), 0);
}

/**
 * Close `coins` against the queue at `price`, in rank order; updates the slots and returns the
 * notifications (every counterparty's amount, price and PnL against its mark). The caller never
 * asks for more than queueCapacity(queue, price).
 */
export function allocate(queue: QueueSlot[], coins: number, price: number, step: number): AdlNotification[] {
  const notes: AdlNotification[] = [];
  let left = coins;
  for (const slot of queue) {
    if (left <= 0) break;
    const cap = slotCapacity(slot, price);
    if (cap <= 0) continue;
    let take: number;
    let limit: AdlNotification["limit"];
    if (left <= cap) {
      take = left;
      limit = "order";
    } else {
      take = cap;
      limit = cap === slot.remaining ? "position" : "equity";
    }
    const pnl = perCoin(slot, price) * take;
    const equityBefore = slot.equityNow;
    slot.remaining = limit === "position" ? 0 : slot.remaining - take;
    slot.equityNow += pnl;
    left = limit === "order" ? 0 : left - take;
    notes.push({
      step,
      account: slot.account,
      instrument: slot.instrument,
      positionPaths: slot.positionPaths,
      positionSide: slot.positionSide,
      side: slot.qty > 0 ? "sell" : "buy",
      quantity: take / slot.multiplier,
      coins: take,
      price,
      markPrice: slot.markPrice,
      pnl,
      equityBefore,
      equityAfter: slot.equityNow,
      rank: slot.rank,
      limit,
    });
  }
  return notes;
}
