import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE } from "../bindings/cli.js";
import { run } from "./support/cli.js";
import { createEngine, type Engine } from "../bindings/index.js";
import type { PortfolioFile } from "../bindings/model/types.js";

// `margin-kernel margin <file> --model scenario|covariance`: the flag overrides params.model.
const EXAMPLE = new URL("../examples/portfolio.json", import.meta.url).pathname;

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});


function write(file: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "mk-cov-")), "book.json");
  writeFileSync(path, JSON.stringify(file));
  return path;
}

const SEED: PortfolioFile = {
  asOf: "2026-11-21T08:00:00Z",
  params: { model: "covariance" },
  market: { BTC: { spot: 27_500 }, ETH: { spot: 2_000 } },
  accounts: [
    {
      id: "seed",
      balances: { USDT: 10_000 },
      positions: [
        { instrument: "BTC-PERPETUAL", qty: 1 },
        { instrument: "ETH-PERPETUAL", qty: -10 },
      ],
    },
  ],
};

describe("margin-kernel margin --model", () => {
  it("--model covariance --json prints exactly engine.marginCovariance's report", async () => {
    const { code, out } = await run(["margin", EXAMPLE, "--model", "covariance", "--json"]);
    expect(code).toBe(EXIT_OK);
    expect(JSON.parse(out)).toEqual(engine.marginCovariance(JSON.parse(readFileSync(EXAMPLE, "utf8"))));
  });

  it("prints the covariance table: IM, MM, collateral, margin ratio %, then liquidation prices", async () => {
    const { code, out } = await run(["margin", write(SEED)]); // params.model: covariance
    expect(code).toBe(EXIT_OK);
    expect(out).toBe(
      [
        "account  initial margin  maintenance  collateral  margin ratio  fill set",
        "-------  --------------  -----------  ----------  ------------  --------",
        "seed           1,700.18       850.09   10,000.00         8.50%      none",
        "",
        "instrument     liquidation price",
        "-------------  -----------------",
        "BTC-PERPETUAL          18,350.09",
        "ETH-PERPETUAL           2,914.99",
        "",
      ].join("\n"),
    );
  });

  it("--model scenario (or --model=scenario) overrides params.model: covariance", async () => {
    const path = write(SEED);
    for (const flags of [["--model", "scenario"], ["--model=scenario"]]) {
      const { code, out } = await run(["margin", path, ...flags, "--json"]);
      expect(code).toBe(EXIT_OK);
      expect(JSON.parse(out)).toEqual(engine.margin(SEED));
    }
    const table = await run(["margin", path, "--model", "scenario"]);
    expect(table.out).toMatch(/^account +equity +initial margin +maintenance +available +status$/m);
  });

  it("without params.model or the flag it prints the scenario report", async () => {
    const { out } = await run(["margin", write({ ...SEED, params: {} }), "--json"]);
    expect(JSON.parse(out)).toEqual(engine.margin(SEED));
  });

  it("prints n/a for a margin ratio without collateral and - for a flat position", async () => {
    const file: PortfolioFile = {
      ...SEED,
      accounts: [
        { id: "flat", balances: { USD: -1 }, positions: [{ instrument: "BTC-PERPETUAL", qty: 1 }, { instrument: "BTC-PERPETUAL", qty: -1 }] },
      ],
    };
    const { out } = await run(["margin", write(file), "--model=covariance"]);
    expect(out).toMatch(/^flat +0\.00 +0\.00 +-1\.00 +n\/a +none$/m);
    expect(out).toMatch(/^BTC-PERPETUAL +-$/m);
  });

  it("exits 2 on a bad --model and 1 with the field path on covariance-only bad input", async () => {
    expect((await run(["margin", EXAMPLE, "--model", "span"])).code).toBe(EXIT_USAGE);
    expect((await run(["margin", EXAMPLE, "--model"])).code).toBe(EXIT_USAGE);
    expect((await run(["margin", EXAMPLE, "--model=", "--json"])).code).toBe(EXIT_USAGE);
    const unlisted = write({ ...SEED, params: { marketCorrelation: { markets: ["BTC-PERPETUAL"], matrix: [[1]] } } });
    const bad = await run(["margin", unlisted, "--model", "covariance"]);
    expect(bad.code).toBe(EXIT_BAD_INPUT);
    expect(bad.err).toMatch(/^margin-kernel: accounts\[0\]\.positions\[1\]\.instrument: market ETH-PERPETUAL is not in/);
    expect((await run(["margin", unlisted, "--model", "scenario"])).code).toBe(EXIT_OK);
  });
});
