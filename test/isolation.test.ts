import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import { ErrorCode, MarginError } from "../bindings/errors.js";
import type { AccountInput, PortfolioFile, Report } from "../bindings/model/types.js";
import { randomFile } from "./support/random.js";
import { buildFile, fileSpecArb, formatPath, isAncestorOrSelf, mutationsAt, sites, type Mutation } from "./support/fuzz.js";

// SPEC.md "Bad input": one bad account in a bulk run never changes another account's result.
// engine.margin(file, { isolateAccounts: true }) sets each bad account aside in `errors` and
// margins the others; their reports must be byte-identical (JSON.stringify) to margining the file
// without the bad accounts.
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = process.env.FUZZ_SEED === undefined ? 777 : Number(process.env.FUZZ_SEED);

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const BASE = randomFile(17, { accounts: 40, randomParams: true });

/** The file without the accounts at `indices`. */
function without(file: PortfolioFile, indices: readonly number[]): PortfolioFile {
  const copy = structuredClone(file);
  copy.accounts = copy.accounts.filter((_, i) => !indices.includes(i));
  return copy;
}

function withAccount(file: PortfolioFile, at: number, account: unknown): PortfolioFile {
  const copy = structuredClone(file);
  copy.accounts.splice(at, 0, account as AccountInput);
  return copy;
}

function thrown(run: () => unknown): MarginError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MarginError);
    return error as MarginError;
  }
  throw new Error("expected a MarginError, nothing was thrown");
}

/** Each account's report as JSON, and the whole `accounts` array's. */
function bytes(report: Report): { each: string[]; all: string } {
  return { each: report.accounts.map((a) => JSON.stringify(a)), all: JSON.stringify(report.accounts) };
}

const GOOD = BASE.accounts[3];
const BAD_ACCOUNTS: { name: string; account: unknown; path: string; code: string; id?: string }[] = [
  { name: "a zero qty", account: { ...GOOD, id: "bad", positions: [{ instrument: "BTC-PERPETUAL", qty: 0 }] }, path: ".positions[0].qty", code: ErrorCode.RANGE, id: "bad" },
  { name: "an unknown pair", account: { id: "bad", positions: [{ instrument: "XRP-PERPETUAL", qty: 1 }] }, path: ".positions[0].instrument", code: ErrorCode.UNKNOWN, id: "bad" },
  { name: "an unparseable name", account: { id: "bad", orders: [{ instrument: "BTC-31FEB27-1-C", side: "buy", qty: 1, price: 1 }] }, path: ".orders[0].instrument", code: ErrorCode.PARSE, id: "bad" },
  { name: "no id", account: { balances: { USD: 1 } }, path: ".id", code: ErrorCode.MISSING },
  { name: "not an object", account: 5, path: "", code: ErrorCode.TYPE },
  { name: "a NaN balance", account: { id: "bad", balances: { USD: NaN } }, path: ".balances.USD", code: ErrorCode.NOT_FINITE, id: "bad" },
  { name: "an unknown field", account: { id: "bad", position: [] }, path: ".position", code: ErrorCode.UNKNOWN, id: "bad" },
  // validation passes; the kernel stops at the account: its equity overflows double precision
  { name: "numbers beyond double precision", account: { id: "bad", positions: [{ instrument: "BTC-PERPETUAL", qty: 1e306 }] }, path: "", code: ErrorCode.KERNEL, id: "bad" },
];

describe("engine.margin(file, { isolateAccounts: true })", () => {
  it("on a clean file: the same report as without the option, and no errors", () => {
    const plain = engine.margin(BASE);
    const isolated = engine.margin(BASE, { isolateAccounts: true });
    expect(isolated.errors).toEqual([]);
    expect(bytes(isolated).all).toBe(bytes(plain).all);
  });

  describe.each(BAD_ACCOUNTS)("one bad account: $name", ({ account, path, code, id }) => {
    it.each([0, 17, 40])("at index %i is reported alone; every other account's report is byte-identical to the run without it", (at) => {
      const file = withAccount(BASE, at, account);
      const isolated = engine.margin(file, { isolateAccounts: true });
      const clean = engine.margin(BASE);
      expect(isolated.errors).toHaveLength(1);
      const [error] = isolated.errors!;
      expect(error.index).toBe(at);
      expect(error.id).toBe(id);
      expect(error.error.code).toBe(code);
      expect(error.error.path).toBe(`accounts[${at}]${path}`);
      expect(error.error.message.startsWith(`accounts[${at}]`)).toBe(true);
      expect(bytes(isolated).each).toEqual(bytes(clean).each);
      expect(bytes(isolated).all).toBe(bytes(clean).all);
      // without the option the first problem is thrown, as before
      const plain = thrown(() => engine.margin(file));
      expect({ code: plain.code, path: plain.path }).toEqual({ code, path: `accounts[${at}]${path}` });
    });
  });

  it("sets aside the later of two accounts with the same id; an account set aside claims no id", () => {
    const twin = { ...BASE.accounts[5], positions: [] };
    const file = withAccount(BASE, 30, twin);
    const isolated = engine.margin(file, { isolateAccounts: true });
    expect(isolated.errors).toEqual([
      {
        id: BASE.accounts[5].id,
        index: 30,
        error: {
          code: ErrorCode.ORDER,
          path: "accounts[30].id",
          message: `accounts[30].id: duplicate account id ${JSON.stringify(BASE.accounts[5].id)}; accounts[5] has it too`,
        },
      },
    ]);
    expect(bytes(isolated).all).toBe(bytes(engine.margin(BASE)).all);
    // the first of the two invalid: the second is margined
    const broken = structuredClone(file);
    broken.accounts[5].positions = [{ instrument: "BTC-PERPETUAL", qty: 0 }];
    const second = engine.margin(broken, { isolateAccounts: true });
    expect(second.errors!.map((e) => [e.index, e.error.code])).toEqual([[5, ErrorCode.RANGE]]);
    expect(bytes(second).all).toBe(bytes(engine.margin(without(broken, [5]))).all);
  });

  it("sets aside several bad accounts at once, in file order", () => {
    let file = BASE;
    for (const [k, at] of [[0, 2], [3, 10], [6, 25], [7, 43]] as const) file = withAccount(file, at, BAD_ACCOUNTS[k].account);
    const isolated = engine.margin(file, { isolateAccounts: true });
    expect(isolated.errors!.map((e) => e.index)).toEqual([2, 10, 25, 43]);
    expect(isolated.errors!.map((e) => e.error.code)).toEqual([ErrorCode.RANGE, ErrorCode.MISSING, ErrorCode.UNKNOWN, ErrorCode.KERNEL]);
    expect(bytes(isolated).all).toBe(bytes(engine.margin(BASE)).all);
  });

  it("with every account bad: no reports, every error", () => {
    const file = { ...structuredClone(BASE), accounts: BAD_ACCOUNTS.map((b) => b.account) } as PortfolioFile;
    const isolated = engine.margin(file, { isolateAccounts: true });
    expect(isolated.accounts).toEqual([]);
    expect(isolated.errors!.map((e) => e.index)).toEqual(BAD_ACCOUNTS.map((_, i) => i));
  });

  it("still throws for a bad market or params: every account depends on them", () => {
    const file = structuredClone(BASE);
    file.market.BTC.spot = -1;
    expect(thrown(() => engine.margin(file, { isolateAccounts: true })).path).toBe("market.BTC.spot");
    const notAList = { ...structuredClone(BASE), accounts: {} };
    expect(thrown(() => engine.margin(notAList, { isolateAccounts: true })).path).toBe("accounts");
  });

  it("keeps the risk attribution of the other accounts", () => {
    const file = withAccount(BASE, 4, BAD_ACCOUNTS[0].account);
    const isolated = engine.margin(file, { isolateAccounts: true, attribution: true });
    expect(JSON.stringify(isolated.accounts)).toBe(JSON.stringify(engine.margin(BASE, { attribution: true }).accounts));
  });

  it("sets aside an account with a scenario PV that is not a number (a vol beyond double precision) instead of under-margining it", () => {
    const file = buildFile({ seed: 3, accounts: 3, positions: [4, 8], optionShare: 0.65, randomParams: true, markSurfaces: true, variations: [2] });
    (file.market.ETH.surface as { vols: number[][] }).vols[3][1] = 1e300; // its square overflows in the total-variance interpolation
    const plain = thrown(() => engine.margin(file));
    expect({ code: plain.code, path: plain.path }).toEqual({ code: ErrorCode.KERNEL, path: "accounts[2]" });
    const isolated = engine.margin(file, { isolateAccounts: true });
    expect(isolated.errors!.map((e) => [e.index, e.error.code])).toEqual([[2, ErrorCode.KERNEL]]);
    expect(JSON.stringify(isolated.accounts)).not.toContain("null");
    expect(isolated.accounts).toHaveLength(2);
  });

  it("isolates accounts under the covariance model too", () => {
    const file = withAccount(withAccount(BASE, 8, BAD_ACCOUNTS[1].account), 20, BAD_ACCOUNTS[7].account);
    const isolated = engine.marginCovariance(file, { isolateAccounts: true });
    expect(isolated.errors!.map((e) => [e.index, e.error.code])).toEqual([[8, ErrorCode.UNKNOWN], [20, ErrorCode.KERNEL]]);
    expect(JSON.stringify(isolated.accounts)).toBe(JSON.stringify(engine.marginCovariance(BASE).accounts));
  });

  it(`holds for any bad accounts anywhere: mutations of random accounts of random files (${RUNS} files)`, () => {
    let files = 0;
    let setAside = 0;
    const pick = fc.tuple(fc.nat(), fc.nat(), fc.nat());
    const spec = fileSpecArb.map((s) => ({ ...s, accounts: Math.max(3, s.accounts + 2) }));
    fc.assert(
      fc.property(spec, fc.array(pick, { minLength: 1, maxLength: 3 }), (fileSpec, picks) => {
        const file = buildFile(fileSpec);
        // mutations inside one account each (not dropping or adding accounts: indices stay)
        const applied = new Map<number, Mutation>();
        const mutated = structuredClone(file) as PortfolioFile;
        for (const [a, s, m] of picks) {
          const index = a % file.accounts.length;
          if (applied.has(index)) continue;
          const inAccount = sites(file).filter((site) => site.path[0] === "accounts" && site.path[1] === index);
          const site = inAccount[s % inAccount.length];
          const mutations = mutationsAt(file, site.path, site.rule).filter((x) => x.op !== "dropped" && x.path[0] === "accounts");
          if (mutations.length === 0) continue;
          const mutation = mutations[m % mutations.length];
          mutation.apply(mutated);
          applied.set(index, mutation);
        }
        const isolated = engine.margin(mutated, { isolateAccounts: true });
        const indices = isolated.errors!.map((e) => e.index);
        // every account that must fail is set aside, at its mutation's path, with an expected code
        for (const [index, mutation] of applied) {
          const error = isolated.errors!.find((e) => e.index === index);
          if (mutation.expect.kind === "reject" && mutation.op !== "duplicate") {
            expect(error, `${mutation.op} at ${formatPath(mutation.path)}`).toBeDefined();
            expect(mutation.expect.codes).toContain(error!.error.code);
            expect(isAncestorOrSelf(error!.error.path, formatPath(mutation.expect.at ?? mutation.path))).toBe(true);
          }
        }
        // no untouched account is set aside (a duplicate id's earlier twin stays)
        for (const index of indices) expect(applied.has(index), `account ${index} set aside`).toBe(true);
        // and the others are exactly the run without the ones set aside
        expect(bytes(isolated).all).toBe(bytes(engine.margin(without(mutated, indices))).all);
        files++;
        setAside += indices.length;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`isolation: ${files} files, ${setAside} accounts set aside, every other report byte-identical`);
    expect(setAside).toBeGreaterThan(RUNS / 2);
  });
});
