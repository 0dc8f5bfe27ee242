/**
 * A normalized book in a form that crosses to a worker thread quickly: the pool sends every
 * worker the whole book (bindings/pool.ts). postMessage's structured clone copies object by
 * object: 16 s for a 100k-account, 2M-row book, about twice normalize() itself. Here the rows
 * become typed arrays (one copy each), the instruments a table of the distinct ones (normalize()
 * makes an equal object per row; after the trip the rows of one instrument share one), and the paths, which normalize() derives from the indices (`accounts[i].positions[j]`), are
 * derived again on the other side. Numbers keep their bits (a -0 balance stays -0, as it would
 * not through JSON). unpackBook(packBook(book)) deep-equals book (test/pool.test.ts).
 */
import type { Book, BookAccount, BookOrder, BookPosition, ResolvedInstrument } from "./model/book.js";
import { at } from "./validate.js";

export interface PackedBook {
  asOfMs: number;
  params: Book["params"];
  pairs: Book["pairs"];
  instruments: ResolvedInstrument[];
  ids: string[];
  usd: Float64Array;
  /** accounts x pairs */
  coins: Float64Array;
  /** [account index, the balances by code] for the accounts that have them */
  usdByCode: [number, Record<string, number>][];
  /** per account: its first position row, then the end (accounts + 1 entries); the same for orders */
  positionStart: Int32Array;
  orderStart: Int32Array;
  positionInstrument: Int32Array;
  positionQty: Float64Array;
  /** NaN for null (a validated entry price is finite) */
  positionEntry: Float64Array;
  orderInstrument: Int32Array;
  /** 1 buy, 0 sell */
  orderBuy: Uint8Array;
  orderQty: Float64Array;
  orderPrice: Float64Array;
}

export function packBook(book: Book): PackedBook {
  const A = book.accounts.length;
  const P = book.pairs.length;
  let positions = 0;
  let orders = 0;
  for (const a of book.accounts) {
    positions += a.positions.length;
    orders += a.orders.length;
  }
  // normalize() makes an object per row; rows naming one instrument get equal ones, kept once
  const instruments: ResolvedInstrument[] = [];
  const byName = new Map<string, number[]>();
  const indexOf = (instrument: ResolvedInstrument): number => {
    let same = byName.get(instrument.name);
    if (same === undefined) byName.set(instrument.name, (same = []));
    for (const i of same) if (sameInstrument(instruments[i], instrument)) return i;
    same.push(instruments.length);
    instruments.push(instrument);
    return instruments.length - 1;
  };
  const packed: PackedBook = {
    asOfMs: book.asOfMs,
    params: book.params,
    pairs: book.pairs,
    instruments,
    ids: new Array<string>(A),
    usd: new Float64Array(A),
    coins: new Float64Array(A * P),
    usdByCode: [],
    positionStart: new Int32Array(A + 1),
    orderStart: new Int32Array(A + 1),
    positionInstrument: new Int32Array(positions),
    positionQty: new Float64Array(positions),
    positionEntry: new Float64Array(positions),
    orderInstrument: new Int32Array(orders),
    orderBuy: new Uint8Array(orders),
    orderQty: new Float64Array(orders),
    orderPrice: new Float64Array(orders),
  };
  let row = 0;
  let orderRow = 0;
  book.accounts.forEach((account, a) => {
    packed.ids[a] = account.id;
    packed.usd[a] = account.usd;
    packed.coins.set(account.coins, a * P);
    if (account.usdByCode !== undefined) packed.usdByCode.push([a, account.usdByCode]);
    packed.positionStart[a] = row;
    for (const p of account.positions) {
      packed.positionInstrument[row] = indexOf(p.instrument);
      packed.positionQty[row] = p.qty;
      packed.positionEntry[row] = p.entryPrice ?? Number.NaN;
      row++;
    }
    packed.orderStart[a] = orderRow;
    for (const o of account.orders) {
      packed.orderInstrument[orderRow] = indexOf(o.instrument);
      packed.orderBuy[orderRow] = o.side === "buy" ? 1 : 0;
      packed.orderQty[orderRow] = o.qty;
      packed.orderPrice[orderRow] = o.price;
      orderRow++;
    }
  });
  packed.positionStart[A] = row;
  packed.orderStart[A] = orderRow;
  return packed;
}

/** Every field equal (Object.is: the bits of a number, NaN expiries included). */
function sameInstrument(a: ResolvedInstrument, b: ResolvedInstrument): boolean {
  for (const key in a) {
    if (!Object.is(a[key as keyof ResolvedInstrument], b[key as keyof ResolvedInstrument])) return false;
  }
  return Object.keys(a).length === Object.keys(b).length;
}

/** The book packBook() packed, with its paths as normalize() writes them. */
export function unpackBook(packed: PackedBook): Book {
  const P = packed.pairs.length;
  const byCode = new Map(packed.usdByCode);
  const accounts = packed.ids.map((id, a): BookAccount => {
    const path = at("accounts", a);
    const positionsPath = at(path, "positions");
    const positions: BookPosition[] = [];
    for (let row = packed.positionStart[a], j = 0; row < packed.positionStart[a + 1]; row++, j++) {
      const entry = packed.positionEntry[row];
      positions.push({
        instrument: packed.instruments[packed.positionInstrument[row]],
        qty: packed.positionQty[row],
        entryPrice: Number.isNaN(entry) ? null : entry,
        path: at(positionsPath, j),
      });
    }
    const ordersPath = at(path, "orders");
    const orders: BookOrder[] = [];
    for (let row = packed.orderStart[a], j = 0; row < packed.orderStart[a + 1]; row++, j++) {
      orders.push({
        instrument: packed.instruments[packed.orderInstrument[row]],
        side: packed.orderBuy[row] === 1 ? "buy" : "sell",
        qty: packed.orderQty[row],
        price: packed.orderPrice[row],
        path: at(ordersPath, j),
      });
    }
    const usdByCode = byCode.get(a);
    return {
      id,
      usd: packed.usd[a],
      coins: Array.from(packed.coins.subarray(a * P, (a + 1) * P)),
      ...(usdByCode && { usdByCode }),
      positions,
      orders,
      path,
    };
  });
  return { asOfMs: packed.asOfMs, params: packed.params, pairs: packed.pairs, accounts };
}
