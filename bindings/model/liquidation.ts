/**
 * Liquidation and auto-deleverage (SPEC.md "Liquidation and auto-deleverage (STAMP)"): the
 * inputs a caller writes (order-book depth, options) and the objects the engine returns (the
 * plan, the ADL queue, liquidation prices). docs/liquidation.md defines every number.
 *
 * Units: money in USD; prices in USD per coin (the unit of marks, entry prices and order prices);
 * depth sizes and `coins` in coins of the underlying (contracts x multiplier; every instrument
 * given by name has multiplier 1, so there coins are contracts); `quantity` in contracts of the
 * position's own instrument.
 */

/** One price level: `[price, size]`, price USD per coin (> 0), size in coins (> 0). */
export type DepthLevelInput = [number, number];

/** The book of one instrument: bids best (highest) first, asks best (lowest) first. */
export interface InstrumentDepthInput {
  bids?: DepthLevelInput[];
  asks?: DepthLevelInput[];
}

/** Depth per instrument name (Deribit style), e.g. `{ "BTC-PERPETUAL": { bids: [[90000, 2]], asks: [] } }`. */
export type DepthInput = Record<string, InstrumentDepthInput>;

export interface LiquidationOptions {
  /** order-book depth per instrument; an instrument without depth has an empty book */
  depth: DepthInput;
  /**
   * where the plan stops: equity >= MM + buffer * (IM - MM), buffer in [0, 1]; default 1
   * (equity >= IM, SPEC.md's default)
   */
  buffer?: number;
}

/** The side of a position: `long` (qty > 0) or `short`. */
export type PositionSide = "long" | "short";

/** An account's margin numbers at one point of the plan (kernel outputs). */
export interface MarginState {
  equity: number;
  initialMargin: number;
  maintenanceMargin: number;
  /** MM + buffer * (IM - MM): the equity the plan must reach */
  target: number;
  status: "ok" | "restricted" | "liquidation";
}

/** An order cancelled at step 0. */
export interface CancelledOrder {
  instrument: string;
  side: "buy" | "sell";
  qty: number;
  price: number;
  /** the order's field path, e.g. `accounts[2].orders[0]` */
  path: string;
}

/** One fill of a close: `[price, coins]`. */
export type Fill = [number, number];

/** What an ADL counterparty is told: the amount and the price. */
export interface AdlNotification {
  /** the plan step that deleveraged it */
  step: number;
  account: string;
  instrument: string;
  /** the counterparty's positions this close reduced (field paths, in order) */
  positionPaths: string[];
  /** the side of the counterparty's position */
  positionSide: PositionSide;
  /** the counterparty's closing trade: `buy` for a short, `sell` for a long */
  side: "buy" | "sell";
  /** contracts of the counterparty's instrument */
  quantity: number;
  coins: number;
  /** the liquidated account's bankruptcy price (floored at 0), USD per coin */
  price: number;
  markPrice: number;
  /** the counterparty's equity change against closing at the mark, USD: -(the liquidated account's change on this fill) */
  pnl: number;
  equityBefore: number;
  equityAfter: number;
  /** the counterparty's 1-based rank in the ADL queue */
  rank: number;
  /**
   * why this allocation stopped: `position` (the counterparty's position is closed), `equity`
   * (at an adverse price, its equity is used up), `order` (the close was filled)
   */
  limit: "position" | "equity" | "order";
}

/** How a close was filled: against the depth, against the ADL queue, or the depth first and the queue for the rest. */
export type CloseVia = "book" | "adl" | "book+adl";

/** One position's part of a step. */
export interface StepLeg {
  instrument: string;
  multiplier: number;
  /** the liquidated account's positions this close reduced (field paths) */
  positionPaths: string[];
  positionSide: PositionSide;
  /** the closing trade */
  side: "buy" | "sell";
  via: CloseVia;
  /** contracts */
  quantity: number;
  coins: number;
  /** fill value / coins, USD per coin */
  averagePrice: number;
  markPrice: number;
  /** the account's bankruptcy price of this position when the step starts (unfloored; see docs) */
  bankruptcyPrice: number;
  /** `[price, coins]` per book level taken, in order */
  bookFills: Fill[];
  /** coins closed against the ADL queue, at max(0, bankruptcyPrice) */
  adlCoins: number;
  /** what closing at the fills costs against closing at the mark, USD (positive = the account loses) */
  slippage: number;
}

export interface LiquidationStep {
  /** 1-based (step 0 is the cancelled orders) */
  step: number;
  /** `position`: part of one position; `slice`: the same fraction of every position (when no single close lowers IM) */
  kind: "position" | "slice";
  via: CloseVia;
  /** the fraction closed: of the one position (a position step), of every position (a slice) */
  fraction: number;
  legs: StepLeg[];
  /** sum over the legs, USD */
  slippage: number;
  /** IM before the step minus IM after it, USD */
  requirementReduction: number;
  /** requirementReduction / max(|slippage|, 0.01 USD): what the greedy choice maximised */
  score: number;
  /** the account after the step */
  after: MarginState;
  /** counterparties of the step's ADL closes, leg by leg, each in queue order */
  deleveraged: AdlNotification[];
  /**
   * on a last step shortened to reach the target exactly: closing this much less (contracts of a
   * position step, fraction of a slice) leaves the account below the target
   */
  minimalWithin?: number;
}

/** The liquidation prices of one pair: the spot, other pairs fixed, at which equity reaches MM. */
export interface LiquidationPrice {
  spot: number;
  /** the highest spot in (0, spot] at which equity <= MM, or null (none found down to spot * 2^-20) */
  down: number | null;
  /** the lowest spot in [spot, 10 * spot] at which equity <= MM, or null */
  up: number | null;
}

export interface RemainingPosition {
  instrument: string;
  multiplier: number;
  qty: number;
  positionPaths: string[];
}

export type LiquidationOutcome = "not-triggered" | "target-reached" | "stuck";

export interface LiquidationPlan {
  account: string;
  /** buffer in [0, 1]: target = MM + buffer (IM - MM) */
  buffer: number;
  /** equity < MM at the start */
  triggered: boolean;
  outcome: LiquidationOutcome;
  /** in words: why the plan ended where it did */
  reason: string;
  before: MarginState;
  /** step 0: every working order cancelled, and the account after it */
  cancelled: { orders: CancelledOrder[]; after: MarginState };
  steps: LiquidationStep[];
  after: MarginState;
  positionsAfter: RemainingPosition[];
  /** every ADL notification, in execution order */
  adl: AdlNotification[];
  totals: {
    /** sum of the book steps' slippage, USD: what the depth's makers gained against the mark */
    bookSlippage: number;
    /** sum of the ADL steps' slippage, USD: what the ADL counterparties gained, sum of their pnl */
    adlSlippage: number;
  };
  /** per pair, for the account as it starts (orders included) and as the plan leaves it */
  liquidationPrices: { before: Record<string, LiquidationPrice>; after: Record<string, LiquidationPrice> };
}

export interface AdlQueueEntry {
  /** 1-based */
  rank: number;
  account: string;
  instrument: string;
  multiplier: number;
  positionPaths: string[];
  positionSide: PositionSide;
  /** net contracts (signed) */
  qty: number;
  coins: number;
  markPrice: number;
  /** qty x multiplier x mark, USD */
  markValue: number;
  /** sum of qty x multiplier x entry price (the mark where none), USD */
  entryValue: number;
  /** (markValue - entryValue) / |entryValue| */
  pnlPercent: number;
  /** the account's equity, USD (> 0: accounts at or below 0 are not in the queue) */
  equity: number;
  /** gross mark value of the account's positions, USD */
  grossValue: number;
  /** mark moved against the position by equity / grossValue: where the account's equity is 0 */
  bankruptcyPrice: number;
  /** qty x multiplier x bankruptcyPrice, USD */
  bankruptValue: number;
  /** |markValue| / (markValue - bankruptValue) = grossValue / equity */
  effectiveLeverage: number;
  /** pnlPercent x effectiveLeverage when profitable, pnlPercent / effectiveLeverage when losing, 0 at 0 */
  score: number;
}

export interface AdlQueue {
  instrument: string;
  /** the side being deleveraged; the queue holds the opposite positions */
  side: PositionSide;
  entries: AdlQueueEntry[];
}

export interface AccountLiquidationPrices {
  id: string;
  equity: number;
  maintenanceMargin: number;
  status: "ok" | "restricted" | "liquidation";
  pairs: Record<string, LiquidationPrice>;
}

export interface LiquidationPricesReport {
  accounts: AccountLiquidationPrices[];
}
