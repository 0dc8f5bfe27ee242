#!/usr/bin/env node
// Kernel speed, ns per scenario evaluation (one option valued in one grid scenario), for the SIMD
// build (build/release.wasm), the scalar build (build/scalar.wasm) and the plain-TS port of the
// same algorithm (bench/ts-kernel.ts, bundled on the fly with esbuild, run on a copy of the SIMD
// kernel's memory image). Not a test; the outputs are compared with the SIMD kernel's as a check.
//
// Book: bench/books.ts's optionsBook market for BTC (spot 91,000, four futures marks, the 5 x 9
// node surface, r = 0) and an options-only book of N positions (default 1e5; calls and puts,
// strikes 0.5-1.5x spot, expiries 1 to 365 days, qty +-1..25), 20 positions per account, grid
// powertrade9 (3 spot levels x 3 vol shocks). The memory image is laid out here straight from the
// layout constants the kernel exports (no bindings), then marginAccounts(header) is timed;
// ns/eval = time / (N * 9): the base evaluation each option also gets is not counted.
//
// Usage: npm run asbuild && node scripts/measure-kernel.mjs [positions] [repeats] [other.wasm ...]
// (other builds of the kernel, e.g. a baseline, are timed on the same book in the same rounds)
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = new URL("..", import.meta.url);
const N = Number(process.argv[2] ?? 1e5);
const REPEATS = Number(process.argv[3] ?? 15);
/** more kernel builds to time on the same book (paths relative to the repository), e.g. a baseline */
const EXTRA = process.argv.slice(4);
const PER_ACCOUNT = 20;
const GRID_ROWS = 9;

function instantiate(url) {
  const module = new WebAssembly.Module(readFileSync(url));
  return new WebAssembly.Instance(module, { env: { abort() { throw new Error("kernel abort"); } } }).exports;
}

/** mulberry32 */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lay the book out in `kernel`'s memory; returns the header address. */
function layout(kernel) {
  const L = Object.fromEntries(Object.entries(kernel).filter(([, v]) => v instanceof WebAssembly.Global).map(([k, v]) => [k, v.value]));
  const P = 1, G = GRID_ROWS, LS = 3, A = Math.ceil(N / PER_ACCOUNT);
  const spot = 91000;
  const tenors = [0.0192, 0.0959, 0.3452, 0.5945, 1.0];
  const ks = [-0.6, -0.4, -0.2, -0.1, 0, 0.1, 0.2, 0.4, 0.6];
  const vols = [
    [1.05, 0.88, 0.66, 0.57, 0.52, 0.54, 0.61, 0.8, 0.98],
    [0.95, 0.8, 0.63, 0.56, 0.53, 0.54, 0.58, 0.71, 0.86],
    [0.85, 0.72, 0.61, 0.56, 0.54, 0.54, 0.56, 0.64, 0.75],
    [0.8, 0.68, 0.6, 0.56, 0.55, 0.55, 0.56, 0.61, 0.7],
    [0.75, 0.66, 0.59, 0.56, 0.55, 0.55, 0.56, 0.6, 0.67],
  ];
  const futures = [[6, 91090], [34, 91520], [125, 92950], [216, 94380]];
  let cursor = (kernel.heapBase() + 15) & ~15;
  const take = (bytes) => { const at = cursor; cursor += Math.ceil(bytes / 16) * 16; return at; };
  const header = take(L.HEADER_BYTES);
  const slot = {};
  slot[L.H_PAIR_SPOT] = take(8 * P);
  for (const h of [L.H_PAIR_CURVE_START, L.H_PAIR_CURVE_COUNT, L.H_PAIR_SURFACE, L.H_PAIR_SURFACE_TENORS, L.H_PAIR_SURFACE_NODES]) slot[h] = take(4 * P);
  slot[L.H_CURVE] = take(8 * L.CURVE_STRIDE * futures.length);
  const surface = take(8 * (tenors.length + ks.length + tenors.length * ks.length));
  slot[L.H_GRID] = take(8 * P * kernel.gridPairF64(LS, G));
  slot[L.H_CORR] = take(8);
  for (const h of [L.H_POS_KIND, L.H_POS_PAIR, L.H_POS_TAG]) slot[h] = take(4 * N);
  for (const h of [L.H_POS_SIZE, L.H_POS_STRIKE, L.H_POS_TENOR, L.H_POS_ENTRY]) slot[h] = take(8 * N);
  slot[L.H_ACC_START] = take(4 * A);
  slot[L.H_ACC_END] = take(4 * A);
  slot[L.H_ACC_USD] = take(8 * A);
  slot[L.H_ACC_COINS] = take(8 * A * P);
  slot[L.H_OUT_ACC] = take(8 * A * L.OUT_ACC_STRIDE);
  slot[L.H_OUT_PAIR] = take(8 * A * P * kernel.outPairStride(G));
  slot[L.H_SCRATCH] = take(8 * kernel.scratchF64(P, G, LS));
  const have = kernel.memory.buffer.byteLength;
  if (cursor > have) kernel.memory.grow(Math.ceil((cursor - have) / 65536));
  const i32 = new Int32Array(kernel.memory.buffer);
  const f64 = new Float64Array(kernel.memory.buffer);
  const h = header >> 2;
  i32[h + L.H_PAIRS] = P; i32[h + L.H_ROWS] = G; i32[h + L.H_LEVEL_STRIDE] = LS; i32[h + L.H_ACCOUNTS] = A;
  i32[h + L.H_POSITIONS] = N; i32[h + L.H_CURVE_NODES] = futures.length; i32[h + L.H_COIN_POLICY] = L.COIN_CAPPED;
  i32[h + L.H_HAS_CORR] = 0; i32[h + L.H_FAIL_ACCOUNT] = -1;
  for (const [s, at] of Object.entries(slot)) i32[h + Number(s)] = at;
  f64[(header + L.HEADER_F64_OFFSET) / 8 + L.HF_USD_RATE] = 0;
  f64[slot[L.H_PAIR_SPOT] / 8] = spot;
  i32[slot[L.H_PAIR_CURVE_START] / 4] = 0; i32[slot[L.H_PAIR_CURVE_COUNT] / 4] = futures.length;
  futures.forEach(([days, mark], j) => {
    f64[slot[L.H_CURVE] / 8 + j * L.CURVE_STRIDE] = days / 365;
    f64[slot[L.H_CURVE] / 8 + j * L.CURVE_STRIDE + 1] = mark;
  });
  i32[slot[L.H_PAIR_SURFACE] / 4] = surface; i32[slot[L.H_PAIR_SURFACE_TENORS] / 4] = tenors.length;
  i32[slot[L.H_PAIR_SURFACE_NODES] / 4] = ks.length;
  let at = surface / 8;
  f64.set(tenors, at); at += tenors.length; f64.set(ks, at); at += ks.length;
  for (const row of vols) { f64.set(row, at); at += row.length; }
  // powertrade9: levels 1, 1 + SSF, 1 - SSF; rows (level, 1 + vol shock)
  const block = slot[L.H_GRID] / 8;
  i32[block * 2] = LS;
  f64.set([1, 1.15, 0.85], block + 1);
  const vm = [1, 1.4, 0.6];
  for (let s = 0; s < G; s++) {
    i32[(block + 1 + 2 * LS + s) * 2] = Math.floor(s / 3);
    f64[block + 1 + 2 * LS + G + s] = vm[s % 3];
    f64[block + 1 + 2 * LS + 2 * G + s] = 1;
  }
  const r = rng(42);
  for (let i = 0; i < N; i++) {
    i32[slot[L.H_POS_KIND] / 4 + i] = r() < 0.5 ? L.KIND_CALL : L.KIND_PUT;
    i32[slot[L.H_POS_PAIR] / 4 + i] = 0;
    i32[slot[L.H_POS_TAG] / 4 + i] = L.TAG_POSITION;
    f64[slot[L.H_POS_SIZE] / 8 + i] = (r() < 0.5 ? -1 : 1) * (1 + Math.floor(25 * r()));
    f64[slot[L.H_POS_STRIKE] / 8 + i] = Math.round(spot * (0.5 + r()));
    f64[slot[L.H_POS_TENOR] / 8 + i] = (1 + Math.floor(365 * r())) / 365;
    f64[slot[L.H_POS_ENTRY] / 8 + i] = NaN;
  }
  for (let a = 0; a < A; a++) {
    i32[slot[L.H_ACC_START] / 4 + a] = a * PER_ACCOUNT;
    i32[slot[L.H_ACC_END] / 4 + a] = Math.min(N, (a + 1) * PER_ACCOUNT);
    f64[slot[L.H_ACC_USD] / 8 + a] = 1e6;
    f64[slot[L.H_ACC_COINS] / 8 + a] = 0;
  }
  return { header, outAcc: slot[L.H_OUT_ACC], accounts: A };
}

async function loadTsPort() {
  const dir = mkdtempSync(join(tmpdir(), "margin-kernel-"));
  const outfile = join(dir, "ts-kernel.mjs");
  await build({ entryPoints: [new URL("bench/ts-kernel.ts", ROOT).pathname], bundle: true, format: "esm", platform: "node", outfile, logLevel: "warning" });
  return import(pathToFileURL(outfile).href);
}

/** max |a - b| / max(1, |b|) over the outputs */
function maxRelative(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

// every contender runs once per round, rounds interleaved (the machine's speed drifts); the
// first WARMUP rounds are not counted
const WARMUP = 3;
const contenders = [];
for (const [name, file] of [["SIMD (release.wasm)", "build/release.wasm"], ["scalar (scalar.wasm)", "build/scalar.wasm"], ...EXTRA.map((f) => [f, f])]) {
  const kernel = instantiate(new URL(file, ROOT));
  const { header, outAcc, accounts } = layout(kernel);
  contenders.push({ name, run: () => kernel.marginAccounts(header), out: () => new Float64Array(kernel.memory.buffer, outAcc, 2 * accounts), kernel, header, outAcc, accounts });
}
const simd = contenders[0];
simd.run();
const image = simd.kernel.memory.buffer.slice(0);
let tsOut = null;
try {
  const { marginAccountsTs } = await loadTsPort();
  tsOut = new Float64Array(image, simd.outAcc, 2 * simd.accounts);
  tsOut.fill(0);
  contenders.splice(2, 0, { name: "plain-TS port", run: () => marginAccountsTs(image, simd.header), out: () => tsOut });
} catch (e) {
  console.error(`plain-TS port not measured: ${e.message}`);
}
for (const c of contenders) c.samples = [];
for (let round = 0; round < REPEATS + WARMUP; round++) {
  for (const c of contenders) {
    const t0 = process.hrtime.bigint();
    const status = c.run();
    const t1 = process.hrtime.bigint();
    if (status !== 0) throw new Error(`${c.name}: kernel status ${status}`);
    if (round >= WARMUP) c.samples.push(Number(t1 - t0) / (N * GRID_ROWS));
  }
}
const reference = Float64Array.from(simd.out());
console.log(`${N} options, grid powertrade9, ${REPEATS} interleaved rounds: ns per scenario evaluation (median, min)`);
for (const c of contenders) {
  c.samples.sort((a, b) => a - b);
  c.median = c.samples[Math.floor(c.samples.length / 2)];
  const diff = c === simd ? "" : `  outputs vs SIMD: max relative difference ${maxRelative(c.out(), reference).toExponential(2)}`;
  console.log(`  ${c.name.padEnd(22)} ${c.median.toFixed(2).padStart(8)} ${c.samples[0].toFixed(2).padStart(8)}   ${(c.median / simd.median).toFixed(2)}x SIMD${diff}`);
}
