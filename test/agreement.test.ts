import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { normalize } from "../bindings/validate.js";
import type { AccountReport, Report } from "../bindings/model/types.js";
import { evaluateFillSet, referenceMargin } from "./reference/model.js";
import { randomFile } from "./support/random.js";

// The WASM kernel against the independent plain-TS reference model on random books.
const RELATIVE = 1e-9;
const FILES = 64;
const ACCOUNTS_PER_FILE = 25;

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

/** |a - b| <= 1e-9 relative to the larger of |b| and `scale` (the account's size in USD). */
function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= RELATIVE * Math.max(Math.abs(b), scale);
}

/** Every mismatch between the kernel's and the reference's report of one account. */
function differences(kernel: AccountReport, ref: AccountReport, refBook: ReturnType<typeof normalize>, a: number): string[] {
  const out: string[] = [];
  const scale = Math.max(1, Math.abs(ref.equity), ref.initialMargin);
  const num = (what: string, x: number, y: number, s = scale): void => {
    if (!close(x, y, s)) out.push(`${what}: kernel ${x} reference ${y}`);
  };
  num("equity", kernel.equity, ref.equity);
  num("initialMargin", kernel.initialMargin, ref.initialMargin);
  num("maintenanceMargin", kernel.maintenanceMargin, ref.maintenanceMargin);
  num("available", kernel.available, ref.available);
  if (kernel.status !== ref.status) {
    const atEdge = close(ref.equity, ref.initialMargin, scale) || close(ref.equity, ref.maintenanceMargin, scale);
    if (!atEdge) out.push(`status: kernel ${kernel.status} reference ${ref.status}`);
  }
  expect(Object.keys(kernel.pairs)).toEqual(Object.keys(ref.pairs));
  for (const [name, r] of Object.entries(ref.pairs)) {
    const k = kernel.pairs[name];
    const pairIndex = refBook.pairs.findIndex((p) => p.name === name);
    const pairScale = Math.max(1, ...r.scenarioPV.map(Math.abs));
    num(`${name}.requirement`, k.requirement, r.requirement, pairScale);
    // a different fill set or worst row is a tie: accept it only when the numbers agree
    let refSet = r;
    if (k.fillSet !== r.fillSet) {
      const other = evaluateFillSet(refBook, refBook.accounts[a], pairIndex, k.fillSet);
      if (!close(other.requirement, r.requirement, pairScale)) out.push(`${name}.fillSet: kernel ${k.fillSet} reference ${r.fillSet}`);
      refSet = { ...r, scenarioPV: other.scenarioPV, worstScenario: other.worstScenario };
    }
    if (k.worstScenario !== refSet.worstScenario) {
      const losses = evaluateFillSet(refBook, refBook.accounts[a], pairIndex, k.fillSet).weightedLoss;
      if (!close(losses[k.worstScenario - 1], losses[refSet.worstScenario - 1], pairScale))
        out.push(`${name}.worstScenario: kernel ${k.worstScenario} reference ${refSet.worstScenario}`);
    }
    expect(k.scenarioPV).toHaveLength(refSet.scenarioPV.length);
    k.scenarioPV.forEach((pv, s) => num(`${name}.scenarioPV[${s}]`, pv, refSet.scenarioPV[s], pairScale));
  }
  return out;
}

describe("kernel vs plain-TS reference on random accounts", () => {
  it(`agrees to ${RELATIVE} relative on ${FILES * ACCOUNTS_PER_FILE} accounts (random params, grids, policies)`, () => {
    let accounts = 0;
    let options = 0;
    const failures: string[] = [];
    for (let seed = 1; seed <= FILES; seed++) {
      const file = randomFile(seed, { accounts: ACCOUNTS_PER_FILE, randomParams: seed % 4 !== 0 });
      const book = normalize(file);
      const kernel: Report = engine.marginBook(book);
      const ref = referenceMargin(book);
      book.accounts.forEach((account, a) => {
        accounts++;
        options += account.positions.filter((p) => p.instrument.kind === "option").length;
        for (const d of differences(kernel.accounts[a], ref.accounts[a], book, a)) failures.push(`seed ${seed} ${account.id} ${d}`);
      });
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(accounts).toBeGreaterThanOrEqual(1000);
    expect(options).toBeGreaterThan(3000);
  });

  it("agrees on the bundled example", async () => {
    const { readFileSync } = await import("node:fs");
    const file = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));
    const book = normalize(file);
    const kernel = engine.marginBook(book);
    const ref = referenceMargin(book);
    book.accounts.forEach((_, a) => expect(differences(kernel.accounts[a], ref.accounts[a], book, a)).toEqual([]));
  });
});
