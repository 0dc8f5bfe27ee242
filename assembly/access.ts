// Reading the bindings' headers and columns, shared by every pass (scenarios.ts, covariance.ts,
// implied.ts, regions.ts). A header is i32 slots at byte offset slot * 4: counts, and byte
// addresses of columns (u32). Columns are f64 or i32 arrays at those addresses.

/** i32 header slot `slot` (a count or code). */
// @ts-ignore: decorator
@inline export function slotI32(header: usize, slot: i32): i32 {
  return load<i32>(header + (<usize>slot << 2));
}

/** The byte address in header slot `slot` (u32). */
// @ts-ignore: decorator
@inline export function slotAddr(header: usize, slot: i32): usize {
  return <usize>load<u32>(header + (<usize>slot << 2));
}

/** f64 column element base[i]. */
// @ts-ignore: decorator
@inline export function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}

/** i32 column element base[i]. */
// @ts-ignore: decorator
@inline export function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

/** base[i] += v (f64). */
// @ts-ignore: decorator
@inline export function addF64(base: usize, i: i32, v: f64): void {
  const p = base + (<usize>i << 3);
  store<f64>(p, load<f64>(p) + v);
}

/**
 * true when [addr, addr + bytes) lies inside the caller's part of linear memory (at or above
 * __heap_base, so that no header can point a pass at the kernel's own constants and tables) and
 * addr is `align`-byte aligned (a power of 2). Every pass checks every column with it before the
 * first read, so a bad address is a status, never a trap.
 */
export function inCallerMemory(addr: usize, bytes: u64, align: usize): bool {
  const end = <u64>memory.size() << 16;
  return (addr & (align - 1)) == 0 && addr >= __heap_base && <u64>addr + bytes <= end;
}
