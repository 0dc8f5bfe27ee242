/**
 * The pool's chunk claims (bindings/pool.ts, pool-worker.ts): the chunks of a book not yet
 * claimed in a run are one range [first, end) of the chunk list, held in one i32 of a
 * SharedArrayBuffer (first in the low 16 bits, end in the high 16), so that a worker can claim
 * from either end with one compare-and-swap and no chunk is claimed twice.
 */

/** Chunks a claim state can count. */
export const MAX_CHUNKS = 0xffff;

/** The claim state with every one of `count` (<= MAX_CHUNKS) chunks unclaimed. */
export function chunkClaims(count: number): number {
  return (count << 16) | 0;
}

/** Claim the first (fromFront) or the last unclaimed chunk; -1 when none is left. */
export function claimChunk(state: Int32Array, fromFront: boolean): number {
  for (;;) {
    const s = Atomics.load(state, 0);
    const first = s & 0xffff;
    const end = (s >>> 16) & 0xffff;
    if (first >= end) return -1;
    const next = fromFront ? (end << 16) | (first + 1) : ((end - 1) << 16) | first;
    if (Atomics.compareExchange(state, 0, s, next) === s) return fromFront ? first : end - 1;
  }
}
