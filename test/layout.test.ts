import { describe, expect, it } from "vitest";
import * as L from "../bindings/layout.js";
import { kernelInstance } from "./support/wasm.js";

describe("bindings/layout.ts mirrors assembly/layout.ts", () => {
  const exports = kernelInstance().exports as Record<string, unknown>;
  const constants = Object.entries(L).filter(([, value]) => typeof value === "number") as [string, number][];
  const kernelGlobals = Object.entries(exports).filter(([, value]) => value instanceof WebAssembly.Global);

  it("mirrors every constant the kernel exports, with the same value", () => {
    expect(kernelGlobals.length).toBeGreaterThan(40);
    for (const [name, global] of kernelGlobals) {
      expect(L, `bindings/layout.ts lacks ${name}`).toHaveProperty(name);
      expect((global as WebAssembly.Global).value, name).toBe((L as Record<string, unknown>)[name]);
    }
  });

  it("has no constant the kernel does not export", () => {
    for (const [name] of constants) expect(exports, `kernel lacks ${name}`).toHaveProperty(name);
  });

  it.each([
    [1, 1],
    [3, 9],
    [7, 16],
    [2, 64],
  ])("derives the same sizes for levels=%i rows=%i", (levels, rows) => {
    const fn = exports as Record<string, (...args: number[]) => number>;
    expect(fn.gridPairF64(levels, rows)).toBe(L.gridPairF64(levels, rows));
    expect(fn.outPairStride(rows)).toBe(L.outPairStride(rows));
    expect(fn.paddedRows(rows)).toBe(L.paddedRows(rows));
    for (const pairs of [1, 2, 5]) expect(fn.scratchF64(pairs, rows, levels)).toBe(L.scratchF64(pairs, rows, levels));
  });

  it("has a message for every non-OK kernel status", () => {
    for (const [name, value] of constants) {
      if (name.startsWith("STATUS_") && value !== L.STATUS_OK) expect(L.KERNEL_STATUS_MESSAGES[value]).toBeTruthy();
    }
  });
});
