/**
 * A pool worker: one engine (one kernel instance) and the books resident in it, each whole.
 * Tasks come from pool.ts through piscina, one piscina per worker, every worker receiving every
 * task of a book in the same order. On "run" the worker claims chunks of the book's accounts from
 * a state shared by all workers until none is left, margins each (PreparedBook.runRange: the
 * instruments the chunks share are priced once per market) and copies the chunk's rows into the
 * pool's shared output buffers: nothing is allocated or transferred per tick.
 *
 * Chunks and moved pairs: a worker re-prices, in a chunk, only the pairs whose market moved since
 * it last margined that chunk itself (its copy of the chunk's outputs is as of then); a chunk it
 * has never margined, or after a failure, gets every pair. For that the workers keep to their
 * own ends of the chunk list (even workers claim from the front, odd ones from the back), so that
 * a chunk mostly stays with one worker from tick to tick and only the chunks near where the two
 * ends meet change hands.
 */
import { createEngine } from "./index.js";
import { unpackBook, type PackedBook } from "./book-transfer.js";
import type { Engine, PreparedBook } from "./engine.js";
import * as L from "./layout.js";
import { claimChunk } from "./pool-chunks.js";

/** What the pool shares with every worker for one book. */
export interface WorkerShare {
  /** per account equity and initial margin (OUT_ACC_STRIDE f64s each), the whole book's */
  accounts: SharedArrayBuffer;
  /** per (account, pair) outputs (outPairStride(G) f64s each), the whole book's */
  pairs: SharedArrayBuffer;
  /**
   * one i32, the chunks not yet claimed: the first in its low 16 bits, the end in its high 16
   * (pool-chunks.ts; reset before each run)
   */
  next: SharedArrayBuffer;
  /** the chunks, [first, end) account ranges covering the book in order (at most 65,535) */
  chunks: [number, number][];
}

export type WorkerTask =
  | { op: "prepare"; id: number; book: PackedBook; out: WorkerShare; worker: number }
  | { op: "update"; id: number; market: unknown }
  | { op: "run"; id: number; pairs: boolean }
  | { op: "dispose"; id: number };

interface Resident {
  book: PreparedBook;
  chunks: [number, number][];
  claims: Int32Array;
  fromFront: boolean;
  accounts: Float64Array;
  pairs: Float64Array;
  /** f64s per account in `pairs` */
  pairStride: number;
  /** runs started on this book */
  runs: number;
  /** per pair, the run before which its market last moved */
  movedBefore: Int32Array;
  /** per chunk, the run in which this worker last margined it (-1: never, or not since a failure) */
  marginedIn: Int32Array;
}

let engine: Promise<Engine> | null = null;
const books = new Map<number, Resident>();

function resident(id: number): Resident {
  const r = books.get(id);
  if (r === undefined) throw new Error(`pool worker: no book ${id}`);
  return r;
}

/** The pairs of chunk c to re-price: those moved since this worker last margined it, or all. */
function pairsToPrice(r: Resident, c: number): { pairs?: number[] } {
  const last = r.marginedIn[c];
  if (last < 0) return {};
  const pairs: number[] = [];
  for (let p = 0; p < r.movedBefore.length; p++) if (r.movedBefore[p] > last) pairs.push(p);
  return { pairs };
}

/** Margin chunks until none is left to claim; copy each chunk's rows out. */
function runChunks(r: Resident, withPairs: boolean): void {
  const run = ++r.runs;
  const acc = L.OUT_ACC_STRIDE;
  try {
    for (let c = claimChunk(r.claims, r.fromFront); c >= 0; c = claimChunk(r.claims, r.fromFront)) {
      const [first, end] = r.chunks[c];
      r.book.runRange(first, end, pairsToPrice(r, c));
      r.marginedIn[c] = run;
      const out = r.book.outputs();
      r.accounts.set(out.accounts.subarray(first * acc, end * acc), first * acc);
      if (withPairs) r.pairs.set(out.pairs.subarray(first * r.pairStride, end * r.pairStride), first * r.pairStride);
    }
  } catch (error) {
    // a failed chunk may leave outputs half written: every chunk gets every pair next time
    r.marginedIn.fill(-1);
    throw error;
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
        claims: new Int32Array(t.out.next),
        fromFront: t.worker % 2 === 0,
        accounts: new Float64Array(t.out.accounts),
        pairs: new Float64Array(t.out.pairs),
        pairStride: book.pairs.length * L.outPairStride(book.pairs[0].grid.length),
        runs: 0,
        movedBefore: new Int32Array(book.pairs.length),
        marginedIn: new Int32Array(t.out.chunks.length).fill(-1),
      });
      return null;
    }
    case "update": {
      const r = resident(t.id);
      for (const p of r.book.updateMarket(t.market)) r.movedBefore[p] = r.runs + 1;
      return null;
    }
    case "run":
      runChunks(resident(t.id), t.pairs);
      return null;
    case "dispose":
      books.get(t.id)?.book.dispose();
      books.delete(t.id);
      return null;
  }
}
