/**
 * A pool worker: one engine (one kernel instance) and the shard books resident in it.
 * Tasks come from pool.ts through piscina, one worker per shard, so a shard always lands on the
 * worker that holds it.
 */
import { move } from "piscina";
import { createEngine } from "./index.js";
import type { Book } from "./model/book.js";
import type { Engine, PreparedBook } from "./engine.js";

export type WorkerTask =
  | { op: "prepare"; id: number; book: Book }
  | { op: "update"; id: number; market: unknown }
  | { op: "run"; id: number }
  | { op: "pairs"; id: number }
  | { op: "dispose"; id: number };

let engine: Promise<Engine> | null = null;
const books = new Map<number, PreparedBook>();

function resident(id: number): PreparedBook {
  const book = books.get(id);
  if (book === undefined) throw new Error(`pool worker: no book ${id}`);
  return book;
}

/** Copy a view of linear memory into a buffer of its own, moved (not copied) to the caller. */
function detach(view: Float64Array): Float64Array {
  return move(view.slice()) as Float64Array;
}

export default async function task(t: WorkerTask): Promise<unknown> {
  engine ??= createEngine();
  const e = await engine;
  switch (t.op) {
    case "prepare":
      books.set(t.id, e.prepareBook(t.book));
      return null;
    case "update":
      resident(t.id).updateMarket(t.market);
      return null;
    case "run": {
      const book = resident(t.id);
      book.run();
      return detach(book.outputs().accounts);
    }
    case "pairs":
      return detach(resident(t.id).outputs().pairs);
    case "dispose":
      books.get(t.id)?.dispose();
      books.delete(t.id);
      return null;
  }
}
