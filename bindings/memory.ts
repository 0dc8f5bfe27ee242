/**
 * Regions of the kernel's linear memory above its heap base, handed out to resident books and
 * transient workspaces. First fit over an address-ordered free list, 16-byte aligned, neighbours
 * merged on free; when nothing fits, the top of the heap moves up and `grow` is asked to make
 * memory reach it. Linear memory never shrinks, so a steady workload reaches a fixed size and
 * stays there: freeing and re-allocating the same sizes reuses the same bytes.
 */

const ALIGN = 16;

interface Block {
  at: number;
  bytes: number;
}

/** Remove item `i` of `list` in place (splice would allocate the array of what it removed). */
function removeAt<T>(list: T[], i: number): void {
  list.copyWithin(i, i + 1);
  list.length--;
}

export class RegionAllocator {
  private readonly free: Block[] = [];
  private readonly live = new Map<number, number>();
  private top: number;

  /**
   * @param start first usable byte (16-aligned)
   * @param grow  called with the end address memory must reach before a new region is used
   */
  constructor(
    start: number,
    private readonly grow: (end: number) => void,
  ) {
    this.top = start;
  }

  /** A 16-aligned region of at least `bytes` bytes (never 0 bytes long). */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let fit = 0;
    while (fit < this.free.length && this.free[fit].bytes < size) fit++;
    let at: number;
    if (fit < this.free.length) {
      const block = this.free[fit];
      at = block.at;
      if (block.bytes === size) removeAt(this.free, fit);
      else {
        block.at += size;
        block.bytes -= size;
      }
    } else {
      // extend from the top, absorbing a free block that ends there
      const last = this.free[this.free.length - 1];
      if (last !== undefined && last.at + last.bytes === this.top) {
        this.free.pop();
        this.top = last.at;
      }
      at = this.top;
      this.top += size;
      this.grow(this.top);
    }
    this.live.set(at, size);
    return at;
  }

  /** Return a region from alloc(); unknown addresses are an error, not ignored. */
  release(at: number): void {
    const size = this.live.get(at);
    if (size === undefined) throw new Error(`RegionAllocator: ${at} is not a live region`);
    this.live.delete(at);
    let i = 0;
    while (i < this.free.length && this.free[i].at < at) i++;
    // merged into the free neighbours it touches, else a block of its own
    const prev = this.free[i - 1];
    const next = this.free[i];
    const joinsPrev = prev !== undefined && prev.at + prev.bytes === at;
    const joinsNext = next !== undefined && at + size === next.at;
    if (joinsPrev && joinsNext) {
      prev.bytes += size + next.bytes;
      removeAt(this.free, i);
    } else if (joinsPrev) {
      prev.bytes += size;
    } else if (joinsNext) {
      next.at = at;
      next.bytes += size;
    } else {
      this.free.splice(i, 0, { at, bytes: size });
    }
  }

  /** Bytes in live regions. */
  get liveBytes(): number {
    let total = 0;
    for (const size of this.live.values()) total += size;
    return total;
  }
}
