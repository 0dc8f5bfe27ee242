/**
 * The covariance (OPNX correlation) model's benchmark suite, called from bench/run.ts:
 *
 *   form     ns per quadratic form v^T rho v over a random full-rank correlation matrix of 10, 100
 *            and 500 markets: dense (v over every market, the kernel's covarianceForm) and sparse
 *            per account (v over t = max(5, n / 10) of the n markets, read by index from the
 *            resident matrix: covarianceFormSparse), in the SIMD build, the scalar build (when
 *            build/scalar.wasm exists) and a plain-TS implementation of the same algorithm (upper
 *            triangle by symmetry, the same loops) over the same memory, in the same run. Each
 *            timed call sweeps 64 different vectors (sparse: 64 accounts on different markets) as
 *            many times as it takes to do about 5,000 multiply-adds, from a JS loop, so the kernel's
 *            figures include one JS -> WebAssembly call per form (a few ns; it dominates at 10
 *            markets).
 *   pass     ns per account of a whole covarianceAccounts pass (aggregation, three fill sets,
 *            collateral, liquidation prices) over a book of 500 listed markets and 2,000 accounts
 *            of 1 to 15 positions and a few working orders (quick: 200 accounts).
 *
 * Setup (matrices, vectors, books) is outside every timed function; every timed function adds its
 * results to a sink that is checked at the end.
 */
import { Bench } from "tinybench";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Kernel } from "../bindings/kernel.js";
import { createEngine } from "../bindings/index.js";
import { normalize } from "../bindings/validate.js";
import { prepareCovariance, type CovariancePath } from "../bindings/covariance.js";
import { covarianceFile, randomCorrelation } from "../test/support/covariance-books.js";
import { Gen } from "../test/support/random.js";

/** One result row, as bench/run.ts prints and stores them. */
export interface Row {
  suite: string;
  case: string;
  [k: string]: string | number;
}

interface FormExports {
  covarianceForm(vec: number, mat: number, n: number): number;
  covarianceFormSparse(idx: number, vec: number, t: number, mat: number, n: number): number;
}

const FORMS_PER_CALL = 64;
/** multiply-adds per timed call (at least): amortizes tinybench's per-call overhead */
const WORK_PER_CALL = 5_000;
let sink = 0;

/** Sweeps over the 64 vectors per timed call for forms of `terms` multiply-adds each. */
function sweepsFor(terms: number): number {
  return Math.max(1, Math.round(WORK_PER_CALL / (FORMS_PER_CALL * terms)));
}

/** The package root: where `build/release.wasm` is (npm scripts run from it; the bundle lives in build/bench/). */
function packageRoot(): string {
  const here = new URL(".", import.meta.url).pathname;
  for (const root of [process.cwd(), join(here, "..", ".."), join(here, "..")]) {
    if (existsSync(join(root, "build", "release.wasm"))) return root;
  }
  throw new Error("covarianceSuite: build/release.wasm not found; run npm run asbuild");
}

/** v^T rho v over all n markets, upper triangle by symmetry: the kernel's covarianceForm in plain TS. */
export function denseFormTs(f64: Float64Array, vec: number, mat: number, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const vi = f64[vec + i];
    if (vi === 0) continue;
    const row = mat + i * n;
    let off = 0;
    for (let j = i + 1; j < n; j++) off += f64[row + j] * f64[vec + j];
    total += vi * (f64[row + i] * vi + 2 * off);
  }
  return total;
}

/** v^T rho v over t markets idx[] of the n x n matrix, read by index: the kernel's covarianceFormSparse in plain TS. */
export function sparseFormTs(f64: Float64Array, i32: Int32Array, idx: number, vec: number, t: number, mat: number, n: number): number {
  let total = 0;
  for (let j = 0; j < t; j++) {
    const vj = f64[vec + j];
    if (vj === 0) continue;
    const row = mat + i32[idx + j] * n;
    let s = 0;
    for (let k = j + 1; k < t; k++) s += f64[row + i32[idx + k]] * f64[vec + k];
    total += vj * (f64[row + i32[idx + j]] * vj + 2 * s);
  }
  return total;
}

interface Image {
  /** byte addresses */
  mat: number;
  vecs: number;
  subs: number;
  idxs: number;
}

/** The same matrix, 64 dense vectors and 64 sparse accounts (t markets each) in one kernel's memory. */
function layOut(kernel: Kernel, rho: number[][], dense: number[][], accounts: { idx: number[]; v: number[] }[]): Image {
  const n = rho.length;
  const t = accounts[0].idx.length;
  const align = (b: number) => Math.ceil(b / 16) * 16;
  const matBytes = align(8 * n * n);
  const vecBytes = align(8 * n);
  const subBytes = align(8 * t);
  const idxBytes = align(4 * t);
  const base = kernel.alloc(matBytes + FORMS_PER_CALL * (vecBytes + subBytes + idxBytes));
  const { f64, i32 } = kernel; // after alloc
  const image = {
    mat: base,
    vecs: base + matBytes,
    subs: base + matBytes + FORMS_PER_CALL * vecBytes,
    idxs: base + matBytes + FORMS_PER_CALL * (vecBytes + subBytes),
  };
  rho.forEach((row, i) => f64.set(row, image.mat / 8 + i * n));
  dense.forEach((v, f) => f64.set(v, (image.vecs + f * vecBytes) / 8));
  accounts.forEach((a, f) => {
    f64.set(a.v, (image.subs + f * subBytes) / 8);
    i32.set(a.idx, (image.idxs + f * idxBytes) / 4);
  });
  return image;
}

function meanNs(bench: Bench, name: string, forms: number): number {
  const result = bench.getTask(name)?.result;
  if (!result || !("latency" in result)) throw new Error(`bench task ${name} did not complete`);
  return (result.latency.mean * 1e6) / forms;
}

async function formRows(quick: boolean, kernels: [string, Kernel][]): Promise<Row[]> {
  const rows: Row[] = [];
  const g = new Gen(42);
  for (const n of [10, 100, 500]) {
    const rho = randomCorrelation(g, n, Math.min(6, n - 1), true);
    const dense = Array.from({ length: FORMS_PER_CALL }, () => Array.from({ length: n }, () => g.uniform(-1e4, 1e4)));
    const t = Math.max(5, Math.floor(n / 10));
    const accounts = Array.from({ length: FORMS_PER_CALL }, () => {
      const idx = new Set<number>();
      while (idx.size < t) idx.add(g.int(0, n - 1));
      return { idx: [...idx], v: Array.from({ length: t }, () => g.uniform(-1e4, 1e4)) };
    });
    const denseSweeps = sweepsFor((n * (n + 1)) / 2);
    const sparseSweeps = sweepsFor((t * (t + 1)) / 2);
    const forms = { dense: FORMS_PER_CALL * denseSweeps, sparse: FORMS_PER_CALL * sparseSweeps };
    const vecStride = Math.ceil((8 * n) / 16) * 16;
    const subStride = Math.ceil((8 * t) / 16) * 16;
    const idxStride = Math.ceil((4 * t) / 16) * 16;
    const bench = new Bench({ name: `covariance forms ${n}`, time: quick ? 100 : 600, warmupIterations: 20 });
    const images: Image[] = [];
    for (const [build, kernel] of kernels) {
      const image = layOut(kernel, rho, dense, accounts);
      images.push(image);
      const k = kernel.exports as unknown as FormExports;
      bench.add(`${build} dense`, () => {
        for (let s = 0; s < denseSweeps; s++) {
          for (let f = 0; f < FORMS_PER_CALL; f++) sink += k.covarianceForm(image.vecs + f * vecStride, image.mat, n);
        }
      });
      bench.add(`${build} sparse`, () => {
        for (let s = 0; s < sparseSweeps; s++) {
          for (let f = 0; f < FORMS_PER_CALL; f++) {
            sink += k.covarianceFormSparse(image.idxs + f * idxStride, image.subs + f * subStride, t, image.mat, n);
          }
        }
      });
    }
    // the TS implementation reads the first kernel's memory image (the views are stable: no allocation while timing)
    const [, first] = kernels[0];
    const { f64, i32 } = first;
    const image = images[0];
    bench.add("ts dense", () => {
      for (let s = 0; s < denseSweeps; s++) {
        for (let f = 0; f < FORMS_PER_CALL; f++) sink += denseFormTs(f64, (image.vecs + f * vecStride) / 8, image.mat / 8, n);
      }
    });
    bench.add("ts sparse", () => {
      for (let s = 0; s < sparseSweeps; s++) {
        for (let f = 0; f < FORMS_PER_CALL; f++) {
          sink += sparseFormTs(f64, i32, (image.idxs + f * idxStride) / 4, (image.subs + f * subStride) / 8, t, image.mat / 8, n);
        }
      }
    });
    await bench.run();
    for (const shape of ["dense", "sparse"] as const) {
      const row: Row = { suite: "covariance", case: shape === "dense" ? `${n} markets, dense` : `${n} markets, sparse (${t} per account)` };
      const ts = meanNs(bench, `ts ${shape}`, forms[shape]);
      for (const [build] of kernels) row[`${build} ns/form`] = +meanNs(bench, `${build} ${shape}`, forms[shape]).toFixed(1);
      row["ts ns/form"] = +ts.toFixed(1);
      for (const [build] of kernels) row[`ts/${build}`] = +(ts / meanNs(bench, `${build} ${shape}`, forms[shape])).toFixed(2);
      rows.push(row);
    }
    for (const [i, [, kernel]] of kernels.entries()) kernel.release(images[i].mat);
  }
  return rows;
}

async function passRows(quick: boolean, kernels: [string, Kernel][], release: Uint8Array): Promise<Row[]> {
  const accounts = quick ? 200 : 2_000;
  const file = covarianceFile(5, { markets: 500, accounts, denseShare: 0 });
  const engine = await createEngine({ wasm: release });
  const rows: Row[] = [];
  for (const path of ["sparse", "dense"] as CovariancePath[]) {
    const bench = new Bench({ name: `covariance pass ${path}`, time: quick ? 100 : 1_000, warmupIterations: 5 });
    const books = kernels.map(([build, kernel]) => [build, prepareCovariance(kernel, normalize(file), engine, { path })] as const);
    for (const [build, book] of books) {
      bench.add(build, () => {
        book.run();
        sink += 1;
      });
    }
    await bench.run();
    const row: Row = { suite: "covariance", case: `pass, ${accounts} accounts of 500 markets, ${path}` };
    for (const [build] of books) {
      row[`${build} ns/account`] = +((bench.getTask(build)!.result as { latency: { mean: number } }).latency.mean * 1e6 / accounts).toFixed(1);
    }
    rows.push(row);
    for (const [, book] of books) book.dispose();
  }
  return rows;
}

/**
 * The covariance rows: quadratic forms (dense and sparse, 10/100/500 markets) in the SIMD build,
 * the scalar build when build/scalar.wasm exists, and plain TS; then whole kernel passes.
 */
export async function covarianceSuite(quick: boolean): Promise<Row[]> {
  const root = packageRoot();
  const release = readFileSync(join(root, "build", "release.wasm"));
  const kernels: [string, Kernel][] = [["simd", await Kernel.create(new WebAssembly.Module(release))]];
  const scalarPath = join(root, "build", "scalar.wasm");
  if (existsSync(scalarPath)) kernels.push(["scalar", await Kernel.create(new WebAssembly.Module(readFileSync(scalarPath)))]);
  const rows = [...(await formRows(quick, kernels)), ...(await passRows(quick, kernels, release))];
  if (!Number.isFinite(sink)) throw new Error("covariance benchmark results were not finite");
  return rows;
}
