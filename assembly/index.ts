// The kernel's exports: functions over addresses and counts returning an i32 status, and the
// layout constants (exported as globals so the bindings' mirror can be checked against them).

export { attributePositions, marginAccountRange, marginAccounts } from "./scenarios";
export { covarianceAccounts, covarianceForm, covarianceFormSparse } from "./covariance";
export { normCdf, expBatch, normCdfBatch } from "./math";
export { black76Normalised, impliedLastIterations, impliedVols, normalisedBlackCall, normalisedImpliedTotalVol } from "./implied";
export * from "./layout";

/** First byte above the kernel's static data: the bindings own all memory from here on. */
export function heapBase(): usize {
  return __heap_base;
}
