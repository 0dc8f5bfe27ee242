/**
 * Per-account isolation (SPEC.md "Bad input": one bad account in a bulk run never changes another
 * account's result), behind `engine.margin(file, { isolateAccounts: true })` and
 * `engine.marginCovariance(file, { isolateAccounts: true })`.
 *
 * The market, params and the `accounts` array itself are checked as a whole (normalizeMarket): a
 * problem there still throws, since every account depends on them. Then each account is checked
 * on its own (normalizeAccount); an account that fails is set aside with its error, and so is the
 * later of two accounts with the same id (an account set aside claims no id). The valid accounts
 * are margined together, in file order. Should the kernel stop at an account (E_KERNEL naming
 * it: its numbers overflow double precision, which validation cannot see), that account is set
 * aside too and the others are margined again.
 *
 * The kernel margins each account from its own rows and the shared market only (its scratch is
 * cleared per account; the per-call tenor cache holds values that depend on the market alone), so
 * the valid accounts' reports are the same, byte for byte, as margining a file without the bad
 * accounts (test/isolation.test.ts checks it with JSON.stringify).
 */
import type { Book, BookAccount } from "./model/book.js";
import type { AccountError } from "./model/types.js";
import { ErrorCode, MarginError } from "./errors.js";
import { at, normalizeAccount, normalizeMarket } from "./validate.js";

/** The valid accounts of a file as a book, and the accounts set aside. */
export interface IsolatedBook {
  /** the market, params and the valid accounts, in file order */
  book: Book;
  /** the file index (position in `accounts`) of each of book.accounts */
  indices: number[];
  /** the accounts set aside, in file order */
  errors: AccountError[];
}

/** The id of a raw account when it has a readable one (a non-empty string). */
function readableId(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === "string" && id !== "" ? id : undefined;
}

function accountError(index: number, id: string | undefined, error: MarginError): AccountError {
  return {
    ...(id !== undefined && { id }),
    index,
    error: { code: error.code, path: error.path, message: error.message },
  };
}

/**
 * Check the file's market and params (throws MarginError on a problem there), then each account on
 * its own; see the file header.
 */
export function normalizeIsolated(file: unknown): IsolatedBook {
  const market = normalizeMarket(file);
  const accounts: BookAccount[] = [];
  const indices: number[] = [];
  const errors: AccountError[] = [];
  const firstIndexOf = new Map<string, number>();
  market.rawAccounts.forEach((raw, i) => {
    try {
      const account = normalizeAccount(raw, i, market);
      const first = firstIndexOf.get(account.id);
      if (first !== undefined) {
        const detail = `duplicate account id ${JSON.stringify(account.id)}; accounts[${first}] has it too`;
        throw new MarginError(ErrorCode.ORDER, at(account.path, "id"), detail);
      }
      firstIndexOf.set(account.id, i);
      accounts.push(account);
      indices.push(i);
    } catch (error) {
      if (!(error instanceof MarginError)) throw error;
      errors.push(accountError(i, readableId(raw), error));
    }
  });
  return { book: { asOfMs: market.asOfMs, params: market.params, pairs: market.pairs, accounts }, indices, errors };
}

/**
 * Margin the valid accounts of `file` with `run` (a whole-book margin call: scenario or covariance)
 * and list the accounts set aside in `errors`, in file order; see the file header.
 */
export function marginIsolated<R extends { accounts: unknown[] }>(
  file: unknown,
  run: (book: Book) => R,
): R & { errors: AccountError[] } {
  const { book, indices, errors } = normalizeIsolated(file);
  for (;;) {
    try {
      const report = run(book);
      return { ...report, errors: errors.sort((a, b) => a.index - b.index) };
    } catch (error) {
      // the kernel stopped at one account: set it aside, margin the others again
      if (!(error instanceof MarginError) || error.code !== ErrorCode.KERNEL) throw error;
      const k = book.accounts.findIndex((account) => account.path === error.path);
      if (k < 0) throw error;
      errors.push(accountError(indices[k], book.accounts[k].id, error));
      book.accounts.splice(k, 1);
      indices.splice(k, 1);
    }
  }
}

/** One line per account set aside, for people: the error (it starts with the field path), then which account. */
export function formatAccountErrors(errors: readonly AccountError[]): string[] {
  return errors.map((e) => {
    const who = e.id === undefined ? `accounts[${e.index}]` : `account ${JSON.stringify(e.id)}`;
    return `${e.error.message} (${who} set aside; the other accounts are margined)`;
  });
}
