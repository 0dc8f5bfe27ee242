import { describe, expect, it } from "vitest";
import { marginAccountsTs } from "../bench/ts-kernel.js";
import * as L from "../bindings/layout.js";
import { normalize } from "../bindings/validate.js";
import { layoutBook } from "./support/marshal.js";
import { randomFile } from "./support/random.js";
import { kernelInstance, type Build } from "./support/wasm.js";

// bench/ts-kernel.ts (the benchmark's plain-TS port of the kernel) against the WASM kernel: the
// same book laid out in a kernel instance's memory, marginAccounts run by the kernel, then the
// port run on a copy of that memory with the outputs zeroed. Same algorithm, so the outputs agree
// to rounding (the port's ln is V8's, the kernel's AssemblyScript's).
const RELATIVE = 1e-12;
const FILES = 48;
const ACCOUNTS_PER_FILE = 25;

describe.each<Build>(["release", "scalar"])("plain-TS port vs the %s kernel", (build) => {
  it(`writes the same outputs to ${RELATIVE} of the account's scale on ${FILES * ACCOUNTS_PER_FILE} random accounts`, () => {
    const instance = kernelInstance(build);
    const kernel = instance.exports as unknown as { memory: WebAssembly.Memory; marginAccounts(header: number): number };
    const G_OF = (book: ReturnType<typeof normalize>) => book.pairs[0].grid.length;
    const failures: string[] = [];
    let accounts = 0;
    let worst = 0;
    for (let seed = 1; seed <= FILES; seed++) {
      const book = normalize(randomFile(seed, { accounts: ACCOUNTS_PER_FILE, randomParams: seed % 4 !== 0 }));
      const image = layoutBook(instance, book);
      expect(kernel.marginAccounts(image.header)).toBe(L.STATUS_OK);
      const copy = kernel.memory.buffer.slice(0);
      const wasmAcc = new Float64Array(kernel.memory.buffer, image.outAcc, image.outAccF64);
      const wasmPair = new Float64Array(kernel.memory.buffer, image.outPair, image.outPairF64);
      const tsAcc = new Float64Array(copy, image.outAcc, image.outAccF64);
      const tsPair = new Float64Array(copy, image.outPair, image.outPairF64);
      tsAcc.fill(0);
      tsPair.fill(0);
      expect(marginAccountsTs(copy, image.header)).toBe(L.STATUS_OK);

      const P = book.pairs.length;
      const stride = L.outPairStride(G_OF(book));
      book.accounts.forEach((account, a) => {
        accounts++;
        const block = (p: number) => a * P * stride + p * stride;
        let scale = Math.max(1, Math.abs(wasmAcc[a * 2]), wasmAcc[a * 2 + 1]);
        for (let p = 0; p < P; p++) for (let k = 3; k < stride; k++) scale = Math.max(scale, Math.abs(wasmPair[block(p) + k]));
        const check = (what: string, x: number, y: number): void => {
          const d = Math.abs(x - y) / scale;
          worst = Math.max(worst, d);
          if (!(d <= RELATIVE)) failures.push(`seed ${seed} ${account.id} ${what}: wasm ${x} ts ${y}`);
        };
        check("equity", wasmAcc[a * 2], tsAcc[a * 2]);
        check("initialMargin", wasmAcc[a * 2 + 1], tsAcc[a * 2 + 1]);
        for (let p = 0; p < P; p++) {
          const at = block(p);
          check(`${book.pairs[p].name}.requirement`, wasmPair[at], tsPair[at]);
          // a different worst row or fill set must be a tie (equal requirements, checked above)
          if (wasmPair[at + 2] !== tsPair[at + 2]) continue;
          check(`${book.pairs[p].name}.basePV`, wasmPair[at + 3], tsPair[at + 3]);
          for (let s = L.OUT_PAIR_FIXED; s < stride; s++) check(`${book.pairs[p].name}.PV[${s - L.OUT_PAIR_FIXED}]`, wasmPair[at + s], tsPair[at + s]);
        }
      });
    }
    console.log(`plain-TS port vs ${build}: max deviation ${worst.toExponential(2)} of the account scale on ${accounts} accounts`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(accounts).toBeGreaterThanOrEqual(1000);
  });
});
