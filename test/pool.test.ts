import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../bindings/index.js";
import { CHUNKS_PER_THREAD, shardRanges } from "../bindings/pool.js";
import { chunkClaims, claimChunk } from "../bindings/pool-chunks.js";
import { movePair } from "./support/ticks.js";
import { Gen, randomFile } from "./support/random.js";
import type { MarginPool } from "../bindings/pool.js";
import { packBook, unpackBook } from "../bindings/book-transfer.js";
import { normalize } from "../bindings/validate.js";

/** A pool of the built workers (dist/pool-worker.js): npm test builds first. */
async function builtPool(threads: number): Promise<MarginPool> {
  const { createPool } = (await import(new URL("../dist/pool.js", import.meta.url).href)) as typeof import("../bindings/pool.js");
  return createPool({ threads });
}

let pool: MarginPool;
beforeAll(async () => {
  pool = await builtPool(2);
});
afterAll(async () => {
  await pool?.close();
});

describe("shardRanges", () => {
  it("covers every account once, in order, balanced by positions", () => {
    expect(shardRanges([10, 10, 10, 10], 2)).toEqual([[0, 2], [2, 4]]);
    expect(shardRanges([30, 1, 1, 1, 1], 2)).toEqual([[0, 1], [1, 5]]);
    expect(shardRanges([5], 4)).toEqual([[0, 1]]);
    expect(shardRanges([], 3)).toEqual([]);
    const counts = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 23);
    const ranges = shardRanges(counts, 3);
    expect(ranges[0][0]).toBe(0);
    expect(ranges.at(-1)![1]).toBe(1000);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1]);
  });
});

describe("chunk claims", () => {
  it("give every chunk to exactly one claimer, from the front and from the back", () => {
    for (const count of [0, 1, 2, 7, 32, 0xffff]) {
      const state = new Int32Array(new SharedArrayBuffer(4));
      state[0] = chunkClaims(count);
      const front: number[] = [];
      const back: number[] = [];
      const g = new Gen(count + 1);
      for (;;) {
        const fromFront = g.chance(0.5);
        const c = claimChunk(state, fromFront);
        if (c < 0) break;
        (fromFront ? front : back).push(c);
      }
      expect([...front, ...back.reverse()]).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(claimChunk(state, true)).toBe(-1);
      expect(claimChunk(state, false)).toBe(-1);
    }
  });
});

describe("packBook / unpackBook", () => {
  it("bring a normalized book through postMessage's clone deep-equal, paths and number bits kept", () => {
    for (const seed of [51, 52, 53]) {
      const file = randomFile(seed, { accounts: 80, randomParams: true });
      // a negative-zero balance: JSON would make it 0, the typed arrays keep it
      file.accounts[3].balances = { ...file.accounts[3].balances, USD: -0 };
      const book = normalize(file);
      const back = unpackBook(structuredClone(packBook(book)));
      expect(back).toEqual(book);
      expect(Object.is(back.accounts[3].usd, book.accounts[3].usd)).toBe(true);
      // normalize() makes an object per row; one per distinct instrument crosses
      const rows = book.accounts.flatMap((a) => [...a.positions, ...a.orders]);
      expect(packBook(book).instruments.length).toBe(new Set(rows.map((r) => r.instrument.name)).size);
    }
  });
});

describe("the worker pool", () => {
  it("returns the same report as one thread, before and after a tick", async () => {
    const file = randomFile(41, { accounts: 300, randomParams: true });
    const engine = await createEngine();
    const pooled = await pool.prepare(file);
    expect(await pooled.margin()).toEqual(engine.margin(file));
    await pooled.updateMarket({ ETH: { spot: 2_000 } });
    const moved = structuredClone(file);
    moved.market.ETH.spot = 2_000;
    expect(await pooled.margin()).toEqual(engine.margin(moved));
    const compact = await pooled.run();
    const single = engine.margin(moved);
    expect(compact.length).toBe(2 * 300);
    expect(compact[2 * 299 + 1]).toBe(single.accounts[299].initialMargin);
    await pooled.dispose();
  });

  it("run() writes every shard's accounts into one shared view, rewritten by the next run", async () => {
    const file = randomFile(44, { accounts: 120 });
    const engine = await createEngine();
    const pooled = await pool.prepare(file);
    const first = await pooled.run();
    const single = engine.prepare(file);
    single.run();
    expect(Array.from(first)).toEqual(Array.from(single.outputs().accounts));
    await pooled.updateMarket({ BTC: { spot: 70_000 } });
    single.updateMarket({ BTC: { spot: 70_000 } });
    const second = await pooled.run();
    single.run();
    expect(second).toBe(first);
    expect(Array.from(second)).toEqual(Array.from(single.outputs().accounts));
    single.dispose();
    await pooled.dispose();
  });

  it("gives one thread's report with 1 and 3 workers, and with fewer accounts than chunks", async () => {
    const engine = await createEngine();
    for (const threads of [1, 3]) {
      const other = await builtPool(threads);
      for (const accounts of [1, 5, 3 * threads * CHUNKS_PER_THREAD + 7]) {
        const file = randomFile(60 + accounts, { accounts });
        const pooled = await other.prepare(file);
        expect(await pooled.margin()).toEqual(engine.margin(file));
        await pooled.dispose();
      }
      await other.close();
    }
  });

  it("runs a book's calls one at a time, in call order, even when none is awaited", async () => {
    // a run resets the shared chunk counter: were it reset while the workers still take chunks
    // of the run before, those would be taken at the earlier market and the later run find none
    const file = randomFile(45, { accounts: 400 });
    const engine = await createEngine();
    const pooled = await pool.prepare(file);
    const spots = [60_000, 61_000, 62_000, 63_000];
    const calls: Promise<unknown>[] = [];
    const seen: number[][] = [];
    for (const spot of spots) {
      calls.push(pooled.run(), pooled.updateMarket({ BTC: { spot } }));
      calls.push(pooled.run().then((view) => seen.push(Array.from(view))));
    }
    await Promise.all(calls);
    const single = engine.prepare(file);
    spots.forEach((spot, k) => {
      single.updateMarket({ BTC: { spot } });
      single.run();
      expect(seen[k]).toEqual(Array.from(single.outputs().accounts));
    });
    single.dispose();
    await pooled.dispose();
  });

  it("re-prices in each chunk the pairs moved since its worker last margined it: one thread's results tick after tick", async () => {
    // the workers' chunks change hands where the two ends meet, so some chunks come to a worker
    // whose copy of them is several ticks old, and some were never margined by it
    const file = randomFile(46, { accounts: 500, randomParams: true });
    const engine = await createEngine();
    const pooled = await pool.prepare(file);
    const single = engine.prepare(file);
    const moved = structuredClone(file);
    const g = new Gen(47);
    const pairs = Object.keys(file.market);
    for (let tick = 0; tick < 12; tick++) {
      const update: Record<string, object> = {};
      for (const pair of pairs) {
        if (g.chance(0.4)) movePair(moved, update, pair, g.chance(0.8) ? { factor: g.uniform(0.95, 1.05) } : { atmVol: g.uniform(0.3, 1) });
      }
      await pooled.updateMarket(update);
      single.updateMarket(update);
      single.run();
      if (tick % 4 === 3) {
        expect(await pooled.margin()).toEqual(single.report());
      } else {
        expect(Array.from(await pooled.run())).toEqual(Array.from(single.outputs().accounts));
      }
    }
    expect(await pooled.margin()).toEqual(engine.margin(moved));
    single.dispose();
    await pooled.dispose();
  });

  it("validates on the caller's side with the file's paths", async () => {
    const file = randomFile(42, { accounts: 50 });
    (file.accounts[37].positions ??= []).push({ instrument: "BTC-PERPETUAL", qty: Number.NaN });
    await expect(pool.prepare(file)).rejects.toThrow(/^accounts\[37\]\.positions\[\d+\]\.qty: must be a finite number/);
    const ok = await pool.prepare(randomFile(43, { accounts: 10 }));
    await expect(ok.updateMarket({ BTC: { spot: 0 } })).rejects.toThrow(/^market\.BTC\.spot: must be > 0/);
    await ok.dispose();
  });
});
