/**
 * One error class for everything the engine rejects. `code` is stable (see the README's error
 * catalogue); `path` names the offending field (`accounts[0].positions[2].qty`), or "" when the
 * error is not about one field. The message always starts with the path.
 */

export const ErrorCode = {
  /** a required field is absent */
  MISSING: "E_MISSING",
  /** wrong JSON type (string where a number is expected, ...) */
  TYPE: "E_TYPE",
  /** a number that is not finite */
  NOT_FINITE: "E_NOT_FINITE",
  /** a number outside its allowed range (negative price, vol, ...) */
  RANGE: "E_RANGE",
  /** a pair, instrument kind, preset, policy or field name that does not exist */
  UNKNOWN: "E_UNKNOWN",
  /** an instrument name or date that does not parse */
  PARSE: "E_PARSE",
  /** nodes not strictly ascending, duplicated ids or expiries */
  ORDER: "E_ORDER",
  /** arrays whose sizes disagree (surface rows, correlation matrix) */
  SHAPE: "E_SHAPE",
  /** an option mark below intrinsic value or above its no-arbitrage bound */
  ARBITRAGE: "E_ARBITRAGE",
  /** the WebAssembly kernel reported a failure (see kernel status codes) */
  KERNEL: "E_KERNEL",
  /** WebAssembly is not available in this runtime */
  NO_WASM: "E_NO_WASM",
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export class MarginError extends Error {
  readonly code: ErrorCodeValue;
  readonly path: string;

  constructor(code: ErrorCodeValue, path: string, detail: string) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = "MarginError";
    this.code = code;
    this.path = path;
  }
}
