/**
 * The PnL-vs-spot chart (SVG markup from a PnlCurve): the account's PnL as the pair's spot moves
 * (vols read at the moved forward), the line where equity would fall to the maintenance margin
 * (MM at that spot - equity now, from the margin points), the shaded spots beyond the liquidation
 * prices, the margin's scenario points (marker by vol shock, the worst in red), and today's spot.
 */
import type { PnlCurve } from "../bindings/browser-fetch.js";
import { compact, escapeHtml, pct, usd, usd0 } from "./format.js";

const W = 760;
const H = 360;
const M = { left: 64, right: 18, top: 34, bottom: 44 };

const COLORS = {
  curve: "#1f5fbf",
  threshold: "#c62828",
  zone: "rgba(198, 40, 40, 0.08)",
  grid: "#e6e8ec",
  axis: "#9aa1ab",
  text: "#4a5160",
  spot: "#6b7280",
  scenario: "#374151",
  worst: "#c62828",
};

/** 1, 2, 5 x 10^k steps, about `count` of them over [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

const f = (x: number): string => x.toFixed(1);

function marker(x: number, y: number, volShock: number, r: number, fill: string): string {
  if (volShock > 0) return `<path d="M${f(x)} ${f(y - r)} L${f(x + r)} ${f(y + r * 0.8)} L${f(x - r)} ${f(y + r * 0.8)} Z" fill="${fill}"/>`;
  if (volShock < 0) return `<path d="M${f(x)} ${f(y + r)} L${f(x + r)} ${f(y - r * 0.8)} L${f(x - r)} ${f(y - r * 0.8)} Z" fill="${fill}"/>`;
  return `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r * 0.8)}" fill="${fill}"/>`;
}

/** The chart as an SVG element's markup. */
export function plotSvg(curve: PnlCurve): string {
  const points = curve.points;
  const x0 = points[0].spot;
  const x1 = points[points.length - 1].spot;
  // the y range holds the PnL and the scenarios; the equity = MM line is clipped to it (far below
  // it when the account is far from liquidation, noted then)
  const threshold = curve.margins.map((m) => ({ spot: m.spot, y: m.maintenanceMargin - curve.equity }));
  const ys = [0, ...points.map((p) => p.pnl), ...curve.scenarios.map((s) => s.pnl)];
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  const span = y1 - y0 || Math.max(1, Math.abs(y0) * 0.1);
  const near = threshold.map((t) => t.y).filter((y) => y >= y0 - 0.6 * span && y <= y1 + 0.6 * span);
  y0 = Math.min(y0, ...near) - 0.08 * span;
  y1 = Math.max(y1, ...near) + 0.08 * span;
  const sx = (x: number): number => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const sy = (y: number): number => M.top + ((y1 - y) / (y1 - y0)) * (H - M.top - M.bottom);
  const inside = (x: number): boolean => x >= x0 && x <= x1;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="PnL against ${escapeHtml(curve.pair)} spot" font-family="inherit" font-size="11">`);
  out.push(`<defs><clipPath id="plot-area"><rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}"/></clipPath></defs>`);

  // zones beyond the liquidation prices
  const { below, above, now } = curve.liquidation;
  const top = M.top;
  const height = H - M.top - M.bottom;
  if (now) {
    out.push(`<rect x="${M.left}" y="${top}" width="${W - M.left - M.right}" height="${height}" fill="${COLORS.zone}"/>`);
  } else {
    if (below !== null && inside(below)) out.push(`<rect x="${M.left}" y="${top}" width="${f(sx(below) - M.left)}" height="${height}" fill="${COLORS.zone}"/>`);
    if (above !== null && inside(above)) out.push(`<rect x="${f(sx(above))}" y="${top}" width="${f(W - M.right - sx(above))}" height="${height}" fill="${COLORS.zone}"/>`);
  }

  // grid and axes
  for (const t of niceTicks(x0, x1, 7)) {
    out.push(`<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${top}" y2="${H - M.bottom}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${f(sx(t))}" y="${H - M.bottom + 16}" text-anchor="middle" fill="${COLORS.text}">${compact(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1, 6)) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="${t === 0 ? COLORS.axis : COLORS.grid}"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(sy(t) + 4)}" text-anchor="end" fill="${COLORS.text}">${compact(t)}</text>`);
  }
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" fill="${COLORS.text}">${escapeHtml(curve.pair)} spot (USD)</text>`);
  out.push(`<text transform="translate(14 ${(top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="${COLORS.text}">PnL (USD)</text>`);

  // today's spot
  out.push(`<line x1="${f(sx(curve.spot))}" x2="${f(sx(curve.spot))}" y1="${top}" y2="${H - M.bottom}" stroke="${COLORS.spot}" stroke-dasharray="2 3"/>`);
  out.push(`<text x="${f(sx(curve.spot) + 4)}" y="${top + 12}" fill="${COLORS.spot}">spot ${usd0(curve.spot)}</text>`);

  // equity = MM line and the PnL curve
  const path = (pts: { x: number; y: number }[]): string => pts.map((p, i) => `${i === 0 ? "M" : "L"}${f(p.x)} ${f(p.y)}`).join(" ");
  out.push(`<path d="${path(threshold.map((t) => ({ x: sx(t.spot), y: sy(t.y) })))}" clip-path="url(#plot-area)" fill="none" stroke="${COLORS.threshold}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  const highest = Math.max(...threshold.map((t) => t.y));
  if (highest < y0) {
    out.push(`<text x="${W - M.right - 6}" y="${H - M.bottom - 8}" text-anchor="end" fill="${COLORS.threshold}">equity = MM needs a PnL of ${compact(highest)} or worse: off the chart</text>`);
  }
  out.push(`<path d="${path(points.map((p) => ({ x: sx(p.spot), y: sy(p.pnl) })))}" fill="none" stroke="${COLORS.curve}" stroke-width="2.2"/>`);

  // liquidation prices
  for (const [price, side] of [[below, "below"], [above, "above"]] as const) {
    if (price === null || !inside(price)) continue;
    const x = sx(price);
    out.push(`<line x1="${f(x)}" x2="${f(x)}" y1="${top}" y2="${H - M.bottom}" stroke="${COLORS.threshold}" stroke-width="1.5"/>`);
    const anchor = side === "below" ? "end" : "start";
    const dx = side === "below" ? -4 : 4;
    out.push(`<text x="${f(x + dx)}" y="${top + 26}" text-anchor="${anchor}" fill="${COLORS.threshold}" font-weight="600">liquidation ${usd0(price)}</text>`);
  }

  // the margin's scenarios
  const worst = curve.scenarios.find((s) => s.worst);
  for (const s of curve.scenarios) {
    if (!inside(s.spot)) continue;
    const title = `scenario ${s.scenario}: spot ${pct(s.spotShock)}, vol ${pct(s.volShock)}${s.weight !== 1 ? ` (weight ${s.weight})` : ""}: PnL ${usd(s.pnl)}`;
    out.push(`<g><title>${escapeHtml(title)}</title>${marker(sx(s.spot), sy(s.pnl), s.volShock, s.worst ? 6.5 : 5, s.worst ? COLORS.worst : COLORS.scenario)}</g>`);
  }
  if (worst !== undefined && inside(worst.spot)) {
    const x = sx(worst.spot);
    const right = x < W / 2;
    out.push(`<text x="${f(x + (right ? 10 : -10))}" y="${f(sy(worst.pnl) + 4)}" text-anchor="${right ? "start" : "end"}" fill="${COLORS.worst}" font-weight="600">worst #${worst.scenario}: ${usd0(worst.pnl)}</text>`);
  }

  // legend
  const lx = M.left + 4;
  const ly = 14;
  out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${COLORS.curve}" stroke-width="2.2"/><text x="${lx + 27}" y="${ly + 4}" fill="${COLORS.text}">PnL (vols unchanged)</text>`);
  out.push(`<line x1="${lx + 160}" x2="${lx + 182}" y1="${ly}" y2="${ly}" stroke="${COLORS.threshold}" stroke-width="1.5" stroke-dasharray="6 4"/><text x="${lx + 187}" y="${ly + 4}" fill="${COLORS.text}">equity = MM</text>`);
  out.push(`${marker(lx + 278, ly, 0, 5, COLORS.scenario)}${marker(lx + 292, ly, 1, 5, COLORS.scenario)}${marker(lx + 306, ly, -1, 5, COLORS.scenario)}<text x="${lx + 316}" y="${ly + 4}" fill="${COLORS.text}">margin scenarios (vol =, up, down)</text>`);
  out.push(`${marker(lx + 520, ly, 0, 5, COLORS.worst)}<text x="${lx + 530}" y="${ly + 4}" fill="${COLORS.text}">worst</text>`);
  out.push(`<rect x="${lx + 572}" y="${ly - 6}" width="14" height="12" fill="${COLORS.zone}" stroke="${COLORS.threshold}" stroke-width="0.5"/><text x="${lx + 591}" y="${ly + 4}" fill="${COLORS.text}">liquidation</text>`);
  out.push("</svg>");
  return out.join("");
}
