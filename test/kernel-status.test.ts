import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as L from "../bindings/layout.js";
import { readFileSync } from "node:fs";
import { kernelInstance, type Build } from "./support/wasm.js";
import { randomFile } from "./support/random.js";
import {
  covarianceImage,
  engineScenarioImage,
  impliedImage,
  scenarioBook,
  scenarioImage,
  type Column,
  type KernelImage,
} from "./support/kernel-images.js";

// The kernel's header-driven entry points (marginAccounts, attributePositions, covarianceAccounts,
// impliedVols) fed corrupted memory images directly, below the bindings: random values in every
// header slot (counts, addresses, the f64 parameters), out-of-range values in every index column
// (pairs, kinds, tags, account row ranges, curve and surface extents, grid levels, markets,
// factors, rights) and arbitrary doubles in the data columns. Each call must return one of the
// documented statuses and never trap (a trap surfaces here as a WebAssembly.RuntimeError), in all
// three builds; and the kernel keeps no state across calls: restoring the image gives the clean
// outputs again, bit for bit.
const RUNS = Number(process.env.KERNEL_FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? (process.env.FUZZ_RANDOM_SEED ? Date.now() : 20260101) : Number(process.env.FUZZ_SEED);
const BUILDS: Build[] = ["release", "scalar", "debug"];
const BATCH_STATUSES = [L.STATUS_OK, L.STATUS_BAD_HEADER, L.STATUS_BAD_INDEX, L.STATUS_NON_FINITE];
const MARK_STATUSES = [L.IV_OK, L.IV_BELOW_INTRINSIC, L.IV_ABOVE_BOUND, L.IV_BAD_INPUT, L.IV_OUT_OF_DOMAIN];
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

interface Exports {
  memory: WebAssembly.Memory;
  marginAccounts(header: number): number;
  marginAccountRange(header: number, first: number, end: number, reuseRisk: number, pairMask: number): number;
  attributePositions?(header: number, out: number): number;
  covarianceAccounts(header: number): number;
  impliedVols(header: number): number;
}

/** An i32 value: absolute, or the original plus a small offset (an address or count off by a little). */
type IntValue = { abs: number } | { rel: number };

type Corruption =
  | { kind: "slot"; slot: number; value: IntValue }
  | { kind: "f64slot"; slot: number; value: number }
  | { kind: "entry"; column: number; index: number; value: IntValue; real: number }
  | { kind: "headerBytes"; offset: number; bytes: number[] };

function intValueArb(memoryBytes: number): fc.Arbitrary<IntValue> {
  return fc.oneof(
    fc.integer({ min: INT32_MIN, max: INT32_MAX }).map((abs) => ({ abs })),
    fc
      .constantFrom(0, -1, 1, 2, 3, 7, INT32_MAX, INT32_MIN, INT32_MAX - 1, 1 << 26, 1 << 29, memoryBytes - 8, memoryBytes - 4, memoryBytes, memoryBytes + 8)
      .map((abs) => ({ abs })),
    fc.integer({ min: -64, max: 64 }).map((rel) => ({ rel })),
  );
}

function corruptionArb(image: KernelImage, memoryBytes: number): fc.Arbitrary<Corruption> {
  const ints = intValueArb(memoryBytes);
  const options: fc.Arbitrary<Corruption>[] = [
    fc.record({ kind: fc.constant("slot" as const), slot: fc.nat(image.slots - 1), value: ints }),
    fc.record({
      kind: fc.constant("headerBytes" as const),
      offset: fc.nat(image.slots * 4 - 1),
      bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 8 }),
    }),
    fc.nat(image.columns.length - 1).chain((column) =>
      fc.record({
        kind: fc.constant("entry" as const),
        column: fc.constant(column),
        index: fc.nat(image.columns[column].length - 1),
        value: ints,
        real: fc.double(),
      }),
    ),
  ];
  if (image.f64Slots > 0) {
    options.push(fc.record({ kind: fc.constant("f64slot" as const), slot: fc.nat(image.f64Slots - 1), value: fc.double() }));
  }
  return fc.oneof(...options);
}

function resolve(value: IntValue, original: number): number {
  return "abs" in value ? value.abs : (original + value.rel) | 0;
}

function apply(memory: WebAssembly.Memory, image: KernelImage, c: Corruption): void {
  const i32 = new Int32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  const bytes = new Uint8Array(memory.buffer);
  const h = image.header >> 2;
  switch (c.kind) {
    case "slot":
      i32[h + c.slot] = resolve(c.value, i32[h + c.slot]);
      break;
    case "f64slot":
      f64[(image.header + image.f64Offset) / 8 + c.slot] = c.value;
      break;
    case "headerBytes":
      c.bytes.forEach((b, k) => {
        if (c.offset + k < image.slots * 4) bytes[image.header + c.offset + k] = b;
      });
      break;
    case "entry": {
      const column: Column = image.columns[c.column];
      if (column.type === "i32") {
        const at = column.at / 4 + c.index;
        i32[at] = resolve(c.value, i32[at]);
      } else {
        f64[column.at / 8 + c.index] = c.real;
      }
      break;
    }
  }
}

function describeCorruptions(image: KernelImage, corruptions: readonly Corruption[]): string {
  return corruptions
    .map((c) => (c.kind === "entry" ? `${image.columns[c.column].name}[${c.index}] = ${JSON.stringify(c.value)} / ${c.real}` : JSON.stringify(c)))
    .join("; ");
}

function outputsOf(memory: WebAssembly.Memory, image: KernelImage): Uint8Array[] {
  return image.outputs.map((o) => new Uint8Array(memory.buffer.slice(o.at, o.at + o.bytes)));
}

/**
 * Runs `call` on the image corrupted by each generated set of corruptions: it must return one of
 * `statuses` without throwing; `check` may look further (fail-account slots, per-mark statuses).
 * Then the clean image is restored and must give the clean outputs again.
 */
function fuzzImage(
  memory: WebAssembly.Memory,
  image: KernelImage,
  call: () => number,
  statuses: readonly number[],
  check: (status: number) => void = () => {},
  runs = RUNS,
): { calls: number; seen: Map<number, number> } {
  expect(call()).toBe(L.STATUS_OK);
  const clean = outputsOf(memory, image);
  const snapshot = new Uint8Array(memory.buffer.slice(0));
  const restore = (): void => new Uint8Array(memory.buffer).set(snapshot);
  const seen = new Map<number, number>();
  let calls = 0;
  const run = (corruptions: readonly Corruption[]): void => {
    restore();
    for (const c of corruptions) apply(memory, image, c);
    let status: number;
    try {
      status = call();
    } catch (error) {
      // a trap (WebAssembly.RuntimeError): name the corruption, then fail the property
      throw new Error(`${(error as Error).message} after ${describeCorruptions(image, corruptions)}`, { cause: error });
    }
    calls++;
    seen.set(status, (seen.get(status) ?? 0) + 1);
    expect(statuses).toContain(status);
    check(status);
    restore();
    expect(call()).toBe(L.STATUS_OK);
    const again = outputsOf(memory, image);
    expect(again.every((bytes, k) => Buffer.compare(bytes, clean[k]) === 0), "outputs after restoring the image").toBe(true);
  };
  // every header slot with each special value, then random combinations
  const memoryBytes = memory.buffer.byteLength;
  const specials: IntValue[] = [
    { abs: 0 }, { abs: -1 }, { abs: 1 }, { abs: 3 }, { abs: INT32_MAX }, { abs: INT32_MIN }, { abs: memoryBytes },
    { abs: memoryBytes - 8 }, { abs: 1 << 29 }, { rel: 8 }, { rel: -8 }, { rel: 1 }, { rel: -1 },
  ];
  for (let slot = 0; slot < image.slots; slot++) for (const value of specials) run([{ kind: "slot", slot, value }]);
  for (let slot = 0; slot < image.f64Slots; slot++) {
    for (const value of [NaN, Infinity, -Infinity, -1, 1e308, 17, -0]) run([{ kind: "f64slot", slot, value }]);
  }
  image.columns.forEach((column, index) => {
    if (!column.index) return;
    for (const value of [{ abs: -1 }, { abs: column.length }, { abs: INT32_MAX }, { abs: INT32_MIN }, { abs: 1 << 24 }, { rel: 1 }]) {
      run([{ kind: "entry", column: index, index: column.length - 1, value, real: 0 }]);
    }
  });
  fc.assert(
    fc.property(fc.array(corruptionArb(image, memoryBytes), { minLength: 1, maxLength: 4 }), (cs) => run(cs)),
    { numRuns: runs, seed: SEED },
  );
  restore();
  return { calls, seen };
}

function summary(name: string, build: Build, result: { calls: number; seen: Map<number, number> }): void {
  const counts = [...result.seen].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(", ");
  console.log(`${build} ${name}: ${result.calls} corrupted calls, statuses {${counts}}, no trap`);
}

/** A fresh kernel of `build` with a 5-account scenario image laid out: the header's i32 index `h`. */
function scenarioCase(build: Build): { kernel: Exports; book: ReturnType<typeof scenarioBook>; image: KernelImage; i32: Int32Array; h: number } {
  const instance = kernelInstance(build);
  const kernel = instance.exports as unknown as Exports;
  const book = scenarioBook(5);
  const image = scenarioImage(instance, book);
  return { kernel, book, image, i32: new Int32Array(kernel.memory.buffer), h: image.header >> 2 };
}

describe.each(BUILDS)("the %s kernel on corrupted memory images", (build) => {
  it("marginAccounts: curve extents whose sum overflows i32 are STATUS_BAD_HEADER, not a trap", () => {
    const { kernel, book, image, i32, h } = scenarioCase(build);
    const p = book.pairs.findIndex((pair, i) => pair.futures.length > 0 && book.accounts.some((a) => a.positions.some((x) => x.instrument.pairIndex === i && x.instrument.kind !== "spot" && x.instrument.kind !== "perpetual")));
    expect(p).toBeGreaterThanOrEqual(0);
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_OK);
    i32[i32[h + L.H_PAIR_CURVE_START] / 4 + p] = INT32_MAX;
    i32[i32[h + L.H_PAIR_CURVE_COUNT] / 4 + p] = 1;
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_BAD_HEADER);
  });

  it("marginAccounts re-checks the regions whenever the header differs from the last one that passed", () => {
    // the kernel skips the region check for the header that last passed, slot for slot
    // (assembly/regions.ts): a changed slot, another header, or a covariance call in between
    // must bring the check back
    const { kernel, image, i32, h } = scenarioCase(build);
    const outAcc = i32[h + L.H_OUT_ACC];
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_OK);
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_OK);
    // the account outputs moved onto the position sizes: a write over a read region
    i32[h + L.H_OUT_ACC] = i32[h + L.H_POS_SIZE];
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_BAD_HEADER);
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_BAD_HEADER);
    i32[h + L.H_OUT_ACC] = outAcc;
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_OK);
    // the same slots at another address: the header region itself moved, so it is checked again
    // (here it lands on the scratch, which the kernel writes)
    const copy = i32[h + L.H_SCRATCH] + 64;
    i32.copyWithin(copy >> 2, h, h + L.HEADER_BYTES / 4);
    expect(kernel.marginAccounts(copy)).toBe(L.STATUS_BAD_HEADER);
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_OK);
  });

  it("marginAccountRange: a range outside [0, accounts] is STATUS_BAD_HEADER, with or without reused prices", () => {
    const { kernel, book, image } = scenarioCase(build);
    const A = book.accounts.length;
    for (const reuse of [0, 1]) {
      for (const [first, end] of [[0, A], [1, A - 1], [A, A], [0, -1]]) {
        expect(kernel.marginAccountRange(image.header, first, end, reuse, -1)).toBe(L.STATUS_OK);
      }
      for (const [first, end] of [[-1, A], [0, A + 1], [2, 1], [INT32_MIN, INT32_MAX], [INT32_MAX, -1], [0, -2]]) {
        expect(kernel.marginAccountRange(image.header, first, end, reuse, -1)).toBe(L.STATUS_BAD_HEADER);
      }
    }
  });

  it("marginAccounts: surface node counts whose byte size overflows 64 bits are STATUS_BAD_HEADER, not a trap", () => {
    const { kernel, book, image, i32, h } = scenarioCase(build);
    const p = book.accounts.flatMap((a) => a.positions).find((x) => x.instrument.kind === "option" && x.instrument.tenorYears > 0)!.instrument.pairIndex;
    // 8 (nT + nK + nT nK) = 2^64 + 56 for these counts: the byte size wraps to 56 in u64
    const nT = 2147352579;
    const nK = 1073807361;
    expect((8n * (BigInt(nT) + BigInt(nK) + BigInt(nT) * BigInt(nK))) % 2n ** 64n).toBe(56n);
    i32[i32[h + L.H_PAIR_SURFACE_TENORS] / 4 + p] = nT;
    i32[i32[h + L.H_PAIR_SURFACE_NODES] / 4 + p] = nK;
    expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_BAD_HEADER);
  });

  it("marginAccounts and attributePositions return a status for every corruption and never trap", () => {
    const instance = kernelInstance(build);
    const kernel = instance.exports as unknown as Exports;
    const book = scenarioBook(11);
    expect(book.accounts.some((a) => a.orders.length > 0)).toBe(true);
    expect(book.pairs.some((pair) => pair.futures.length > 0)).toBe(true);
    expect(book.accounts.some((a) => a.positions.some((x) => x.instrument.kind === "option" && x.instrument.tenorYears > 0))).toBe(true);
    const image = scenarioImage(instance, book);
    const positions = book.accounts.reduce((n, a) => n + a.positions.length + a.orders.length, 0);
    // attributePositions' output after the image, when this kernel has it
    const attribute = kernel.attributePositions;
    // (past the marshal's last region, the scratch, sized here for the largest level stride G + 1)
    const G = book.pairs[0].grid.length;
    const out = image.outputs.reduce((end, o) => Math.max(end, o.at + o.bytes), 0) + 8 * L.scratchF64(book.pairs.length, G, G + 1) + 64;
    const outBytes = 8 * L.ATTR_STRIDE * positions;
    if (attribute !== undefined) {
      const need = out + outBytes;
      if (need > kernel.memory.buffer.byteLength) kernel.memory.grow(Math.ceil((need - kernel.memory.buffer.byteLength) / 65536));
      image.outputs.push({ at: (out + 7) & ~7, bytes: outBytes });
    }
    const outAt = (out + 7) & ~7;
    const A = book.accounts.length;
    const result = fuzzImage(
      kernel.memory,
      image,
      () => {
        const status = kernel.marginAccounts(image.header);
        if (status !== L.STATUS_OK || attribute === undefined) return status;
        return attribute.call(kernel, image.header, outAt);
      },
      BATCH_STATUSES,
      (status) => {
        const failed = new Int32Array(kernel.memory.buffer)[(image.header >> 2) + L.H_FAIL_ACCOUNT];
        if (status === L.STATUS_OK) expect(failed).toBe(-1);
        else expect(failed).toBeGreaterThanOrEqual(-1);
      },
    );
    summary("marginAccounts" + (attribute ? " + attributePositions" : ""), build, result);
    expect(A).toBeGreaterThan(1);
    if (attribute !== undefined) {
      // a bad output address alone
      expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_OK);
      for (const at of [kernel.memory.buffer.byteLength - 8, -8, 3]) expect(attribute.call(kernel, image.header, at)).toBe(L.STATUS_BAD_HEADER);
    }
  });

  it("marginAccounts and marginAccountRange on the engine's own layout (rows sharing priced instruments) return a status for every corruption and never trap", async () => {
    const instance = kernelInstance(build);
    const kernel = instance.exports as unknown as Exports;
    const wasm = readFileSync(new URL(`../build/${build}.wasm`, import.meta.url));
    // three accounts' positions held by two accounts each: few distinct instruments, which the
    // engine then prices once per call (H_INSTRUMENTS > 0, a row-to-instrument column)
    const file = randomFile(11, { accounts: 3, positions: [3, 10], randomParams: true });
    file.accounts = [...file.accounts, ...file.accounts.map((a) => ({ ...a, id: `${a.id}-twin` }))];
    const { image, book } = await engineScenarioImage(instance, wasm, file);
    expect(image.columns.map((c) => c.name)).toContain("posInstrument");
    // then a range that reuses the instruments' prices of that call (as the pool's chunks do),
    // whatever that call left in them: a status, never a trap
    const result = fuzzImage(kernel.memory, image, () => {
      const whole = kernel.marginAccounts(image.header);
      const range = kernel.marginAccountRange(image.header, 1, 5, 1, 0b101);
      return whole !== L.STATUS_OK ? whole : range;
    }, BATCH_STATUSES, (status) => {
      const failed = new Int32Array(kernel.memory.buffer)[(image.header >> 2) + L.H_FAIL_ACCOUNT];
      if (status === L.STATUS_OK) expect(failed).toBe(-1);
      else expect(failed).toBeGreaterThanOrEqual(-1);
    });
    summary("marginAccounts + marginAccountRange reusing prices (engine layout)", build, result);
    expect(book.accounts.length).toBe(6);
  });

  it("every entry point refuses a header or column below the heap base (the kernel's static data)", () => {
    // each image in an instance of its own (the images are laid out from the heap base alike)
    const cases: [string, number, (instance: WebAssembly.Instance) => KernelImage, (kernel: Exports, header: number) => number][] = [
      ["marginAccounts", L.H_OUT_PAIR, (i) => scenarioImage(i, scenarioBook(5)), (k, h) => k.marginAccounts(h)],
      ["marginAccounts", L.H_SCRATCH, (i) => scenarioImage(i, scenarioBook(5)), (k, h) => k.marginAccounts(h)],
      ["marginAccounts", L.H_PAIR_SPOT, (i) => scenarioImage(i, scenarioBook(5)), (k, h) => k.marginAccounts(h)],
      ["covarianceAccounts", L.CV_SCRATCH, (i) => covarianceImage(i, 1), (k, h) => k.covarianceAccounts(h)],
      ["covarianceAccounts", L.CV_OUT_ACC, (i) => covarianceImage(i, 1), (k, h) => k.covarianceAccounts(h)],
      ["impliedVols", L.IV_VOL, (i) => impliedImage(i, 2), (k, h) => k.impliedVols(h)],
      ["impliedVols", L.IV_MARK_STATUS, (i) => impliedImage(i, 2), (k, h) => k.impliedVols(h)],
    ];
    for (const [name, slot, layout, call] of cases) {
      const instance = kernelInstance(build);
      const kernel = instance.exports as unknown as Exports & { heapBase(): number };
      const base = kernel.heapBase();
      const image = layout(instance);
      expect(call(kernel, image.header), name).toBe(L.STATUS_OK);
      const clean = outputsOf(kernel.memory, image);
      const below = (base - 64) & ~15;
      const i32 = new Int32Array(kernel.memory.buffer);
      const original = i32[(image.header >> 2) + slot];
      for (const at of [0, 8, below]) {
        i32[(image.header >> 2) + slot] = at;
        expect(call(kernel, image.header), `${name}: slot ${slot} at ${at}`).toBe(L.STATUS_BAD_HEADER);
      }
      for (const at of [0, 16, below]) expect(call(kernel, at), `${name}: header at ${at}`).toBe(L.STATUS_BAD_HEADER);
      i32[(image.header >> 2) + slot] = original;
      expect(call(kernel, image.header), name).toBe(L.STATUS_OK);
      // the kernel's constants below the heap base are intact: the same outputs as before
      const again = outputsOf(kernel.memory, image);
      expect(again.every((bytes, k) => Buffer.compare(bytes, clean[k]) === 0), `${name}: outputs`).toBe(true);
    }
  });

  it("marginAccounts refuses header addresses outside memory or misaligned", () => {
    const kernel = kernelInstance(build).exports as unknown as Exports;
    const size = kernel.memory.buffer.byteLength;
    for (const at of [size, size - 8, size - L.HEADER_BYTES + 8, -1, INT32_MIN, INT32_MAX, 3]) {
      expect(kernel.marginAccounts(at)).toBe(L.STATUS_BAD_HEADER);
    }
  });

  it("covarianceAccounts returns a status for every corruption and never traps", () => {
    const instance = kernelInstance(build);
    const kernel = instance.exports as unknown as Exports;
    let calls = 0;
    const seen = new Map<number, number>();
    for (const seed of [1, 2, 3, 4]) {
      const image = covarianceImage(instance, seed);
      const result = fuzzImage(kernel.memory, image, () => kernel.covarianceAccounts(image.header), BATCH_STATUSES, (status) => {
        const failed = new Int32Array(kernel.memory.buffer)[(image.header >> 2) + L.CV_FAIL_ACCOUNT];
        if (status === L.STATUS_OK) expect(failed).toBe(-1);
        else expect(failed).toBeGreaterThanOrEqual(-1);
      }, Math.ceil(RUNS / 2));
      calls += result.calls;
      for (const [s, n] of result.seen) seen.set(s, (seen.get(s) ?? 0) + n);
    }
    summary("covarianceAccounts", build, { calls, seen });
    const size = kernel.memory.buffer.byteLength;
    for (const at of [size, size - 8, -4, 2]) expect(kernel.covarianceAccounts(at)).toBe(L.STATUS_BAD_HEADER);
  });

  it("impliedVols returns a status for every corruption, a mark status for every mark, and never traps", () => {
    const instance = kernelInstance(build);
    const kernel = instance.exports as unknown as Exports;
    const image = impliedImage(instance, 7);
    const i32 = () => new Int32Array(kernel.memory.buffer);
    const result = fuzzImage(kernel.memory, image, () => kernel.impliedVols(image.header), [L.STATUS_OK, L.STATUS_BAD_HEADER], (status) => {
      if (status !== L.STATUS_OK) return;
      // each mark's status, where the status column overlaps no other column (impliedVols writes
      // a mark's vol, status and iterations in turn: an overlapping column is overwritten)
      const h = image.header >> 2;
      const n = i32()[h + L.IV_COUNT];
      const at = i32()[h + L.IV_MARK_STATUS];
      const others = [L.IV_PRICE, L.IV_FORWARD, L.IV_STRIKE, L.IV_TENOR, L.IV_DISCOUNT, L.IV_VOL, L.IV_RIGHT, L.IV_ITERATIONS].map((slot) => i32()[h + slot]);
      const widths = [8, 8, 8, 8, 8, 8, 4, 4];
      const apart = others.every((o, k) => o + widths[k] * n <= at || at + 4 * n <= o) && (at + 4 * n <= image.header || image.header + L.IV_HEADER_BYTES <= at);
      if (!apart) return;
      for (let j = 0; j < Math.min(n, 64); j++) expect(MARK_STATUSES).toContain(i32()[(at >> 2) + j]);
    });
    summary("impliedVols", build, result);
    const size = kernel.memory.buffer.byteLength;
    for (const at of [size, size - 8, -4, 6]) expect(kernel.impliedVols(at)).toBe(L.STATUS_BAD_HEADER);
  });
});
