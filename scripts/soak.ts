/**
 * `npm run soak`: consecutive engine.margin(file) calls of varying sizes on one engine, measuring
 * the kernel's linear memory and the JS heap (after a forced GC: run with node --expose-gc, which
 * scripts/soak.mjs does) at checkpoints. Linear memory may grow only while the largest book is
 * first seen (the warm-up margins every file of the pool once); afterwards it must stay the same
 * size, and the heap after GC must stay flat.
 *
 *   node --expose-gc build/reliability/soak.mjs [--calls N] [--checkpoints K] [--max-accounts M] [--json]
 *
 * The pool: 48 seeded random files (test/support/random.ts) of 1 to 200 accounts, small ones
 * drawn most often (sizes 1, 2, 5, 10, 25, 50, 200 with weights 32, 16, 8, 4, 2, 1, 1; each size
 * at least once),
 * random params, some with surfaces built from option marks; every fifth call margins with
 * `{ isolateAccounts: true }` a file that has a bad account inserted. Prints a table, or with
 * --json one JSON object (test/memory-soak.test.ts reads it). --max-accounts leaves the larger
 * sizes out of the pool (the CI test's shorter run).
 */
import { readFileSync } from "node:fs";
import { createEngine } from "../bindings/index.js";
import type { PortfolioFile } from "../bindings/model/types.js";
import { Gen, randomFile } from "../test/support/random.js";

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const CALLS = option("--calls", 1_000_000);
const CHECKPOINTS = option("--checkpoints", 20);
const MAX_ACCOUNTS = option("--max-accounts", Infinity);
const JSON_OUT = args.includes("--json");
const ROOT = new URL("../../", import.meta.url); // the bundle runs from build/reliability/

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("soak: run node with --expose-gc (npm run soak does)");

const SIZES = [1, 2, 5, 10, 25, 50, 200].filter((n) => n <= MAX_ACCOUNTS);
const WEIGHTS = [32, 16, 8, 4, 2, 1, 1].slice(0, SIZES.length);

interface Checkpoint {
  calls: number;
  seconds: number;
  wasmBytes: number;
  heapUsed: number;
  rss: number;
}

function pool(): { files: PortfolioFile[]; isolated: PortfolioFile[] } {
  const g = new Gen(2026);
  const files: PortfolioFile[] = [];
  const isolated: PortfolioFile[] = [];
  for (let k = 0; k < 48; k++) {
    // the sizes in turn for the first eight (every size is in the pool), then by weight
    let size = SIZES[k % SIZES.length];
    if (k >= SIZES.length) {
      let roll = g.int(0, WEIGHTS.reduce((s, w) => s + w, 0) - 1);
      size = SIZES[WEIGHTS.findIndex((w) => (roll -= w) < 0)];
    }
    const file = randomFile(1000 + k, { accounts: size, randomParams: g.chance(0.7), markSurfaces: g.chance(0.3) });
    files.push(file);
    const bad = structuredClone(file);
    bad.accounts.splice(g.int(0, size), 0, { id: "bad", positions: [{ instrument: "BTC-PERPETUAL", qty: 0 }] });
    isolated.push(bad);
  }
  return { files, isolated };
}

function measure(calls: number, start: number, wasmBytes: number): Checkpoint {
  gc!();
  gc!();
  const memory = process.memoryUsage();
  return { calls, seconds: (performance.now() - start) / 1000, wasmBytes, heapUsed: memory.heapUsed, rss: memory.rss };
}

const engine = await createEngine({ wasm: readFileSync(new URL("build/release.wasm", ROOT)) });
const { files, isolated } = pool();
let sink = 0;

// warm-up: every file once, plain and isolated (the largest book sets linear memory's size)
for (let k = 0; k < files.length; k++) {
  sink += engine.margin(files[k]).accounts.length;
  sink += engine.margin(isolated[k], { isolateAccounts: true }).errors!.length;
}
const start = performance.now();
const warm = measure(0, start, engine.memoryBytes);
const checkpoints: Checkpoint[] = [warm];
let maxWasm = engine.memoryBytes;
const g = new Gen(7);
const every = Math.max(1, Math.floor(CALLS / CHECKPOINTS));
for (let i = 1; i <= CALLS; i++) {
  const k = g.int(0, files.length - 1);
  if (i % 5 === 0) sink += engine.margin(isolated[k], { isolateAccounts: true }).accounts.length;
  else sink += engine.margin(files[k]).accounts.length;
  const bytes = engine.memoryBytes;
  if (bytes > maxWasm) maxWasm = bytes;
  if (i % every === 0 || i === CALLS) checkpoints.push(measure(i, start, bytes));
}
const end = checkpoints[checkpoints.length - 1];
const afterFirst = checkpoints.slice(1);
const result = {
  calls: CALLS,
  poolFiles: files.length,
  seconds: end.seconds,
  callsPerSecond: CALLS / end.seconds,
  accountsMargined: sink,
  poolAccounts: files.reduce((n, f) => n + f.accounts.length, 0),
  wasmBytes: { warm: warm.wasmBytes, max: maxWasm, end: end.wasmBytes },
  heapUsed: {
    warm: warm.heapUsed,
    min: Math.min(...afterFirst.map((c) => c.heapUsed)),
    max: Math.max(...afterFirst.map((c) => c.heapUsed)),
    end: end.heapUsed,
  },
  rss: { warm: warm.rss, max: Math.max(...checkpoints.map((c) => c.rss)), end: end.rss },
  checkpoints,
};
if (JSON_OUT) {
  console.log(JSON.stringify(result));
} else {
  const mb = (b: number): string => (b / 2 ** 20).toFixed(2);
  console.log(`soak: ${CALLS} margin calls in ${result.seconds.toFixed(1)} s (${result.callsPerSecond.toFixed(0)} calls/s), pool of ${files.length} files (${result.poolAccounts} accounts)`);
  console.log(`linear memory: ${mb(result.wasmBytes.warm)} MiB after warm-up, ${mb(result.wasmBytes.max)} MiB max, ${mb(result.wasmBytes.end)} MiB at the end`);
  console.log(`JS heap after GC: ${mb(result.heapUsed.warm)} MiB after warm-up, ${mb(result.heapUsed.min)} to ${mb(result.heapUsed.max)} MiB at the checkpoints, ${mb(result.heapUsed.end)} MiB at the end`);
  console.log(`RSS: ${mb(result.rss.warm)} MiB after warm-up, ${mb(result.rss.max)} MiB max, ${mb(result.rss.end)} MiB at the end`);
  console.log("calls        seconds  linear MiB  heap MiB  rss MiB");
  for (const c of checkpoints) {
    console.log(`${String(c.calls).padStart(9)}  ${c.seconds.toFixed(1).padStart(9)}  ${mb(c.wasmBytes).padStart(10)}  ${mb(c.heapUsed).padStart(8)}  ${mb(c.rss).padStart(7)}`);
  }
}
