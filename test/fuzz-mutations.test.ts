import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import {
  FUZZ_RUNS as RUNS,
  FUZZ_SEED as SEED,
  secondsSince,
  allMutations,
  buildFile,
  checkMutation,
  mutationCaseArb,
  mutationsAt,
  sitePattern,
  sites,
  type FileSpec,
  type MutationOutcome,
} from "./support/fuzz.js";

// Property-based tests over portfolio files (test/support/fuzz.ts has the generators, the field
// rules and the checks). CI runs FUZZ_RUNS cases per property (default 300, seconds); `npm run
// fuzz` runs the same properties with FUZZ_RUNS = 1e6 and fresh seeds (vitest.fuzz.config.ts).
// FUZZ_SEED fixes the seed (default: a fixed one, so CI is reproducible; support/fuzz.ts).

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

describe("mutated portfolio files, property-based", () => {
  it(`mutated files: rejected with a MarginError at the mutated path (or a parent) and an expected code, or accepted and agreeing; nothing else thrown (${RUNS} mutations)`, () => {
    const start = performance.now();
    const outcomes = { accepted: 0, rejected: 0 };
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(mutationCaseArb, (c) => {
        const outcome: MutationOutcome = checkMutation(engine, c);
        if (outcome.accepted) outcomes.accepted++;
        else {
          outcomes.rejected++;
          codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    const byCode = [...codes].sort().map(([code, n]) => `${code} ${n}`).join(", ");
    console.log(`fuzz mutations: ${RUNS} in ${secondsSince(start)} s, seed ${SEED}: ${outcomes.rejected} rejected (${byCode}), ${outcomes.accepted} accepted and agreeing`);
    expect(outcomes.rejected + outcomes.accepted).toBe(RUNS);
    expect(outcomes.rejected).toBeGreaterThan(RUNS / 2);
  });

  it("every operator at every node of files that use every field", () => {
    // files chosen to hold every kind of node: custom and preset grids, pair correlation, node,
    // flat and mark surfaces, futures curves, instrument names and objects of every kind, orders
    const specs: FileSpec[] = [
      { seed: 53, accounts: 2, positions: [3, 6], optionShare: 0.5, randomParams: true, markSurfaces: true, variations: [2] },
      { seed: 118, accounts: 2, positions: [3, 6], optionShare: 0.5, randomParams: true, markSurfaces: true, variations: [3] },
    ];
    const start = performance.now();
    const patterns = new Set<string>();
    const ops = new Set<string>();
    let cases = 0;
    let rejected = 0;
    for (const spec of specs) {
      const file = buildFile(spec);
      for (const { mutation, mutated } of allMutations(file)) {
        const outcome = checkMutation(engine, { spec, file, mutation, mutated });
        cases++;
        if (!outcome.accepted) rejected++;
        patterns.add(sitePattern(mutation.path));
        ops.add(mutation.op.replace(/ .*/, ""));
      }
    }
    console.log(`fuzz sweep: ${cases} mutations (${rejected} rejected) over ${patterns.size} field patterns in ${secondsSince(start)} s`);
    for (const p of [
      "asOf", "params.grid", "params.grid.rows[].spot", "params.grid.rows[].weight", "params.pairs.$.ssf", "params.mmFraction",
      "params.pairCorrelation[][]", "params.vsfTenorExponent", "market.$.spot", "market.$.futures[].expiry", "market.$.surface.tenors", "market.$.surface.vols[][]",
      "market.$.surface.atmVol", "market.$.surface.options[].mark", "market.$.surface.options[].instrument", "accounts[].id",
      "accounts[].balances.$", "accounts[].positions[].instrument.strike", "accounts[].positions[].instrument.multiplier", "accounts[].positions[].entryPrice",
      "accounts[].orders[].side", "accounts[].orders[].instrument.kind", "market.$.surface.options[].instrument.strike",
    ]) {
      expect(patterns, p).toContain(p);
    }
    expect(cases).toBeGreaterThan(5000);
  });

  it("regression (found by the long run): an entryPrice dropped where the pair's positions cancel", () => {
    const spec: FileSpec = { seed: 1613508378, accounts: 3, positions: [4, 20], optionShare: 0, randomParams: false, markSurfaces: false, variations: [3] };
    const file = buildFile(spec);
    const path = ["accounts", 1, "positions", 8, "entryPrice"];
    const site = sites(file).find((s) => JSON.stringify(s.path) === JSON.stringify(path))!;
    const mutation = mutationsAt(file, site.path, site.rule).find((m) => m.op === "missing")!;
    const outcome = checkMutation(engine, { spec, file, mutation, mutated: mutation.apply(structuredClone(file)) });
    expect(outcome.accepted).toBe(true);
  });
});
