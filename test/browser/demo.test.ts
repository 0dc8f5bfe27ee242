import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { serve, type Served } from "../../scripts/serve.mjs";
import { createEngine, type Engine } from "../../bindings/index.js";
import type { PortfolioFile, Report } from "../../bindings/model/types.js";

// The demo page in real headless Chromium (Debian's chromium, driven by playwright-core), served
// by scripts/serve.mjs from the repository root: the page at /demo/dist/, the package's fetching
// browser bundle at /dist/browser-fetch.js. Every number the page shows must be the Node engine's
// for the same file, bit for bit.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const EXAMPLE: PortfolioFile = JSON.parse(readFileSync(new URL("../../examples/portfolio.json", import.meta.url), "utf8"));
const usd = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const bits = (x: unknown): string => JSON.stringify(x);

let server: Served;
let browser: Browser;
let page: Page;
let engine: Engine;
const pageErrors: string[] = [];

/** What the page shows and holds. */
async function state(): Promise<{ report: Report; file: PortfolioFile; edits: number; profiles: number }> {
  return page.evaluate(() => ({
    report: window.__lastReport as Report,
    file: window.__file as PortfolioFile,
    edits: window.__timings.edit.length,
    profiles: window.__profiles,
  }));
}

/** The page's report is the Node engine's report of the page's file and of `expected` (the same edits made here). */
async function agrees(expected: PortfolioFile): Promise<Report> {
  const { report, file } = await state();
  expect(bits(file)).toBe(bits(expected));
  const node = engine.margin(expected);
  expect(bits(report)).toBe(bits(node));
  return node;
}

async function cell(selector: string): Promise<string> {
  return (await page.locator(selector).innerText()).trim();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
  if (!existsSync(`${ROOT}demo/dist/main.js`)) throw new Error("demo/dist is not built: npm run demo:build");
  mkdirSync(ARTIFACTS, { recursive: true });
  engine = await createEngine();
  server = await serve({ root: ROOT, port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1440, height: 1300 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(`${server.url}demo/dist/index.html`);
  await page.waitForFunction(() => window.__ready === true && window.__profiles > 0);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the what-if page in Chromium", () => {
  it("loads the example with the SIMD kernel and shows the Node engine's report, bit for bit", async () => {
    expect(await cell("#kernel")).toBe("WASM kernel: SIMD (release.wasm)");
    const node = await agrees(EXAMPLE);
    for (const [row, account] of node.accounts.entries()) {
      const cells = `#accounts tbody tr:nth-child(${row + 1}) td`;
      expect(await cell(`${cells}:nth-child(1)`)).toBe(account.id);
      expect(await cell(`${cells}:nth-child(2)`)).toBe(usd.format(account.equity));
      expect(await cell(`${cells}:nth-child(3)`)).toBe(usd.format(account.initialMargin));
      expect(await cell(`${cells}:nth-child(6)`)).toBe(account.status);
    }
    expect(await cell("#pairs tbody tr:nth-child(1) td:nth-child(2)")).toBe(usd.format(node.accounts[0].pairs.BTC.requirement));
    // the chart is drawn: the PnL curve, the scenario points, today's spot
    expect(await page.locator("#plot svg g title").count()).toBe(9); // one marker per scenario
    expect(await page.locator('#plot svg path[stroke="#1f5fbf"]').count()).toBe(1); // the PnL curve
    const curve = await page.evaluate(() => window.__lastCurve!);
    expect(curve.points).toHaveLength(101);
    expect(curve.equity).toBe(node.accounts[0].equity);
    await page.screenshot({ path: `${ARTIFACTS}demo-loaded.png`, fullPage: true });
  });

  it("updates the margin as a quantity is typed, and says which field is wrong", async () => {
    const expected = structuredClone(EXAMPLE);
    const before = await state();
    const shownBefore = await cell("#accounts tbody tr:nth-child(1) td:nth-child(3)");
    const input = page.locator('#positions input[data-position="2"]'); // alice's BTC-PERPETUAL, qty 1
    await input.fill("");
    await input.pressSequentially("-");
    // "-" alone is not a number yet: the error names the field, the numbers stay
    expect(await cell("#field-error")).toBe('accounts[0].positions[2].qty: must be a finite number, got the string "-"');
    await input.pressSequentially("3");
    expected.accounts[0].positions![2].qty = -3;
    const node = await agrees(expected);
    const shown = await cell("#accounts tbody tr:nth-child(1) td:nth-child(3)");
    expect(shown).toBe(usd.format(node.accounts[0].initialMargin));
    expect(shown).not.toBe(shownBefore);
    expect(await page.locator("#field-error").isHidden()).toBe(true);
    expect(await cell("#summary .kpi:nth-child(2) .value")).toBe(usd.format(node.accounts[0].initialMargin));
    const after = await state();
    expect(after.edits).toBeGreaterThan(before.edits);
    await page.waitForFunction((n) => window.__profiles > n, before.profiles);
    expect((await page.evaluate(() => window.__lastCurve!)).initialMargin).toBe(node.accounts[0].initialMargin);
    await input.fill("1"); // back as it was
    await agrees(EXAMPLE);
  });

  it("previews a trade as it is typed and applies it", async () => {
    await page.locator("#t-instrument").fill("BTC-PERPETUAL");
    await page.locator("#t-qty").fill("-1");
    await page.locator("#t-price").fill("91000");
    const whatIf = engine.whatIf(EXAMPLE, { account: "alice", instrument: "BTC-PERPETUAL", qty: -1, price: 91_000 });
    const preview = await cell("#t-preview");
    expect(preview).toContain(whatIf.accepted ? "ACCEPTED" : "REJECTED");
    expect(preview).toContain(`IM ${usd.format(whatIf.before.initialMargin)} → ${usd.format(whatIf.after.initialMargin)}`);
    expect(preview).toContain(whatIf.reason);
    await page.locator("#t-apply").click();
    const expected = structuredClone(EXAMPLE);
    expected.accounts[0].positions!.push({ instrument: "BTC-PERPETUAL", qty: -1, entryPrice: 91_000 });
    const node = await agrees(expected);
    expect(node.accounts[0]).toEqual(whatIf.after);
    expect(await page.locator("#positions input").count()).toBe(8);
  });

  it("moves a pair's spot and vols with the sliders", async () => {
    const btc = page.locator('.pair-market[data-pair="BTC"]');
    await btc.locator('input[data-shift="spot"]').fill("5");
    await btc.locator('input[data-shift="vol"]').fill("20");
    const { file } = await state();
    expect(file.market.BTC.spot).toBe(91_000 * 1.05);
    expect(file.market.BTC.futures![1].mark).toBe(91_520 * 1.05);
    expect((file.market.BTC.surface as { vols: number[][] }).vols[1][2]).toBe(0.56 * 1.2);
    const node = engine.margin(file);
    expect(bits((await state()).report)).toBe(bits(node));
    expect(await cell("#accounts tbody tr:nth-child(2) td:nth-child(3)")).toBe(usd.format(node.accounts[1].initialMargin));
    await page.waitForFunction(() => window.__lastCurve !== null && window.__lastCurve.spot === 91_000 * 1.05);
    await page.screenshot({ path: `${ARTIFACTS}demo.png`, fullPage: true });
    expect(statSync(`${ARTIFACTS}demo.png`).size).toBeGreaterThan(10_000);
    await page.locator("#market-reset").click();
  });

  it("dist/browser-fetch.js fetches the kernel next to itself and margins bit for bit as Node", async () => {
    // (a string, so that the test runner's module transform leaves the page's import() alone)
    const result: { build: string; report: string } = await page.evaluate(`(async () => {
      const m = await import("/dist/browser-fetch.js");
      const e = await m.createEngine();
      const file = await (await fetch("/examples/portfolio.json")).json();
      return { build: e.kernelBuild, report: JSON.stringify(e.margin(file)) };
    })()`);
    expect(result.build).toBe("simd");
    expect(result.report).toBe(bits(engine.margin(EXAMPLE)));
  });

  it("falls back to scalar.wasm where the SIMD kernel does not validate, with the same numbers", async () => {
    const context = await browser.newContext();
    // a release.wasm this browser cannot validate stands in for a browser without SIMD
    await context.route("**/release.wasm", (route) =>
      route.fulfill({ status: 200, contentType: "application/wasm", body: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x7f, 0x7f]) }),
    );
    const fallback = await context.newPage();
    await fallback.goto(`${server.url}demo/dist/index.html`);
    await fallback.waitForFunction(() => window.__ready === true);
    expect((await fallback.locator("#kernel").innerText()).trim()).toBe("WASM kernel: scalar (scalar.wasm)");
    const report = await fallback.evaluate(() => JSON.stringify(window.__lastReport));
    expect(report).toBe(bits(engine.margin(EXAMPLE)));
    await context.close();
  });

  it("raised no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
