/**
 * A small, independent marshal of a normalized Book into a raw kernel instance's linear memory,
 * from bindings/layout.ts alone (no engine code): the header, the market, grid, position and
 * account columns, outputs and scratch, each region 16-byte aligned from the kernel's heap base.
 * For tests that run `marginAccounts` below the engine (test/ts-kernel.test.ts).
 */
import type { Book, ResolvedInstrument } from "../../bindings/model/book.js";
import * as L from "../../bindings/layout.js";

export interface KernelImage {
  header: number;
  /** byte address and f64 count of the per-account outputs */
  outAcc: number;
  outAccF64: number;
  /** byte address and f64 count of the per-(account, pair) outputs */
  outPair: number;
  outPairF64: number;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
}

function kindCode(instrument: ResolvedInstrument): number {
  switch (instrument.kind) {
    case "spot":
      return L.KIND_SPOT;
    case "perpetual":
      return L.KIND_PERPETUAL;
    case "future":
      return L.KIND_FUTURE;
    case "option":
      return instrument.isCall ? L.KIND_CALL : L.KIND_PUT;
  }
}

/** Write `book` into the instance's memory (growing it as needed); returns where things are. */
export function layoutBook(instance: WebAssembly.Instance, book: Book): KernelImage {
  const exports = instance.exports as unknown as KernelExports;
  const P = book.pairs.length;
  const G = book.pairs[0].grid.length;
  const grids = book.pairs.map((pair) => {
    const levels = [1];
    const rowLevel = pair.grid.map((row) => {
      const mult = 1 + row.spotShock;
      let level = levels.indexOf(mult);
      if (level < 0) level = levels.push(mult) - 1;
      return level;
    });
    return { levels, rowLevel };
  });
  const LS = Math.max(...grids.map((g) => g.levels.length));
  const N = book.accounts.reduce((n, a) => n + a.positions.length + a.orders.length, 0);
  const tenors = L.tenorSlots(book.accounts);
  const A = book.accounts.length;
  const curveNodes = book.pairs.reduce((n, p) => n + p.futures.length, 0);
  const surfaceF64 = book.pairs.reduce(
    (n, p) => (p.surface === null ? n : n + p.surface.tenors.length * (1 + p.surface.logMoneyness.length) + p.surface.logMoneyness.length),
    0,
  );
  const hasCorr = book.params.pairCorrelation !== null;

  let cursor = (exports.heapBase() + 15) & ~15;
  const take = (bytes: number): number => {
    const at = cursor;
    cursor += Math.ceil(Math.max(bytes, 16) / 16) * 16;
    return at;
  };
  const header = take(L.HEADER_BYTES);
  const slots: Record<number, number> = {};
  slots[L.H_PAIR_SPOT] = take(8 * P);
  for (const h of [L.H_PAIR_CURVE_START, L.H_PAIR_CURVE_COUNT, L.H_PAIR_SURFACE, L.H_PAIR_SURFACE_TENORS, L.H_PAIR_SURFACE_NODES]) slots[h] = take(4 * P);
  slots[L.H_CURVE] = take(8 * L.CURVE_STRIDE * curveNodes);
  const surfaceStart = take(8 * surfaceF64);
  slots[L.H_GRID] = take(8 * P * L.gridPairF64(LS, G));
  slots[L.H_CORR] = take(8 * P * P);
  for (const h of [L.H_POS_KIND, L.H_POS_PAIR, L.H_POS_TAG]) slots[h] = take(4 * N);
  for (const h of [L.H_POS_SIZE, L.H_POS_STRIKE, L.H_POS_TENOR, L.H_POS_ENTRY]) slots[h] = take(8 * N);
  slots[L.H_POS_TENOR_SLOT] = take(4 * N);
  slots[L.H_POS_LOG_STRIKE] = take(8 * N);
  slots[L.H_TENOR_TABLE] = take(8 * tenors.count * L.TENOR_ENTRY_F64);
  slots[L.H_ACC_START] = take(4 * A);
  slots[L.H_ACC_END] = take(4 * A);
  slots[L.H_ACC_USD] = take(8 * A);
  slots[L.H_ACC_COINS] = take(8 * A * P);
  slots[L.H_OUT_ACC] = take(8 * A * L.OUT_ACC_STRIDE);
  slots[L.H_OUT_PAIR] = take(8 * A * P * L.outPairStride(G));
  slots[L.H_SCRATCH] = take(8 * L.scratchF64(P, G, LS));
  slots[L.H_INS_RISK] = take(8 * L.instrumentRiskF64(G)); // the row-by-row path's one risk array
  const have = exports.memory.buffer.byteLength;
  if (cursor > have) exports.memory.grow(Math.ceil((cursor - have) / 65536));
  const i32 = new Int32Array(exports.memory.buffer);
  const f64 = new Float64Array(exports.memory.buffer);

  const h = header >> 2;
  i32.fill(0, h, h + L.HEADER_I32_SLOTS);
  i32[h + L.H_PAIRS] = P;
  i32[h + L.H_ROWS] = G;
  i32[h + L.H_LEVEL_STRIDE] = LS;
  i32[h + L.H_ACCOUNTS] = A;
  i32[h + L.H_POSITIONS] = N;
  i32[h + L.H_CURVE_NODES] = curveNodes;
  i32[h + L.H_COIN_POLICY] = { capped: L.COIN_CAPPED, full: L.COIN_FULL, none: L.COIN_NONE }[book.params.coinPolicy];
  i32[h + L.H_HAS_CORR] = hasCorr ? 1 : 0;
  i32[h + L.H_FAIL_ACCOUNT] = -1;
  i32[h + L.H_TENORS] = tenors.count;
  for (const [slot, at] of Object.entries(slots)) i32[h + Number(slot)] = at;
  f64[(header + L.HEADER_F64_OFFSET) / 8 + L.HF_USD_RATE] = book.params.usdRate;
  f64[(header + L.HEADER_F64_OFFSET) / 8 + L.HF_VSF_TENOR_EXPONENT] = book.params.vsfTenorExponent ?? 0;

  // market
  let node = 0;
  let surfaceAt = surfaceStart;
  book.pairs.forEach((pair, p) => {
    f64[slots[L.H_PAIR_SPOT] / 8 + p] = pair.spot;
    i32[slots[L.H_PAIR_CURVE_START] / 4 + p] = node;
    i32[slots[L.H_PAIR_CURVE_COUNT] / 4 + p] = pair.futures.length;
    for (const future of pair.futures) {
      f64[slots[L.H_CURVE] / 8 + node * L.CURVE_STRIDE] = future.tenorYears;
      f64[slots[L.H_CURVE] / 8 + node * L.CURVE_STRIDE + 1] = future.mark;
      node++;
    }
    const surface = pair.surface;
    i32[slots[L.H_PAIR_SURFACE] / 4 + p] = surfaceAt;
    i32[slots[L.H_PAIR_SURFACE_TENORS] / 4 + p] = surface === null ? 0 : surface.tenors.length;
    i32[slots[L.H_PAIR_SURFACE_NODES] / 4 + p] = surface === null ? 0 : surface.logMoneyness.length;
    if (surface !== null) {
      let at = surfaceAt / 8;
      f64.set(surface.tenors, at);
      at += surface.tenors.length;
      f64.set(surface.logMoneyness, at);
      at += surface.logMoneyness.length;
      for (const row of surface.vols) {
        f64.set(row, at);
        at += row.length;
      }
      surfaceAt = at * 8;
    }
  });
  if (hasCorr) (book.params.pairCorrelation as number[][]).forEach((row, i) => f64.set(row, slots[L.H_CORR] / 8 + i * P));

  // grid
  const stride = L.gridPairF64(LS, G);
  book.pairs.forEach((pair, p) => {
    const block = slots[L.H_GRID] / 8 + p * stride;
    const { levels, rowLevel } = grids[p];
    i32[block * 2] = levels.length;
    f64.set(levels, block + 1);
    pair.grid.forEach((row, s) => {
      i32[(block + 1 + 2 * LS + s) * 2] = rowLevel[s];
      f64[block + 1 + 2 * LS + G + s] = row.volShock;
      f64[block + 1 + 2 * LS + 2 * G + s] = row.weight;
    });
  });

  // positions (orders as tagged rows) and accounts
  let row = 0;
  const put = (instrument: ResolvedInstrument, tag: number, contracts: number, entry: number | null): void => {
    i32[slots[L.H_POS_KIND] / 4 + row] = kindCode(instrument);
    i32[slots[L.H_POS_PAIR] / 4 + row] = instrument.pairIndex;
    i32[slots[L.H_POS_TAG] / 4 + row] = tag;
    f64[slots[L.H_POS_SIZE] / 8 + row] = contracts * instrument.multiplier;
    f64[slots[L.H_POS_STRIKE] / 8 + row] = instrument.strike;
    f64[slots[L.H_POS_TENOR] / 8 + row] = instrument.tenorYears;
    f64[slots[L.H_POS_ENTRY] / 8 + row] = entry ?? NaN;
    i32[slots[L.H_POS_TENOR_SLOT] / 4 + row] = tenors.slots[row];
    f64[slots[L.H_POS_LOG_STRIKE] / 8 + row] = L.logStrike(instrument);
    row++;
  };
  book.accounts.forEach((account, a) => {
    i32[slots[L.H_ACC_START] / 4 + a] = row;
    for (const position of account.positions) put(position.instrument, L.TAG_POSITION, position.qty, position.entryPrice);
    for (const order of account.orders) {
      const buy = order.side === "buy";
      put(order.instrument, buy ? L.TAG_BID : L.TAG_ASK, buy ? order.qty : -order.qty, null);
    }
    i32[slots[L.H_ACC_END] / 4 + a] = row;
    f64[slots[L.H_ACC_USD] / 8 + a] = account.usd;
    f64.set(account.coins, slots[L.H_ACC_COINS] / 8 + a * P);
  });

  return {
    header,
    outAcc: slots[L.H_OUT_ACC],
    outAccF64: A * L.OUT_ACC_STRIDE,
    outPair: slots[L.H_OUT_PAIR],
    outPairF64: A * P * L.outPairStride(G),
  };
}
