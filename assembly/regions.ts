// The regions a call reads and writes must not overlap where the kernel writes: a write into a
// column after its check (a count, an index, an address validated before the loop) would change
// it behind the check, and a later read could leave memory, a trap. The bindings lay every
// region out apart; a corrupted header could point the outputs or the scratch at the inputs, so
// marginAccounts, attributePositions and covarianceAccounts check, before they write anything,
// that every region they write is disjoint from every other region of the call, and return
// STATUS_BAD_HEADER otherwise. (Each region is already known to lie inside memory.)
//
// The table is static memory: up to MAX_REGIONS [start, end) byte ranges (u64 each) and a flag,
// rebuilt by each check. Empty ranges overlap nothing.
//
// The scenario regions are a function of the header's i32 slots alone (counts and addresses), so
// a header whose slots are those of the last one that passed, at the same address, passes again
// with the same table: the check keeps a copy of them and skips the rebuild (a resident book is
// re-margined with the same header on every tick; the check is about 0.3 us of a call). Any other
// check clears the copy, since it rebuilds the table.

import {
  CV_ACC_BALANCE, CV_ACC_END, CV_ACC_START, CV_ASSET_LTV, CV_ASSET_PRICE, CV_CORR, CV_HEADER_BYTES,
  CV_MARKET_FACTOR, CV_MARKET_KIND, CV_MARKET_LEVERAGE, CV_MARKET_MARK, CV_OUT_ACC, CV_OUT_ACC_STRIDE,
  CV_OUT_ROW, CV_ROW_ENTRY, CV_ROW_MARKET, CV_ROW_SIZE, CV_ROW_TAG, CV_SCRATCH, CURVE_STRIDE,
  H_ACC_COINS, H_ACC_END, H_ACC_START, H_ACC_USD, H_CORR, H_CURVE, H_GRID, H_HAS_CORR, H_INS_RISK,
  H_OUT_ACC, H_OUT_PAIR, H_PAIR_CURVE_COUNT, H_PAIR_CURVE_START, H_PAIR_SPOT, H_PAIR_SURFACE,
  H_PAIR_SURFACE_NODES, H_PAIR_SURFACE_TENORS, H_POS_ENTRY, H_POS_INSTRUMENT, H_POS_KIND, H_POS_PAIR,
  H_POS_SIZE, H_POS_STRIKE, H_POS_TAG, H_POS_TENOR, H_SCRATCH, HEADER_BYTES, OUT_ACC_STRIDE,
  H_POS_LOG_STRIKE, H_POS_TENOR_SLOT, H_TENOR_TABLE, TENOR_ENTRY_F64, HEADER_I32_SLOTS, H_FAIL_ACCOUNT,
  cvScratchF64, gridPairF64, instrumentRiskF64, outPairStride, scratchF64,
} from "./layout";
import { slotAddr } from "./access";

const MAX_REGIONS: i32 = 48;
const ENTRY_BYTES: i32 = 24; // start u64, end u64, written u64
const table: usize = memory.data(MAX_REGIONS * ENTRY_BYTES, 8);
let count: i32 = 0;

// the i32 slots of the last scenario header that passed, and its address (0: none)
const passedSlots: usize = memory.data(HEADER_I32_SLOTS * 4, 16);
let passedHeader: usize = 0;

/** The header's i32 slots (all but the kernel's own output H_FAIL_ACCOUNT) are the last passed one's. */
function sameAsPassed(header: usize): bool {
  if (header != passedHeader) return false;
  for (let slot = 0; slot < HEADER_I32_SLOTS; slot++) {
    if (slot == H_FAIL_ACCOUNT) continue;
    const at = <usize>slot << 2;
    if (load<i32>(header + at) != load<i32>(passedSlots + at)) return false;
  }
  return true;
}

function add(start: usize, bytes: u64, written: bool): void {
  if (count == MAX_REGIONS) {
    count++; // full: regionsDisjoint() then refuses
    return;
  }
  if (count > MAX_REGIONS) return;
  const entry = table + <usize>(count * ENTRY_BYTES);
  store<u64>(entry, <u64>start);
  store<u64>(entry, <u64>start + bytes, 8);
  store<u64>(entry, written ? 1 : 0, 16);
  count++;
}


/** [a0, a1) and [b0, b1) share a byte (empty ranges share none). */
// @ts-ignore: decorator
@inline function overlap(a0: u64, a1: u64, b0: u64, b1: u64): bool {
  return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
}

/** Every written region of the table is disjoint from every other region; false when the table overflowed. */
function disjoint(): bool {
  if (count > MAX_REGIONS) return false;
  for (let i = 0; i < count; i++) {
    const a = table + <usize>(i * ENTRY_BYTES);
    if (load<u64>(a, 16) == 0) continue;
    const a0 = load<u64>(a);
    const a1 = load<u64>(a, 8);
    for (let j = 0; j < count; j++) {
      if (j == i) continue;
      const b = table + <usize>(j * ENTRY_BYTES);
      if (overlap(a0, a1, load<u64>(b), load<u64>(b, 8))) return false;
    }
  }
  return true;
}

/**
 * marginAccounts' regions (assembly/layout.ts), counts already checked: it writes the scratch,
 * the outputs, the tenor table, the shared instruments' risk arrays, the funding rates into the curve and the log
 * spot levels into the grid; it reads the header and every other column. The table is kept for
 * disjointFromAll() (attributePositions' output).
 */
export function scenarioRegionsDisjoint(header: usize, P: i32, G: i32, LS: i32, A: i32, N: i32, nodes: i32, instruments: i32, tenors: i32): bool {
  if (sameAsPassed(header)) return true;
  passedHeader = 0;
  count = 0;
  const n4 = <u64>N << 2;
  const n8 = <u64>N << 3;
  const a4 = <u64>A << 2;
  const a8 = <u64>A << 3;
  add(header, <u64>HEADER_BYTES, false);
  add(slotAddr(header, H_PAIR_SPOT), <u64>P << 3, false);
  add(slotAddr(header, H_PAIR_CURVE_START), <u64>P << 2, false);
  add(slotAddr(header, H_PAIR_CURVE_COUNT), <u64>P << 2, false);
  add(slotAddr(header, H_PAIR_SURFACE), <u64>P << 2, false);
  add(slotAddr(header, H_PAIR_SURFACE_TENORS), <u64>P << 2, false);
  add(slotAddr(header, H_PAIR_SURFACE_NODES), <u64>P << 2, false);
  add(slotAddr(header, H_POS_KIND), n4, false);
  add(slotAddr(header, H_POS_PAIR), n4, false);
  add(slotAddr(header, H_POS_TAG), n4, false);
  add(slotAddr(header, H_POS_SIZE), n8, false);
  add(slotAddr(header, H_POS_STRIKE), n8, false);
  add(slotAddr(header, H_POS_TENOR), n8, false);
  add(slotAddr(header, H_POS_ENTRY), n8, false);
  add(slotAddr(header, H_POS_TENOR_SLOT), n4, false);
  add(slotAddr(header, H_POS_LOG_STRIKE), n8, false);
  add(slotAddr(header, H_ACC_START), a4, false);
  add(slotAddr(header, H_ACC_END), a4, false);
  add(slotAddr(header, H_ACC_USD), a8, false);
  add(slotAddr(header, H_ACC_COINS), a8 * <u64>P, false);
  if (load<i32>(header + (<usize>H_HAS_CORR << 2)) != 0) add(slotAddr(header, H_CORR), (<u64>P * <u64>P) << 3, false);
  add(slotAddr(header, H_CURVE), <u64>nodes * CURVE_STRIDE * 8, true);
  add(slotAddr(header, H_GRID), <u64>P * <u64>gridPairF64(LS, G) * 8, true);
  add(slotAddr(header, H_OUT_ACC), a8 * OUT_ACC_STRIDE, true);
  add(slotAddr(header, H_OUT_PAIR), a8 * <u64>P * <u64>outPairStride(G), true);
  add(slotAddr(header, H_SCRATCH), <u64>scratchF64(P, G, LS) * 8, true);
  add(slotAddr(header, H_TENOR_TABLE), <u64>tenors * TENOR_ENTRY_F64 * 8, true);
  if (instruments > 0) {
    add(slotAddr(header, H_POS_INSTRUMENT), n4, false);
    add(slotAddr(header, H_INS_RISK), <u64>instruments * <u64>instrumentRiskF64(G) * 8, true);
  }
  if (!disjoint()) return false;
  memory.copy(passedSlots, header, <usize>HEADER_I32_SLOTS << 2);
  passedHeader = header;
  return true;
}

/** [start, start + bytes) overlaps no region of the last check's table (an extra output of the same call). */
export function disjointFromAll(start: usize, bytes: u64): bool {
  if (count > MAX_REGIONS) return false;
  const end = <u64>start + bytes;
  for (let i = 0; i < count; i++) {
    const b = table + <usize>(i * ENTRY_BYTES);
    if (overlap(<u64>start, end, load<u64>(b), load<u64>(b, 8))) return false;
  }
  return true;
}

/**
 * covarianceAccounts' regions (counts already checked): it writes the scratch and the outputs,
 * reads the header and every other column.
 */
export function covarianceRegionsDisjoint(header: usize, M: i32, C: i32, A: i32, N: i32, K: i32): bool {
  passedHeader = 0;
  count = 0;
  const m4 = <u64>M << 2;
  const m8 = <u64>M << 3;
  const n4 = <u64>N << 2;
  const n8 = <u64>N << 3;
  add(header, <u64>CV_HEADER_BYTES, false);
  add(slotAddr(header, CV_MARKET_KIND), m4, false);
  add(slotAddr(header, CV_MARKET_FACTOR), m4, false);
  add(slotAddr(header, CV_MARKET_MARK), m8, false);
  add(slotAddr(header, CV_MARKET_LEVERAGE), m8, false);
  add(slotAddr(header, CV_CORR), (<u64>C * <u64>C) << 3, false);
  add(slotAddr(header, CV_ROW_MARKET), n4, false);
  add(slotAddr(header, CV_ROW_TAG), n4, false);
  add(slotAddr(header, CV_ROW_SIZE), n8, false);
  add(slotAddr(header, CV_ROW_ENTRY), n8, false);
  add(slotAddr(header, CV_ACC_START), <u64>A << 2, false);
  add(slotAddr(header, CV_ACC_END), <u64>A << 2, false);
  add(slotAddr(header, CV_ACC_BALANCE), (<u64>A * <u64>K) << 3, false);
  add(slotAddr(header, CV_ASSET_PRICE), <u64>K << 3, false);
  add(slotAddr(header, CV_ASSET_LTV), <u64>K << 3, false);
  add(slotAddr(header, CV_OUT_ACC), (<u64>A * CV_OUT_ACC_STRIDE) << 3, true);
  add(slotAddr(header, CV_OUT_ROW), n8, true);
  add(slotAddr(header, CV_SCRATCH), <u64>cvScratchF64(M, C) << 3, true);
  return disjoint();
}
