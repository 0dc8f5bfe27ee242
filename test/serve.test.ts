import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { serve, type Served } from "../scripts/serve.mjs";

// scripts/serve.mjs, the demo's static server: content types, index.html, 404, no way out of the root.
let server: Served;
let root: string;

/** A raw GET (node:http keeps the path as written, unlike fetch, which normalizes it). */
function get(path: string, method = "GET"): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "serve-"));
  writeFileSync(join(root, "index.html"), "<p>hi</p>");
  writeFileSync(join(root, "k.wasm"), new Uint8Array([0, 0x61, 0x73, 0x6d]));
  server = await serve({ root, port: 0 });
});

afterAll(async () => {
  await server.close();
});

describe("scripts/serve.mjs", () => {
  it("serves index.html at / and files with their content type", async () => {
    expect(server.url).toBe(`http://localhost:${server.port}/`);
    expect(await get("/")).toEqual({ status: 200, type: "text/html; charset=utf-8", body: "<p>hi</p>" });
    expect((await get("/k.wasm")).type).toBe("application/wasm");
  });

  it("answers 404 for a missing file, 405 for other methods, 403 for paths out of the root", async () => {
    expect((await get("/nope.js")).status).toBe(404);
    expect((await get("/", "POST")).status).toBe(405);
    expect((await get("/..%2f..%2fetc%2fpasswd")).status).toBe(403);
    expect((await get("/%E0%A4%A")).status).toBe(400);
  });
});
