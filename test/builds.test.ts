import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { normalize } from "../bindings/validate.js";
import type { Book } from "../bindings/model/book.js";
import type { AccountReport, Report } from "../bindings/model/types.js";
import { evaluateFillSet, referenceMargin } from "./reference/model.js";
import { pairGross } from "./support/agreement.js";
import { randomFile } from "./support/random.js";

// Both kernel builds (build/release.wasm: f64x2 SIMD; build/scalar.wasm: the same source without
// SIMD) through the engine, against the independent plain-TS reference model (test/reference/) on
// random books, to 1e-12 of the pair's gross value (pairGross, test/support/agreement.ts):
//
//   gross(pair) = sum over the account's positions and orders on the pair of |qty x multiplier| x
//                 scale(instrument), plus |coin balance| x S x m, with m = the largest spot level
//                 (1 + spotShock) of the pair's grid and 1, and scale(instrument) = S m (spot,
//                 perpetual, expired future), F(T) m (future), max(F(T) m, K) (option; S m for F
//                 when expired).
//
// That is the size of the numbers a pair's PVs add up (an option's value is at most max(F, K)), so
// each PV, the base PV and the requirement must be within 1e-12 x gross of the reference; the
// account's equity, IM, MM and available within 1e-12 x (|USD| + the sum of its pairs' gross).
// The two builds must give identical reports: every f64x2 lane runs the scalar build's operations.
const RELATIVE = 1e-12;
const FILES = 64;
const ACCOUNTS_PER_FILE = 25;

let simd: Engine;
let scalar: Engine;
beforeAll(async () => {
  const bytes = (name: string) => readFileSync(new URL(`../build/${name}.wasm`, import.meta.url));
  simd = await createEngine({ wasm: bytes("release") });
  scalar = await createEngine({ wasm: bytes("scalar") });
});

/** Every number of the kernel's account report farther than 1e-12 x gross from the reference's. */
function deviations(kernel: AccountReport, ref: AccountReport, book: Book, a: number, worst: { value: number }): string[] {
  const out: string[] = [];
  const account = book.accounts[a];
  const grossByPair = book.pairs.map((_, p) => pairGross(book, account, p));
  const accountScale = Math.max(1, Math.abs(account.usd) + grossByPair.reduce((s, g) => s + g, 0));
  const num = (what: string, x: number, y: number, scale: number): void => {
    const d = Math.abs(x - y) / scale;
    worst.value = Math.max(worst.value, d);
    if (!(d <= RELATIVE)) out.push(`${what}: kernel ${x} reference ${y} (scale ${scale})`);
  };
  num("equity", kernel.equity, ref.equity, accountScale);
  num("initialMargin", kernel.initialMargin, ref.initialMargin, accountScale);
  num("maintenanceMargin", kernel.maintenanceMargin, ref.maintenanceMargin, accountScale);
  num("available", kernel.available, ref.available, accountScale);
  if (kernel.status !== ref.status) {
    const tie = (x: number, y: number) => Math.abs(x - y) <= RELATIVE * accountScale;
    if (!tie(ref.equity, ref.initialMargin) && !tie(ref.equity, ref.maintenanceMargin)) out.push(`status: kernel ${kernel.status} reference ${ref.status}`);
  }
  expect(Object.keys(kernel.pairs)).toEqual(Object.keys(ref.pairs));
  for (const [name, r] of Object.entries(ref.pairs)) {
    const k = kernel.pairs[name];
    const p = book.pairs.findIndex((pair) => pair.name === name);
    const scale = Math.max(1, grossByPair[p]);
    num(`${name}.requirement`, k.requirement, r.requirement, scale);
    // a different fill set or worst row is a tie: accept it only when the numbers agree
    let refSet = r;
    if (k.fillSet !== r.fillSet) {
      const other = evaluateFillSet(book, account, p, k.fillSet);
      if (!(Math.abs(other.requirement - r.requirement) <= RELATIVE * scale)) out.push(`${name}.fillSet: kernel ${k.fillSet} reference ${r.fillSet}`);
      refSet = { ...r, scenarioPV: other.scenarioPV, worstScenario: other.worstScenario };
    }
    if (k.worstScenario !== refSet.worstScenario) {
      const losses = evaluateFillSet(book, account, p, k.fillSet).weightedLoss;
      if (!(Math.abs(losses[k.worstScenario - 1] - losses[refSet.worstScenario - 1]) <= RELATIVE * scale))
        out.push(`${name}.worstScenario: kernel ${k.worstScenario} reference ${refSet.worstScenario}`);
    }
    expect(k.scenarioPV).toHaveLength(refSet.scenarioPV.length);
    k.scenarioPV.forEach((pv, s) => num(`${name}.scenarioPV[${s}]`, pv, refSet.scenarioPV[s], scale));
  }
  return out;
}

describe("SIMD and scalar kernel builds vs the plain-TS reference model", () => {
  it(`agree to ${RELATIVE} of the pair's gross value on ${FILES * ACCOUNTS_PER_FILE} random accounts, and with each other exactly`, () => {
    const failures: string[] = [];
    const worst = { simd: { value: 0 }, scalar: { value: 0 } };
    let accounts = 0;
    let options = 0;
    let identical = 0;
    for (let seed = 1; seed <= FILES; seed++) {
      const book = normalize(randomFile(seed, { accounts: ACCOUNTS_PER_FILE, randomParams: seed % 4 !== 0 }));
      const ref: Report = referenceMargin(book);
      const fromSimd: Report = simd.marginBook(book);
      const fromScalar: Report = scalar.marginBook(book);
      book.accounts.forEach((account, a) => {
        accounts++;
        options += account.positions.filter((p) => p.instrument.kind === "option").length;
        for (const d of deviations(fromSimd.accounts[a], ref.accounts[a], book, a, worst.simd)) failures.push(`simd seed ${seed} ${account.id} ${d}`);
        for (const d of deviations(fromScalar.accounts[a], ref.accounts[a], book, a, worst.scalar)) failures.push(`scalar seed ${seed} ${account.id} ${d}`);
        expect(fromSimd.accounts[a], `seed ${seed} ${account.id}: SIMD vs scalar`).toStrictEqual(fromScalar.accounts[a]);
        identical++;
      });
    }
    console.log(
      `builds vs reference on ${accounts} accounts (${options} options): max deviation ${worst.simd.value.toExponential(2)} (SIMD), ` +
        `${worst.scalar.value.toExponential(2)} (scalar) of the gross value; SIMD and scalar identical on ${identical}`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(accounts).toBeGreaterThanOrEqual(1000);
    expect(options).toBeGreaterThan(3000);
  });
});
