/**
 * Bulk margin across cores (Node only): `margin-kernel/pool`.
 *
 *   const pool = await createPool({ threads: 2 });
 *   const book = await pool.prepare(file);     // validated here, resident in every worker
 *   await book.updateMarket({ BTC: { spot } });  // every worker's copy moves
 *   const report = await book.margin();        // the same report as one thread
 *
 * Every worker thread holds the whole book (its own engine and linear memory); the book's
 * accounts are cut into chunks of about equal position counts (CHUNKS_PER_THREAD per thread).
 * A tick is one message per worker; each worker then claims the next chunk not yet taken (one
 * compare-and-swap on a shared state; even workers from the front, odd ones from the back) until
 * none is left, so a worker on a slower core takes fewer chunks instead of holding the others up
 * (on this project's shared 2-vCPU machines one vCPU often runs a phase at about 0.6x the other's
 * speed: with fixed halves the pool then ran at the slow half's pace). A worker prices the instruments its chunks share once per market
 * (PreparedBook.runRange), and in a chunk it margined itself before only the pairs moved since
 * (pool-worker.ts). The price of this balance is memory: each worker holds the whole book
 * rather than its part (sent packed into typed arrays, bindings/book-transfer.ts).
 *
 * Workers write their outputs into shared buffers the pool allocates with the book (each chunk at
 * its own accounts' rows), so a tick allocates and transfers nothing: `run()` returns the
 * per-account numbers (equity, initial margin) as a view of one of them, `margin()` also has the
 * per-pair outputs written and lifts the report here exactly as a single engine does. Only what
 * updateMarket() validates against and what a report is lifted with stays here, not the book
 * (the workers hold it). A book's operations run one at a time, in call order. piscina runs the
 * workers, one single-thread piscina per worker so that a book's tasks reach every worker that
 * holds it.
 */
import { Piscina } from "piscina";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { BookPair } from "./model/book.js";
import type { Report } from "./model/types.js";
import { normalize, normalizeMarketUpdate } from "./validate.js";
import { liftAccount, reportShape, type ReportShape } from "./engine.js";
import * as L from "./layout.js";
import { packBook } from "./book-transfer.js";
import type { WorkerShare, WorkerTask } from "./pool-worker.js";
import { MAX_CHUNKS, chunkClaims } from "./pool-chunks.js";

export interface PoolOptions {
  /** worker threads, default: the machine's available parallelism */
  threads?: number;
}

export interface PooledBook {
  readonly accountIds: readonly string[];
  /** Validated here first (paths as in a file), then sent to every shard. */
  updateMarket(market: unknown): Promise<void>;
  /**
   * One kernel pass in every shard at once; per account equity and initial margin, OUT_ACC_STRIDE
   * f64s each: a view of the book's shared output buffer (the same object every time), valid
   * until the next run() or margin(), as PreparedBook.outputs(); copy it to keep it.
   */
  run(): Promise<Float64Array>;
  /** run() and the full report, identical to a single engine's. */
  margin(): Promise<Report>;
  dispose(): Promise<void>;
}

export interface MarginPool {
  readonly threads: number;
  prepare(file: unknown): Promise<PooledBook>;
  close(): Promise<void>;
}

const WORKER = fileURLToPath(new URL("./pool-worker.js", import.meta.url));

/** Chunks per worker thread: enough that the last chunks even out the workers' finishing times. */
export const CHUNKS_PER_THREAD = 16;

/** Split accounts into at most `parts` contiguous ranges of about equal position counts. */
export function shardRanges(positionCounts: readonly number[], parts: number): [number, number][] {
  const total = positionCounts.reduce((n, c) => n + c + 1, 0); // +1: an account costs something even when empty
  const ranges: [number, number][] = [];
  let start = 0;
  let seen = 0;
  for (let part = 1; part <= parts; part++) {
    const target = (total * part) / parts;
    let end = start;
    // each part takes at least one account, the last part takes the rest
    while (end < positionCounts.length && (end === start || part === parts || seen + positionCounts[end] + 1 <= target)) {
      seen += positionCounts[end] + 1;
      end++;
    }
    ranges.push([start, end]);
    start = end;
  }
  return ranges.filter(([lo, hi]) => hi > lo);
}

export async function createPool(options: PoolOptions = {}): Promise<MarginPool> {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const workers = Array.from({ length: threads }, () => new Piscina({ filename: WORKER, minThreads: 1, maxThreads: 1 }));
  let nextId = 1;

  const prepare = async (file: unknown): Promise<PooledBook> => {
    const book = normalize(file);
    const id = nextId++;
    const chunks = shardRanges(
      book.accounts.map((a) => a.positions.length + a.orders.length),
      Math.min(MAX_CHUNKS, threads * CHUNKS_PER_THREAD),
    );
    // the whole book's outputs, as the kernel lays them out; each chunk writes its accounts' rows
    const A = book.accounts.length;
    const out: WorkerShare = {
      accounts: new SharedArrayBuffer(8 * A * L.OUT_ACC_STRIDE),
      pairs: new SharedArrayBuffer(8 * A * book.pairs.length * L.outPairStride(book.pairs[0].grid.length)),
      next: new SharedArrayBuffer(4),
      chunks,
    };
    const outputs = { accounts: new Float64Array(out.accounts), pairs: new Float64Array(out.pairs) };
    const next = new Int32Array(out.next);
    const packed = packBook(book);
    await Promise.all(workers.map((worker, w) => worker.run({ op: "prepare", id, book: packed, out, worker: w } satisfies WorkerTask)));
    return pooledBook(id, workers, reportShape(book), book.pairs, book.asOfMs, book.params.usdRate, outputs, next, chunks.length);
  };

  return {
    threads,
    prepare,
    async close(): Promise<void> {
      await Promise.all(workers.map((w) => w.destroy()));
    },
  };
}

/**
 * The main thread's side of a pooled book. A function of its own, so that its closures hold the
 * report's shape and the market only, never the normalized book prepare() made (V8 keeps every
 * variable a closure of a scope uses alive for all the scope's closures).
 */
function pooledBook(
  id: number,
  workers: readonly Piscina[],
  shape: ReportShape,
  pairs: BookPair[],
  asOfMs: number,
  usdRate: number,
  outputs: { accounts: Float64Array; pairs: Float64Array },
  next: Int32Array,
  chunkCount: number,
): PooledBook {
  const everyWorker = (task: WorkerTask): Promise<unknown> => Promise.all(workers.map((worker) => worker.run(task)));
  // one operation at a time, in call order: a run resets the chunk counter, which must not
  // happen while the workers still take chunks of an earlier run (they would take the next
  // run's chunks at the earlier market)
  let last: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(op: () => Promise<T>): Promise<T> => {
    const result = last.then(op, op);
    last = result.catch(() => undefined);
    return result;
  };
  const runNow = async (withPairs: boolean): Promise<Float64Array> => {
    Atomics.store(next, 0, chunkClaims(chunkCount));
    await everyWorker({ op: "run", id, pairs: withPairs });
    return outputs.accounts;
  };
  return {
    accountIds: shape.ids,
    updateMarket: (market: unknown): Promise<void> =>
      inTurn(async () => {
        // validated here (errors with the file's paths), then applied here too: option marks of
        // a later tick are bounded at the spot and futures the workers hold by then
        for (const u of normalizeMarketUpdate(market, pairs, asOfMs, usdRate)) {
          if (u.spot !== undefined) pairs[u.pairIndex].spot = u.spot;
          if (u.futures !== undefined) pairs[u.pairIndex].futures = u.futures;
        }
        await everyWorker({ op: "update", id, market });
      }),
    run: () => inTurn(() => runNow(false)),
    // lifted within its turn: no later run rewrites the outputs meanwhile
    margin: (): Promise<Report> =>
      inTurn(async () => {
        await runNow(true);
        return { accounts: shape.ids.map((_, a) => liftAccount(shape, outputs, a)) };
      }),
    dispose: (): Promise<void> => inTurn(async () => void (await everyWorker({ op: "dispose", id }))),
  };
}
