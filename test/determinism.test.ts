import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../bindings/index.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { randomFile } from "./support/random.js";

// The same input gives the same bytes of report (JSON.stringify: every double printed in full, so
// equal strings mean equal doubles, bar the sign of a zero): on one engine call after call, with
// other books margined in between (memory reused, the kernel's per-call caches rebuilt), on a
// fresh engine, in another process (the CLI), and across the kernel builds: release (SIMD),
// scalar and debug (SIMD, unoptimized). The builds agree exactly by construction: every f64x2
// lane runs the scalar build's operations in the same order (no fused multiply-add, no
// reassociation: WebAssembly fixes IEEE-754 semantics for each operation).
const FILES = 24;

const bytesOf = (name: string) => readFileSync(new URL(`../build/${name}.wasm`, import.meta.url));
let engines: Record<"release" | "scalar" | "debug", Engine>;
beforeAll(async () => {
  engines = {
    release: await createEngine({ wasm: bytesOf("release") }),
    scalar: await createEngine({ wasm: bytesOf("scalar") }),
    debug: await createEngine({ wasm: bytesOf("debug") }),
  };
});

const sha = (text: string): string => createHash("sha256").update(text).digest("hex");

function files(): PortfolioFile[] {
  return Array.from({ length: FILES }, (_, i) =>
    randomFile(500 + i, { accounts: 20, randomParams: i % 3 !== 0, markSurfaces: i % 4 === 1 }),
  );
}

describe("determinism", () => {
  it("one engine: the same bytes call after call, with other books margined in between", () => {
    const engine = engines.release;
    const all = files();
    const first = all.map((file) => JSON.stringify(engine.margin(file)));
    // reversed order, interleaved with a large book and a prepared book's ticks
    const other = engine.prepare(randomFile(999, { accounts: 800 }));
    for (let i = all.length - 1; i >= 0; i--) {
      other.updateMarket({ BTC: { spot: 50_000 + i } });
      other.run();
      expect(JSON.stringify(engine.margin(all[i])), `file ${i}`).toBe(first[i]);
    }
    other.dispose();
    // a prepared book re-run gives the same bytes too
    const book = engine.prepare(all[0]);
    expect(JSON.stringify(book.margin())).toBe(first[0]);
    expect(JSON.stringify(book.margin())).toBe(first[0]);
    book.dispose();
  });

  it("a fresh engine gives the same bytes", async () => {
    const all = files();
    const fresh = await createEngine();
    for (const file of all) expect(sha(JSON.stringify(fresh.margin(file)))).toBe(sha(JSON.stringify(engines.release.margin(file))));
  });

  it("the release (SIMD), scalar and debug builds give the same bytes: scenario and covariance reports, risk attribution", () => {
    let accounts = 0;
    for (const file of files()) {
      const simd = JSON.stringify(engines.release.margin(file, { attribution: true }));
      expect(JSON.stringify(engines.scalar.margin(file, { attribution: true }))).toBe(simd);
      expect(JSON.stringify(engines.debug.margin(file, { attribution: true }))).toBe(simd);
      const covariance = JSON.stringify(engines.release.marginCovariance(file));
      expect(JSON.stringify(engines.scalar.marginCovariance(file))).toBe(covariance);
      expect(JSON.stringify(engines.debug.marginCovariance(file))).toBe(covariance);
      accounts += file.accounts.length;
    }
    expect(accounts).toBe(FILES * 20);
  });

  it("another process (the CLI's --json) prints the same bytes", () => {
    const file = files()[5];
    const path = join(mkdtempSync(join(tmpdir(), "mk-det-")), "file.json");
    writeFileSync(path, JSON.stringify(file));
    const bin = new URL("../bin/margin-kernel.js", import.meta.url).pathname;
    const child = spawnSync(process.execPath, [bin, "margin", path, "--json"], { encoding: "utf8" });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toBe(`${JSON.stringify(engines.release.margin(JSON.parse(JSON.stringify(file))), null, 2)}\n`);
  });
});
