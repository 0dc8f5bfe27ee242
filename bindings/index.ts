/**
 * margin-kernel: portfolio margin for crypto derivatives with a WebAssembly hot loop.
 *
 *   import { createEngine } from "margin-kernel";
 *   const engine = await createEngine();
 *   const report = engine.margin(file);
 */
export { createEngine, type Engine, type EngineOptions } from "./engine.js";
export { normalize } from "./validate.js";
export { MarginError, ErrorCode, type ErrorCodeValue } from "./errors.js";
export type * from "./model/types.js";
export type * from "./model/book.js";
