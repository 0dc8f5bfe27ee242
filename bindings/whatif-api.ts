/**
 * The what-if API as every entry point exports it (index.ts, browser.ts, browser-fetch.ts):
 * engine.whatIf / pnlCurve / worstScenarioContributions take a PreparedBook or a file; these take
 * a normalized book, and WhatIfSession keeps an edited file and its book in step (docs/browser.md).
 */
export { WhatIfSession, type MarketShift } from "./whatif-session.js";
export { whatIfBook, pnlCurveBook, contributionsBook } from "./whatif.js";
export type {
  TradeInput,
  ResolvedTrade,
  WhatIfResult,
  WhatIfRule,
  PnlCurve,
  PnlCurveOptions,
  CurvePoint,
  ScenarioPoint,
  LiquidationPrices,
  WorstScenarioContributions,
  Contribution,
} from "./whatif.js";
