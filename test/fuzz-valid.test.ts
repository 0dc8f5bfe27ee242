import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { expectFreshBits, movePair } from "./support/ticks.js";
import { FUZZ_RUNS as RUNS, FUZZ_SEED as SEED, buildFile, checkValid, fileSpecArb, secondsSince } from "./support/fuzz.js";

// Property-based tests over portfolio files (test/support/fuzz.ts has the generators, the field
// rules and the checks). CI runs FUZZ_RUNS cases per property (default 300, seconds); `npm run
// fuzz` runs the same properties with FUZZ_RUNS = 1e6 and fresh seeds (vitest.fuzz.config.ts).
// FUZZ_SEED fixes the seed (default: a fixed one, so CI is reproducible; support/fuzz.ts).

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

describe("valid portfolio files, property-based", () => {
  it(`valid files: the kernel and the plain-TS reference agree on every account (${RUNS} files)`, () => {
    const start = performance.now();
    let files = 0;
    let accounts = 0;
    let positions = 0;
    fc.assert(
      fc.property(fileSpecArb, (spec) => {
        const outcome = checkValid(engine, buildFile(spec));
        files++;
        accounts += outcome.accounts;
        positions += outcome.positions;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`fuzz valid: ${files} files (${accounts} accounts, ${positions} positions and orders) in ${secondsSince(start)} s, seed ${SEED}, all agree`);
    expect(files).toBe(RUNS);
  });

  it(`ticks: run() re-prices the pairs they moved, to the bits of a book prepared afresh (${RUNS} files)`, () => {
    // spots move with their futures marks (the basis kept) or surfaces become flat; surfaces of
    // option marks are left out, since a book keeps the vols its marks gave until new marks come
    // while a fresh book derives them again at the new spot
    const tickArb = fc.record({
      pairs: fc.array(fc.nat(2), { minLength: 1, maxLength: 3 }),
      factor: fc.double({ min: 0.9, max: 1.1, noNaN: true }),
      atmVol: fc.option(fc.double({ min: 0.2, max: 1.2, noNaN: true })),
    });
    const start = performance.now();
    let ticks = 0;
    fc.assert(
      fc.property(fileSpecArb, fc.array(tickArb, { minLength: 1, maxLength: 5 }), (spec, tickSpecs) => {
        const file = buildFile({ ...spec, markSurfaces: false });
        const book = engine.prepare(file);
        book.run();
        const moved = structuredClone(file);
        const names = Object.keys(file.market);
        for (const t of tickSpecs) {
          const update: Record<string, object> = {};
          for (const i of t.pairs) movePair(moved, update, names[i % names.length], t.atmVol === null ? { factor: t.factor } : { atmVol: t.atmVol });
          book.updateMarket(update);
          book.run();
          expectFreshBits(engine, book, moved);
          ticks++;
        }
        book.dispose();
      }),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`fuzz ticks: ${ticks} ticks over ${RUNS} files in ${secondsSince(start)} s, seed ${SEED}, all equal to fresh books`);
  });

  it("regression (found by the long run): a pair whose positions cancel, PVs near 0, agrees within the gross value's rounding", () => {
    const outcome = checkValid(
      engine,
      buildFile({ seed: 1235904139, accounts: 2, positions: [4, 20], optionShare: 0, randomParams: true, markSurfaces: false, variations: [] }),
    );
    expect(outcome.accounts).toBe(2);
  });
});
