import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog, listAuditLog, verifyAuditLog } from "../../server/ledger/audit.ts";
import { AuditThrottle } from "../../server/ledger/audit-throttle.ts";
import { type Db, openDatabase } from "../../server/ledger/db.ts";
import { openVault, rotateKek } from "../../server/ledger/kek.ts";
import { Vault } from "../../server/vault/vault.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const made of dirs.splice(0)) rmSync(made, { recursive: true, force: true });
});

function openAudited(): { db: Db; vault: Vault } {
  const dir = mkdtempSync(join(tmpdir(), "sluice-audit-unit-"));
  dirs.push(dir);
  const db = openDatabase(join(dir, "sluice.db"));
  const vault = openVault(db, { key: Buffer.alloc(32, 1).toString("base64"), keyPath: "" });
  return { db, vault };
}

const rejected = {
  actor: "gateway" as const,
  event: "signature.rejected" as const,
  subject: "shop",
  details: { code: "signature_invalid", route: "signed" },
};

describe("the audit throttle", () => {
  it("writes the first event of a window at once and the count of the rest when it ends", () => {
    const { db, vault } = openAudited();
    let now = 1_000_000;
    const log = new AuditLog(db, vault, { now: () => now });
    const throttle = new AuditThrottle(log, { now: () => now });
    for (let index = 0; index < 1_000; index += 1) throttle.record(rejected);
    throttle.record({ ...rejected, details: { code: "nonce_reused", route: "signed" } });
    expect(listAuditLog(db).map((row) => JSON.parse(row.details).count)).toEqual([1, 1]);
    now += 60_000;
    throttle.record(rejected);
    const counts = listAuditLog(db).map((row) => JSON.parse(row.details));
    expect(counts).toMatchObject([
      { code: "signature_invalid", count: 1 },
      { code: "nonce_reused", count: 1 },
      { code: "signature_invalid", count: 999, repeated: true },
      { code: "signature_invalid", count: 1 },
    ]);
    throttle.close();
    expect(listAuditLog(db)).toHaveLength(4);
    expect(verifyAuditLog(db, vault)).toMatchObject({ ok: true, rows: 4 });
    db.close();
  });
});

describe("an audit write that fails", () => {
  it("is counted and reported, never thrown", () => {
    const { db, vault } = openAudited();
    const errors: string[] = [];
    const log = new AuditLog(db, vault, { onError: (_error, entry) => errors.push(entry.event) });
    db.close();
    expect(log.append(rejected)).toBeUndefined();
    expect(log.failures).toBe(1);
    expect(errors).toEqual(["signature.rejected"]);
  });

  it("is refused once the audit key is forgotten, rather than MACed with a zeroed key", () => {
    const { db, vault } = openAudited();
    const log = new AuditLog(db, vault);
    log.forget();
    expect(log.append(rejected)).toBeUndefined();
    expect(log.failures).toBe(1);
    expect(listAuditLog(db)).toEqual([]);
    db.close();
  });
});

describe("a KEK rotation", () => {
  it("keeps the rows MACed under the old KEK verifiable, and is itself recorded", () => {
    const { db, vault } = openAudited();
    const log = new AuditLog(db, vault);
    log.append({ actor: "operator", event: "site.added", subject: "shop" });
    const next = new Vault(Buffer.alloc(32, 2));
    rotateKek(db, { from: vault, to: next });
    new AuditLog(db, next).append({ actor: "operator", event: "site.added", subject: "blog" });
    const rows = listAuditLog(db);
    expect(rows.map((row) => [row.event, row.kek_id])).toEqual([
      ["site.added", vault.kekId],
      ["kek.rotated", next.kekId],
      ["site.added", next.kekId],
    ]);
    expect(verifyAuditLog(db, next)).toMatchObject({ ok: true, rows: 3 });
    // Someone who can write the database but lacks the KEK cannot re-MAC a row.
    db.prepare("UPDATE audit_log SET subject = 'evil' WHERE id = 1").run();
    expect(verifyAuditLog(db, next)).toMatchObject({ ok: false, brokenId: 1 });
    db.close();
  });
});
