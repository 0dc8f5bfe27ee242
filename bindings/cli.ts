/**
 * The margin-kernel command.
 *
 *   margin-kernel margin <file.json> [--json] [--model scenario|covariance]
 *
 * Prints the report as tables for people, or as JSON with --json. The model is `--model`, else
 * the file's `params.model`, else `scenario`. Exit codes: 0 success, 1 rejected input (the message
 * names the field path), 2 usage error or unreadable file.
 */
import { readFile } from "node:fs/promises";
import { createEngine } from "./index.js";
import { MarginError } from "./errors.js";
import { normalize } from "./validate.js";
import type { AccountReport, CovarianceAccountReport, CovarianceReport, MarginModel, Report } from "./model/types.js";

const USAGE = `usage: margin-kernel margin <file.json> [--json] [--model scenario|covariance]

  margin   margin every account of a portfolio file (see README "The portfolio file")
  --json   print the report as JSON instead of tables
  --model  scenario (SPAN-style scenarios) or covariance (OPNX correlation margin); overrides the
           file's params.model (default scenario)`;
const MODELS: readonly MarginModel[] = ["scenario", "covariance"];

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text + "\n"),
  err: (text) => process.stderr.write(text + "\n"),
};

const usd = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Lay out rows as a table: first column left-aligned, the others right-aligned. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function accountTable(account: AccountReport): string {
  const summary = table(
    ["account", "equity", "initial margin", "maintenance", "available", "status"],
    [[account.id, usd.format(account.equity), usd.format(account.initialMargin),
      usd.format(account.maintenanceMargin), usd.format(account.available), account.status]],
  );
  const pairs = Object.entries(account.pairs);
  if (pairs.length === 0) return summary;
  const rows = pairs[0][1].scenarioPV.length;
  const detail = table(
    ["pair", "requirement", "worst", "fill set", ...Array.from({ length: rows }, (_, s) => `PV s${s + 1}`)],
    pairs.map(([name, pair]) => [
      name, usd.format(pair.requirement), String(pair.worstScenario), pair.fillSet,
      ...pair.scenarioPV.map((pv) => usd.format(pv)),
    ]),
  );
  return `${summary}\n\n${detail}`;
}

export function formatReport(report: Report): string {
  return report.accounts.map(accountTable).join("\n\n");
}

function covarianceAccountTable(account: CovarianceAccountReport): string {
  const ratio = account.marginRatio === null ? "n/a" : `${usd.format(account.marginRatio)}%`;
  const summary = table(
    ["account", "initial margin", "maintenance", "collateral", "margin ratio", "fill set"],
    [[account.id, usd.format(account.initialMargin), usd.format(account.maintenanceMargin),
      usd.format(account.collateral), ratio, account.fillSet]],
  );
  const prices = Object.entries(account.liquidationPrice);
  if (prices.length === 0) return summary;
  const detail = table(
    ["instrument", "liquidation price"],
    prices.map(([name, price]) => [name, price === null ? "-" : usd.format(price)]),
  );
  return `${summary}\n\n${detail}`;
}

/** The covariance report as tables: per account IM, MM, collateral, margin ratio (%), then liquidation prices. */
export function formatCovarianceReport(report: CovarianceReport): string {
  return report.accounts.map(covarianceAccountTable).join("\n\n");
}

/** Run the command; returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(USAGE);
    return EXIT_OK;
  }
  const json = argv.includes("--json");
  let args = argv.filter((a) => a !== "--json");
  let modelFlag: MarginModel | undefined;
  const flagAt = args.findIndex((a) => a === "--model" || a.startsWith("--model="));
  if (flagAt >= 0) {
    const inline = args[flagAt].startsWith("--model=");
    const value = inline ? args[flagAt].slice("--model=".length) : args[flagAt + 1];
    if (!MODELS.includes(value as MarginModel)) {
      io.err(`--model must be one of ${MODELS.join(", ")}, got ${value === undefined ? "nothing" : JSON.stringify(value)}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    modelFlag = value as MarginModel;
    args = args.filter((_, i) => i !== flagAt && (inline || i !== flagAt + 1));
  }
  const unknown = args.find((a) => a.startsWith("-"));
  if (unknown !== undefined || args[0] !== "margin" || args.length !== 2) {
    io.err(unknown !== undefined ? `unknown option ${unknown}\n\n${USAGE}` : USAGE);
    return EXIT_USAGE;
  }
  let file: unknown;
  try {
    file = JSON.parse(await readFile(args[1], "utf8"));
  } catch (error) {
    io.err(`margin-kernel: cannot read ${args[1]}: ${(error as Error).message}`);
    return EXIT_USAGE;
  }
  try {
    const engine = await createEngine();
    const book = normalize(file);
    if ((modelFlag ?? book.params.model ?? "scenario") === "covariance") {
      const report = engine.marginCovariance(file);
      io.out(json ? JSON.stringify(report, null, 2) : formatCovarianceReport(report));
    } else {
      const report = engine.marginBook(book);
      io.out(json ? JSON.stringify(report, null, 2) : formatReport(report));
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof MarginError) {
      io.err(`margin-kernel: ${error.message}`);
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
}
