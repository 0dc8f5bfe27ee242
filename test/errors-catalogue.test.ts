import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ErrorCode, MarginError } from "../bindings/errors.js";
import * as L from "../bindings/layout.js";

// One table of kernel statuses (bindings/layout.ts KERNEL_STATUSES) that covers every status the
// kernel defines (assembly/layout.ts: the STATUS_* codes and the per-mark IV_* codes), and the
// catalogue in docs/errors.md that names every MarginError code and every kernel status.
const ASSEMBLY_LAYOUT = readFileSync(new URL("../assembly/layout.ts", import.meta.url), "utf8");
const CATALOGUE = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");

/** The kernel's status constants, read from assembly/layout.ts: name -> value. */
function kernelStatusConstants(): Map<string, number> {
  const out = new Map<string, number>();
  const batch = /export const (STATUS_\w+): i32 = (\d+);/g;
  for (const m of ASSEMBLY_LAYOUT.matchAll(batch)) out.set(m[1], Number(m[2]));
  // the per-mark codes: the block after "// per-mark status codes"
  const block = ASSEMBLY_LAYOUT.slice(ASSEMBLY_LAYOUT.indexOf("// per-mark status codes"));
  for (const line of block.split("\n").slice(1)) {
    const m = /^export const (IV_\w+): i32 = (\d+);/.exec(line);
    if (!m) break;
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe("the kernel status table", () => {
  const constants = kernelStatusConstants();

  it("has an entry for every status constant of assembly/layout.ts, with its value and a MarginError code", () => {
    expect(constants.size).toBeGreaterThanOrEqual(9);
    for (const [name, value] of constants) {
      const entry = L.KERNEL_STATUSES.find((s) => s.name === name);
      expect(entry, name).toBeDefined();
      expect(entry!.value).toBe(value);
      expect(entry!.scope).toBe(name.startsWith("IV_") ? "mark" : "batch");
      expect(entry!.code === null).toBe(value === 0);
      if (entry!.code !== null) expect(Object.values(ErrorCode)).toContain(entry!.code);
      expect(entry!.meaning.length).toBeGreaterThan(10);
    }
    expect(L.KERNEL_STATUSES.map((s) => s.name).sort()).toEqual([...constants.keys()].sort());
  });

  it("raises the table's code and meaning for a batch status, with the account's path", () => {
    const error = L.kernelStatusError(L.STATUS_NON_FINITE, "accounts[3]");
    expect(error).toBeInstanceOf(MarginError);
    expect(error.code).toBe(ErrorCode.KERNEL);
    expect(error.path).toBe("accounts[3]");
    expect(error.message).toBe(`accounts[3]: ${L.KERNEL_STATUS_MESSAGES[L.STATUS_NON_FINITE]}`);
    expect(L.kernelStatusError(99, "").message).toMatch(/unknown status 99/);
    expect(L.markStatusEntry(L.IV_ABOVE_BOUND)?.code).toBe(ErrorCode.ARBITRAGE);
    expect(L.markStatusEntry(L.IV_OUT_OF_DOMAIN)?.field).toBe("instrument");
  });
});

describe("docs/errors.md", () => {
  it("lists every MarginError code", () => {
    for (const code of Object.values(ErrorCode)) expect(CATALOGUE, code).toContain(`| \`${code}\` |`);
  });

  it("lists every kernel status with its value", () => {
    for (const entry of L.KERNEL_STATUSES) expect(CATALOGUE, entry.name).toContain(`| \`${entry.name}\` | ${entry.value} | ${entry.scope} |`);
  });
});
