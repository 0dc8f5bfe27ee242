/** Number formatting for the demo page. */

const money2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const money0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 16,669.80 */
export function usd(x: number): string {
  return money2.format(x === 0 ? 0 : x);
}

/** 91,000 (whole dollars) */
export function usd0(x: number): string {
  return money0.format(Math.round(x) === 0 ? 0 : x);
}

/** +1,732.31 / -1,732.31 */
export function signed(x: number): string {
  return (x > 0 ? "+" : "") + usd(x);
}

/** 12.5k, -1.2M, 950 */
export function compact(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${trim(x / 1e9)}B`;
  if (a >= 1e6) return `${trim(x / 1e6)}M`;
  if (a >= 1e4) return `${trim(x / 1e3)}k`;
  return money0.format(x === 0 ? 0 : x);
}

function trim(x: number): string {
  const text = Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** +15%, -40%, 0% */
export function pct(x: number): string {
  const v = Math.round(x * 1000) / 10;
  return `${v > 0 ? "+" : ""}${v === 0 ? 0 : v}%`;
}

/** ms with 2 decimals */
export function ms(x: number): string {
  return `${x.toFixed(2)} ms`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** p-quantile (0..1) of a sample, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
