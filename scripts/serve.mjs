#!/usr/bin/env node
// A tiny static file server (node:http, no dependencies) for the demo page:
//
//   node scripts/serve.mjs [dir]      serves dir (default demo/dist) on http://localhost:$PORT/ (8080)
//
// GET and HEAD only; `/` is index.html; paths cannot leave the root; .wasm is served as
// application/wasm (what WebAssembly.compileStreaming wants). Pages are cross-origin isolated
// (COOP same-origin, COEP require-corp: everything the demo loads is same-origin), which gives
// performance.now() 5 us resolution instead of 100 us in Chromium, for the page's timings. The
// tests and the browser benchmark import serve() and start it on port 0 (a free port).
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { basename, extname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serve `root` on `host:port` (port 0: any free port). Resolves to { url, port, close() } once
 * listening.
 */
export function serve({ root = "demo/dist", port = 8080, host = "127.0.0.1" } = {}) {
  const base = resolve(root);
  const server = createServer(async (request, response) => {
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      response.writeHead(status, {
        "content-type": type,
        "cache-control": "no-store",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
      });
      response.end(request.method === "HEAD" ? undefined : body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") return send(405, "method not allowed\n");
    let path;
    try {
      path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    } catch {
      return send(400, "bad request\n");
    }
    let file = resolve(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return send(403, "forbidden\n");
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      send(200, body, TYPES[extname(file).toLowerCase()] ?? "application/octet-stream");
    } catch {
      send(404, "not found\n");
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolvePromise({
        url: `http://localhost:${actual}/`,
        port: actual,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

// run as a command (not when imported, nor when bundled into another script)
const invoked = process.argv[1] !== undefined && basename(process.argv[1]) === "serve.mjs" && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invoked) {
  const root = process.argv[2] ?? fileURLToPath(new URL("../demo/dist", import.meta.url));
  const port = process.env.PORT === undefined ? 8080 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: PORT must be an integer in [0, 65535], got ${process.env.PORT}`);
    process.exit(2);
  }
  const { url } = await serve({ root, port });
  console.log(`margin-kernel demo: ${url} (serving ${root}; Ctrl-C to stop)`);
}
