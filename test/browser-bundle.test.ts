import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createEngine as createNodeEngine } from "../bindings/index.js";

// dist/browser.js: one ESM file with the kernel inlined and no Node built-ins. (The real
// browser test in Chromium comes with the demo page; here the bundle is loaded in Node.)
const BUNDLE = new URL("../dist/browser.js", import.meta.url);
const EXAMPLE = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));

describe("the browser bundle", () => {
  it("imports no Node built-in and reads no file", () => {
    const code = readFileSync(BUNDLE, "utf8")
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("//"))
      .join("\n");
    expect(code).not.toMatch(/from\s*["']node:|import\(\s*["']node:|require\(/);
    expect(code).not.toMatch(/\.wasm["'`]/); // the kernel is inlined, not loaded by name
    expect(code).toMatch(/Uint8Array\.fromBase64|atob|__toBinary/);
  });

  it("gives the same report as the Node entry, bit for bit", async () => {
    const browser = (await import(BUNDLE.href)) as typeof import("../bindings/browser.js");
    const fromBundle = (await browser.createEngine()).margin(EXAMPLE);
    const fromNode = (await createNodeEngine()).margin(EXAMPLE);
    expect(JSON.stringify(fromBundle)).toBe(JSON.stringify(fromNode));
  });
});
