import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createEngine, type Engine } from "../bindings/index.js";
import { Kernel } from "../bindings/kernel.js";
import { ErrorCode, MarginError } from "../bindings/errors.js";
import { normalize } from "../bindings/validate.js";
import { prepareCovariance, type CovariancePath } from "../bindings/covariance.js";
import { psdFailure, psdTolerance } from "../bindings/model/correlation.js";
import * as L from "../bindings/layout.js";
import type { AccountInput, CovarianceReport, ParamsInput, PortfolioFile } from "../bindings/model/types.js";
import { BASE_SCENARIO, instrumentValue } from "./reference/model.js";
import { referenceCovariance, type ReferenceAccount } from "./reference/covariance.js";
import { covarianceFile, randomCorrelation } from "./support/covariance-books.js";
import { Gen } from "./support/random.js";

// SPEC.md "Correlation (covariance) margin" (OPNX): v_i = x_i p_i / L_i, IM = sqrt(v^T rho v), MM = IM / 2.
let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

type Build = "release" | "scalar";
const kernels = new Map<Build, Kernel>();
async function kernelOf(build: Build): Promise<Kernel> {
  if (!kernels.has(build)) {
    const bytes = readFileSync(new URL(`../build/${build}.wasm`, import.meta.url));
    kernels.set(build, await Kernel.create(new WebAssembly.Module(bytes)));
  }
  return kernels.get(build)!;
}

const AS_OF = "2026-11-21T08:00:00Z";
const NEXT_MARCH = "2027-03-26T08:00:00Z"; // BTC-26MAR27

function seedFile(accounts: AccountInput[], params: ParamsInput = {}, spots = { BTC: 27_500, ETH: 2_000 }): PortfolioFile {
  return {
    asOf: AS_OF,
    params: { model: "covariance", ...params },
    market: { BTC: { spot: spots.BTC, surface: { atmVol: 0.6 } }, ETH: { spot: spots.ETH } },
    accounts,
  };
}

const seedAccount: AccountInput = {
  id: "seed",
  balances: { USDT: 10_000 },
  positions: [
    { instrument: "BTC-PERPETUAL", qty: 1 },
    { instrument: "ETH-PERPETUAL", qty: -10 },
  ],
};

function rejects(file: unknown, path: string, code: string, message?: RegExp, run: (f: unknown) => unknown = (f) => engine.marginCovariance(f)): void {
  try {
    run(file);
  } catch (e) {
    expect(e).toBeInstanceOf(MarginError);
    expect({ path: (e as MarginError).path, code: (e as MarginError).code }).toEqual({ path, code });
    if (message) expect((e as MarginError).message).toMatch(message);
    return;
  }
  throw new Error(`expected a MarginError at ${path}`);
}

describe("the OPNX seed's examples", () => {
  it("BTC perp +1 @ 27,500 and ETH perp -10 @ 2,000, both 20x, rho 0: IM 1,700.184, MM 850.092", () => {
    for (const params of [
      {}, // default matrix: 0 between pairs; default leverage 20
      {
        leverage: { "BTC-PERPETUAL": 20, "ETH-PERPETUAL": 20 },
        marketCorrelation: { markets: ["BTC-PERPETUAL", "ETH-PERPETUAL"], matrix: [[1, 0], [0, 1]] },
      },
    ]) {
      const r = engine.marginCovariance(seedFile([seedAccount], params)).accounts[0];
      expect(r.initialMargin.toFixed(3)).toBe("1700.184");
      expect(r.maintenanceMargin.toFixed(3)).toBe("850.092");
      // sqrt((27,500 / 20)^2 + (20,000 / 20)^2) = sqrt(2,890,625)
      expect(Math.abs(r.initialMargin - Math.sqrt(2_890_625))).toBeLessThanOrEqual(1e-12 * 1700);
      expect(r.maintenanceMargin).toBe(r.initialMargin / 2);
      expect(r.fillSet).toBe("none");
    }
  });

  it("the BTC pair: long @ 28,000 and short @ 26,000 at 100x, rho 0.7: IM = 209.952 (two markets)", () => {
    // a future marked 28,000 (long) and the perpetual at spot 26,000 (short), correlated 0.7
    const file: PortfolioFile = {
      asOf: AS_OF,
      market: { BTC: { spot: 26_000, futures: [{ expiry: NEXT_MARCH, mark: 28_000 }] } },
      params: {
        leverage: { "BTC-26MAR27": 100, "BTC-PERPETUAL": 100 },
        marketCorrelation: { markets: ["BTC-26MAR27", "BTC-PERPETUAL"], matrix: [[1, 0.7], [0.7, 1]] },
      },
      accounts: [{ id: "pair", positions: [{ instrument: "BTC-26MAR27", qty: 1 }, { instrument: "BTC-PERPETUAL", qty: -1 }] }],
    };
    const r = engine.marginCovariance(file).accounts[0];
    // the seed's formula: sqrt(0.01^2 26,000^2 + 0.01^2 28,000^2 - 2 x 26,000 x 28,000 x 0.01 x 0.01 x 0.7) = sqrt(44,080)
    const seed = Math.sqrt(0.01 ** 2 * 26_000 ** 2 + 0.01 ** 2 * 28_000 ** 2 - 2 * 26_000 * 28_000 * 0.01 * 0.01 * 0.7);
    expect(seed.toFixed(6)).toBe("209.952376");
    // the future's mark is F(T) = S exp(b T) on the curve, 28,000 up to rounding in ln and exp
    expect(Math.abs(r.initialMargin - seed)).toBeLessThanOrEqual(1e-9 * seed);
    expect(r.initialMargin.toFixed(3)).toBe("209.952");
    expect(r.maintenanceMargin.toFixed(3)).toBe("104.976");
    // without the correlation (default: 1 within a pair) it is the net notional: |280 - 260| = 20
    delete file.params!.marketCorrelation;
    expect(engine.marginCovariance(file).accounts[0].initialMargin).toBeCloseTo(20, 9);
  });
});

describe("collateral, margin ratio and liquidation price by hand", () => {
  it("the seed account with 10,000 USDT: ratio 8.50%, liquidation at 18,350.09 and 2,914.99", () => {
    const r = engine.marginCovariance(seedFile([seedAccount])).accounts[0];
    const mm = Math.sqrt(2_890_625) / 2;
    expect(r.collateral).toBe(10_000);
    expect(r.marginRatio).toBeCloseTo((100 * mm) / 10_000, 12); // 8.5009%
    // p - (collateral - MM) / x
    expect(r.liquidationPrice["BTC-PERPETUAL"]).toBeCloseTo(27_500 - (10_000 - mm) / 1, 9); // 18,350.09
    expect(r.liquidationPrice["ETH-PERPETUAL"]).toBeCloseTo(2_000 - (10_000 - mm) / -10, 9); // 2,914.99
    expect(Object.keys(r.liquidationPrice)).toEqual(["BTC-PERPETUAL", "ETH-PERPETUAL"]);
  });

  it("counts unrealised PnL of perpetuals and futures, spot and options at mark; orders never", () => {
    const expiry = "2027-05-21T08:00:00Z";
    const file = seedFile([
      {
        id: "a",
        balances: { USD: 1_000 },
        positions: [
          { instrument: "BTC-PERPETUAL", qty: 2, entryPrice: 27_000 }, // +1,000
          { instrument: { kind: "future", pair: "BTC", expiry }, qty: -1, entryPrice: 28_000 }, // F = S (no marks): +500
          { instrument: "ETH-USD", qty: 3 }, // spot at mark: +6,000
          { instrument: { kind: "option", pair: "BTC", right: "call", strike: 30_000, expiry }, qty: -2 },
        ],
        orders: [{ instrument: "ETH-PERPETUAL", side: "buy", qty: 5, price: 1_900 }],
      },
    ]);
    const book = normalize(file);
    const call = book.accounts[0].positions[3].instrument;
    const callValue = instrumentValue(book.pairs[0], call, 0, BASE_SCENARIO); // reference Black-76, 0.6 vol, half a year
    expect(callValue).toBeGreaterThan(1_000);
    const r = engine.marginCovariance(file).accounts[0];
    expect(r.collateral).toBeCloseTo(1_000 + 1_000 + 500 + 6_000 - 2 * callValue, 8);
    // IM: BTC (perp, future, call) summed in one factor, ETH spot; the ETH bid raises ETH: bids set
    const btc = (2 * 27_500 - 27_500 - 2 * callValue) / 20;
    const eth = (3 * 2_000) / 20;
    const ethBids = ((3 + 5) * 2_000) / 20;
    expect(r.fillSet).toBe("bids");
    expect(r.initialMargin).toBeCloseTo(Math.hypot(btc, ethBids), 8);
    expect(r.initialMargin).toBeGreaterThan(Math.hypot(btc, eth));
    // liquidation prices per position's instrument, from the net position (orders excluded)
    const mm = r.initialMargin / 2;
    expect(r.liquidationPrice["ETH-USD"]).toBeCloseTo(2_000 - (r.collateral - mm) / 3, 8);
    expect(r.liquidationPrice["BTC-21MAY27-30000-C"]).toBeCloseTo(callValue - (r.collateral - mm) / -2, 8);
    expect(r.liquidationPrice).not.toHaveProperty("ETH-PERPETUAL");
  });

  it("a flat net position has no liquidation price; collateral <= 0 has no margin ratio", () => {
    const flat = engine.marginCovariance(
      seedFile([{ id: "flat", balances: { USD: 100 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }, { instrument: "BTC-PERPETUAL", qty: -1 }] }]),
    ).accounts[0];
    expect(flat.liquidationPrice).toEqual({ "BTC-PERPETUAL": null });
    expect(flat.initialMargin).toBe(0);
    expect(flat.marginRatio).toBe(0);
    const broke = engine.marginCovariance(seedFile([{ id: "broke", balances: { USD: -5 }, positions: [{ instrument: "ETH-PERPETUAL", qty: 1 }] }])).accounts[0];
    expect(broke.collateral).toBe(-5);
    expect(broke.marginRatio).toBeNull();
    const empty = engine.marginCovariance(seedFile([{ id: "empty" }])).accounts[0];
    expect(empty).toEqual({ id: "empty", initialMargin: 0, maintenanceMargin: 0, collateral: 0, marginRatio: null, liquidationPrice: {}, fillSet: "none" });
  });
});

describe("working orders: the largest of none, all bids, all asks", () => {
  const long = [{ instrument: "BTC-PERPETUAL", qty: 1 }];
  const im = (account: Omit<AccountInput, "id">) => engine.marginCovariance(seedFile([{ id: "o", balances: { USD: 50_000 }, ...account }])).accounts[0];
  it("bids adding to a long set it", () => {
    const r = im({ positions: long, orders: [{ instrument: "BTC-PERPETUAL", side: "buy", qty: 2, price: 27_000 }] });
    expect(r.fillSet).toBe("bids");
    expect(r.initialMargin).toBeCloseTo((3 * 27_500) / 20, 9);
  });
  it("asks that flip the long further than the bids go set it", () => {
    const r = im({
      positions: long,
      orders: [
        { instrument: "BTC-PERPETUAL", side: "buy", qty: 2, price: 27_000 },
        { instrument: "BTC-PERPETUAL", side: "sell", qty: 5, price: 28_000 },
      ],
    });
    expect(r.fillSet).toBe("asks");
    expect(r.initialMargin).toBeCloseTo((4 * 27_500) / 20, 9); // 1 - 5 = -4
  });
  it("a risk-reducing ask leaves the positions' requirement (none wins ties and smaller sets)", () => {
    const r = im({ positions: long, orders: [{ instrument: "BTC-PERPETUAL", side: "sell", qty: 1, price: 28_000 }] });
    expect(r.fillSet).toBe("none");
    expect(r.initialMargin).toBeCloseTo(27_500 / 20, 9);
  });
  it("orders on markets the account holds no position in count through the matrix", () => {
    const r = im({
      positions: long,
      orders: [{ instrument: "ETH-PERPETUAL", side: "sell", qty: 10, price: 2_100 }],
    });
    expect(r.fillSet).toBe("asks");
    expect(r.initialMargin).toBeCloseTo(Math.hypot(27_500 / 20, 20_000 / 20), 9);
  });
});

describe("LTV haircuts", () => {
  const collateral = (balances: Record<string, number>, ltv?: Record<string, number>) =>
    engine.marginCovariance(seedFile([{ id: "c", balances }], ltv ? { ltv } : {})).accounts[0].collateral;
  it("USD codes count at 1.0 and coins at 0.9 of spot by default", () => {
    expect(collateral({ USD: 100, USDC: 200, USDT: 300 })).toBe(600);
    expect(collateral({ BTC: 2, ETH: 10 })).toBeCloseTo(0.9 * (2 * 27_500 + 10 * 2_000), 9);
  });
  it("params.ltv sets each code's and coin's haircut", () => {
    expect(collateral({ USD: 100, USDT: 1_000, BTC: 1 }, { USDT: 0.95, BTC: 0.5 })).toBeCloseTo(100 + 950 + 0.5 * 27_500, 9);
    expect(collateral({ ETH: 1 }, { ETH: 0 })).toBe(0);
  });
  it("a debt counts in full: the haircut applies to assets only", () => {
    expect(collateral({ USD: 50_000, BTC: -1 })).toBeCloseTo(50_000 - 27_500, 9);
    expect(collateral({ USDT: -100 }, { USDT: 0.5 })).toBe(-100);
  });
});

describe("covariance params are validated with field paths", () => {
  const base = () => seedFile([seedAccount]);
  const withParams = (params: Record<string, unknown>) => {
    const file = base() as unknown as { params: Record<string, unknown> };
    Object.assign(file.params, params);
    return file;
  };
  const corr = (markets: unknown, matrix: unknown) => withParams({ marketCorrelation: { markets, matrix } });
  const both = ["BTC-PERPETUAL", "ETH-PERPETUAL"];
  it.each([
    ["model", withParams({ model: "span" }), "params.model", ErrorCode.UNKNOWN],
    ["leverage 0", withParams({ leverage: { "BTC-PERPETUAL": 0 } }), 'params.leverage["BTC-PERPETUAL"]', ErrorCode.RANGE],
    ["leverage a string", withParams({ leverage: { "BTC-PERPETUAL": "50" } }), 'params.leverage["BTC-PERPETUAL"]', ErrorCode.TYPE],
    ["leverage name", withParams({ leverage: { "BTC-PERP": 10 } }), 'params.leverage["BTC-PERP"]', ErrorCode.PARSE],
    ["leverage pair", withParams({ leverage: { "XRP-PERPETUAL": 10 } }), 'params.leverage["XRP-PERPETUAL"]', ErrorCode.UNKNOWN],
    ["leverage twice", withParams({ leverage: { "BTC-5DEC26": 10, "BTC-05DEC26": 20 } }), 'params.leverage["BTC-05DEC26"]', ErrorCode.ORDER],
    ["ltv above 1", withParams({ ltv: { BTC: 1.2 } }), "params.ltv.BTC", ErrorCode.RANGE],
    ["ltv coin", withParams({ ltv: { DOGE: 0.5 } }), "params.ltv.DOGE", ErrorCode.UNKNOWN],
    ["correlation key", withParams({ marketCorrelation: { markets: both, matrix: [[1, 0], [0, 1]], rho: 1 } }), "params.marketCorrelation.rho", ErrorCode.UNKNOWN],
    ["no markets", corr([], []), "params.marketCorrelation.markets", ErrorCode.SHAPE],
    ["market twice", corr(["BTC-PERPETUAL", "BTC-PERPETUAL"], [[1, 1], [1, 1]]), "params.marketCorrelation.markets[1]", ErrorCode.ORDER],
    ["market name", corr(["BTC-PERPETUAL", "ETH-PERP"], [[1, 0], [0, 1]]), "params.marketCorrelation.markets[1]", ErrorCode.PARSE],
    ["rows", corr(both, [[1, 0]]), "params.marketCorrelation.matrix", ErrorCode.SHAPE],
    ["row length", corr(both, [[1, 0], [0]]), "params.marketCorrelation.matrix[1]", ErrorCode.SHAPE],
    ["entry above 1", corr(both, [[1, 1.5], [1.5, 1]]), "params.marketCorrelation.matrix[0][1]", ErrorCode.RANGE],
    ["entry NaN", corr(both, [[1, NaN], [NaN, 1]]), "params.marketCorrelation.matrix[0][1]", ErrorCode.NOT_FINITE],
    ["diagonal", corr(both, [[1, 0], [0, 0.9]]), "params.marketCorrelation.matrix[1][1]", ErrorCode.RANGE],
    ["symmetry", corr(both, [[1, 0.3], [0.2, 1]]), "params.marketCorrelation.matrix[1][0]", ErrorCode.RANGE],
  ])("rejects %s (also for the scenario model: the file is invalid)", (_, file, path, code) => {
    rejects(file, path, code);
    rejects(file, path, code, undefined, (f) => engine.margin(f));
  });

  it("rejects a matrix that is not positive semi-definite, naming the method and tolerance", () => {
    const file = corr(
      ["BTC-PERPETUAL", "ETH-PERPETUAL", "ETH-USD"],
      [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
    );
    rejects(file, "params.marketCorrelation.matrix", ErrorCode.RANGE, /not positive semi-definite: pivoted LDL\^T \(tolerance 4 n eps = 2\.66e-15\) finds pivot -15\.2 at ETH-USD after eliminating BTC-PERPETUAL, ETH-PERPETUAL/);
    const minor = corr(["BTC-PERPETUAL", "ETH-PERPETUAL", "ETH-USD"], [[1, 1, 1], [1, 1, 0.5], [1, 0.5, 1]]);
    rejects(minor, "params.marketCorrelation.matrix", ErrorCode.RANGE, /ETH-PERPETUAL and ETH-USD have no variance left after eliminating BTC-PERPETUAL but a covariance of -0\.5,/);
  });

  it("rejects a traded market missing from the listed markets (covariance only) and one name for two expiries", () => {
    const file = corr(["BTC-PERPETUAL"], [[1]]);
    rejects(file, "accounts[0].positions[1].instrument", ErrorCode.MISSING, /ETH-PERPETUAL is not in params\.marketCorrelation\.markets/);
    expect(engine.margin(file).accounts).toHaveLength(1);
    const twoExpiries = seedFile([
      { id: "x", positions: [{ instrument: "BTC-26MAR27", qty: 1 }] },
      { id: "y", orders: [{ instrument: { kind: "future", pair: "BTC", expiry: "2027-03-26T16:00:00Z" }, side: "buy", qty: 1, price: 1 }] },
    ]);
    rejects(twoExpiries, "accounts[1].orders[0].instrument", ErrorCode.RANGE, /one name is one market/);
  });

  it("accepts singular PSD matrices (perfect correlation) and canonicalizes names", () => {
    const file = corr(["BTC-PERPETUAL", "ETH-PERPETUAL", "BTC-05DEC26"], [[1, 1, 1], [1, 1, 1], [1, 1, 1]]);
    expect(normalize(file).params.marketCorrelation!.markets).toEqual(["BTC-PERPETUAL", "ETH-PERPETUAL", "BTC-5DEC26"]);
    // rho = 1 everywhere: IM = |27,500 / 20 - 20,000 / 20|
    expect(engine.marginCovariance(file).accounts[0].initialMargin).toBeCloseTo(375, 9);
  });
});

describe("psdFailure: pivoted LDL^T with tolerance 4 n eps", () => {
  it("accepts random singular correlation matrices up to 500 markets and rejects them pushed below by 1e-9", () => {
    const g = new Gen(7);
    for (const n of [2, 30, 500]) {
      const m = randomCorrelation(g, n, Math.min(5, n - 1), false);
      expect(psdFailure(m)).toBeNull();
      // m - 1e-9 (I - 0 ... ) is not PSD: subtract 1e-9 u u^T along a null direction, kept as a
      // correlation-like matrix by scaling: (m - e I) / (1 - e) has unit diagonal and min eigenvalue -e / (1 - e)
      const e = 1e-9;
      const pushed = m.map((row, i) => row.map((x, j) => (i === j ? 1 : x / (1 - e))));
      expect(psdFailure(pushed)?.kind).toBeDefined();
    }
  });
  it("accepts the identity and a full-rank random matrix; the tolerance is 4 n eps", () => {
    const g = new Gen(8);
    expect(psdFailure([[1, 0], [0, 1]])).toBeNull();
    expect(psdFailure(randomCorrelation(g, 200, 4, true))).toBeNull();
    expect(psdTolerance(500)).toBe(4 * 500 * 2 ** -52);
  });
  it("reports a negative pivot, or the 2 x 2 minor when no variance is left but a covariance is", () => {
    // after eliminating market 0: S = [[0.75, 0.5], [0.5, 0]], then S_22 = 0 - 0.5^2 / 0.75 = -1/3
    expect(psdFailure([[1, 0.5, 1], [0.5, 1, 1], [1, 1, 1]])).toMatchObject({ kind: "pivot", index: 2, pivot: expect.closeTo(-1 / 3, 15), eliminated: [0, 1] });
    // markets 1 and 2 both perfectly correlated with market 0, so with each other, but rho(1, 2) = 0.5:
    // after eliminating 0 both have no variance left and a covariance of 0.5 - 1
    expect(psdFailure([[1, 1, 1], [1, 1, 0.5], [1, 0.5, 1]])).toMatchObject({ kind: "residual", index: 1, other: 2, value: -0.5, eliminated: [0] });
  });
});

// ---- the kernel against the plain-TS reference ----

interface Mismatch {
  where: string;
  kernel: unknown;
  reference: unknown;
}

function compare(kernel: CovarianceReport, reference: ReferenceAccount[], label: string): Mismatch[] {
  const out: Mismatch[] = [];
  kernel.accounts.forEach((k, a) => {
    const r = reference[a];
    const where = (field: string) => `${label} ${r.id} ${field}`;
    const scale = Math.max(...r.sets.map((s) => s.scale));
    // forms: each side within (n + 2) u scale^2 of the exact one (n <= 500), the marks within 1e-12 relative
    const formTolerance = 1e-11 * scale * scale;
    if (!(Math.abs(k.initialMargin ** 2 - r.initialMargin ** 2) <= formTolerance)) out.push({ where: where("IM"), kernel: k.initialMargin, reference: r.initialMargin });
    if (k.maintenanceMargin !== k.initialMargin / 2) out.push({ where: where("MM"), kernel: k.maintenanceMargin, reference: k.initialMargin / 2 });
    if (k.fillSet !== r.fillSet) {
      const chosen = r.sets.find((s) => s.fillSet === k.fillSet)!;
      if (!(Math.abs(chosen.form - r.sets.find((s) => s.fillSet === r.fillSet)!.form) <= formTolerance)) {
        out.push({ where: where("fillSet"), kernel: k.fillSet, reference: r.fillSet });
      }
    }
    const collateralTolerance = 1e-9 * Math.max(1, r.collateralScale);
    if (!(Math.abs(k.collateral - r.collateral) <= collateralTolerance)) out.push({ where: where("collateral"), kernel: k.collateral, reference: r.collateral });
    if ((k.marginRatio === null) !== (r.marginRatio === null)) {
      if (Math.abs(r.collateral) > collateralTolerance) out.push({ where: where("marginRatio"), kernel: k.marginRatio, reference: r.marginRatio });
    } else if (k.marginRatio !== null && !(Math.abs(k.marginRatio - r.marginRatio!) <= 1e-8 * Math.max(1, r.marginRatio!))) {
      out.push({ where: where("marginRatio"), kernel: k.marginRatio, reference: r.marginRatio });
    }
    expect(Object.keys(k.liquidationPrice)).toEqual(Object.keys(r.liquidationPrice));
    for (const [name, price] of Object.entries(r.liquidationPrice)) {
      const kp = k.liquidationPrice[name];
      if (price === null || kp === null) {
        if (price !== kp) out.push({ where: where(`liquidationPrice ${name}`), kernel: kp, reference: price });
        continue;
      }
      const tolerance = 1e-9 * (Math.abs(price) + (r.collateralScale + scale) / Math.abs(r.netCoins[name]));
      if (!(Math.abs(kp - price) <= tolerance)) out.push({ where: where(`liquidationPrice ${name}`), kernel: kp, reference: price });
    }
  });
  return out;
}

describe("kernel vs plain-TS reference on random books (up to 500 markets)", () => {
  const cases: [string, Parameters<typeof covarianceFile>[1]][] = [
    ["1 market", { markets: 1, accounts: 10 }],
    ["7 markets, full rank", { markets: 7, accounts: 40, denseShare: 0.4 }],
    ["60 markets, singular", { markets: 60, accounts: 40, correlation: "singular" }],
    ["60 markets, default matrix", { markets: 60, accounts: 40, correlation: "default" }],
    ["500 markets, full rank", { markets: 500, accounts: 30, denseShare: 0.15 }],
    ["500 markets, singular", { markets: 500, accounts: 20, denseShare: 0.2, correlation: "singular" }],
  ];
  it.each(cases)("%s: both builds, auto, sparse and dense paths agree with the reference", async (_, options) => {
    let seed = 0;
    for (const ch of _) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
    const file = covarianceFile(seed, options);
    const reference = referenceCovariance(normalize(file)).accounts;
    let sparseAccounts = 0;
    let denseAccounts = 0;
    const book = normalize(file);
    const factors = book.params.marketCorrelation?.markets.length ?? book.pairs.length;
    for (const account of book.accounts) {
      const touched = new Set(
        [...account.positions, ...account.orders].map((h) =>
          book.params.marketCorrelation ? h.instrument.name : h.instrument.pair,
        ),
      ).size;
      if (touched > 0 && 2 * touched >= factors) denseAccounts++;
      else sparseAccounts++;
    }
    if (options.markets >= 60 && options.correlation !== "default") {
      expect(sparseAccounts).toBeGreaterThan(0);
      expect(denseAccounts).toBeGreaterThan(0);
    }
    const failures: Mismatch[] = [];
    for (const build of ["release", "scalar"] as const) {
      const kernel = await kernelOf(build);
      for (const path of ["auto", "sparse", "dense"] as CovariancePath[]) {
        const resident = prepareCovariance(kernel, normalize(file), engine, { path });
        try {
          failures.push(...compare(resident.margin(), reference, `${build}/${path}`));
        } finally {
          resident.dispose();
        }
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it("engine.marginCovariance equals the resident book's report", async () => {
    const file = covarianceFile(99, { markets: 40, accounts: 20 });
    const resident = prepareCovariance(await kernelOf("release"), normalize(file), engine);
    try {
      expect(engine.marginCovariance(file)).toEqual(resident.margin());
    } finally {
      resident.dispose();
    }
  });
});

describe("the quadratic-form exports against a plain double sum", () => {
  it.each(["release", "scalar"] as const)("%s: dense and sparse forms, odd and even orders, zero entries", async (build) => {
    const kernel = await kernelOf(build);
    const exports = kernel.exports as unknown as {
      covarianceForm(vec: number, mat: number, n: number): number;
      covarianceFormSparse(idx: number, vec: number, t: number, mat: number, n: number): number;
    };
    const g = new Gen(build === "release" ? 11 : 12);
    for (const n of [1, 2, 3, 10, 33, 128]) {
      const rho = randomCorrelation(g, n, Math.min(3, n), true);
      const v = Array.from({ length: n }, () => (g.chance(0.2) ? 0 : g.uniform(-1e4, 1e4)));
      const t = Math.max(1, Math.floor(n / 3));
      const idx = Array.from({ length: n }, (_, i) => i).sort(() => g.next() - 0.5).slice(0, t);
      const w = idx.map(() => g.uniform(-1e3, 1e3));
      const region = kernel.alloc(8 * n * n + 8 * n + 8 * t + 4 * t + 64);
      const { f64, i32 } = kernel;
      const mat = region;
      const vec = mat + 8 * n * n;
      const sub = vec + 8 * n;
      const ind = sub + 8 * t;
      rho.forEach((row, i) => f64.set(row, mat / 8 + i * n));
      f64.set(v, vec / 8);
      f64.set(w, sub / 8);
      i32.set(idx, ind / 4);
      let dense = 0;
      let scale = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) dense += v[i] * rho[i][j] * v[j];
      for (const x of v) scale += Math.abs(x);
      expect(Math.abs(exports.covarianceForm(vec, mat, n) - dense)).toBeLessThanOrEqual(4 * (n + 2) * 2 ** -53 * scale * scale);
      let sparse = 0;
      let sparseScale = 0;
      for (let j = 0; j < t; j++) for (let k = 0; k < t; k++) sparse += w[j] * rho[idx[j]][idx[k]] * w[k];
      for (const x of w) sparseScale += Math.abs(x);
      expect(Math.abs(exports.covarianceFormSparse(ind, sub, t, mat, n) - sparse)).toBeLessThanOrEqual(4 * (t + 2) * 2 ** -53 * sparseScale * sparseScale);
      kernel.release(region);
    }
  });

  it("cvScratchF64 agrees between the kernel and the bindings", async () => {
    const exports = (await kernelOf("release")).exports as unknown as { cvScratchF64(m: number, c: number): number };
    for (const [m, c] of [[0, 1], [1, 1], [7, 3], [500, 500], [1001, 2]]) expect(exports.cvScratchF64(m, c)).toBe(L.cvScratchF64(m, c));
  });
});

describe("resident covariance books", () => {
  it("ticks rewrite the marks, never the matrix; a changed matrix is rewritten once", async () => {
    const kernel = await kernelOf("release");
    const file = seedFile([seedAccount], {
      marketCorrelation: { markets: ["BTC-PERPETUAL", "ETH-PERPETUAL"], matrix: [[1, 0.5], [0.5, 1]] },
    });
    const resident = prepareCovariance(kernel, normalize(file), engine);
    try {
      expect(resident.correlationWrites).toBe(1);
      const first = resident.margin().accounts[0];
      // v = (1375, -1000), rho 0.5: IM^2 = 1375^2 + 1000^2 - 1375 * 1000
      expect(first.initialMargin).toBeCloseTo(Math.sqrt(1375 ** 2 + 1000 ** 2 - 1375 * 1000), 9);
      const bytes = kernel.memoryBytes;
      for (let i = 0; i < 500; i++) {
        resident.updateMarket({ BTC: { spot: 27_000 + i } });
        resident.run();
      }
      expect(kernel.memoryBytes).toBe(bytes);
      const ticked = resident.report().accounts[0];
      expect(ticked.initialMargin).toBeCloseTo(Math.sqrt((27_499 / 20) ** 2 + 1000 ** 2 - (27_499 / 20) * 1000), 9);
      expect(ticked.liquidationPrice["BTC-PERPETUAL"]).toBeCloseTo(27_499 - (10_000 - ticked.maintenanceMargin), 9);
      expect(resident.correlationWrites).toBe(1);
      resident.updateCorrelation({ markets: ["ETH-PERPETUAL", "BTC-PERPETUAL"], matrix: [[1, 0.5], [0.5, 1]] });
      expect(resident.correlationWrites).toBe(1); // the same matrix over the same factors: nothing written
      resident.updateCorrelation({ markets: ["BTC-PERPETUAL", "ETH-PERPETUAL"], matrix: [[1, 0], [0, 1]] });
      expect(resident.correlationWrites).toBe(2);
      expect(resident.margin().accounts[0].initialMargin).toBeCloseTo(Math.hypot(27_499 / 20, 1000), 9);
      resident.updateCorrelation(null); // the default: pairs uncorrelated, the same numbers
      expect(resident.margin().accounts[0].initialMargin).toBeCloseTo(Math.hypot(27_499 / 20, 1000), 9);
      expect(() => resident.updateCorrelation({ markets: ["BTC-PERPETUAL"], matrix: [[1]] })).toThrow(/ETH-PERPETUAL is not in/);
      expect(() => resident.updateMarket({ BTC: { spot: -1 } })).toThrow(/market\.BTC\.spot/);
    } finally {
      resident.dispose();
    }
  });
});

describe("both models on the same file", () => {
  it("engine.margin is the scenario report and engine.marginCovariance the covariance one, whatever params.model says", () => {
    const example = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));
    const scenario = engine.margin(example);
    const covariance = engine.marginCovariance(example);
    expect(covariance.accounts.map((a) => a.id)).toEqual(scenario.accounts.map((a) => a.id));
    for (const account of covariance.accounts) {
      expect(account.initialMargin).toBeGreaterThan(0);
      expect(account.maintenanceMargin).toBe(account.initialMargin / 2);
    }
    const marked = { ...example, params: { ...example.params, model: "covariance" } };
    expect(engine.margin(marked)).toEqual(scenario);
    expect(engine.marginCovariance(marked)).toEqual(covariance);
    // the reference agrees on the example too
    const reference = referenceCovariance(normalize(example)).accounts;
    expect(compare(covariance, reference, "example")).toEqual([]);
  });
});
