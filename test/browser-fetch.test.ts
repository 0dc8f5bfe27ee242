import { afterEach, describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createEngine as createNodeEngine } from "../bindings/index.js";

// dist/browser-fetch.js: the browser entry that fetches dist/release.wasm (or dist/scalar.wasm)
// from next to itself. Here it runs in Node with fetch() answering its file: URLs from disk (the
// real browser run is test/browser/, `npm run test:browser`).
const DIST = new URL("../dist/", import.meta.url);
const EXAMPLE = JSON.parse(readFileSync(new URL("../examples/portfolio.json", import.meta.url), "utf8"));

/** fetch() over file: URLs; `replace` swaps a file's bytes (by name) and records every URL asked for. */
function stubFetch(replace: Record<string, Uint8Array> = {}): string[] {
  const asked: string[] = [];
  vi.stubGlobal("fetch", async (input: URL | string) => {
    const url = new URL(String(input));
    asked.push(url.href);
    const name = url.pathname.split("/").pop()!;
    const body = replace[name] ?? readFileSync(fileURLToPath(url));
    return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers: { "content-type": "application/wasm" } });
  });
  return asked;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("dist/browser-fetch.js", () => {
  it("imports no Node built-in and inlines no kernel: it loads release.wasm and scalar.wasm by URL", () => {
    const code = readFileSync(new URL("browser-fetch.js", DIST), "utf8")
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("//"))
      .join("\n");
    expect(code).not.toMatch(/from\s*["']node:|import\(\s*["']node:|require\(/);
    expect(code).toContain('new URL("./release.wasm", import.meta.url)');
    expect(code).toContain('new URL("./scalar.wasm", import.meta.url)');
    expect(code).not.toMatch(/__toBinary|Uint8Array\.fromBase64/);
    expect(code.length).toBeLessThan(readFileSync(new URL("browser.js", DIST), "utf8").length - 60_000);
    // the build copies both kernels next to it
    for (const name of ["release", "scalar"]) {
      expect(readFileSync(new URL(`${name}.wasm`, DIST))).toEqual(readFileSync(new URL(`../build/${name}.wasm`, import.meta.url)));
    }
  });

  it("exports what dist/browser.js exports", async () => {
    const fetched = await import(new URL("browser-fetch.js", DIST).href);
    const inlined = await import(new URL("browser.js", DIST).href);
    expect(Object.keys(fetched).sort()).toEqual(Object.keys(inlined).sort());
    expect(Object.keys(fetched)).toEqual(expect.arrayContaining(["createEngine", "normalize", "MarginError", "WhatIfSession", "whatIfBook", "pnlCurveBook", "contributionsBook"]));
  });

  it("fetches the SIMD kernel next to itself and margins bit for bit as the Node entry", async () => {
    const asked = stubFetch();
    const m = (await import(`${new URL("browser-fetch.js", DIST).href}?simd`)) as typeof import("../bindings/browser-fetch.js");
    const engine = await m.createEngine();
    expect(engine.kernelBuild).toBe("simd");
    expect(asked).toEqual([new URL("release.wasm", DIST).href]);
    expect(JSON.stringify(engine.margin(EXAMPLE))).toBe(JSON.stringify((await createNodeEngine()).margin(EXAMPLE)));
  });

  it("fetches scalar.wasm when release.wasm does not validate, with the same numbers", async () => {
    const asked = stubFetch({ "release.wasm": new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x7f]) });
    const m = (await import(`${new URL("browser-fetch.js", DIST).href}?scalar`)) as typeof import("../bindings/browser-fetch.js");
    const engine = await m.createEngine();
    expect(engine.kernelBuild).toBe("scalar");
    expect(asked).toEqual([new URL("release.wasm", DIST).href, new URL("scalar.wasm", DIST).href]);
    expect(JSON.stringify(engine.margin(EXAMPLE))).toBe(JSON.stringify((await createNodeEngine()).margin(EXAMPLE)));
  });

  it("reports a kernel it cannot fetch as E_NO_WASM", async () => {
    vi.stubGlobal("fetch", async () => new Response("missing", { status: 404 }));
    const m = (await import(`${new URL("browser-fetch.js", DIST).href}?missing`)) as typeof import("../bindings/browser-fetch.js");
    await expect(m.createEngine()).rejects.toMatchObject({ code: "E_NO_WASM", message: expect.stringMatching(/release\.wasm: HTTP 404$/) });
  });
});
