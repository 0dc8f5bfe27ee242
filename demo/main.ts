/**
 * The what-if page: load or paste a portfolio file, see every account's margin, edit a position's
 * quantity or try a trade and see the margin change as you type, move a pair's spot and vols, and
 * read the account's PnL against spot with the margin's scenarios and the liquidation prices.
 * Every number comes from the same WASM kernel as the server (bindings/browser-fetch.ts fetches
 * release.wasm, or scalar.wasm without SIMD); the page holds a WhatIfSession whose report is
 * engine.margin(file) of the edited file, bit for bit.
 *
 * Per edit the page re-margins the book and refreshes the numbers synchronously (timed as `edit`),
 * then recomputes the PnL curve, the margin points and the liquidation prices in the next
 * animation frame (timed as `profile`; several edits within one frame share one profile).
 * For tests and the benchmark: window.__lastReport (the report shown), window.__file (the edited
 * file), window.__timings (performance.now() deltas), window.__profiles, window.__ready, window.__app.
 */
import {
  MarginError,
  WhatIfSession,
  createEngine,
  type AccountReport,
  type Engine,
  type PnlCurve,
  type Report,
  type WhatIfResult,
  type WorstScenarioContributions,
} from "../bindings/browser-fetch.js";
import { plotSvg } from "./plot.js";
import { escapeHtml, ms, pct, quantile, signed, usd, usd0 } from "./format.js";

interface Timings {
  /** per edit: the synchronous recompute, kernel and DOM (ms) */
  edit: number[];
  /** per edit: its kernel and bindings part (ms) */
  editCompute: number[];
  /** per animation frame after edits: curve, margin points, liquidation prices and the chart (ms) */
  profile: number[];
  profileCompute: number[];
  /** per market slider move (ms) */
  market: number[];
}

interface DemoApp {
  load(file: unknown): void;
  selectAccount(a: number): void;
  selectPair(pair: string): void;
  readonly session: WhatIfSession | null;
  readonly engine: Engine;
}

declare global {
  interface Window {
    __app: DemoApp;
    __ready: boolean;
    __lastReport: Report | null;
    __file: unknown;
    __lastCurve: PnlCurve | null;
    __profiles: number;
    __timings: Timings;
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** DOM writes only where the content changed (an edit changes a few numbers of many). */
const written = new WeakMap<Element, string>();
function setHtml(element: Element, html: string): void {
  if (written.get(element) === html) return;
  written.set(element, html);
  element.innerHTML = html;
}
function setText(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element !== null && element.textContent !== text) element.textContent = text;
}

let engine: Engine;
let session: WhatIfSession | null = null;
let account = 0;
let plotted: string | null = null;
/** the report each account had when the file was loaded (the KPI deltas) */
let loaded: AccountReport[] = [];
const contributions = new Map<string, WorstScenarioContributions>();
let profilePending = false;
const timings: Timings = { edit: [], editCompute: [], profile: [], profileCompute: [], market: [] };
window.__timings = timings;
window.__ready = false;
window.__lastReport = null;
window.__lastCurve = null;
window.__profiles = 0;

// ---------------------------------------------------------------------------------------------
// Messages

function showMessage(text: string, kind: "error" | "info" = "error"): void {
  const box = $("message");
  box.textContent = text;
  box.className = `message ${kind === "info" ? "info" : ""}`;
  box.hidden = false;
}

function clearMessage(): void {
  $("message").hidden = true;
}

/** A MarginError's message (it starts with the field's path); anything else is a bug and rethrown. */
function marginMessage(error: unknown): string {
  if (error instanceof MarginError) return error.message;
  throw error;
}

/** Input text as the value the API checks: "" -> missing, a number, or the text itself (a type error naming the field). */
function numberInput(text: string): unknown {
  const t = text.trim();
  if (t === "") return undefined;
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : t;
}

// ---------------------------------------------------------------------------------------------
// Loading

function load(file: unknown): void {
  const next = new WhatIfSession(engine, file);
  session?.dispose();
  session = next;
  account = 0;
  plotted = null;
  loaded = next.report().accounts;
  for (const list of Object.values(timings)) list.length = 0;
  clearMessage();
  const book = next.book;
  const positions = book.accounts.reduce((n, a) => n + a.positions.length, 0);
  $("book-info").textContent = `${book.accounts.length} account${book.accounts.length === 1 ? "" : "s"}, ${positions} positions, as of ${new Date(book.asOfMs).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  renderMarket();
  renderInstruments();
  selectAccount(0);
}

function loadText(text: string, what: string): void {
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (error) {
    showMessage(`${what}: not JSON (${(error as Error).message})`);
    return;
  }
  try {
    load(file);
  } catch (error) {
    showMessage(`${what}: ${marginMessage(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Recompute

function publish(): void {
  if (session === null) return;
  window.__lastReport = session.report();
  window.__file = session.file;
}

function computeContributions(): void {
  contributions.clear();
  if (session === null) return;
  for (const name of Object.keys(session.accountReport(account).pairs)) contributions.set(name, session.contributions(account, name));
}

/** After anything that changed the numbers (not the rows): refresh the numbers, time it, schedule the profile. */
function refresh(started: number, into: number[], computed?: number[]): void {
  publish();
  computeContributions();
  const mid = performance.now();
  renderAccounts();
  renderSummary();
  renderContributions();
  previewTrade();
  const end = performance.now();
  into.push(end - started);
  computed?.push(mid - started);
  scheduleProfile(); // (which also shows the timings)
}

function scheduleProfile(): void {
  if (profilePending) return;
  profilePending = true;
  requestAnimationFrame(() => {
    profilePending = false;
    runProfile();
  });
}

function runProfile(): void {
  const plot = $("plot");
  const text = $("liquidation");
  if (session === null || plotted === null) {
    setHtml(plot, `<p class="error-text">No positions: nothing to plot.</p>`);
    setHtml(text, "");
    return;
  }
  const started = performance.now();
  const curve = session.pnlCurve(account, plotted);
  const computed = performance.now();
  setHtml(plot, plotSvg(curve));
  setHtml(text, liquidationText(curve));
  const end = performance.now();
  timings.profileCompute.push(computed - started);
  timings.profile.push(end - started);
  window.__lastCurve = curve;
  window.__profiles++;
  renderTiming();
}

function liquidationText(curve: PnlCurve): string {
  const { below, above, now } = curve.liquidation;
  const pair = escapeHtml(curve.pair);
  if (now) return `<b>In liquidation now</b>: equity ${usd(curve.equity)} is below the maintenance margin ${usd(curve.maintenanceMargin)}.`;
  const range = pct(curve.points[curve.points.length - 1].move).replace("+", "");
  if (below === null && above === null) return `Liquidation price: none within ±${range} of ${pair} spot (equity stays above the maintenance margin).`;
  const side = (price: number | null, where: string): string =>
    price === null ? `none ${where} within ${range}` : `<b>${usd0(price)}</b> (${pct(price / curve.spot - 1)})`;
  return `Liquidation price (equity = maintenance margin as ${pair} moves alone): ${below === null && above !== null ? `above ${side(above, "above")}, none below within ${range}` : above === null ? `below ${side(below, "below")}, none above within ${range}` : `below ${side(below, "below")} · above ${side(above, "above")}`}.`;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function badge(status: string): string {
  return `<span class="badge ${status}">${status}</span>`;
}

function renderAccounts(): void {
  if (session === null) return;
  const reports = session.report().accounts;
  const body = $("accounts").querySelector("tbody")!;
  // rows once per book; then only the numbers
  setHtml(
    body,
    reports
      .map(
        (r, a) =>
          `<tr data-account="${a}"><td>${escapeHtml(r.id)}</td><td class="num" id="a${a}-eq"></td><td class="num" id="a${a}-im"></td>` +
          `<td class="num" id="a${a}-mm"></td><td class="num" id="a${a}-av"></td><td id="a${a}-st"></td></tr>`,
      )
      .join(""),
  );
  reports.forEach((r, a) => {
    setText(`a${a}-eq`, usd(r.equity));
    setText(`a${a}-im`, usd(r.initialMargin));
    setText(`a${a}-mm`, usd(r.maintenanceMargin));
    setText(`a${a}-av`, usd(r.available));
    setHtml(document.getElementById(`a${a}-st`)!, badge(r.status));
    body.children[a].classList.toggle("selected", a === account);
  });
}

function kpi(label: string, value: string, delta = ""): string {
  return `<div class="kpi"><div class="label">${label}</div><div class="value">${value}</div><div class="delta">${delta}</div></div>`;
}

function deltaText(now: number, then: number | undefined, risingIsBad: boolean): string {
  if (then === undefined || now === then) return "&nbsp;";
  const d = now - then;
  const cls = (d > 0) === risingIsBad ? "up" : "down";
  return `<span class="${cls}">${signed(d)}</span> since load`;
}

function describeRow(spotShock: number, volShock: number, weight: number): string {
  return `spot ${pct(spotShock)}, vol ${pct(volShock)}${weight !== 1 ? ` × ${weight}` : ""}`;
}

function renderSummary(): void {
  if (session === null) return;
  const r = session.accountReport(account);
  const then = loaded[account]?.id === r.id ? loaded[account] : undefined;
  setHtml($("summary-title"), `Account ${escapeHtml(r.id)}`);
  const kpis: [string, string, string][] = [
    ["equity", "Equity", ""],
    ["im", "Initial margin", ""],
    ["mm", "Maintenance margin", ""],
    ["av", "Available", ""],
    ["st", "Status", ""],
  ];
  setHtml($("summary"), kpis.map(([id, label]) => `<div class="kpi"><div class="label">${label}</div><div class="value" id="k-${id}"></div><div class="delta" id="k-${id}-d"></div></div>`).join(""));
  const values: [string, string, string][] = [
    ["equity", usd(r.equity), deltaText(r.equity, then?.equity, false)],
    ["im", usd(r.initialMargin), deltaText(r.initialMargin, then?.initialMargin, true)],
    ["mm", usd(r.maintenanceMargin), deltaText(r.maintenanceMargin, then?.maintenanceMargin, true)],
    ["av", usd(r.available), deltaText(r.available, then?.available, false)],
    ["st", badge(r.status), r.initialMargin > 0 ? `equity / IM ${(r.equity / r.initialMargin).toFixed(2)}×` : "&nbsp;"],
  ];
  for (const [id, value, delta] of values) {
    setHtml($(`k-${id}`), value);
    setHtml($(`k-${id}-d`), delta);
  }
  const pairs = session.book.pairs;
  const names = Object.keys(r.pairs);
  const total = Object.values(r.pairs).reduce((sum, p) => sum + p.requirement, 0);
  setHtml(
    $("pairs").querySelector("tbody")!,
    names
      .map(
        (name, k) =>
          `<tr><td><b>${escapeHtml(name)}</b></td><td class="num" id="p${k}-req"></td><td id="p${k}-worst"></td><td id="p${k}-fill"></td><td class="num" id="p${k}-share"></td></tr>`,
      )
      .join(""),
  );
  names.forEach((name, k) => {
    const p = r.pairs[name];
    const row = pairs.find((x) => x.name === name)!.grid[p.worstScenario - 1];
    setText(`p${k}-req`, usd(p.requirement));
    setText(`p${k}-worst`, `#${p.worstScenario}: ${describeRow(row.spotShock, row.volShock, row.weight)}`);
    setText(`p${k}-fill`, p.fillSet);
    setText(`p${k}-share`, total > 0 ? `${((100 * p.requirement) / total).toFixed(1)}%` : "–");
  });
  renderTabs(names);
}

function renderTabs(names: string[]): void {
  if (plotted === null || !names.includes(plotted)) plotted = names[0] ?? null;
  setHtml(
    $("pair-tabs"),
    names.map((name) => `<button type="button" data-pair="${escapeHtml(name)}" class="${name === plotted ? "active" : ""}">${escapeHtml(name)}</button>`).join(""),
  );
}

/** The rows of the positions table (rebuilt when rows come or go, not on a quantity edit). */
function renderPositions(): void {
  if (session === null) return;
  const a = session.book.accounts[account];
  const rows: string[] = [];
  a.positions.forEach((p, i) => {
    const entry = p.entryPrice === null ? (p.instrument.kind === "future" || p.instrument.kind === "perpetual" ? "mark" : "–") : usd(p.entryPrice);
    rows.push(
      `<tr><td>${escapeHtml(p.instrument.name)}${p.instrument.multiplier !== 1 ? ` <small>×${p.instrument.multiplier}</small>` : ""}</td>` +
        `<td class="num"><input data-position="${i}" value="${p.qty}" inputmode="decimal" aria-label="quantity of ${escapeHtml(p.instrument.name)}"></td>` +
        `<td class="num">${entry}</td>${contributionCells(`position-${i}`)}` +
        `<td><button type="button" class="remove" data-remove="${i}" title="remove this position">×</button></td></tr>`,
    );
  });
  a.orders.forEach((o, i) => {
    rows.push(
      `<tr class="sub"><td>order: ${o.side} ${escapeHtml(o.instrument.name)} @ ${usd(o.price)}</td><td class="num">${o.side === "buy" ? "+" : "−"}${o.qty}</td><td></td>` +
        `${contributionCells(`order-${i}`)}<td></td></tr>`,
    );
  });
  session.book.pairs.forEach((pair, p) => {
    if (a.coins[p] === 0) return;
    rows.push(
      `<tr class="sub"><td>${escapeHtml(pair.name)} coin balance</td><td class="num">${a.coins[p]}</td><td></td>` +
        `${contributionCells(`coin-${pair.name}`)}<td></td></tr>`,
    );
  });
  $("positions").querySelector("tbody")!.innerHTML = rows.join("");
  $("field-error").hidden = true;
  shown.clear();
  barScale = 0;
  renderContributions();
}

/** The two cells of a row's contribution: the number and a bar (filled in by renderContributions). */
function contributionCells(id: string): string {
  return `<td class="num"><span id="c-${escapeHtml(id)}"></span></td><td><div class="contrib"><span id="b-${escapeHtml(id)}"></span></div></td>`;
}

/** What each contribution cell shows now (value and bar scale), so that an edit rewrites only the cells that changed. */
const shown = new Map<string, { value: number | null; scale: number }>();
/** The bars' full width in USD: kept while the largest contribution stays within [scale / 4, scale]. */
let barScale = 0;

/** Each row's PnL in its pair's worst scenario (the kernel's attribution), with a bar; only changed cells are written. */
function renderContributions(): void {
  if (session === null) return;
  const values = new Map<string, number | null>();
  const a = session.book.accounts[account];
  a.positions.forEach((_, i) => values.set(`position-${i}`, null));
  a.orders.forEach((_, i) => values.set(`order-${i}`, null));
  for (const c of contributions.values()) {
    for (const item of c.items) values.set(item.kind === "coin" ? `coin-${c.pair}` : `${item.kind}-${item.index}`, item.pvChange);
  }
  let largest = 1e-9;
  for (const value of values.values()) if (value !== null) largest = Math.max(largest, Math.abs(value));
  if (largest > barScale || largest < barScale / 4) barScale = largest * 1.2;
  const scale = barScale;
  for (const [id, value] of values) {
    const last = shown.get(id);
    if (last !== undefined && last.value === value && (value === null || last.scale === scale)) continue;
    const text = document.getElementById(`c-${id}`);
    const bar = document.getElementById(`b-${id}`);
    if (text === null || bar === null) continue;
    shown.set(id, { value, scale });
    if (value === null) {
      text.textContent = "–";
      text.className = "";
      text.title = "not in the fill set that sets the requirement";
      bar.className = "";
      bar.style.width = "0";
      continue;
    }
    const loss = value < 0;
    text.textContent = signed(value);
    text.className = loss ? "up" : "down";
    bar.className = loss ? "loss" : "gain";
    bar.style.left = loss ? "" : "50%";
    bar.style.right = loss ? "50%" : "";
    bar.style.width = `${((50 * Math.abs(value)) / scale).toFixed(2)}%`;
  }
}

function renderMarket(): void {
  if (session === null) return;
  $("market").innerHTML = session.book.pairs
    .map(
      (pair) =>
        `<div class="pair-market" data-pair="${escapeHtml(pair.name)}"><div class="name">${escapeHtml(pair.name)}</div>` +
        `<label>spot <b data-label="spot"></b><input type="range" data-shift="spot" min="-30" max="30" step="0.5" value="0"></label>` +
        `<label>vols <b data-label="vol"></b><input type="range" data-shift="vol" min="-50" max="100" step="1" value="0" ${pair.surface === null ? "disabled" : ""}></label></div>`,
    )
    .join("");
  renderMarketLabels();
}

function renderMarketLabels(): void {
  if (session === null) return;
  for (const row of Array.from($("market").querySelectorAll<HTMLElement>(".pair-market"))) {
    const name = row.dataset.pair!;
    const shift = session.shift(name);
    const pair = session.book.pairs.find((p) => p.name === name)!;
    row.querySelector('[data-label="spot"]')!.textContent = `${usd0(pair.spot)} (${pct(shift.spot)})`;
    row.querySelector('[data-label="vol"]')!.textContent = pair.surface === null ? "no surface" : `× ${(1 + shift.vol).toFixed(2)} (${pct(shift.vol)})`;
  }
}

function renderInstruments(): void {
  if (session === null) return;
  const names = new Set<string>();
  for (const pair of session.book.pairs) names.add(`${pair.name}-PERPETUAL`);
  for (const a of session.book.accounts) {
    for (const p of a.positions) names.add(p.instrument.name);
    for (const o of a.orders) names.add(o.instrument.name);
  }
  $("instruments").innerHTML = [...names].sort().map((n) => `<option value="${escapeHtml(n)}"></option>`).join("");
}

function renderTiming(): void {
  const last = (list: number[]): string => (list.length === 0 ? "–" : ms(list[list.length - 1]));
  const stats = (list: number[]): string => {
    const recent = list.slice(-200);
    return recent.length === 0 ? "" : ` (last ${recent.length}: p50 ${ms(quantile(recent, 0.5))}, p99 ${ms(quantile(recent, 0.99))})`;
  };
  $("timing").innerHTML =
    `Last edit: <b>${last(timings.edit)}</b> (kernel and bindings ${last(timings.editCompute)})${stats(timings.edit)} · ` +
    `risk profile (101-point curve, margin points, liquidation prices, chart): <b>${last(timings.profile)}</b>${stats(timings.profile)}` +
    (timings.market.length > 0 ? ` · market move: <b>${last(timings.market)}</b>` : "");
}

// ---------------------------------------------------------------------------------------------
// Selection

function selectAccount(a: number): void {
  if (session === null) return;
  account = a;
  $("ticket-account").textContent = `for ${session.book.accounts[a].id}`;
  computeContributions();
  publish();
  renderAccounts();
  renderSummary();
  renderPositions();
  previewTrade();
  renderTiming();
  scheduleProfile();
}

function selectPair(name: string): void {
  plotted = name;
  renderSummary();
  scheduleProfile();
}

// ---------------------------------------------------------------------------------------------
// The trade ticket

function ticketTrade(): { account: string; instrument: string; qty: unknown; price?: unknown } | null {
  if (session === null) return null;
  const instrument = ($("t-instrument") as HTMLInputElement).value.trim();
  const qty = ($("t-qty") as HTMLInputElement).value;
  const price = ($("t-price") as HTMLInputElement).value;
  if (instrument === "" || qty.trim() === "") return null;
  const trade: { account: string; instrument: string; qty: unknown; price?: unknown } = {
    account: session.book.accounts[account].id,
    instrument,
    qty: numberInput(qty),
  };
  if (price.trim() !== "") trade.price = numberInput(price);
  return trade;
}

function previewTrade(): void {
  const box = $("t-preview");
  const apply = $<HTMLButtonElement>("t-apply");
  const trade = ticketTrade();
  apply.disabled = true;
  if (session === null || trade === null) {
    setHtml(box, `<span class="reason">Type an instrument and a quantity to see the margin after the trade.</span>`);
    return;
  }
  let r: WhatIfResult;
  try {
    r = session.previewTrade(trade);
  } catch (error) {
    setHtml(box, `<span class="error-text">${escapeHtml(marginMessage(error))}</span>`);
    return;
  }
  apply.disabled = false;
  const cls = r.incrementalIM > 0 ? "up" : "down";
  setHtml(
    box,
    `<div class="verdict"><span class="badge ${r.accepted ? "ok" : "liquidation"}">${r.accepted ? "ACCEPTED" : "REJECTED"}</span>` +
    `<span>IM ${usd(r.before.initialMargin)} → <b>${usd(r.after.initialMargin)}</b> (<span class="${cls}">${signed(r.incrementalIM)}</span>)</span>` +
    `<span>equity → ${usd(r.after.equity)}</span><span>${badge(r.after.status)}</span>` +
    `<span>${r.trade.qty > 0 ? "buy" : "sell"} ${Math.abs(r.trade.qty)} ${escapeHtml(r.trade.instrument.name)} @ ${usd(r.trade.price)}${r.trade.priceSource === "mark" ? " (mark)" : ""}</span>` +
    `<span class="reason">${escapeHtml(r.reason)}</span></div>`,
  );
}

function applyTrade(): void {
  const trade = ticketTrade();
  if (session === null || trade === null) return;
  const started = performance.now();
  let r: WhatIfResult;
  try {
    r = session.applyTrade(trade);
  } catch (error) {
    setHtml($("t-preview"), `<span class="error-text">${escapeHtml(marginMessage(error))}</span>`);
    return;
  }
  ($("t-qty") as HTMLInputElement).value = "";
  ($("t-price") as HTMLInputElement).value = "";
  renderPositions();
  renderInstruments();
  refresh(started, timings.edit, timings.editCompute);
  showMessage(`Applied: ${r.trade.qty > 0 ? "bought" : "sold"} ${Math.abs(r.trade.qty)} ${r.trade.instrument.name} @ ${usd(r.trade.price)} (${r.accepted ? "the venue would accept it" : `the venue would reject it: ${r.reason}`}).`, "info");
}

// ---------------------------------------------------------------------------------------------
// Events

function onQtyInput(input: HTMLInputElement): void {
  if (session === null) return;
  const started = performance.now();
  const i = Number(input.dataset.position);
  try {
    session.setQty(account, i, numberInput(input.value));
  } catch (error) {
    input.classList.add("bad");
    const box = $("field-error");
    box.textContent = marginMessage(error);
    box.hidden = false;
    return;
  }
  input.classList.remove("bad");
  $("field-error").hidden = true;
  refresh(started, timings.edit, timings.editCompute);
}

function onShift(input: HTMLInputElement): void {
  if (session === null) return;
  const started = performance.now();
  const pair = input.closest<HTMLElement>(".pair-market")!.dataset.pair!;
  const value = Number(input.value) / 100;
  try {
    session.shiftMarket(pair, input.dataset.shift === "spot" ? { spot: value } : { vol: value });
  } catch (error) {
    showMessage(marginMessage(error));
    return;
  }
  renderMarketLabels();
  refresh(started, timings.market);
}

function resetMarket(): void {
  if (session === null) return;
  const started = performance.now();
  for (const pair of session.book.pairs) session.shiftMarket(pair.name, { spot: 0, vol: 0 });
  for (const input of Array.from($("market").querySelectorAll<HTMLInputElement>("input[type=range]"))) input.value = "0";
  renderMarketLabels();
  refresh(started, timings.market);
}

function wire(): void {
  $("accounts").addEventListener("click", (event) => {
    const row = (event.target as HTMLElement).closest<HTMLElement>("tr[data-account]");
    if (row) selectAccount(Number(row.dataset.account));
  });
  $("pair-tabs").addEventListener("click", (event) => {
    const button = (event.target as HTMLElement).closest<HTMLElement>("button[data-pair]");
    if (button) selectPair(button.dataset.pair!);
  });
  $("positions").addEventListener("input", (event) => {
    const input = event.target as HTMLInputElement;
    if (input.dataset.position !== undefined) onQtyInput(input);
  });
  $("positions").addEventListener("click", (event) => {
    const button = (event.target as HTMLElement).closest<HTMLElement>("button[data-remove]");
    if (button === null || session === null) return;
    const started = performance.now();
    session.removePosition(account, Number(button.dataset.remove));
    renderPositions();
    refresh(started, timings.edit, timings.editCompute);
  });
  $("market").addEventListener("input", (event) => {
    const input = event.target as HTMLInputElement;
    if (input.dataset.shift !== undefined) onShift(input);
  });
  $("market-reset").addEventListener("click", resetMarket);
  for (const id of ["t-instrument", "t-qty", "t-price"]) $(id).addEventListener("input", previewTrade);
  $("ticket").addEventListener("submit", (event) => {
    event.preventDefault();
    applyTrade();
  });
  $("load-example").addEventListener("click", () => void loadExample());
  $<HTMLInputElement>("file-input").addEventListener("change", async (event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (file) loadText(await file.text(), file.name);
    input.value = "";
  });
  $("paste-toggle").addEventListener("click", () => {
    $("paste-panel").hidden = !$("paste-panel").hidden;
  });
  $("paste-cancel").addEventListener("click", () => {
    $("paste-panel").hidden = true;
  });
  $("paste-load").addEventListener("click", () => {
    loadText($<HTMLTextAreaElement>("paste-text").value, "pasted file");
    if (session !== null && $("message").hidden) $("paste-panel").hidden = true;
  });
  $("download").addEventListener("click", () => {
    if (session === null) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([session.json()], { type: "application/json" }));
    link.download = "portfolio-edited.json";
    link.click();
    URL.revokeObjectURL(link.href);
  });
}

async function loadExample(): Promise<void> {
  const response = await fetch("./portfolio.json");
  if (!response.ok) {
    showMessage(`cannot fetch the example: HTTP ${response.status}`);
    return;
  }
  loadText(await response.text(), "examples/portfolio.json");
}

async function main(): Promise<void> {
  wire();
  try {
    engine = await createEngine();
  } catch (error) {
    showMessage(`cannot start the kernel: ${(error as Error).message}`);
    return;
  }
  $("kernel").textContent = `WASM kernel: ${engine.kernelBuild === "simd" ? "SIMD (release.wasm)" : "scalar (scalar.wasm)"}`;
  window.__app = {
    load,
    selectAccount,
    selectPair,
    get session() {
      return session;
    },
    get engine() {
      return engine;
    },
  };
  await loadExample();
  window.__ready = true;
}

void main();
