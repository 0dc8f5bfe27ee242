/**
 * A pool worker: one engine (one kernel instance) and the books resident in it, each whole.
 * Tasks come from pool.ts through piscina, one piscina per worker. On "run" the worker takes
 * chunks of the book's accounts from a counter shared by all workers (Atomics.add) until none is
 * left, margins each (PreparedBook.runRange: the instruments the chunks share are priced once per
 * market) and copies the chunk's rows into the pool's shared output buffers: nothing is
 * allocated or transferred per tick.
 */
import { createEngine } from "./index.js";
import { unpackBook, type PackedBook } from "./book-transfer.js";
import type { Engine, PreparedBook } from "./engine.js";
import * as L from "./layout.js";

/** What the pool shares with every worker for one book. */
export interface WorkerShare {
  /** per account equity and initial margin (OUT_ACC_STRIDE f64s each), the whole book's */
  accounts: SharedArrayBuffer;
  /** per (account, pair) outputs (outPairStride(G) f64s each), the whole book's */
  pairs: SharedArrayBuffer;
  /** one i32: the next chunk to take, reset to 0 by the pool before each run */
  next: SharedArrayBuffer;
  /** the chunks, [first, end) account ranges covering the book in order */
  chunks: [number, number][];
}

export type WorkerTask =
  | { op: "prepare"; id: number; book: PackedBook; out: WorkerShare }
  | { op: "update"; id: number; market: unknown }
  | { op: "run"; id: number; pairs: boolean }
  | { op: "dispose"; id: number };

interface Resident {
  book: PreparedBook;
  chunks: [number, number][];
  next: Int32Array;
  accounts: Float64Array;
  pairs: Float64Array;
  /** f64s per account in `pairs` */
  pairStride: number;
}

let engine: Promise<Engine> | null = null;
const books = new Map<number, Resident>();

function resident(id: number): Resident {
  const r = books.get(id);
  if (r === undefined) throw new Error(`pool worker: no book ${id}`);
  return r;
}

/** Margin chunks until the shared counter runs past the last; copy each chunk's rows out. */
function runChunks(r: Resident, withPairs: boolean): void {
  const acc = L.OUT_ACC_STRIDE;
  for (let c = Atomics.add(r.next, 0, 1); c < r.chunks.length; c = Atomics.add(r.next, 0, 1)) {
    const [first, end] = r.chunks[c];
    r.book.runRange(first, end);
    const out = r.book.outputs();
    r.accounts.set(out.accounts.subarray(first * acc, end * acc), first * acc);
    if (withPairs) r.pairs.set(out.pairs.subarray(first * r.pairStride, end * r.pairStride), first * r.pairStride);
  }
}

export default async function task(t: WorkerTask): Promise<null> {
  engine ??= createEngine();
  const e = await engine;
  switch (t.op) {
    case "prepare": {
      const book = unpackBook(t.book);
      books.set(t.id, {
        book: e.prepareBook(book),
        chunks: t.out.chunks,
        next: new Int32Array(t.out.next),
        accounts: new Float64Array(t.out.accounts),
        pairs: new Float64Array(t.out.pairs),
        pairStride: book.pairs.length * L.outPairStride(book.pairs[0].grid.length),
      });
      return null;
    }
    case "update":
      resident(t.id).book.updateMarket(t.market);
      return null;
    case "run":
      runChunks(resident(t.id), t.pairs);
      return null;
    case "dispose":
      books.get(t.id)?.book.dispose();
      books.delete(t.id);
      return null;
  }
}
