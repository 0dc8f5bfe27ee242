// The kernel's exports: functions over addresses and counts returning an i32 status, and the
// layout constants (exported as globals so the bindings' mirror can be checked against them).

export { marginAccounts } from "./scenarios";
export { normCdf } from "./math";
export * from "./layout";

/** First byte above the kernel's static data: the bindings own all memory from here on. */
export function heapBase(): usize {
  return __heap_base;
}
