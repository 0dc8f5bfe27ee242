/**
 * The API every entry point shares (index.ts for Node, browser.ts with the kernel inlined,
 * browser-fetch.ts fetching it): everything but createEngine, which each entry defines with its
 * own way of loading the kernel.
 */
export { normalize } from "./validate.js";
export { MarginError, ErrorCode, type ErrorCodeValue } from "./errors.js";
export type { Engine, EngineOptions, MarginOptions, PreparedBook, MarginOutputs } from "./engine.js";
export type { KernelBuild, KernelSource } from "./kernel.js";
export type { CovarianceBook, CovarianceOptions } from "./covariance.js";
export type * from "./model/types.js";
export type * from "./model/book.js";
export type * from "./model/liquidation.js";
export * from "./whatif-api.js";
