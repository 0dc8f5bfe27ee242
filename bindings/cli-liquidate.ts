/**
 * The `liquidate` command of margin-kernel (bindings/cli.ts dispatches to it):
 *
 *   margin-kernel liquidate <file.json> <accountId> [--depth depth.json] [--buffer x] [--json]
 *
 * Prints the account's liquidation plan (bindings/liquidation.ts) as tables, or as JSON with
 * --json. Without --depth every book is empty (what needs closing goes to ADL). Exit codes as the
 * margin command: 0 success, 1 rejected input (the message names the field path: the file's
 * fields, `accountId`, `depth[...]`, `buffer`), 2 usage error or unreadable file.
 */
import { readFile } from "node:fs/promises";
import { createEngine } from "./index.js";
import { MarginError } from "./errors.js";
import type { LiquidationPlan, LiquidationPrice, MarginState } from "./model/liquidation.js";

export const LIQUIDATE_USAGE = `usage: margin-kernel liquidate <file.json> <accountId> [--depth depth.json] [--buffer x] [--json]

  liquidate  the STAMP liquidation plan of one account: orders cancelled, partial closes against
             the depth, ADL for what the depth cannot absorb (see docs/liquidation.md)
  --depth    order-book depth per instrument: { "BTC-PERPETUAL": { "bids": [[price, size], ...], "asks": [...] } }
             (default: empty books)
  --buffer   stop at equity >= MM + x (IM - MM), x in [0, 1] (default 1: equity >= IM)
  --json     print the plan as JSON instead of tables`;

const EXIT_OK = 0;
const EXIT_BAD_INPUT = 1;
const EXIT_USAGE = 2;

export interface LiquidateIo {
  out(text: string): void;
  err(text: string): void;
}

const usd = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const qty = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });
const ratio = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });

/** Rows as a table: first column left-aligned, the others right-aligned. */
function table(header: string[], rows: string[][], left = 1): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c < left ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function stateRow(label: string, s: MarginState): string[] {
  return [label, usd.format(s.equity), usd.format(s.initialMargin), usd.format(s.maintenanceMargin), usd.format(s.target), s.status];
}

const price = (p: number | null): string => (p === null ? "-" : usd.format(p));

/** The plan as tables for people. */
export function formatPlan(plan: LiquidationPlan): string {
  const out: string[] = [];
  const target = plan.buffer === 1 ? "IM" : `MM + ${plan.buffer} x (IM - MM)`;
  out.push(`liquidation plan for ${plan.account} (target: equity >= ${target})`);
  out.push("");
  out.push(
    table(
      ["", "equity", "initial margin", "maintenance", "target", "status"],
      [stateRow("before", plan.before), ...(plan.triggered ? [stateRow("orders cancelled", plan.cancelled.after)] : []), stateRow("after", plan.after)],
    ),
  );
  if (plan.triggered) {
    out.push("");
    const orders = plan.cancelled.orders;
    out.push(`step 0: cancel ${orders.length} working order${orders.length === 1 ? "" : "s"}`);
    if (orders.length > 0) {
      out.push(
        table(
          ["instrument", "side", "qty", "price", "order"],
          orders.map((o) => [o.instrument, o.side, qty.format(o.qty), usd.format(o.price), o.path]),
        ).replace(/^/gm, "  "),
      );
    }
  }
  if (plan.steps.length > 0) {
    out.push("");
    const rows: string[][] = [];
    for (const s of plan.steps) {
      const what = s.kind === "slice" ? `slice ${ratio.format(s.fraction * 100)}%` : "";
      s.legs.forEach((l, k) => {
        const first = k === 0;
        rows.push([
          first ? String(s.step) : "", first ? what : "", l.via, l.instrument, l.side, qty.format(l.quantity), usd.format(l.averagePrice),
          usd.format(l.markPrice), usd.format(l.bankruptcyPrice), usd.format(l.slippage),
          first ? usd.format(s.requirementReduction) : "", first ? ratio.format(s.score) : "",
          first ? usd.format(s.after.equity) : "", first ? usd.format(s.after.initialMargin) : "",
        ]);
      });
    }
    out.push(
      table(
        ["step", "", "via", "instrument", "side", "quantity", "avg price", "mark", "bankruptcy", "slippage", "IM reduction", "score", "equity after", "IM after"],
        rows,
        5,
      ),
    );
  }
  if (plan.adl.length > 0) {
    out.push("");
    out.push("auto-deleveraged (each account is notified of the amount and price):");
    out.push(
      table(
        ["step", "rank", "account", "instrument", "side", "quantity", "price", "pnl vs mark", "equity before", "equity after"],
        plan.adl.map((n) => [
          String(n.step), String(n.rank), n.account, n.instrument, n.side, qty.format(n.quantity), usd.format(n.price),
          usd.format(n.pnl), usd.format(n.equityBefore), usd.format(n.equityAfter),
        ]),
        1,
      ).replace(/^/gm, "  "),
    );
  }
  if (plan.positionsAfter.length > 0) {
    out.push("");
    out.push("positions left:");
    out.push(table(["instrument", "qty"], plan.positionsAfter.map((p) => [p.instrument, qty.format(p.qty)])).replace(/^/gm, "  "));
  }
  const pairs = Object.keys(plan.liquidationPrices.before);
  if (pairs.length > 0) {
    const after: Record<string, LiquidationPrice | undefined> = plan.liquidationPrices.after;
    out.push("");
    out.push("liquidation prices (spot, other pairs fixed, at which equity falls to MM):");
    out.push(
      table(
        ["pair", "spot", "down before", "up before", "down after", "up after"],
        pairs.map((p) => {
          const b = plan.liquidationPrices.before[p];
          const a = after[p];
          return [p, usd.format(b.spot), price(b.down), price(b.up), price(a ? a.down : null), price(a ? a.up : null)];
        }),
      ).replace(/^/gm, "  "),
    );
  }
  out.push("");
  out.push(`outcome: ${plan.outcome} (${plan.reason})`);
  out.push(`slippage: ${usd.format(plan.totals.bookSlippage)} to the book, ${usd.format(plan.totals.adlSlippage)} to ADL counterparties`);
  return out.join("\n");
}

/** Read one flag's value (`--name value` or `--name=value`); removes it from `args`. */
function takeFlag(args: string[], name: string): { value?: string; error?: string } {
  const at = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return {};
  const inline = args[at].startsWith(`${name}=`);
  const value = inline ? args[at].slice(name.length + 1) : args[at + 1];
  args.splice(at, inline ? 1 : 2);
  if (value === undefined || value === "" || (!inline && value.startsWith("--"))) return { error: `${name} needs a value` };
  if (args.some((a) => a === name || a.startsWith(`${name}=`))) return { error: `${name} given twice` };
  return { value };
}

async function readJson(path: string, io: LiquidateIo): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: JSON.parse(await readFile(path, "utf8")) };
  } catch (error) {
    io.err(`margin-kernel: cannot read ${path}: ${(error as Error).message}`);
    return { ok: false };
  }
}

/** `margin-kernel liquidate ...` with the arguments after `liquidate`; returns the exit code. */
export async function liquidateCommand(argv: string[], io: LiquidateIo): Promise<number> {
  const args = argv.slice();
  const json = args.includes("--json");
  for (let i = args.indexOf("--json"); i >= 0; i = args.indexOf("--json")) args.splice(i, 1);
  const depthFlag = takeFlag(args, "--depth");
  const bufferFlag = takeFlag(args, "--buffer");
  const flagError = depthFlag.error ?? bufferFlag.error;
  if (flagError !== undefined) {
    io.err(`${flagError}\n\n${LIQUIDATE_USAGE}`);
    return EXIT_USAGE;
  }
  const unknown = args.find((a) => a.startsWith("-"));
  if (unknown !== undefined || args.length !== 2) {
    io.err(unknown !== undefined ? `unknown option ${unknown}\n\n${LIQUIDATE_USAGE}` : LIQUIDATE_USAGE);
    return EXIT_USAGE;
  }
  let buffer: number | undefined;
  if (bufferFlag.value !== undefined) {
    buffer = Number(bufferFlag.value);
    if (bufferFlag.value.trim() === "" || Number.isNaN(buffer)) {
      io.err(`--buffer must be a number, got ${JSON.stringify(bufferFlag.value)}\n\n${LIQUIDATE_USAGE}`);
      return EXIT_USAGE;
    }
  }
  const file = await readJson(args[0], io);
  if (!file.ok) return EXIT_USAGE;
  let depth: unknown = {};
  if (depthFlag.value !== undefined) {
    const read = await readJson(depthFlag.value, io);
    if (!read.ok) return EXIT_USAGE;
    depth = read.value;
  }
  try {
    const engine = await createEngine();
    const options = buffer === undefined ? { depth } : { depth, buffer };
    const plan = engine.liquidationPlan(file.value, args[1], options as Parameters<typeof engine.liquidationPlan>[2]);
    io.out(json ? JSON.stringify(plan, null, 2) : formatPlan(plan));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof MarginError) {
      io.err(`margin-kernel: ${error.message}`);
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
}
