/**
 * Bulk margin across cores (Node only): `margin-kernel/pool`.
 *
 *   const pool = await createPool({ threads: 2 });
 *   const book = await pool.prepare(file);     // validated here, sharded by position count
 *   await book.updateMarket({ BTC: { spot } });  // every shard moves
 *   const report = await book.margin();        // the same report as one thread
 *
 * Each shard is a contiguous range of accounts resident in one worker thread (its own engine and
 * linear memory). piscina runs the workers; there is one single-thread piscina per shard so that
 * a shard's tasks always reach the worker that holds its book. A tick is one message per worker;
 * the workers write their outputs into shared buffers the pool allocates with the book (each
 * shard at its own accounts' rows), so a tick allocates and transfers nothing: `run()` returns
 * the per-account numbers (equity, initial margin) as a view of one of them, `margin()` also has
 * the per-pair outputs written and lifts the report here exactly as a single engine does. Only
 * what updateMarket() validates against and what a report is lifted with stays here, not the
 * book (the shards hold it).
 */
import { Piscina } from "piscina";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Book } from "./model/book.js";
import type { Report } from "./model/types.js";
import { normalize, normalizeMarketUpdate } from "./validate.js";
import { liftAccount, reportShape } from "./engine.js";
import * as L from "./layout.js";
import type { WorkerTask } from "./pool-worker.js";

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

/** Split accounts into `parts` contiguous ranges of about equal position counts. */
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
    const ranges = shardRanges(
      book.accounts.map((a) => a.positions.length + a.orders.length),
      threads,
    );
    // the whole book's outputs, as the kernel lays them out; each shard writes its accounts' rows
    const A = book.accounts.length;
    const out = {
      accounts: new SharedArrayBuffer(8 * A * L.OUT_ACC_STRIDE),
      pairs: new SharedArrayBuffer(8 * A * book.pairs.length * L.outPairStride(book.pairs[0].grid.length)),
    };
    const outputs = { accounts: new Float64Array(out.accounts), pairs: new Float64Array(out.pairs) };
    const shards = ranges.map(([lo, hi], w) => ({ worker: workers[w], lo, hi }));
    const send = (worker: Piscina, task: WorkerTask) => worker.run(task);
    await Promise.all(
      shards.map(({ worker, lo, hi }) =>
        send(worker, { op: "prepare", id, book: { ...book, accounts: book.accounts.slice(lo, hi) } as Book, out: { ...out, firstAccount: lo } }),
      ),
    );
    // kept here: what ticks are validated against, and the report's shape
    const shape = reportShape(book);
    const { pairs, asOfMs } = book;
    const { usdRate } = book.params;
    const everyShard = (task: WorkerTask): Promise<unknown> => Promise.all(shards.map(({ worker }) => send(worker, task)));
    const run = async (): Promise<Float64Array> => {
      await everyShard({ op: "run", id });
      return outputs.accounts;
    };
    return {
      accountIds: shape.ids,
      async updateMarket(market: unknown): Promise<void> {
        // validated here (errors with the file's paths), then applied here too: option marks of a
        // later tick are bounded at the spot and futures the shards hold by then
        for (const u of normalizeMarketUpdate(market, pairs, asOfMs, usdRate)) {
          if (u.spot !== undefined) pairs[u.pairIndex].spot = u.spot;
          if (u.futures !== undefined) pairs[u.pairIndex].futures = u.futures;
        }
        await everyShard({ op: "update", id, market });
      },
      run,
      async margin(): Promise<Report> {
        await run();
        await everyShard({ op: "pairs", id });
        return { accounts: shape.ids.map((_, a) => liftAccount(shape, outputs, a)) };
      },
      async dispose(): Promise<void> {
        await everyShard({ op: "dispose", id });
      },
    };
  };

  return {
    threads,
    prepare,
    async close(): Promise<void> {
      await Promise.all(workers.map((w) => w.destroy()));
    },
  };
}

