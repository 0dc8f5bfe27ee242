import { describe, expect, it } from "vitest";
import { RegionAllocator } from "../bindings/memory.js";

describe("RegionAllocator", () => {
  const make = () => {
    const grows: number[] = [];
    const regions = new RegionAllocator(1024, (end) => grows.push(end));
    return { regions, grows };
  };

  it("hands out 16-aligned, non-overlapping regions and grows to cover them", () => {
    const { regions, grows } = make();
    const a = regions.alloc(10);
    const b = regions.alloc(100);
    const c = regions.alloc(0);
    expect([a, b, c]).toEqual([1024, 1040, 1152]);
    expect(grows).toEqual([1040, 1152, 1168]);
    expect(regions.liveBytes).toBe(16 + 112 + 16);
  });

  it("reuses freed space first-fit and merges neighbours", () => {
    const { regions, grows } = make();
    const a = regions.alloc(64);
    const b = regions.alloc(64);
    const c = regions.alloc(64);
    regions.alloc(64); // keeps c's right neighbour live
    regions.release(a);
    regions.release(c);
    regions.release(b); // a, b, c merge into one 192-byte block
    const growsBefore = grows.length;
    expect(regions.alloc(192)).toBe(a);
    expect(grows.length).toBe(growsBefore);
  });

  it("extends a free block at the top instead of leaving it behind", () => {
    const { regions, grows } = make();
    regions.alloc(32);
    const top = regions.alloc(32);
    regions.release(top);
    expect(regions.alloc(64)).toBe(top);
    expect(grows.at(-1)).toBe(top + 64);
  });

  it("keeps a steady cycle of the same sizes in the same bytes", () => {
    const { regions, grows } = make();
    for (let i = 0; i < 1000; i++) {
      const book = regions.alloc(5000);
      const market = regions.alloc(700);
      regions.release(book);
      regions.release(market);
    }
    expect(new Set(grows).size).toBe(2);
    expect(regions.liveBytes).toBe(0);
  });

  it("refuses to release what it did not hand out", () => {
    const { regions } = make();
    const a = regions.alloc(16);
    regions.release(a);
    expect(() => regions.release(a)).toThrow(/not a live region/);
    expect(() => regions.release(12345)).toThrow(/not a live region/);
  });
});
