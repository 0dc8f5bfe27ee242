/**
 * A pool worker: one engine (one kernel instance) and the shard books resident in it.
 * Tasks come from pool.ts through piscina, one worker per shard, so a shard always lands on the
 * worker that holds it. Results go straight into the pool's shared buffers, at the shard's rows:
 * nothing is allocated or transferred per tick.
 */
import { createEngine } from "./index.js";
import type { Book } from "./model/book.js";
import type { Engine, PreparedBook } from "./engine.js";
import * as L from "./layout.js";

/** Where a shard writes: its accounts' rows of the pool's shared output buffers. */
export interface ShardOutputs {
  /** per account equity and initial margin (OUT_ACC_STRIDE f64s each), the whole book's */
  accounts: SharedArrayBuffer;
  /** per (account, pair) outputs (outPairStride(G) f64s each), the whole book's */
  pairs: SharedArrayBuffer;
  /** the shard's first account in the whole book */
  firstAccount: number;
}

export type WorkerTask =
  | { op: "prepare"; id: number; book: Book; out: ShardOutputs }
  | { op: "update"; id: number; market: unknown }
  | { op: "run"; id: number }
  | { op: "pairs"; id: number }
  | { op: "dispose"; id: number };

interface Shard {
  book: PreparedBook;
  accounts: Float64Array;
  pairs: Float64Array;
}

let engine: Promise<Engine> | null = null;
const shards = new Map<number, Shard>();

function resident(id: number): Shard {
  const shard = shards.get(id);
  if (shard === undefined) throw new Error(`pool worker: no book ${id}`);
  return shard;
}

export default async function task(t: WorkerTask): Promise<null> {
  engine ??= createEngine();
  const e = await engine;
  switch (t.op) {
    case "prepare": {
      const book = e.prepareBook(t.book);
      // views of the shard's rows in the shared buffers (the kernel's output strides)
      const A = t.book.accounts.length;
      const perAccount = t.book.pairs.length * L.outPairStride(t.book.pairs[0].grid.length);
      const first = t.out.firstAccount;
      shards.set(t.id, {
        book,
        accounts: new Float64Array(t.out.accounts, 8 * first * L.OUT_ACC_STRIDE, A * L.OUT_ACC_STRIDE),
        pairs: new Float64Array(t.out.pairs, 8 * first * perAccount, A * perAccount),
      });
      return null;
    }
    case "update":
      resident(t.id).book.updateMarket(t.market);
      return null;
    case "run": {
      const shard = resident(t.id);
      shard.book.run();
      shard.accounts.set(shard.book.outputs().accounts);
      return null;
    }
    case "pairs": {
      const shard = resident(t.id);
      shard.pairs.set(shard.book.outputs().pairs);
      return null;
    }
    case "dispose":
      shards.get(t.id)?.book.dispose();
      shards.delete(t.id);
      return null;
  }
}
