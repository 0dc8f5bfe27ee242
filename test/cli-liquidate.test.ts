import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE } from "../bindings/cli.js";
import { run } from "./support/cli.js";
import { createEngine } from "../bindings/index.js";

const FILE = new URL("../examples/liquidation.json", import.meta.url).pathname;
const DEPTH = new URL("../examples/depth.json", import.meta.url).pathname;
const BIN = new URL("../bin/margin-kernel.js", import.meta.url).pathname;


function tempJson(value: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "mk-liq-")), "x.json");
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe("margin-kernel liquidate", () => {
  it("--json prints exactly the engine's plan", async () => {
    const { code, out } = await run(["liquidate", FILE, "carol", "--depth", DEPTH, "--json"]);
    expect(code).toBe(EXIT_OK);
    const engine = await createEngine();
    const plan = engine.liquidationPlan(JSON.parse(readFileSync(FILE, "utf8")), "carol", { depth: JSON.parse(readFileSync(DEPTH, "utf8")) });
    expect(JSON.parse(out)).toEqual(plan);
  });

  it("prints the example's plan as tables: orders cancelled, book closes, ADL with notifications, slices", async () => {
    const { code, out } = await run(["liquidate", FILE, "carol", "--depth", DEPTH]);
    expect(code).toBe(EXIT_OK);
    expect(out).toMatch(/^liquidation plan for carol \(target: equity >= IM\)$/m);
    expect(out).toMatch(/^step 0: cancel 2 working orders$/m);
    expect(out).toMatch(/^1 +book +BTC-PERPETUAL +sell +1 +90,980\.00 /m);
    expect(out).toMatch(/ adl +ETH-PERPETUAL +buy +30 /m);
    expect(out).toMatch(/ slice \d+(\.\d+)?% +book /m);
    expect(out).toMatch(/^ +\d+ +1 +dave +ETH-PERPETUAL +sell +30 /m);
    expect(out).toMatch(/^outcome: target-reached /m);
  });

  it("takes --buffer and --depth=path, and runs with empty books without --depth", async () => {
    const a = await run(["liquidate", FILE, "carol", `--depth=${DEPTH}`, "--buffer", "0", "--json"]);
    expect(a.code).toBe(EXIT_OK);
    const plan = JSON.parse(a.out);
    expect(plan.buffer).toBe(0);
    expect(plan.after.equity).toBeGreaterThanOrEqual(plan.after.maintenanceMargin);
    const b = await run(["liquidate", FILE, "carol", "--json"]);
    expect(b.code).toBe(EXIT_OK);
    expect(JSON.parse(b.out).steps.every((s: { via: string }) => s.via === "adl")).toBe(true);
  });

  it("exits 1 with the field path on bad input", async () => {
    const depth = JSON.parse(readFileSync(DEPTH, "utf8"));
    depth["BTC-PERPETUAL"].bids[1][1] = -1;
    const bad = await run(["liquidate", FILE, "carol", "--depth", tempJson(depth)]);
    expect(bad.code).toBe(EXIT_BAD_INPUT);
    expect(bad.out).toBe("");
    expect(bad.err).toBe('margin-kernel: depth["BTC-PERPETUAL"].bids[1][1]: must be > 0, got -1\n');
    expect((await run(["liquidate", FILE, "nobody"])).err).toMatch(/^margin-kernel: accountId: no account has id "nobody"/);
    expect((await run(["liquidate", FILE, "carol", "--buffer", "2"])).err).toMatch(/^margin-kernel: buffer: must be in \[0, 1\]/);
    const file = JSON.parse(readFileSync(FILE, "utf8"));
    file.accounts[0].positions[0].qty = "6";
    const badFile = await run(["liquidate", tempJson(file), "carol"]);
    expect(badFile.code).toBe(EXIT_BAD_INPUT);
    expect(badFile.err).toMatch(/^margin-kernel: accounts\[0\]\.positions\[0\]\.qty: /);
  });

  it("exits 2 on usage errors and unreadable files", async () => {
    expect((await run(["liquidate", FILE])).code).toBe(EXIT_USAGE);
    expect((await run(["liquidate", FILE, "carol", "extra"])).code).toBe(EXIT_USAGE);
    expect((await run(["liquidate", FILE, "carol", "--buffer", "half"])).code).toBe(EXIT_USAGE);
    expect((await run(["liquidate", FILE, "carol", "--buffer"])).code).toBe(EXIT_USAGE);
    expect((await run(["liquidate", FILE, "carol", "--depth"])).code).toBe(EXIT_USAGE);
    expect((await run(["liquidate", FILE, "carol", "--csv"])).code).toBe(EXIT_USAGE);
    expect((await run(["liquidate", FILE, "carol", "--depth", "/nonexistent.json"])).code).toBe(EXIT_USAGE);
    expect((await run(["liquidate", "/nonexistent.json", "carol"])).code).toBe(EXIT_USAGE);
    const help = await run(["liquidate", "--help"]);
    expect(help.code).toBe(EXIT_OK);
    expect(help.out).toMatch(/^usage: margin-kernel liquidate <file\.json> <accountId>/);
    expect((await run(["--help"])).out).toMatch(/margin-kernel liquidate/);
  });

  it("runs as the package's bin (dist/)", () => {
    const r = spawnSync(process.execPath, [BIN, "liquidate", FILE, "carol", "--depth", DEPTH], { encoding: "utf8" });
    expect(r.status).toBe(EXIT_OK);
    expect(r.stdout).toMatch(/^step 0: cancel 2 working orders$/m);
    const bad = spawnSync(process.execPath, [BIN, "liquidate", FILE, "nobody"], { encoding: "utf8" });
    expect(bad.status).toBe(EXIT_BAD_INPUT);
  });
});
