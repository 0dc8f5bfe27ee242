import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_BAD_INPUT, EXIT_OK } from "../bindings/cli.js";
import { run } from "./support/cli.js";
import { createEngine } from "../bindings/index.js";

const EXAMPLE = new URL("../examples/portfolio.json", import.meta.url).pathname;
const BIN = new URL("../bin/margin-kernel.js", import.meta.url).pathname;


/** The example with its first account broken (a zero qty), written to a temp file. */
function badFirstAccount(): { path: string; file: any } {
  const file = JSON.parse(readFileSync(EXAMPLE, "utf8"));
  file.accounts[0].positions[1].qty = 0;
  const path = join(mkdtempSync(join(tmpdir(), "mk-iso-")), "bad-account.json");
  writeFileSync(path, JSON.stringify(file));
  return { path, file };
}

describe("margin-kernel margin with a bad account", () => {
  it("prints the other accounts, names the bad one on stderr, and exits 1", async () => {
    const { path } = badFirstAccount();
    const { code, out, err } = await run(["margin", path]);
    expect(code).toBe(EXIT_BAD_INPUT);
    expect(out).not.toMatch(/^alice /m);
    expect(out).toMatch(/^bob-mm /m);
    expect(err).toBe(
      'margin-kernel: accounts[0].positions[1].qty: must be non-zero, got 0 (account "alice" set aside; the other accounts are margined)\n',
    );
  });

  it("--json: the isolated report, with `errors`", async () => {
    const { path, file } = badFirstAccount();
    const { code, out } = await run(["margin", path, "--json"]);
    expect(code).toBe(EXIT_BAD_INPUT);
    const engine = await createEngine();
    const expected = engine.margin(file, { isolateAccounts: true });
    expect(JSON.parse(out)).toEqual(expected);
    expect(JSON.parse(out).errors).toEqual([
      { id: "alice", index: 0, error: { code: "E_RANGE", path: "accounts[0].positions[1].qty", message: "accounts[0].positions[1].qty: must be non-zero, got 0" } },
    ]);
    // the good account exactly as in a file without the bad one
    const alone = { ...file, accounts: file.accounts.slice(1) };
    expect(JSON.stringify(JSON.parse(out).accounts)).toBe(JSON.stringify(engine.margin(alone).accounts));
  });

  it("--json on a clean file has no `errors` field, and exits 0", async () => {
    const { code, out } = await run(["margin", EXAMPLE, "--json"]);
    expect(code).toBe(EXIT_OK);
    expect(JSON.parse(out)).not.toHaveProperty("errors");
  });

  it("--model covariance isolates too", async () => {
    const { path } = badFirstAccount();
    const { code, out, err } = await run(["margin", path, "--model", "covariance", "--json"]);
    expect(code).toBe(EXIT_BAD_INPUT);
    expect(JSON.parse(out).accounts.map((a: { id: string }) => a.id)).toEqual(["bob-mm"]);
    expect(err).toMatch(/^margin-kernel: accounts\[0\]\.positions\[1\]\.qty: /);
  });

  it("as the package's bin in a child process", () => {
    const { path } = badFirstAccount();
    const child = spawnSync(process.execPath, [BIN, "margin", path], { encoding: "utf8" });
    expect(child.status).toBe(EXIT_BAD_INPUT);
    expect(child.stdout).toMatch(/^bob-mm /m);
    expect(child.stderr).toMatch(/^margin-kernel: accounts\[0\]\.positions\[1\]\.qty: .*account "alice" set aside/);
  });
});
