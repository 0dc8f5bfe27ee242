import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../bindings/index.js";
import { shardRanges } from "../bindings/pool.js";
import type { MarginPool } from "../bindings/pool.js";
import { randomFile } from "./support/random.js";

// The pool runs the built workers (dist/pool-worker.js): npm test builds first.
let pool: MarginPool;
beforeAll(async () => {
  const { createPool } = (await import(new URL("../dist/pool.js", import.meta.url).href)) as typeof import("../bindings/pool.js");
  pool = await createPool({ threads: 2 });
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

  it("validates on the caller's side with the file's paths", async () => {
    const file = randomFile(42, { accounts: 50 });
    (file.accounts[37].positions ??= []).push({ instrument: "BTC-PERPETUAL", qty: Number.NaN });
    await expect(pool.prepare(file)).rejects.toThrow(/^accounts\[37\]\.positions\[\d+\]\.qty: must be a finite number/);
    const ok = await pool.prepare(randomFile(43, { accounts: 10 }));
    await expect(ok.updateMarket({ BTC: { spot: 0 } })).rejects.toThrow(/^market\.BTC\.spot: must be > 0/);
    await ok.dispose();
  });
});
