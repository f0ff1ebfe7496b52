import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { signedHeaders } from "../../server/http/signature.ts";
import { issueTicket } from "../../server/http/ticket.ts";
import { openDatabase } from "../../server/ledger/db.ts";
import { startGateway } from "../../server/serve.ts";

const BIN = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));
const FIRST_SECRET = "audit-test-secret-0123456789abcdefghij";
const PROVIDER_KEY = "sk-audit-test-0123456789abcdefghijklmnop";
const ROTATED_KEY = "sk-audit-test-rotated-0123456789abcdefgh";

/** `sluice …` in its own process, against `dataDir`. */
function sluice(dataDir: string, args: string[], input?: string) {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("SLUICE_")) env[name] = value;
  }
  env.SLUICE_DATA_DIR = dataDir;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env,
    cwd: dataDir,
    encoding: "utf8",
    timeout: 60_000,
    ...(input === undefined ? {} : { input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface ListedRow {
  id: number;
  actor: string;
  event: string;
  subject: string;
  details: Record<string, unknown>;
  mac: string;
}

function listed(dataDir: string, args: string[] = []): ListedRow[] {
  const result = sluice(dataDir, ["audit", "list", "--json", ...args]);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as ListedRow[];
}

/** Runs `sql` on a copy of the audited data directory; the copy's path. */
function tampered(source: string, sql: (db: ReturnType<typeof openDatabase>) => void): string {
  const copy = mkdtempSync(join(tmpdir(), "sluice-audit-tampered-"));
  copies.push(copy);
  cpSync(source, copy, { recursive: true });
  const db = openDatabase(join(copy, "sluice.db"));
  try {
    sql(db);
  } finally {
    db.close();
  }
  return copy;
}

const copies: string[] = [];
let dir: string;
let secret: string;
let flood: Response[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-audit-"));
  const run = (args: string[], input?: string) => {
    const result = sluice(dir, args, input);
    if (result.status !== 0) throw new Error(`sluice ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
  };
  run(["site", "add", "shop", `--secret=${FIRST_SECRET}`]);
  run(["site", "set-origins", "shop", "https://shop.example"]);
  secret = run(["site", "rotate-secret", "shop"]);
  run(["policy", "set", "shop", "--day-usd", "0.0000001"]);
  const keyFile = join(dir, "openai.key");
  writeFileSync(keyFile, PROVIDER_KEY, { mode: 0o600 });
  run(["key", "set", "openai", "--site", "shop", "--env", "prod", "--value-file", keyFile]);
  run(["key", "rotate", "openai", "--site", "shop", "--env", "prod"], ROTATED_KEY);
  run(["key", "remove", "openai", "--site", "shop", "--env", "prod"]);
  run(["vault", "rotate-kek", "--generate"]);

  // The gateway, on the same database, under the new KEK.
  const gateway = await startGateway(
    loadConfig({ SLUICE_PORT: "0", SLUICE_DATA_DIR: dir, SLUICE_LOG_LEVEL: "silent" }),
  );
  try {
    const send = (path: string, method: string, body: string, signWith = secret, site = "shop") =>
      fetch(`${gateway.url}${path}`, {
        method,
        headers: {
          "Content-Type": "application/json",
          ...signedHeaders({ siteId: site, secret: signWith, method, path, body }),
        },
        ...(method === "GET" ? {} : { body }),
      });
    const policy = await send("/v1/policy", "PUT", JSON.stringify({ month_usd: 1 }));
    expect(policy.status).toBe(200);
    const chat = JSON.stringify({
      messages: [{ role: "user", content: "Hello" }],
      model: "demo/sluice-demo",
    });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const refused = await send("/v1/chat", "POST", chat);
      expect(refused.status).toBe(429);
      await refused.body?.cancel();
    }
    // 1,000 requests signed with the wrong secret, then a few from a site nobody registered.
    for (let batch = 0; batch < 10; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => send("/v1/usage", "GET", "", "not-the-secret-000000")),
      );
      flood = flood.concat(answers);
    }
    for (let index = 0; index < 5; index += 1) {
      await send("/v1/usage", "GET", "", "whatever", `stranger-${index}`);
    }
    // Direct mode: a ticket made with the wrong secret, then none at all.
    const forged = issueTicket({
      siteId: "shop",
      secret: "not-the-secret-000000",
      origin: "https://shop.example",
      body: chat,
    });
    const direct = (headers: Record<string, string>) =>
      fetch(`${gateway.url}/v1/direct/chat`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Origin: "https://shop.example", ...headers },
        body: forged.requestBody,
      });
    expect((await direct({ "X-Sluice-Ticket": forged.ticket })).status).toBe(401);
    expect((await direct({})).status).toBe(401);
  } finally {
    await gateway.close();
  }
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

describe("the audit log", () => {
  it("records the sluice commands' events as the operator's, with their subjects", () => {
    const rows = listed(dir).filter((row) => row.actor === "operator");
    expect(rows.map((row) => [row.event, row.subject])).toEqual([
      ["site.added", "shop"],
      ["site.origins_set", "shop"],
      ["site.secret_rotated", "shop"],
      ["policy.changed", "shop"],
      ["key.set", "openai/shop/prod"],
      ["key.rotated", "openai/shop/prod"],
      ["key.removed", "openai/shop/prod"],
      ["kek.rotated", "vault"],
    ]);
    expect(rows[1]?.details).toEqual({ origins: ["https://shop.example"] });
    expect(rows[3]?.details).toMatchObject({ layer: "operator", policy: { day_usd: 0.0000001 } });
    expect(rows[7]?.details).toMatchObject({ rewrapped: 1, auditKeys: 1 });
  });

  it("records the site admin's policy change, budget refusals and rejected signatures, throttled", async () => {
    expect(flood.every((response) => response.status === 401)).toBe(true);
    const rows = listed(dir).filter((row) => row.actor !== "operator");
    const policy = rows.filter((row) => row.event === "policy.changed");
    expect(policy).toMatchObject([
      { actor: "site:shop", subject: "shop", details: { layer: "site", policy: { month_usd: 1 } } },
    ]);
    // Three refusals in a minute: one row at once, one with the count of the rest at shutdown.
    const budget = rows.filter((row) => row.event === "budget.exhausted");
    expect(budget.map((row) => [row.actor, row.subject, row.details.count])).toEqual([
      ["gateway", "shop", 1],
      ["gateway", "shop", 2],
    ]);
    expect(budget[0]?.details).toMatchObject({ code: "budget_exhausted", scope: "day" });
    // 1,000 bad signatures: two rows whose counts add up; strangers all under "unknown".
    const rejected = rows.filter((row) => row.event === "signature.rejected");
    const summary = (row: ListedRow) => [
      row.subject,
      row.details.code,
      row.details.route,
      row.details.count,
    ];
    expect(rejected.map(summary)).toEqual([
      ["shop", "signature_invalid", "signed", 1],
      ["unknown", "unknown_site", "signed", 1],
      ["shop", "ticket_invalid", "direct", 1],
      ["unknown", "ticket_missing", "direct", 1],
      // Written at shutdown, in the order the windows opened.
      ["shop", "signature_invalid", "signed", 999],
      ["unknown", "unknown_site", "signed", 4],
    ]);
  });

  it("never holds a secret or a key", () => {
    const text = sluice(dir, ["audit", "list", "--json"]).stdout;
    for (const value of [FIRST_SECRET, secret, PROVIDER_KEY, ROTATED_KEY, "not-the-secret"]) {
      expect(text).not.toContain(value);
    }
  });

  it("lists rows since a date or a duration", () => {
    expect(listed(dir, ["--since", "1h"]).length).toBe(listed(dir).length);
    expect(listed(dir, ["--since", "2999-01-01"])).toEqual([]);
    const text = sluice(dir, ["audit", "list"]);
    expect(text.stdout).toMatch(/^1\t\d{4}-\d\d-\d\dT[^\t]+\toperator\tsite\.added\tshop\t\{\}$/m);
    expect(sluice(dir, ["audit", "list", "--since", "yesterday-ish"]).status).toBe(2);
  });

  it("verifies an untouched chain, across the KEK rotation, and prints its head MAC", () => {
    const rows = listed(dir);
    const head = rows.at(-1) as ListedRow;
    const result = sluice(dir, ["audit", "verify"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(
      `audit log ok: ${rows.length} rows; head row ${head.id} MAC ${head.mac}`,
    );
  });

  it("names a row whose details were edited", () => {
    const copy = tampered(dir, (db) =>
      db
        .prepare("UPDATE audit_log SET details = ? WHERE id = 2")
        .run('{"origins":["https://evil.example"]}'),
    );
    const result = sluice(copy, ["audit", "verify"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("audit log broken at row 2: its MAC does not match");
  });

  it("names the row after a deleted one", () => {
    const copy = tampered(dir, (db) => db.prepare("DELETE FROM audit_log WHERE id = 4").run());
    const result = sluice(copy, ["audit", "verify"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("audit log broken at row 5: its previous MAC is not row 3's");
  });

  it("names the first of two rows swapped (ids and times)", () => {
    const copy = tampered(dir, (db) => {
      const at = (id: number) =>
        db.prepare("SELECT at FROM audit_log WHERE id = ?").pluck().get(id) as number;
      const [at3, at4] = [at(3), at(4)];
      db.prepare("UPDATE audit_log SET id = -1, at = ? WHERE id = 3").run(at4);
      db.prepare("UPDATE audit_log SET id = 3, at = ? WHERE id = 4").run(at3);
      db.prepare("UPDATE audit_log SET id = 4 WHERE id = -1").run();
    });
    const result = sluice(copy, ["audit", "verify"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("audit log broken at row 3: its previous MAC is not row 2's");
  });

  it("names a forged row, in the middle or at the end", () => {
    const forge = (db: ReturnType<typeof openDatabase>, id: number, prevMac: string) =>
      db
        .prepare(
          "INSERT INTO audit_log (id, at, actor, event, subject, details, kek_id, prev_mac, mac) VALUES (?, ?, 'operator', 'key.set', 'openai/*/*', '{}', (SELECT kek_id FROM audit_log WHERE id = 1), ?, ?)",
        )
        .run(id, Date.now(), prevMac, "ab".repeat(32));
    const atEnd = tampered(dir, (db) => {
      const head = db.prepare("SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1").get() as {
        id: number;
        mac: string;
      };
      forge(db, head.id + 1, head.mac);
    });
    const last = listed(dir).at(-1) as ListedRow;
    const end = sluice(atEnd, ["audit", "verify"]);
    expect(end.status).toBe(1);
    expect(end.stderr).toContain(`audit log broken at row ${last.id + 1}: its MAC does not match`);

    // Rows 3… moved up by one to make room: row 3 is the forgery.
    const inMiddle = tampered(dir, (db) => {
      db.prepare("UPDATE audit_log SET id = -id WHERE id >= 3").run();
      db.prepare("UPDATE audit_log SET id = 1 - id WHERE id < 0").run();
      const mac = db.prepare("SELECT mac FROM audit_log WHERE id = 2").pluck().get() as string;
      forge(db, 3, mac);
    });
    const middle = sluice(inMiddle, ["audit", "verify"]);
    expect(middle.status).toBe(1);
    expect(middle.stderr).toContain("audit log broken at row 3: its MAC does not match");
  });

  it("names the first row MACed under a retired KEK once that KEK's audit key is gone", () => {
    const copy = tampered(dir, (db) => db.prepare("DELETE FROM audit_keys").run());
    const result = sluice(copy, ["audit", "verify"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("audit log broken at row 1: its MAC key (KEK");
  });

  it("sees a cut tail only against the head MAC kept elsewhere", () => {
    const head = listed(dir).at(-1) as ListedRow;
    const copy = tampered(dir, (db) =>
      db.prepare("DELETE FROM audit_log WHERE id = ?").run(head.id),
    );
    expect(sluice(copy, ["audit", "verify"]).status).toBe(0);
    const kept = sluice(copy, ["audit", "verify", "--expect-head", head.mac]);
    expect(kept.status).toBe(1);
    expect(kept.stderr).toContain("no row has the head MAC you kept");
    expect(sluice(dir, ["audit", "verify", "--expect-head", head.mac]).status).toBe(0);
  });
});
