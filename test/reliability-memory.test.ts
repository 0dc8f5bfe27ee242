import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { createEngine, type Engine } from "../bindings/index.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { randomFile } from "./support/random.js";

// Linear memory and the JS heap over many calls (scripts/soak.ts in a child process under
// node --expose-gc, so that the heap is measured after a forced GC and apart from vitest's own),
// and memory growing while prepared books are alive (every view rebuilt, no detached buffers).
const ROOT = new URL("../", import.meta.url).pathname;
const SOAK_CALLS = Number(process.env.SOAK_CALLS ?? 20_000);
const MiB = 2 ** 20;

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

interface SoakResult {
  calls: number;
  seconds: number;
  wasmBytes: { warm: number; max: number; end: number };
  heapUsed: { warm: number; min: number; max: number; end: number };
  checkpoints: { calls: number; heapUsed: number; wasmBytes: number }[];
}

describe("memory over many margin calls", () => {
  it(`${SOAK_CALLS} consecutive margin calls of varying sizes leave linear memory and the GC'd heap flat`, () => {
    const child = spawnSync(
      process.execPath,
      ["scripts/soak.mjs", "--calls", String(SOAK_CALLS), "--max-accounts", "10", "--checkpoints", "10", "--json"],
      { cwd: ROOT, encoding: "utf8", timeout: 300_000 },
    );
    expect(child.status, child.stderr).toBe(0);
    const result: SoakResult = JSON.parse(child.stdout.trim().split("\n").at(-1)!);
    expect(result.calls).toBe(SOAK_CALLS);
    // linear memory: the size the warm-up (every file of the pool once) reached, never more
    expect(result.wasmBytes.max).toBe(result.wasmBytes.warm);
    expect(result.wasmBytes.end).toBe(result.wasmBytes.warm);
    for (const c of result.checkpoints) expect(c.wasmBytes).toBe(result.wasmBytes.warm);
    // the heap after GC: within 2 MiB from the first checkpoint after the warm-up to the last (a
    // leak of 100 bytes a call would add 2 MiB over 20k calls), and within 3 MiB across them all
    const after = result.checkpoints.slice(1);
    expect(after.length).toBeGreaterThanOrEqual(10);
    expect(result.heapUsed.end - after[0].heapUsed).toBeLessThan(2 * MiB);
    expect(result.heapUsed.max - result.heapUsed.min).toBeLessThan(3 * MiB);
    console.log(
      `soak: ${result.calls} calls in ${result.seconds.toFixed(1)} s; linear memory ${(result.wasmBytes.end / MiB).toFixed(2)} MiB throughout; ` +
        `heap after GC ${(result.heapUsed.min / MiB).toFixed(2)} to ${(result.heapUsed.max / MiB).toFixed(2)} MiB`,
    );
  });
});

describe("memory growing mid-session", () => {
  const moved = (file: PortfolioFile, spot: number): PortfolioFile => {
    const copy = structuredClone(file);
    copy.market.BTC.spot = spot;
    return copy;
  };

  it("a prepared book alive across a grow: re-run and ticked, the same results as a fresh engine", async () => {
    const fresh = await createEngine();
    const small = randomFile(41, { accounts: 12, randomParams: true });
    const book = engine.prepare(small);
    const first = JSON.stringify(book.margin());
    const staleView = book.outputs().pairs; // a view of the old buffer: detached by the grow below
    const before = engine.memoryBytes;

    // a much larger book: memory must grow (the old ArrayBuffer is detached)
    const large = randomFile(42, { accounts: 2000, positions: [5, 15], randomParams: true });
    const big = engine.prepare(large);
    expect(engine.memoryBytes).toBeGreaterThan(4 * before);
    expect(staleView.length).toBe(0);

    // the first book again: the same bytes, then a spot tick (the spot column written in place)
    book.run();
    expect(JSON.stringify(book.report())).toBe(first);
    expect(book.outputs().pairs.length).toBeGreaterThan(0);
    book.updateMarket({ BTC: { spot: 77_000 } });
    expect(JSON.stringify(book.margin())).toBe(JSON.stringify(fresh.margin(moved(small, 77_000))));

    // a surface tick with more nodes: the market region is re-allocated above the large book
    const surface = { tenors: [0.05, 0.25, 0.5, 1, 2], logMoneyness: [-0.5, -0.2, 0, 0.2, 0.5], vols: Array.from({ length: 5 }, (_, i) => [0.9, 0.7, 0.6 + i / 100, 0.65, 0.8]) };
    book.updateMarket({ BTC: { surface } });
    const withSurface = moved(small, 77_000);
    withSurface.market.BTC.surface = surface;
    expect(JSON.stringify(book.margin())).toBe(JSON.stringify(fresh.margin(withSurface)));

    // the large book, and a still larger one prepared while both are alive
    expect(JSON.stringify(big.margin())).toBe(JSON.stringify(fresh.margin(large)));
    const grownAgain = engine.memoryBytes;
    const larger = engine.prepare(randomFile(43, { accounts: 4000, positions: [5, 15] }));
    expect(engine.memoryBytes).toBeGreaterThan(grownAgain);
    book.updateMarket({ BTC: { spot: 81_000 } });
    const again = moved(withSurface, 81_000);
    expect(JSON.stringify(book.margin())).toBe(JSON.stringify(fresh.margin(again)));
    expect(JSON.stringify(big.margin())).toBe(JSON.stringify(fresh.margin(large)));
    larger.dispose();
    big.dispose();
    book.dispose();
  });

  it("engine.margin of a larger file grows memory once; the next calls of every size reuse it", async () => {
    const own = await createEngine();
    const initial = own.memoryBytes;
    const sizes = [5, 1500, 20, 1500, 300, 1];
    const files = sizes.map((n, i) => randomFile(60 + i, { accounts: n }));
    own.margin(files[1]); // the largest
    const grown = own.memoryBytes;
    expect(grown).toBeGreaterThan(initial);
    for (let round = 0; round < 3; round++) for (const file of files) own.margin(file);
    expect(own.memoryBytes).toBe(grown);
  });
});
