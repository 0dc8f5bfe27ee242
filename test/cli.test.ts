import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE } from "../bindings/cli.js";
import { run } from "./support/cli.js";
import { createEngine } from "../bindings/index.js";

const EXAMPLE = new URL("../examples/portfolio.json", import.meta.url).pathname;
const BIN = new URL("../bin/margin-kernel.js", import.meta.url).pathname;


function badCopy(mutate: (file: any) => void): string {
  const file = JSON.parse(readFileSync(EXAMPLE, "utf8"));
  mutate(file);
  const path = join(mkdtempSync(join(tmpdir(), "mk-")), "bad.json");
  writeFileSync(path, JSON.stringify(file));
  return path;
}

describe("margin-kernel margin", () => {
  it("--json prints exactly the engine's report", async () => {
    const { code, out } = await run(["margin", EXAMPLE, "--json"]);
    expect(code).toBe(EXIT_OK);
    const engine = await createEngine();
    expect(JSON.parse(out)).toEqual(engine.margin(JSON.parse(readFileSync(EXAMPLE, "utf8"))));
  });

  it("prints a table per account with every pair and scenario", async () => {
    const { code, out } = await run(["margin", EXAMPLE]);
    expect(code).toBe(EXIT_OK);
    expect(out).toMatch(/^account +equity +initial margin +maintenance +available +status$/m);
    expect(out).toMatch(/^alice /m);
    expect(out).toMatch(/^bob-mm /m);
    expect(out).toMatch(/^pair +requirement +worst +fill set +PV s1 .* PV s9$/m);
    expect(out.match(/^(BTC|ETH) /gm)).toHaveLength(4);
  });

  it("exits 1 with the field path on bad input", async () => {
    const path = badCopy((f) => (f.market.BTC.surface.logMoneyness = [0.1, -0.1, 0, 0.2, 0.4, 0.5, 0.6]));
    const { code, out, err } = await run(["margin", path]);
    expect(code).toBe(EXIT_BAD_INPUT);
    expect(out).toBe("");
    expect(err).toMatch(/^margin-kernel: market\.BTC\.surface\.logMoneyness: /);
  });

  it("exits 2 on usage errors and unreadable files", async () => {
    expect((await run([])).code).toBe(EXIT_USAGE);
    expect((await run(["price", EXAMPLE])).code).toBe(EXIT_USAGE);
    expect((await run(["margin", EXAMPLE, "--csv"])).code).toBe(EXIT_USAGE);
    expect((await run(["margin", "/nonexistent.json"])).code).toBe(EXIT_USAGE);
    expect((await run(["--help"])).code).toBe(EXIT_OK);
  });

  it("runs as the package's bin in a child process, with the exit code", () => {
    const out = execFileSync(process.execPath, [BIN, "margin", EXAMPLE, "--json"], { encoding: "utf8" });
    expect(JSON.parse(out).accounts).toHaveLength(2);
    const bad = badCopy((f) => (f.accounts[0].positions[0].instrument = "BTC-31FEB27-1-C"));
    const child = spawnSync(process.execPath, [BIN, "margin", bad], { encoding: "utf8" });
    expect(child.status).toBe(EXIT_BAD_INPUT);
    expect(child.stderr).toMatch(/accounts\[0\]\.positions\[0\]\.instrument/);
  });
});
