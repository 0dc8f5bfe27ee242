import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { normalize } from "../bindings/validate.js";
import type { Report } from "../bindings/model/types.js";
import { referenceMargin } from "./reference/model.js";
import { randomFile } from "./support/random.js";
import { RELATIVE, differences } from "./support/agreement.js";

// The WASM kernel against the independent plain-TS reference model on random books (the
// tolerance logic is test/support/agreement.ts, shared with the fuzz tests).
const FILES = 64;
const ACCOUNTS_PER_FILE = 25;

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

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
