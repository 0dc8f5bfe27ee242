/**
 * The margin-kernel command.
 *
 *   margin-kernel margin <file.json> [--json] [--model scenario|covariance]
 *   margin-kernel liquidate <file.json> <accountId> [--depth depth.json] [--buffer x] [--json]
 *     (bindings/cli-liquidate.ts)
 *
 * Prints the report as tables for people, or as JSON with --json. The model is `--model`, else
 * the file's `params.model`, else `scenario`. Exit codes: 0 success, 1 rejected input (the message
 * names the field path), 2 usage error or unreadable file. An account that fails is set aside: the
 * others are printed, each bad one is named on stderr (and in the JSON's `errors`), exit code 1.
 */
import { readFile } from "node:fs/promises";
import { createEngine } from "./index.js";
import { MarginError } from "./errors.js";
import { normalizeMarket } from "./validate.js";
import { formatAccountErrors } from "./isolate.js";
import { LIQUIDATE_USAGE, liquidateCommand } from "./cli-liquidate.js";
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
    io.out(argv[0] === "liquidate" ? LIQUIDATE_USAGE : `${USAGE}\n\n${LIQUIDATE_USAGE}`);
    return EXIT_OK;
  }
  if (argv[0] === "liquidate") return liquidateCommand(argv.slice(1), io);
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
    // a bad market or params rejects the file; a bad account is set aside (bindings/isolate.ts):
    // the others are printed, the bad ones named on stderr, and the exit code is 1
    const model = modelFlag ?? normalizeMarket(file).params.model ?? "scenario";
    const report = model === "covariance"
      ? engine.marginCovariance(file, { isolateAccounts: true })
      : engine.margin(file, { isolateAccounts: true });
    const errors = report.errors ?? [];
    if (errors.length === 0) delete report.errors; // --json: `errors` only when an account failed
    if (json) io.out(JSON.stringify(report, null, 2));
    else io.out(model === "covariance" ? formatCovarianceReport(report as CovarianceReport) : formatReport(report as Report));
    for (const line of formatAccountErrors(errors)) io.err(`margin-kernel: ${line}`);
    return errors.length === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  } catch (error) {
    if (error instanceof MarginError) {
      io.err(`margin-kernel: ${error.message}`);
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
}
