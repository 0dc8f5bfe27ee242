/**
 * Dates in the portfolio file: strict ISO-8601 timestamps (`asOf`, expiries) and Deribit date
 * codes in instrument names (`27DEC26`, `5DEC26`, `05DEC26`, always 08:00 UTC). Parsers throw
 * `MarginError(E_PARSE)` at the caller's field path.
 */
import { ErrorCode, MarginError } from "../errors.js";
import { memo } from "./memo.js";

export const MS_PER_DAY = 86_400_000;
/** ACT/365 year */
export const MS_PER_YEAR = 365 * MS_PER_DAY;
/** Deribit expiries settle at 08:00 UTC */
export const EXPIRY_HOUR_UTC = 8;

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;
const DERIBIT_DATE = /^(\d{1,2})([A-Z]{3})(\d{2})$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Epoch ms of a UTC wall-clock time; fields must already be in range. Years below 100 stay literal. */
function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/**
 * `2026-11-21T08:00:00Z`, `2026-11-21T08:00:00.250Z`, `2026-11-21T09:00:00+01:00` -> epoch ms.
 * Date, time with seconds, and a `Z` or `±hh:mm` offset are all required.
 */
export function parseIsoTimestamp(text: string, path: string): number {
  // parsed once per distinct text: the path only matters when the text is bad, and then
  // nothing was cached for it
  const ms = isoTimestampMs(text);
  return ms ?? parseIsoTimestampOrThrow(text, path);
}

/** The epoch ms of a valid timestamp text, or undefined when it is not one (memoized). */
export const isoTimestampMs = memo((text: string): number | undefined => {
  try {
    return parseIsoTimestampOrThrow(text, "");
  } catch {
    return undefined;
  }
});

function parseIsoTimestampOrThrow(text: string, path: string): number {
  const m = ISO_TIMESTAMP.exec(text);
  const bad = (what: string): never => {
    throw new MarginError(ErrorCode.PARSE, path, `cannot parse ${JSON.stringify(text)}: ${what}`);
  };
  if (!m) {
    return bad(
      "must be a full ISO-8601 timestamp with seconds and a Z or ±hh:mm offset, e.g. 2026-11-21T08:00:00Z",
    );
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12) bad(`month ${month} is not 01-12`);
  if (day < 1 || day > daysInMonth(year, month)) bad(`day ${day} does not exist in ${year}-${m[2]}`);
  if (hour > 23 || minute > 59 || second > 59) bad("time of day out of range");
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) bad("UTC offset out of range");
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // one division of whole nanoseconds: the fraction in ms, correctly rounded
  const fractionMs = m[7] ? Number(m[7].padEnd(9, "0")) / 1e6 : 0;
  return utcMs(year, month, day, hour, minute, second) + fractionMs - offsetMinutes * 60_000;
}

/** Deribit date code (`27DEC26`, `5DEC26`, `05DEC26`; year 20YY) -> epoch ms at 08:00 UTC that day. */
export function parseDeribitDate(code: string, path: string): number {
  const m = DERIBIT_DATE.exec(code);
  const bad = (what: string): never => {
    throw new MarginError(ErrorCode.PARSE, path, `invalid date code ${JSON.stringify(code)}: ${what}`);
  };
  if (!m) return bad("expected day, month and two-digit year, e.g. 27DEC26 or 5DEC26");
  const month = MONTHS.indexOf(m[2] as (typeof MONTHS)[number]) + 1;
  if (month === 0) bad(`unknown month ${m[2]}; expected one of ${MONTHS.join(", ")}`);
  const day = Number(m[1]);
  const year = 2000 + Number(m[3]);
  if (day < 1 || day > daysInMonth(year, month)) bad(`${m[2]} ${year} has no day ${day}`);
  return utcMs(year, month, day, EXPIRY_HOUR_UTC, 0, 0);
}

/** The Deribit code of the UTC calendar day of `ms`, day without a leading zero: `5DEC26`, `27DEC26`. */
export function formatDeribitDate(ms: number): string {
  const date = new Date(ms);
  const year = String(date.getUTCFullYear() % 100).padStart(2, "0");
  return `${date.getUTCDate()}${MONTHS[date.getUTCMonth()]}${year}`;
}

/** ACT/365 years from `asOfMs` to `expiryMs`; negative once expired. */
export function tenorYears(expiryMs: number, asOfMs: number): number {
  return (expiryMs - asOfMs) / MS_PER_YEAR;
}

/**
 * ISO-8601 of an epoch-ms instant, sub-millisecond digits kept, so that parseIsoTimestamp reads
 * back the same ms (for writing a book's instants back into file form, e.g. market ticks).
 */
export function formatIsoTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  let nanos = Math.round((ms - whole) * 1e6);
  let base = whole;
  if (nanos >= 1e6) {
    base += 1;
    nanos = 0;
  }
  const text = new Date(base).toISOString();
  return nanos === 0 ? text : `${text.slice(0, -1)}${String(nanos).padStart(6, "0")}Z`;
}
