/**
 * `npm run bench`: tinybench suites, a table on stdout and bench/results.json.
 *
 *   kernel   ns per scenario-evaluation (one option valued in one grid scenario), options-only
 *            books of 10 .. 1e6 positions: SIMD build, scalar build, and the plain-TS port of the
 *            same algorithm (bench/ts-kernel.ts) on the same memory image, in the same run
 *   account  one 50-position account: p50/p99 of a tick (spot update + kernel + the account's
 *            report) on BTC alone (run() revalues the BTC positions only) and on BTC and ETH
 *            (every position), and of engine.margin(file) from the file object
 *   bulk     100k accounts x 20 positions (two thirds options) re-margined after a tick on
 *            every pair and after a tick on BTC alone, on one thread and on the worker pool
 *   memory   linear memory before and after 1e5 margin calls and 1e5 ticks
 *   covariance  the OPNX quadratic form at 10, 100, 500 markets, dense and sparse, kernel beside
 *            the plain-TS form (bench/covariance.ts)
 *
 * Setup (generating, validating, laying out books) is outside every timed function; each timed
 * function reads a result so nothing can be skipped. `--quick` runs small sizes only (a smoke test:
 * it writes nothing unless --out is given). `--out FILE` writes the JSON elsewhere. `--only
 * kernel,account,bulk,memory,covariance` runs those suites and merges their keys into the
 * existing JSON (a re-measurement of part of the suite on a quiet machine); scripts/bench.mjs
 * runs each suite this way, in a process of its own.
 */
import { Bench } from "tinybench";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { createEngine, type Engine } from "../bindings/index.js";
import { kernelImage, type PreparedBook } from "../bindings/engine.js";
import { marginAccountsTs } from "./ts-kernel.js";
import { mixedBook, optionsBook } from "./books.js";
import { covarianceSuite } from "./covariance.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const outArg = args.indexOf("--out");
const outFile = outArg >= 0 ? args[outArg + 1] : quick ? null : "bench/results.json";
const onlyArg = args.indexOf("--only");
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(",")) : null;
const runs = (suite: string): boolean => only === null || only.has(suite);
const ROOT = new URL("../../", import.meta.url); // the bundle runs from build/bench/

const GRID_ROWS = 9; // powertrade9: evaluations per option per pass (the base is not counted)
let sink = 0; // every timed function adds a result here

interface Row {
  suite: string;
  case: string;
  [k: string]: string | number;
}
const rows: Row[] = [];

/** A task's sample latencies (ms). */
function latencies(bench: Bench, name: string): number[] {
  const result = bench.getTask(name)?.result;
  if (!result || !("latency" in result)) throw new Error(`bench task ${name} did not complete: ${JSON.stringify(result)}`);
  const samples = result.latency.samples;
  if (samples === undefined) throw new Error(`bench task ${name} kept no samples (retainSamples)`);
  return Array.from(samples);
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

interface Turns {
  /** every task's samples over all rounds, ms */
  samples: Record<string, number[]>;
  /** per round, every task's mean, ms */
  rounds: Record<string, number>[];
}

/**
 * Measure tasks that are compared with one another in turns: `rounds` short tinybench runs, each
 * running every task, so that all of them are measured across the same phases of a shared
 * machine. Its speed moves by up to 1.6x for seconds at a time; measured one after the other,
 * the pool's speedup swung from 1.1 to 2.3x and the kernel's ratio to the TS port from 3.9 to
 * 6.5x between runs. Only the first round warms up.
 */
async function inTurns(
  name: string,
  rounds: number,
  options: { time: number; iterations: number; warmupIterations: number },
  tasks: Record<string, () => unknown>,
): Promise<Turns> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(tasks).map((t) => [t, []]));
  const means: Record<string, number>[] = [];
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({
      name: `${name} round ${r}`, time: options.time, iterations: options.iterations,
      warmup: r === 0, warmupIterations: options.warmupIterations, retainSamples: true,
    });
    for (const [task, fn] of Object.entries(tasks)) bench.add(task, fn);
    await bench.run();
    const round: Record<string, number> = {};
    for (const task of Object.keys(tasks)) {
      const taken = latencies(bench, task);
      samples[task].push(...taken);
      round[task] = mean(taken);
    }
    means.push(round);
  }
  return { samples, rounds: means };
}

interface Quantiles {
  p50: number;
  p99: number;
  samples: number;
}

/** p50 and p99 of samples (nearest rank). */
function quantiles(samples: readonly number[]): Quantiles {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  return { p50: at(0.5), p99: at(0.99), samples: sorted.length };
}

/** Per round, the ratio of two tasks' means. */
function roundRatios(turns: Turns, over: string, under: string): number[] {
  return turns.rounds.map((r) => r[over] / r[under]);
}

/** "min-max" of a ratio over the rounds */
function roundRange(turns: Turns, over: string, under: string): string {
  const ratios = roundRatios(turns, over, under);
  return `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
}

/**
 * The market updates of tick k: BTC alone, or BTC and ETH (ETH moving a twentieth as far), the
 * spot cycling through `period` dollar steps from `btcBase`.
 */
function spotTicks(btcBase: number, period: number): { btc: (k: number) => object; both: (k: number) => object } {
  return {
    btc: (k) => ({ BTC: { spot: btcBase + (k % period) } }),
    both: (k) => ({ BTC: { spot: btcBase + (k % period) }, ETH: { spot: 3_000 + (k % period) / 20 } }),
  };
}

async function engines(): Promise<{ simd: Engine; scalar: Engine }> {
  const bytes = (name: string) => readFileSync(new URL(`build/${name}.wasm`, ROOT));
  return { simd: await createEngine({ wasm: bytes("release") }), scalar: await createEngine({ wasm: bytes("scalar") }) };
}

/** First account's initial margin of a book's last run, read from linear memory. */
function readIM(book: PreparedBook): number {
  return book.outputs().accounts[1];
}

async function kernelSuite(simd: Engine, scalar: Engine): Promise<Record<number, Record<string, number>>> {
  const sizes = quick ? [10, 1_000] : [10, 1_000, 100_000, 1_000_000];
  const perSize: Record<number, Record<string, number>> = {};
  for (const n of sizes) {
    const file = optionsBook(n);
    const simdBook = simd.prepare(file);
    const scalarBook = scalar.prepare(file);
    simdBook.run({ full: true });
    // the TS port runs on a copy of the SIMD engine's memory image, with the same header
    const image = kernelImage(simdBook);
    const copy = image.memory.buffer.slice(0);
    const heavy = n >= 100_000;
    const turns = await inTurns(
      `kernel ${n}`,
      quick ? 2 : heavy ? 3 : 5,
      { time: heavy ? 600 : 100, iterations: n >= 1_000_000 ? 1 : heavy ? 2 : 4, warmupIterations: heavy ? 1 : 10 },
      {
        // full: no tick comes between the passes, so run() alone would revalue nothing
        simd: () => {
          simdBook.run({ full: true });
          sink += readIM(simdBook);
        },
        scalar: () => {
          scalarBook.run({ full: true });
          sink += readIM(scalarBook);
        },
        ts: () => {
          sink += marginAccountsTs(copy, image.header);
        },
      },
    );
    const evals = n * GRID_ROWS;
    const ns = (name: string) => (mean(turns.samples[name]) * 1e6) / evals;
    perSize[n] = { simd: ns("simd"), scalar: ns("scalar"), ts: ns("ts") };
    rows.push({
      suite: "kernel", case: `${n} options`,
      "simd ns/eval": +ns("simd").toFixed(2), "scalar ns/eval": +ns("scalar").toFixed(2), "ts ns/eval": +ns("ts").toFixed(2),
      "ts/simd": +(ns("ts") / ns("simd")).toFixed(2), "ts/simd rounds": roundRange(turns, "ts", "simd"),
      "ts/scalar": +(ns("ts") / ns("scalar")).toFixed(2),
    });
    simdBook.dispose();
    scalarBook.dispose();
  }
  return perSize;
}

async function accountSuite(engine: Engine): Promise<{ tickP50: number; tickP99: number; allP50: number; allP99: number; fileP50: number; fileP99: number }> {
  const file = mixedBook(1, 50, 3);
  const book = engine.prepare(file);
  let tick = 0;
  const ticks = spotTicks(90_000, 2_000);
  const tickOn = (move: (k: number) => object) => () => {
    book.updateMarket(move(tick++));
    book.run();
    sink += book.accountReport(0).initialMargin;
  };
  // in turns: the two ticks are compared with each other
  const turns = await inTurns("account50", quick ? 2 : 5, { time: quick ? 150 : 500, iterations: 100, warmupIterations: 200 }, {
    // a tick on one underlying: run() revalues the BTC positions and reads ETH back
    tick: tickOn(ticks.btc),
    // a tick on every underlying: every position revalued
    "tick, every pair": tickOn(ticks.both),
    file: () => {
      sink += engine.margin(file).accounts[0].initialMargin;
    },
  });
  book.dispose();
  const t = quantiles(turns.samples.tick);
  const all = quantiles(turns.samples["tick, every pair"]);
  const f = quantiles(turns.samples.file);
  const row = (name: string, x: Quantiles): Row =>
    ({ suite: "account", case: name, "p50 us": +(x.p50 * 1e3).toFixed(2), "p99 us": +(x.p99 * 1e3).toFixed(2), samples: x.samples });
  rows.push(row("50 positions, tick on BTC", t), row("50 positions, tick on BTC and ETH", all), row("50 positions, margin(file)", f));
  return { tickP50: t.p50 * 1e3, tickP99: t.p99 * 1e3, allP50: all.p50 * 1e3, allP99: all.p99 * 1e3, fileP50: f.p50 * 1e3, fileP99: f.p99 * 1e3 };
}

interface BulkResult {
  oneThreadMs: number;
  poolMs: number;
  threads: number;
  roundRatios: number[];
  btcOneThreadMs: number;
  btcPoolMs: number;
}

async function bulkSuite(engine: Engine): Promise<BulkResult> {
  const accounts = quick ? 2_000 : 100_000;
  // the file is dropped once both books hold it (each keeps what it needs): a 100k-account file
  // left on the heap makes every major GC of the timed loop mark it, on the core the pool needs
  let file: ReturnType<typeof mixedBook> | null = mixedBook(accounts, 20, 4);
  const book = engine.prepare(file);
  const { createPool } = (await import(new URL("dist/pool.js", ROOT).href)) as typeof import("../bindings/pool.js");
  const pool = await createPool({ threads: 2 });
  const pooled = await pool.prepare(file);
  file = null;
  // steady state on both sides: each worker compiled its own kernel and runs its first calls on
  // V8's baseline (Liftoff) code until TurboFan has tiered it up; the main thread's kernel is
  // already hot from the other suites (measured here: the pool's first ticks take 50-70 ms, the
  // later ones about 41 ms, against 68 ms on one thread)
  for (let i = 0; i < 10; i++) {
    book.run({ full: true });
    await pooled.run();
  }
  let tick = 0;
  const ticks = spotTicks(88_000, 500);
  // a tick on every pair (every position revalued) and a tick on BTC alone (its positions only,
  // on one thread and in the pool's chunks alike), each on one thread and on the pool
  const tickOn = (move: (k: number) => object) => ({
    one: () => {
      book.updateMarket(move(tick++));
      book.run();
      sink += readIM(book);
    },
    pool: async () => {
      await pooled.updateMarket(move(tick++));
      sink += (await pooled.run())[1];
    },
  });
  const every = tickOn(ticks.both);
  const alone = tickOn(ticks.btc);
  const turns = await inTurns(
    "bulk",
    quick ? 2 : 8,
    { time: quick ? 150 : 400, iterations: quick ? 3 : 4, warmupIterations: 1 },
    { "one thread": every.one, pool: every.pool, "one thread, BTC": alone.one, "pool, BTC": alone.pool },
  );
  const ms = (task: string) => mean(turns.samples[task]);

  const row = (name: string, one: string, pooledTask: string): Row => ({
    suite: "bulk", case: `${accounts} accounts x 20, ${name}`, "one thread ms": +ms(one).toFixed(1), "pool ms": +ms(pooledTask).toFixed(1),
    speedup: +(ms(one) / ms(pooledTask)).toFixed(2), "speedup rounds": roundRange(turns, one, pooledTask), threads: pool.threads,
  });
  rows.push(row("tick on every pair", "one thread", "pool"), row("tick on BTC", "one thread, BTC", "pool, BTC"));
  await pooled.dispose();
  await pool.close();
  book.dispose();
  return {
    oneThreadMs: ms("one thread"), poolMs: ms("pool"), threads: pool.threads, roundRatios: roundRatios(turns, "one thread", "pool"),
    btcOneThreadMs: ms("one thread, BTC"), btcPoolMs: ms("pool, BTC"),
  };
}

async function memorySuite(engine: Engine): Promise<{ before: number; after: number; tickBefore: number; tickAfter: number }> {
  const calls = quick ? 1_000 : 100_000;
  const file = mixedBook(1, 50, 5);
  engine.margin(file);
  const before = engine.memoryBytes;
  for (let i = 0; i < calls; i++) sink += engine.margin(file).accounts[0].equity;
  const after = engine.memoryBytes;
  const book = engine.prepare(mixedBook(200, 20, 6));
  book.run();
  const tickBefore = engine.memoryBytes;
  for (let i = 0; i < calls; i++) {
    book.updateMarket({ ETH: { spot: 3_000 + (i % 300) } });
    book.run();
  }
  const tickAfter = engine.memoryBytes;
  book.dispose();
  rows.push({ suite: "memory", case: `${calls} margin(file) calls`, "before bytes": before, "after bytes": after });
  rows.push({ suite: "memory", case: `${calls} ticks of a 200-account book`, "before bytes": tickBefore, "after bytes": tickAfter });
  return { before, after, tickBefore, tickAfter };
}

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  date: new Date().toISOString(),
};

const { simd, scalar } = await engines();
const results: Record<string, unknown> = { machine };
if (runs("kernel")) {
  const kernel = await kernelSuite(simd, scalar);
  const at = kernel[100_000] ?? kernel[1_000];
  Object.assign(results, {
    kernelNsPerEval: at.simd,
    kernelScalarNsPerEval: at.scalar,
    referenceNsPerEval: at.ts,
    referenceOverKernel: at.ts / at.simd,
    kernelBySize: kernel,
  });
}
if (runs("account")) {
  const account = await accountSuite(simd);
  Object.assign(results, {
    account50TickP50Us: account.tickP50,
    account50TickP99Us: account.tickP99,
    account50TickAllPairsP50Us: account.allP50,
    account50TickAllPairsP99Us: account.allP99,
    account50FileP50Us: account.fileP50,
    account50FileP99Us: account.fileP99,
  });
}
if (runs("bulk")) {
  const bulk = await bulkSuite(simd);
  Object.assign(results, {
    bulk100kOneThreadMs: bulk.oneThreadMs,
    bulk100kPoolMs: bulk.poolMs,
    bulk100kPoolSpeedup: bulk.oneThreadMs / bulk.poolMs,
    bulk100kPoolRoundSpeedups: bulk.roundRatios,
    bulk100kBtcTickOneThreadMs: bulk.btcOneThreadMs,
    bulk100kBtcTickPoolMs: bulk.btcPoolMs,
    poolThreads: bulk.threads,
  });
}
if (runs("memory")) {
  const memory = await memorySuite(simd);
  results.memoryGrowthBytes = memory.after - memory.before + (memory.tickAfter - memory.tickBefore);
}
if (runs("covariance")) rows.push(...((await covarianceSuite(quick)) as Row[]));

console.log(`margin-kernel benchmarks on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}${quick ? " [quick]" : ""}`);
for (const suite of ["kernel", "account", "bulk", "memory", "covariance"]) {
  const table = rows.filter((r) => r.suite === suite);
  if (table.length > 0) console.table(table);
}
if (outFile) {
  const target = new URL(outFile, ROOT);
  // --only: keep the other suites' figures, replace this run's (rows of a suite replace its rows)
  const merged = only === null || !existsSync(target) ? { ...results, rows } : (() => {
    const before = JSON.parse(readFileSync(target, "utf8")) as Record<string, unknown> & { rows?: Row[] };
    const kept = (before.rows ?? []).filter((r) => !only.has(r.suite));
    return { ...before, ...results, rows: [...kept, ...rows] };
  })();
  writeFileSync(target, JSON.stringify(merged, null, 2) + "\n");
  console.log(`wrote ${outFile}${only ? ` (merged: ${[...only].join(", ")})` : ""}`);
}
if (!Number.isFinite(sink)) throw new Error("benchmark results were not finite");
