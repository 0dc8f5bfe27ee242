/**
 * Property-based testing over portfolio files (fast-check), run by test/fuzz-valid.test.ts and
 * test/fuzz-mutations.test.ts (the CI size) and by `npm run fuzz` (the long run, the same files),
 * and test/isolation.test.ts (mutated accounts):
 *
 *   - valid files: test/support/random.ts's seeded files (every feature of the scenario model),
 *     drawn over seeds, sizes, option shares, random params and surfaces of option marks, plus
 *     structural variations that keep them valid (accounts shuffled, futures unsorted, USD split
 *     into USDC/USDT, an empty account, params or orders dropped);
 *   - mutations: a path into a valid file (every node of it: objects, arrays, numbers, strings),
 *     and an operator that the field's rule in SPEC.md "The portfolio file" / "Bad input" (and
 *     the README's field list) makes invalid: missing, non-finite, negative, wrong type, out of
 *     range, unsorted, duplicated, unknown (fields, pairs, enum values, names), unparseable
 *     (dates, names), misshapen (rows, matrices). Each carries its expectation: rejected with a
 *     MarginError whose code is one of the expected and whose path is the mutated path or an
 *     ancestor of it; or, for an operator that may leave the file valid (an optional field
 *     dropped, a value scaled or made extreme within its range), either accepted (then every
 *     number of the report is finite and the kernel agrees with the plain-TS reference model) or
 *     rejected with a MarginError at the mutated path, an ancestor, or one of the places a valid
 *     change can surface (an option mark's no-arbitrage bound, an option left without a surface,
 *     the kernel stopping at an account whose numbers overflow).
 * Whatever happens, nothing but a MarginError may be thrown.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { ErrorCode, MarginError, type ErrorCodeValue } from "../../bindings/errors.js";
import type { Engine } from "../../bindings/engine.js";
import { normalize } from "../../bindings/validate.js";
import type { Book } from "../../bindings/model/book.js";
import type { PortfolioFile, Report } from "../../bindings/model/types.js";
import { referenceMargin } from "../reference/model.js";
import { differences } from "./agreement.js";
import { Gen, randomFile } from "./random.js";

// The runs' size and seed, shared by the property files: FUZZ_RUNS cases per property (default
// 300, the CI size; `npm run fuzz` sets 1e6), FUZZ_SEED to replay a seed, else a fixed one (CI is
// reproducible) unless FUZZ_RANDOM_SEED asks for a fresh one (vitest.fuzz.config.ts).
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 300);
export const FUZZ_SEED =
  process.env.FUZZ_SEED === undefined ? (process.env.FUZZ_RANDOM_SEED ? Date.now() : 424242) : Number(process.env.FUZZ_SEED);

/** Seconds since `start` (performance.now()), for the runs' log lines. */
export function secondsSince(start: number): string {
  return ((performance.now() - start) / 1000).toFixed(1);
}

// ---------------------------------------------------------------------------------------------
// Paths

export type Path = (string | number)[];

/** The path as validate.ts writes it: `accounts[0].positions[2].qty`, `market.BTC`, `x["odd key"]`. */
export function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (!/^[A-Za-z0-9_$]+$/.test(key)) out += `[${JSON.stringify(key)}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

/** `ancestor` is `path` or one of its parents (the root "" only of itself). */
export function isAncestorOrSelf(ancestor: string, path: string): boolean {
  if (ancestor === path) return true;
  if (ancestor === "") return false;
  return path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`);
}

type Json = unknown;
type Obj = Record<string, Json>;

function getAt(root: Json, path: Path): Json {
  let node = root;
  for (const key of path) node = (node as Obj)[key as string];
  return node;
}

function setAt(root: Json, path: Path, value: Json): void {
  (getAt(root, path.slice(0, -1)) as Obj)[path[path.length - 1] as string] = value;
}

function deleteAt(root: Json, path: Path): void {
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Obj)[key as string];
}

// ---------------------------------------------------------------------------------------------
// Valid files

export interface FileSpec {
  seed: number;
  accounts: number;
  positions: [number, number];
  optionShare: number;
  randomParams: boolean;
  markSurfaces: boolean;
  /** structural variations that keep the file valid, by number (see buildFile) */
  variations: number[];
}

export const VARIATIONS = 6;

export const fileSpecArb: fc.Arbitrary<FileSpec> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  accounts: fc.integer({ min: 1, max: 6 }),
  positions: fc.constantFrom<[number, number]>([0, 3], [0, 12], [4, 20]),
  optionShare: fc.constantFrom(0, 0.3, 0.65, 1),
  randomParams: fc.boolean(),
  markSurfaces: fc.boolean(),
  variations: fc.uniqueArray(fc.nat(VARIATIONS - 1), { maxLength: 3 }),
});

/** The file of a spec: randomFile, then the variations (each keeps the file valid). */
export function buildFile(spec: FileSpec): PortfolioFile {
  const file = randomFile(spec.seed, {
    accounts: spec.accounts,
    positions: spec.positions,
    optionShare: spec.optionShare,
    randomParams: spec.randomParams,
    markSurfaces: spec.markSurfaces,
  });
  const g = new Gen(spec.seed ^ 0x0f0f0f);
  for (const v of spec.variations) {
    switch (v) {
      case 0: // accounts in another order
        for (let i = file.accounts.length - 1; i > 0; i--) {
          const j = g.int(0, i);
          [file.accounts[i], file.accounts[j]] = [file.accounts[j], file.accounts[i]];
        }
        break;
      case 1: // futures marks in descending order (the engine sorts them)
        for (const pair of Object.values(file.market)) pair.futures?.reverse();
        break;
      case 2: // USD balances split over USD, USDC and USDT
        for (const account of file.accounts) {
          const usd = account.balances?.USD;
          if (usd === undefined) continue;
          account.balances = { ...account.balances, USD: usd / 2, USDC: usd / 4, USDT: usd / 4 };
        }
        break;
      case 3: // an account with nothing but an id
        file.accounts.splice(g.int(0, file.accounts.length), 0, { id: "empty" });
        break;
      case 4: // no params (defaults): only when no surface is built from marks (their bounds depend on usdRate)
        if (!spec.markSurfaces) delete file.params;
        break;
      case 5: // no working orders
        for (const account of file.accounts) delete account.orders;
        break;
    }
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// Field rules (SPEC.md "The portfolio file", README "The portfolio file", docs/model-decisions.md)

interface Bounds {
  gt?: number;
  ge?: number;
  lt?: number;
  le?: number;
  nonZero?: boolean;
}

type Rule =
  | { t: "num"; required: boolean; bounds: Bounds; scale: boolean }
  | { t: "enum"; required: boolean; options: string[] }
  | { t: "grid" }
  | { t: "time"; required: boolean; afterAsOf: boolean }
  | { t: "obj"; required: boolean; open: "none" | "balances" | "pairs" | "fixed"; dropInArray: boolean }
  | { t: "arr"; required: boolean; kind: "list" | "ascending" | "vols" | "row" | "matrix" | "nonEmpty" | "futures" | "accounts" }
  | { t: "instrument"; mark: boolean }
  | { t: "pairRef"; mark: boolean }
  | { t: "id" }
  | { t: "pairKey" }
  | { t: "corr" }
  | { t: "root" };

const num = (required: boolean, bounds: Bounds = {}, scale = false): Rule => ({ t: "num", required, bounds, scale });
const obj = (required: boolean, open: "none" | "balances" | "pairs" | "fixed" = "fixed", dropInArray = false): Rule => ({
  t: "obj", required, open, dropInArray,
});
const arr = (required: boolean, kind: Extract<Rule, { t: "arr" }>["kind"] = "list"): Rule => ({ t: "arr", required, kind });

/** The path with array indices as `[]` and the open keys (pairs, balance codes) as `$`. */
function pattern(path: Path): string {
  const parts = path.map((key, i) => {
    if (typeof key === "number") return "[]";
    const parent = path[i - 1];
    if (parent === "market" && i === 1) return "$";
    if (parent === "pairs" && path[i - 2] === "params") return "$";
    if (parent === "balances") return "$";
    return key;
  });
  return parts.reduce((s: string, part) => (part === "[]" ? `${s}[]` : s ? `${s}.${part}` : part), "");
}

const INSTRUMENT_FIELDS: Record<string, Rule> = {
  kind: { t: "enum", required: true, options: ["spot", "perpetual", "future", "option"] },
  right: { t: "enum", required: true, options: ["call", "put"] },
  strike: num(true, { gt: 0 }, true),
  expiry: { t: "time", required: true, afterAsOf: false },
  multiplier: num(false, { gt: 0 }, true),
};

/** The rule of the node at `path`, or null for a node no operator applies to. */
function ruleOf(path: Path): Rule | null {
  const p = pattern(path);
  const instrument = /^(accounts\[\]\.(positions|orders)\[\]|market\.\$\.surface\.options\[\])\.instrument(\.(\w+))?$/.exec(p);
  if (instrument) {
    const mark = instrument[1].startsWith("market");
    const field = instrument[4];
    if (field === undefined) return { t: "instrument", mark };
    if (field === "pair") return { t: "pairRef", mark };
    return INSTRUMENT_FIELDS[field] ?? null;
  }
  switch (p) {
    case "":
      return { t: "root" };
    case "asOf":
      return { t: "time", required: true, afterAsOf: false };
    case "params":
      return obj(false);
    case "params.grid":
      return { t: "grid" };
    case "params.grid.rows":
      return arr(true, "nonEmpty");
    case "params.grid.rows[]":
      return obj(true, "fixed", true);
    case "params.grid.rows[].spot":
      return num(true, { gt: -1 });
    case "params.grid.rows[].vol":
      return num(true);
    case "params.grid.rows[].weight":
      return num(false, { ge: 0, le: 1 });
    case "params.pairs":
      return obj(false, "pairs");
    case "params.pairs.$":
      return obj(false);
    case "params.pairs.$.ssf":
      return num(false, { ge: 0, lt: 1 });
    case "params.pairs.$.vsf":
      return num(false, { ge: 0 }, true);
    case "params.usdRate":
      return num(false);
    case "params.mmFraction":
      return num(false, { gt: 0, le: 1 });
    case "params.coinPolicy":
      return { t: "enum", required: false, options: ["capped", "full", "none"] };
    case "params.vsfTenorExponent":
      return num(false, { ge: 0, le: 4 });
    case "params.pairCorrelation":
      return { t: "corr" };
    case "params.pairCorrelation[]":
      return arr(true, "row");
    case "params.pairCorrelation[][]":
      return num(true, { ge: -1, le: 1 });
    case "market":
      return obj(true, "none");
    case "market.$":
      return { t: "pairKey" };
    case "market.$.spot":
      return num(true, { gt: 0 }, true);
    case "market.$.futures":
      return arr(false, "futures");
    case "market.$.futures[]":
      return obj(true, "fixed", true);
    case "market.$.futures[].expiry":
      return { t: "time", required: true, afterAsOf: true };
    case "market.$.futures[].mark":
      return num(true, { gt: 0 }, true);
    case "market.$.surface":
      return obj(false);
    case "market.$.surface.atmVol":
      return num(true, { ge: 0 }, true);
    case "market.$.surface.tenors":
      return arr(true, "ascending");
    case "market.$.surface.tenors[]":
      return num(true, { gt: 0 });
    case "market.$.surface.logMoneyness":
      return arr(true, "ascending");
    case "market.$.surface.logMoneyness[]":
      return num(true);
    case "market.$.surface.vols":
      return arr(true, "vols");
    case "market.$.surface.vols[]":
      return arr(true, "row");
    case "market.$.surface.vols[][]":
      return num(true, { ge: 0 }, true);
    case "market.$.surface.options":
      return arr(true, "nonEmpty");
    case "market.$.surface.options[]":
      return obj(true, "fixed", true);
    case "market.$.surface.options[].mark":
      return num(true, { gt: 0 }, true);
    case "accounts":
      return arr(true, "accounts");
    case "accounts[]":
      return obj(true, "fixed", true);
    case "accounts[].id":
      return { t: "id" };
    case "accounts[].balances":
      return obj(false, "balances");
    case "accounts[].balances.$":
      return num(false, {}, true);
    case "accounts[].positions":
    case "accounts[].orders":
      return arr(false);
    case "accounts[].positions[]":
    case "accounts[].orders[]":
      return obj(true, "fixed", true);
    case "accounts[].positions[].qty":
      return num(true, { nonZero: true }, true);
    case "accounts[].positions[].entryPrice":
      return num(false, { gt: 0 }, true);
    case "accounts[].orders[].side":
      return { t: "enum", required: true, options: ["buy", "sell"] };
    case "accounts[].orders[].qty":
    case "accounts[].orders[].price":
      return num(true, { gt: 0 }, true);
  }
  return null;
}

/** Every node of the file with a rule, depth first. */
export function sites(file: Json): { path: Path; rule: Rule }[] {
  const out: { path: Path; rule: Rule }[] = [];
  const walk = (node: Json, path: Path): void => {
    const rule = ruleOf(path);
    if (rule !== null) out.push({ path, rule });
    if (Array.isArray(node)) node.forEach((child, i) => walk(child, [...path, i]));
    else if (typeof node === "object" && node !== null) for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
  };
  walk(file, []);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mutations

export type Expectation =
  /** rejected: code among `codes`, path `at` (default: the mutated path) or an ancestor of it */
  | { kind: "reject"; codes: ErrorCodeValue[]; at?: Path }
  /** maybe valid: accepted (finite, and agreeing with the reference unless `extreme`), or rejected where a valid change may surface */
  | { kind: "either"; extreme?: boolean };

export interface Mutation {
  /** operator name, for reports */
  op: string;
  path: Path;
  /** mutates `file` in place; returns the mutated file (another value when the root itself is replaced) */
  apply(file: Json): Json;
  expect: Expectation;
}

const reject = (...codes: ErrorCodeValue[]): Expectation => ({ kind: "reject", codes });
const EITHER: Expectation = { kind: "either" };
const E = ErrorCode;
const WRONG_TYPES: Json[] = ["12", true, null, {}, []];
const NON_FINITE = [NaN, Infinity, -Infinity];

function inBounds(x: number, b: Bounds): boolean {
  return (
    (b.gt === undefined || x > b.gt) &&
    (b.ge === undefined || x >= b.ge) &&
    (b.lt === undefined || x < b.lt) &&
    (b.le === undefined || x <= b.le) &&
    (!b.nonZero || x !== 0)
  );
}

/** Values just outside the bounds. */
function outside(b: Bounds): number[] {
  const values: number[] = [];
  if (b.gt !== undefined) values.push(b.gt, b.gt - 1);
  if (b.ge !== undefined) values.push(b.ge - 1e-9 * Math.max(1, Math.abs(b.ge)));
  if (b.lt !== undefined) values.push(b.lt, b.lt + 1);
  if (b.le !== undefined) values.push(b.le + 1e-9 * Math.max(1, Math.abs(b.le)));
  if (b.nonZero) values.push(0);
  return values;
}

/** The id of the first earlier account that has one, for a duplicate. */
function earlierId(file: Json, index: number): string | undefined {
  const accounts = (file as PortfolioFile).accounts;
  for (let i = 0; i < index; i++) {
    const id = (accounts[i] as { id?: unknown }).id;
    if (typeof id === "string" && id !== "") return id;
  }
  return undefined;
}

/** Every mutation of the node at `path` (value `value`, rule `rule`) of `file`. */
export function mutationsAt(file: Json, path: Path, rule: Rule): Mutation[] {
  const out: Mutation[] = [];
  const value = getAt(file, path);
  const add = (op: string, change: (f: Json) => void, expectation: Expectation, at: Path = path): void => {
    out.push({
      op,
      path: at,
      apply: (f) => {
        change(f);
        return f;
      },
      expect: expectation,
    });
  };
  const set = (op: string, v: Json, expectation: Expectation): void => {
    if (path.length === 0) out.push({ op, path, apply: () => structuredClone(v), expect: expectation });
    else add(op, (f) => setAt(f, path, structuredClone(v)), expectation);
  };
  const missing = (required: boolean): void => add("missing", (f) => deleteAt(f, path), required ? reject(E.MISSING) : EITHER);
  const wrongTypes = (values: Json[], codes: ErrorCodeValue[] = [E.TYPE]): void => {
    values.forEach((v) => set(`wrong type ${JSON.stringify(v)}`, v, reject(...codes)));
  };
  const unknownKey = (key: string, v: Json = 1): void => {
    add(`unknown field ${key}`, (f) => ((getAt(f, path) as Obj)[key] = v), reject(E.UNKNOWN), [...path, key]);
  };
  const inArray = typeof path[path.length - 1] === "number";

  switch (rule.t) {
    case "root":
      wrongTypes([5, "x", [], null]);
      unknownKey("bogus");
      break;
    case "num": {
      const x = value as number;
      // (an element of an array is not dropped: that is a shape change; nor atmVol, the surface's own case)
      if (!inArray && pattern(path) !== "market.$.surface.atmVol") missing(rule.required);
      NON_FINITE.forEach((v) => set(`non-finite ${v}`, v, reject(E.NOT_FINITE)));
      wrongTypes(WRONG_TYPES);
      const negative = -(Math.abs(x) + 1);
      set("negative", negative, inBounds(negative, rule.bounds) ? EITHER : reject(E.RANGE));
      outside(rule.bounds).forEach((v) => set(`out of range ${v}`, v, reject(E.RANGE)));
      for (const extreme of [1e300, -1e300, 5e-324]) {
        set(`extreme ${extreme}`, extreme, inBounds(extreme, rule.bounds) ? { kind: "either", extreme: true } : reject(E.RANGE));
      }
      if (rule.scale) for (const factor of [0.5, 1.1, 3]) set(`scaled by ${factor}`, x * factor, EITHER);
      break;
    }
    case "enum":
      missing(rule.required);
      set("unknown value", "bogus", reject(E.UNKNOWN));
      set("upper case", String(value).toUpperCase(), reject(E.UNKNOWN));
      wrongTypes([1, true, null, {}]);
      break;
    case "grid":
      missing(false);
      if (typeof value === "string") set("unknown preset", "powertrade10", reject(E.UNKNOWN));
      else unknownKey("bogus");
      wrongTypes([5, true, null, []]);
      break;
    case "time":
      missing(rule.required);
      for (const text of ["yesterday", "2026-02-30T08:00:00Z", "2026-11-21", "2026-11-21T08:00:00", "2026-13-01T08:00:00Z"]) {
        set(`unparseable ${text}`, text, reject(E.PARSE));
      }
      wrongTypes([1_795_000_000_000, null, {}]);
      if (rule.afterAsOf) set("at asOf", (file as PortfolioFile).asOf, reject(E.RANGE));
      break;
    case "obj": {
      if (!inArray) missing(rule.required);
      else if (rule.dropInArray) add("dropped", (f) => deleteAt(f, path), EITHER, path.slice(0, -1));
      wrongTypes([5, "x", [], null]);
      if (rule.open === "balances") unknownKey("XRP");
      else if (rule.open === "pairs") unknownKey("XRP", {});
      else if (rule.open === "fixed") unknownKey("bogus");
      // a surface without its one kind of content: the node form's first field is then missing
      const surface = pattern(path) === "market.$.surface";
      if (surface) {
        for (const key of ["atmVol", "options"]) {
          if ((value as Obj)[key] !== undefined) {
            add(`surface without ${key}`, (f) => deleteAt(f, [...path, key]), reject(E.MISSING), [...path, "tenors"]);
          }
        }
      }
      break;
    }
    case "arr": {
      const items = value as Json[];
      // (options: a surface without them is the surface's own case)
      if (!inArray && pattern(path) !== "market.$.surface.options") missing(rule.required);
      wrongTypes([{}, "x", 5, null]);
      if (rule.kind === "ascending" && items.length >= 2) {
        add("unsorted", (f) => {
          const a = getAt(f, path) as number[];
          [a[0], a[1]] = [a[1], a[0]];
        }, reject(E.ORDER));
        add("duplicate node", (f) => {
          const a = getAt(f, path) as number[];
          a[1] = a[0];
        }, reject(E.ORDER));
      }
      if (rule.kind === "ascending" || rule.kind === "nonEmpty") set("empty", [], reject(E.SHAPE));
      if ((rule.kind === "vols" || rule.kind === "row") && items.length >= 1) {
        add("one short", (f) => (getAt(f, path) as Json[]).pop(), reject(E.SHAPE));
        add("one long", (f) => (getAt(f, path) as Json[]).push(structuredClone(items[items.length - 1])), reject(E.SHAPE));
      }
      if (rule.kind === "futures" && items.length >= 2) {
        add("duplicate expiry", (f) => {
          const a = getAt(f, path) as { expiry: string }[];
          a[a.length - 1].expiry = a[0].expiry;
        }, reject(E.ORDER), [...path, items.length - 1, "expiry"]);
      }
      if (rule.kind === "accounts") set("empty", [], EITHER);
      break;
    }
    case "corr":
      set("null", null, EITHER);
      wrongTypes([{}, "x", 5]);
      missing(false);
      break;
    case "instrument": {
      missing(true);
      wrongTypes([5, null, []]);
      set("unparseable name", "BTC-32DEC26-100-C", reject(E.PARSE));
      set("unparseable name", "NOT A NAME", reject(E.PARSE));
      if (rule.mark) {
        set("name on another pair", "XRP-27DEC26-100-C", reject(E.RANGE));
        const pair = String(path[1]);
        set("not an option", `${pair}-PERPETUAL`, reject(E.TYPE));
      } else {
        set("unknown pair", "XRP-PERPETUAL", reject(E.UNKNOWN));
      }
      if (typeof value === "string") set("lower case", value.toLowerCase(), reject(E.PARSE));
      else {
        unknownKey("bogus");
        const kind = (value as Obj).kind;
        if (kind === "spot" || kind === "perpetual") unknownKey("strike", 100);
      }
      break;
    }
    case "pairRef":
      missing(true);
      wrongTypes([5, null]);
      set("unknown pair", "XRP", reject(rule.mark ? E.RANGE : E.UNKNOWN));
      set("lower case", String(value).toLowerCase(), reject(rule.mark ? E.RANGE : E.UNKNOWN));
      break;
    case "id": {
      missing(true);
      set("empty", "", reject(E.RANGE));
      wrongTypes([5, null, {}]);
      const index = path[1] as number;
      const other = earlierId(file, index);
      if (other !== undefined) set("duplicate", other, reject(E.ORDER));
      break;
    }
    case "pairKey": {
      const name = path[1] as string;
      const rename = (to: string, code: ErrorCodeValue): void =>
        add(`pair renamed ${to}`, (f) => {
          const market = (f as PortfolioFile).market as Obj;
          const entries = Object.entries(market).map(([k, v]) => [k === name ? to : k, v] as const);
          for (const key of Object.keys(market)) delete market[key];
          for (const [k, v] of entries) market[k] = v;
        }, reject(code), ["market", to]);
      rename(name.toLowerCase(), E.PARSE);
      rename("USD", E.RANGE);
      wrongTypes([5, "x", [], null]);
      break;
    }
  }
  // an entryPrice on a position that is not a future or perpetual
  if (rule.t === "obj" && pattern(path) === "accounts[].positions[]") {
    const instrument = (value as Obj).instrument;
    const linear = typeof instrument === "string" ? !/-[CP]$/.test(instrument) && !instrument.endsWith("-USD") : (instrument as Obj).kind === "perpetual" || (instrument as Obj).kind === "future";
    if (!linear && (value as Obj).entryPrice === undefined) unknownKey("entryPrice", 100);
  }
  return out;
}

/** A valid file and one mutation of it, with what must happen. */
export interface MutationCase {
  spec: FileSpec;
  file: PortfolioFile;
  mutation: Mutation;
  /** the mutated file */
  mutated: Json;
}

/** Pick site `a` and operator `b` (modulo their counts) of the spec's file. */
export function mutationCase(spec: FileSpec, a: number, b: number, only?: (path: Path) => boolean): MutationCase | null {
  const file = buildFile(spec);
  const all = sites(file).filter((s) => only === undefined || only(s.path));
  if (all.length === 0) return null;
  const site = all[a % all.length];
  const mutations = mutationsAt(file, site.path, site.rule);
  if (mutations.length === 0) return null;
  const mutation = mutations[b % mutations.length];
  const mutated = mutation.apply(structuredClone(file));
  return describedCase({ spec, file, mutation, mutated });
}

/** The case, printed by fast-check as its operator, path and file spec (not the whole file). */
function describedCase(c: MutationCase): MutationCase {
  return Object.assign(c, {
    [fc.toStringMethod]: () => `${c.mutation.op} at ${formatPath(c.mutation.path) || "(root)"} of ${JSON.stringify(c.spec)}`,
  });
}

export const mutationCaseArb: fc.Arbitrary<MutationCase> = fc
  .tuple(fileSpecArb, fc.nat(), fc.nat())
  .map(([spec, a, b]) => mutationCase(spec, a, b))
  .filter((c): c is MutationCase => c !== null);

// ---------------------------------------------------------------------------------------------
// Checks

/** Where a change that leaves the file valid may still surface as an error (see the file header). */
const KNOCK_ON: [ErrorCodeValue, RegExp][] = [
  [E.ARBITRAGE, /^market\.[A-Z0-9]+\.surface\.options\[\d+\]\.mark$/],
  [E.RANGE, /^market\.[A-Z0-9]+\.surface\.options\[\d+\]\.instrument$/],
  [E.ORDER, /^market\.[A-Z0-9]+\.surface\.options\[\d+\]\.instrument$/],
  [E.MISSING, /^accounts\[\d+\]\.(positions|orders)\[\d+\]\.instrument$/],
  [E.KERNEL, /^accounts\[\d+\]$/],
  // a mark the kernel cannot invert once an extreme rate makes its discount factor overflow
  [E.KERNEL, /^market\.[A-Z0-9]+\.surface\.options\[\d+\]$/],
  // a correlation entry changed within [-1, 1] surfaces at its mirror image (not symmetric)
  [E.RANGE, /^params\.pairCorrelation\[\d+\]\[\d+\]$/],
];

/** Every number in a report, with its path. */
function numbers(node: unknown, path: string, out: [string, unknown][]): void {
  if (typeof node === "number") out.push([path, node]);
  else if (Array.isArray(node)) node.forEach((x, i) => numbers(x, `${path}[${i}]`, out));
  else if (typeof node === "object" && node !== null) for (const [k, v] of Object.entries(node)) numbers(v, `${path}.${k}`, out);
}

/** The mismatches between the kernel's report of `book` and the reference model's. */
export function agreement(engine: Engine, book: Book): { report: Report; mismatches: string[] } {
  const report = engine.marginBook(book);
  const ref = referenceMargin(book);
  const mismatches: string[] = [];
  book.accounts.forEach((account, a) => {
    for (const d of differences(report.accounts[a], ref.accounts[a], book, a)) mismatches.push(`${account.id} ${d}`);
  });
  return { report, mismatches };
}

export interface ValidOutcome {
  accounts: number;
  positions: number;
}

/** A valid file: accepted, and the kernel agrees with the reference on every account. */
export function checkValid(engine: Engine, file: Json): ValidOutcome {
  const book = normalize(file);
  const { mismatches } = agreement(engine, book);
  expect(mismatches.slice(0, 10)).toEqual([]);
  return { accounts: book.accounts.length, positions: book.accounts.reduce((n, a) => n + a.positions.length + a.orders.length, 0) };
}

export type MutationOutcome = { accepted: true } | { accepted: false; code: ErrorCodeValue; path: string };

/** A mutated file: what its expectation says, and nothing but MarginError thrown. */
export function checkMutation(engine: Engine, c: MutationCase): MutationOutcome {
  const mutatedPath = formatPath(c.mutation.path);
  const what = `${c.mutation.op} at ${mutatedPath} (file ${JSON.stringify(c.spec)})`;
  let book: Book;
  let report: Report;
  let mismatches: string[] = [];
  try {
    book = normalize(c.mutated);
    if (c.mutation.expect.kind === "either" && !c.mutation.expect.extreme) ({ report, mismatches } = agreement(engine, book));
    else report = engine.marginBook(book);
  } catch (error) {
    if (!(error instanceof MarginError)) {
      throw new Error(`${what}: threw ${(error as Error)?.name ?? typeof error} instead of a MarginError: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    expect(error.message.startsWith(error.path ? `${error.path}: ` : ""), `${what}: message names the path`).toBe(true);
    const expectation = c.mutation.expect;
    if (expectation.kind === "reject") {
      const at = formatPath(expectation.at ?? c.mutation.path);
      expect(expectation.codes, `${what}: code of ${error.message}`).toContain(error.code);
      expect(isAncestorOrSelf(error.path, at), `${what}: path of ${error.message} (expected ${at} or a parent)`).toBe(true);
    } else {
      const knockOn = KNOCK_ON.some(([code, re]) => code === error.code && re.test(error.path));
      expect(isAncestorOrSelf(error.path, mutatedPath) || knockOn, `${what}: ${error.code} ${error.message}`).toBe(true);
    }
    return { accepted: false, code: error.code, path: error.path };
  }
  expect(c.mutation.expect.kind, `${what}: accepted an invalid file`).toBe("either");
  const found: [string, unknown][] = [];
  numbers(report, "report", found);
  const bad = found.filter(([, x]) => !Number.isFinite(x));
  expect(bad.slice(0, 5), `${what}: non-finite numbers in the report`).toEqual([]);
  expect(mismatches.slice(0, 10), `${what}: kernel vs reference`).toEqual([]);
  return { accepted: true };
}

/** Every mutation of every site of `file`, each applied to its own copy. */
export function allMutations(file: PortfolioFile): { mutation: Mutation; mutated: Json }[] {
  return sites(file).flatMap((site) =>
    mutationsAt(file, site.path, site.rule).map((mutation) => ({ mutation, mutated: mutation.apply(structuredClone(file)) })),
  );
}

/** The rule pattern of a path (array indices `[]`, pairs and balance codes `$`), for coverage counts. */
export function sitePattern(path: Path): string {
  return pattern(path);
}
