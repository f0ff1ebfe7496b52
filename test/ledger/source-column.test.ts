import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, openDatabase } from "../../server/ledger/db.ts";
import { MIGRATIONS } from "../../server/ledger/migrations.ts";
import { RequestLedger } from "../../server/ledger/requests.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-source-"));
  dirs.push(dir);
  return join(dir, "sluice.db");
}

const row = {
  siteId: "s",
  visitor: undefined,
  provider: "demo",
  model: "sluice-demo",
  requestedModel: "auto",
  streamed: false,
  startedAt: 1000,
  inputTokens: 3,
  maxTokens: 10,
  reservedPicoUsd: 0,
  degradedFrom: null,
};

describe("the requests' source column", () => {
  it("is added to a ledger written before it, whose rows keep a null source", () => {
    const path = tempPath();
    const old = new Database(path);
    old.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    );
    const record = old.prepare("INSERT INTO schema_migrations VALUES (?, 0)");
    const sourceMigration = MIGRATIONS.findIndex((sql) =>
      sql.includes("ALTER TABLE requests ADD COLUMN source"),
    );
    expect(sourceMigration).toBeGreaterThan(0);
    for (const [index, sql] of MIGRATIONS.slice(0, sourceMigration).entries()) {
      old.exec(sql);
      record.run(index + 1);
    }
    const before = old.prepare("PRAGMA table_info(requests)").all() as { name: string }[];
    expect(before.map((column) => column.name)).not.toContain("source");
    old
      .prepare(
        `INSERT INTO requests (id, site_id, provider, model, requested_model, streamed, status, started_at)
         VALUES ('req_old', 's', 'demo', 'sluice-demo', 'auto', 1, 'ok', 1)`,
      )
      .run();
    migrate(old);
    const columns = old.prepare("PRAGMA table_info(requests)").all() as { name: string }[];
    expect(columns.map((column) => column.name)).toContain("source");
    expect(old.prepare("SELECT source FROM requests WHERE id = 'req_old'").pluck().get()).toBe(
      null,
    );
    old.close();
  });

  it("holds what the request named, and null when it named nothing", () => {
    const db = openDatabase(tempPath());
    const ledger = new RequestLedger(db);
    ledger.open({ ...row, id: "req_named", source: "plugin:seo-helper" });
    ledger.open({ ...row, id: "req_plain" });
    const source = db.prepare("SELECT source FROM requests WHERE id = ?").pluck();
    expect(source.get("req_named")).toBe("plugin:seo-helper");
    expect(source.get("req_plain")).toBe(null);
    db.close();
  });
});
