/**
 * Properties of liquidation plans over seeded random books and shocks (test/support/
 * liquidation-books.ts). Each plan is checked against the file the test itself derives from it
 * (test/support/apply-plan.ts), margined by engine.margin:
 *
 * - equity: the liquidated account and every ADL counterparty end with equity >= 0 (to rounding);
 * - PnL conservation: (a) each ADL fill moves equity from the liquidated account to its
 *   counterparty and nowhere else: the counterparties' equity changes sum to the plan's ADL
 *   slippage; (b) over the liquidated account and all its counterparties, the total equity change
 *   is minus the book slippage (what the depth's makers gained against the mark), so nothing is
 *   lost or socialised;
 * - the plan's own numbers (every step's equity and IM) are what engine.margin finds;
 * - never more than needed: undoing the last step leaves the account below its target, and a last
 *   step shortened by its `minimalWithin` does too;
 * - ADL order: every notification's rank is the counterparty's rank in engine.adlQueue, whose
 *   scores the test recomputes from the formula (reference-model marks, its own PnL% and
 *   leverage) and finds sorted; within a close, each counterparty before the last was used up.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import type { LiquidationPlan } from "../bindings/model/liquidation.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { normalize } from "../bindings/validate.js";
import { applyPlan } from "./support/apply-plan.js";
import { liquidationCase, referenceMarks } from "./support/liquidation-books.js";
import { accountEquity } from "./reference/model.js";
import { Gen } from "./support/random.js";

const SEEDS = 200;
let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

/** The scale rounding is measured against: gross position value plus cash of the accounts involved. */
function scaleOf(file: PortfolioFile, ids: readonly string[]): number {
  const marks = referenceMarks(file);
  let scale = 1;
  for (const a of file.accounts) {
    if (!ids.includes(a.id)) continue;
    scale += Math.abs(a.balances?.USD ?? 0);
    for (const p of a.positions ?? []) scale += Math.abs(p.qty * (marks.get(p.instrument as string) ?? 0));
  }
  return scale;
}

interface Coverage {
  plans: number;
  book: number;
  adl: number;
  slices: number;
  bankrupt: number;
  shortened: number;
  reached: number;
}

function checkPlan(file: PortfolioFile, plan: LiquidationPlan, coverage: Coverage): void {
  const ids = [plan.account, ...new Set(plan.adl.map((n) => n.account))];
  const tol = 1e-9 * scaleOf(file, ids);
  const before = new Map(engine.margin(file).accounts.map((a) => [a.id, a]));
  const afterFile = applyPlan(file, plan);
  const after = new Map(engine.margin(afterFile).accounts.map((a) => [a.id, a]));
  const L = after.get(plan.account)!;

  // the plan's numbers are the kernel's on the file after the plan
  expect(Math.abs(L.equity - plan.after.equity)).toBeLessThanOrEqual(tol);
  expect(Math.abs(L.initialMargin - plan.after.initialMargin)).toBeLessThanOrEqual(tol);
  // no negative equity, the liquidated account's or a counterparty's
  for (const id of ids) expect(after.get(id)!.equity).toBeGreaterThanOrEqual(-tol);
  if (plan.outcome === "target-reached") expect(L.equity).toBeGreaterThanOrEqual(plan.after.target - tol);

  // conservation: each counterparty gains exactly its notified pnl, and they sum to the ADL slippage
  let counterpartyGain = 0;
  for (const id of ids.slice(1)) {
    const gain = after.get(id)!.equity - before.get(id)!.equity;
    const notified = plan.adl.filter((n) => n.account === id).reduce((t, n) => t + n.pnl, 0);
    expect(Math.abs(gain - notified)).toBeLessThanOrEqual(tol);
    counterpartyGain += gain;
  }
  expect(Math.abs(counterpartyGain - plan.totals.adlSlippage)).toBeLessThanOrEqual(tol);
  const totalChange = ids.reduce((t, id) => t + after.get(id)!.equity - before.get(id)!.equity, 0);
  expect(Math.abs(totalChange + plan.totals.bookSlippage)).toBeLessThanOrEqual(tol);

  // never more than needed
  if (plan.steps.length > 0) {
    const last = plan.steps[plan.steps.length - 1];
    const undone = engine.margin(applyPlan(file, plan, { steps: plan.steps.length - 1 })).accounts.find((a) => a.id === plan.account)!;
    const mmFraction = file.params?.mmFraction ?? 0.5;
    const target = (im: number) => im * mmFraction + plan.buffer * im * (1 - mmFraction);
    expect(undone.equity).toBeLessThan(target(undone.initialMargin));
    if (last.minimalWithin !== undefined) {
      coverage.shortened++;
      const short = engine.margin(applyPlan(file, plan, { shortenLastBy: last.minimalWithin })).accounts.find((a) => a.id === plan.account)!;
      expect(short.equity).toBeLessThan(target(short.initialMargin));
    }
  }

  // ADL ranks: the queue's, in order, and each earlier counterparty of a close used up
  for (const step of plan.steps) {
    for (const leg of step.legs) {
      if (leg.adlCoins === 0) continue;
      const notes = step.deleveraged.filter((n) => n.instrument === leg.instrument);
      const queue = engine.adlQueue(file, leg.instrument, leg.positionSide).entries;
      for (const n of notes) expect(queue[n.rank - 1].account).toBe(n.account);
      for (let k = 1; k < notes.length; k++) {
        expect(notes[k].rank).toBeGreaterThan(notes[k - 1].rank);
        expect(notes[k - 1].limit).not.toBe("order");
      }
      expect(notes.reduce((t, n) => t + n.coins, 0)).toBeCloseTo(leg.adlCoins, 9);
      // an entry skipped over was used up (its position, or its equity at an adverse price) by an earlier close
      const used = new Set(plan.adl.filter((n) => n.step < step.step && n.instrument === leg.instrument && n.limit !== "order").map((n) => n.rank));
      const first = Math.min(...notes.map((n) => n.rank));
      for (let r = 1; r < first; r++) expect(used.has(r)).toBe(true);
    }
  }

  coverage.plans++;
  if (plan.steps.some((s) => s.legs.some((l) => l.bookFills.length > 0))) coverage.book++;
  if (plan.adl.length > 0) coverage.adl++;
  if (plan.steps.some((s) => s.kind === "slice")) coverage.slices++;
  if (plan.before.equity < 0) coverage.bankrupt++;
  if (plan.outcome === "target-reached") coverage.reached++;
}

/** Recompute an ADL queue's scores from SPEC.md's formula, on the test's own numbers. */
function checkQueueFormula(file: PortfolioFile, instrument: string, side: "long" | "short"): number {
  const queue = engine.adlQueue(file, instrument, side).entries;
  const marks = referenceMarks(file);
  const book = normalize(file);
  for (const e of queue) {
    const a = book.accounts.findIndex((x) => x.id === e.account);
    const raw = file.accounts[a];
    const equity = accountEquity(book, book.accounts[a]);
    const gross = (raw.positions ?? []).reduce((g, p) => g + Math.abs(p.qty * marks.get(p.instrument as string)!), 0);
    const position = raw.positions!.find((p) => p.instrument === instrument)!;
    const mark = marks.get(instrument)!;
    const markValue = position.qty * mark;
    const entryValue = position.qty * (position.entryPrice ?? mark);
    const pnl = entryValue === 0 ? 0 : (markValue - entryValue) / Math.abs(entryValue);
    // bankruptcy: every price against the account by equity / gross
    const pb = mark * (1 - Math.sign(position.qty) * (equity / gross));
    const leverage = Math.abs(markValue) / (markValue - position.qty * pb);
    const score = pnl > 0 ? pnl * leverage : pnl < 0 ? pnl / leverage : 0;
    const scale = 1e-9 * Math.max(1, Math.abs(score));
    expect(Math.abs(e.score - score)).toBeLessThanOrEqual(scale);
    expect(Math.sign(position.qty)).toBe(side === "long" ? -1 : 1);
    expect(equity).toBeGreaterThan(0);
  }
  for (let k = 1; k < queue.length; k++) expect(queue[k].score).toBeLessThanOrEqual(queue[k - 1].score);
  return queue.length;
}

describe("liquidation plans over random books and shocks", () => {
  it(`hold the invariants on ${SEEDS} seeds`, () => {
    const coverage: Coverage = { plans: 0, book: 0, adl: 0, slices: 0, bankrupt: 0, shortened: 0, reached: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { file, depth, traders } = liquidationCase(seed);
      const g = new Gen(seed * 7919);
      const report = engine.margin(file);
      for (const id of traders) {
        if (report.accounts.find((a) => a.id === id)!.status !== "liquidation") continue;
        const buffer = g.pick([undefined, 1, 0.5, 0]);
        const plan = engine.liquidationPlan(file, id, buffer === undefined ? { depth } : { depth, buffer });
        expect(plan.triggered).toBe(true);
        checkPlan(file, plan, coverage);
      }
    }
    // the seeds reach every branch: book fills, ADL, slices, bankrupt starts, shortened last steps
    expect(coverage.plans).toBeGreaterThanOrEqual(60);
    expect(coverage.book).toBeGreaterThan(10);
    expect(coverage.adl).toBeGreaterThan(10);
    expect(coverage.slices).toBeGreaterThan(0);
    expect(coverage.bankrupt).toBeGreaterThan(0);
    expect(coverage.shortened).toBeGreaterThan(10);
    expect(coverage.reached).toBeGreaterThan(coverage.plans / 2);
  });

  it("rank ADL queues by the formula", () => {
    let entries = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { file } = liquidationCase(seed);
      for (const instrument of ["BTC-PERPETUAL", "ETH-PERPETUAL", "BTC-26MAR27", "BTC-25DEC26-80000-P"]) {
        entries += checkQueueFormula(file, instrument, "long") + checkQueueFormula(file, instrument, "short");
      }
    }
    expect(entries).toBeGreaterThan(100);
  });
});
