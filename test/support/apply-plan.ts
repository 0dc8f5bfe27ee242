/**
 * Applies a liquidation plan to the portfolio file, the test's own way (no code shared with
 * bindings/liquidation.ts): the liquidated account's orders removed, each step's legs taken off
 * its positions with the cash they bring (book fills at their prices, the ADL part at
 * max(0, bankruptcy price)), and each ADL counterparty's position reduced at the ADL price.
 * Margining the result with engine.margin checks the plan's own numbers independently.
 *
 * Positions are found by their field paths; the files the tests build hold each instrument at
 * most once per account, so every leg and notification names exactly one position.
 */
import type { AccountInput, PortfolioFile, PositionInput } from "../../bindings/model/types.js";
import type { LiquidationPlan, StepLeg } from "../../bindings/model/liquidation.js";

const LINEAR = /-PERPETUAL$|^[A-Z0-9]+-\d{1,2}[A-Z]{3}\d{2}$/;

function positionAt(file: PortfolioFile, path: string): { account: AccountInput; position: PositionInput } {
  const m = /^accounts\[(\d+)\]\.positions\[(\d+)\]$/.exec(path);
  if (!m) throw new Error(`not a position path: ${path}`);
  const account = file.accounts[Number(m[1])];
  return { account, position: account.positions![Number(m[2])] };
}

function isLinear(position: PositionInput): boolean {
  const i = position.instrument;
  return typeof i === "string" ? LINEAR.test(i) : i.kind === "perpetual" || i.kind === "future";
}

/** Take `contracts` off a position closing at total value `value` (coins x price summed); returns the cash. */
function closeAt(position: PositionInput, contracts: number, coins: number, value: number, mark: number): number {
  const sign = Math.sign(position.qty);
  const cash = isLinear(position) ? sign * (value - coins * (position.entryPrice ?? mark)) : sign * value;
  const whole = Math.abs(position.qty);
  position.qty = contracts >= whole || whole - contracts <= 1e-12 * whole ? 0 : position.qty - sign * contracts;
  return cash;
}

function addUsd(account: AccountInput, cash: number): void {
  account.balances = { ...account.balances, USD: (account.balances?.USD ?? 0) + cash };
}

/** A leg's fill value for `coins` coins: its book fills in order, then its ADL price. */
export function legValue(leg: StepLeg, coins: number): number {
  let value = 0;
  let left = coins;
  for (const [price, size] of leg.bookFills) {
    const take = Math.min(left, size);
    value += take * price;
    left -= take;
    if (left <= 0) return value;
  }
  return value + left * Math.max(0, leg.bankruptcyPrice);
}

export interface ApplyOptions {
  /** apply steps 1..steps (default: all) */
  steps?: number;
  /** shorten the last applied step by this much of its `param` (its quantity, or a slice's fraction); counterparties of that step are left out */
  shortenLastBy?: number;
}

/** The file after the plan (or its first `steps` steps); positions closed whole are removed. */
export function applyPlan(file: PortfolioFile, plan: LiquidationPlan, options: ApplyOptions = {}): PortfolioFile {
  const out: PortfolioFile = structuredClone(file);
  const account = out.accounts.find((a) => a.id === plan.account)!;
  if (plan.triggered) account.orders = [];
  const count = options.steps ?? plan.steps.length;
  plan.steps.slice(0, count).forEach((step, k) => {
    const last = k === count - 1;
    const scale = last && options.shortenLastBy !== undefined ? (step.kind === "slice" ? (step.fraction - options.shortenLastBy) / step.fraction : (step.legs[0].quantity - options.shortenLastBy) / step.legs[0].quantity) : 1;
    for (const leg of step.legs) {
      if (leg.positionPaths.length !== 1) throw new Error("applyPlan: a leg nets several positions");
      const { position } = positionAt(out, leg.positionPaths[0]);
      const coins = leg.coins * scale;
      addUsd(account, closeAt(position, leg.quantity * scale, coins, legValue(leg, coins), leg.markPrice));
    }
    if (scale !== 1) return;
    for (const note of step.deleveraged) {
      if (note.positionPaths.length !== 1) throw new Error("applyPlan: a notification nets several positions");
      const { account: counterparty, position } = positionAt(out, note.positionPaths[0]);
      addUsd(counterparty, closeAt(position, note.quantity, note.coins, note.coins * note.price, note.markPrice));
    }
  });
  for (const a of out.accounts) a.positions = a.positions?.filter((p) => p.qty !== 0);
  return out;
}
