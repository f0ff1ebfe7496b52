import { UsageError } from "./cli-vault.ts";
import { type AuditRow, listAuditLog, verifyAuditLog } from "./ledger/audit.ts";
import type { Db } from "./ledger/db.ts";
import type { Vault } from "./vault/vault.ts";

type Flags = Record<string, string | boolean | undefined>;

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `sluice audit verify | list`. verify exits 1 naming the first broken row,
 * else 0 printing the head MAC (keep it elsewhere: a cut tail is only seen
 * against it); list prints the rows, as text or JSON.
 */
export function auditCommand(
  db: Db,
  vault: Vault,
  action: string | undefined,
  values: Flags,
): number {
  if (action === "verify") {
    const verdict = verifyAuditLog(db, vault);
    if (!verdict.ok) {
      console.error(
        `audit log broken at row ${verdict.brokenId}: ${verdict.reason} (${verdict.rows} rows before it verified)`,
      );
      return 1;
    }
    const expected = typeof values["expect-head"] === "string" ? values["expect-head"] : undefined;
    if (expected !== undefined && !hasMac(db, expected)) {
      console.error(
        "audit log broken: no row has the head MAC you kept (--expect-head): rows were cut off its end",
      );
      return 1;
    }
    console.log(
      verdict.head === undefined
        ? "audit log ok: no rows yet"
        : `audit log ok: ${verdict.rows} rows; head row ${verdict.head.id} MAC ${verdict.head.mac}`,
    );
    return 0;
  }
  if (action === "list") {
    const rows = listAuditLog(db, sinceFromFlag(values.since));
    if (values.json) {
      console.log(JSON.stringify(rows.map(rowToJson), null, 2));
      return 0;
    }
    for (const row of rows) {
      console.log(
        [
          row.id,
          new Date(row.at).toISOString(),
          row.actor,
          row.event,
          row.subject,
          row.details,
        ].join("\t"),
      );
    }
    return 0;
  }
  throw new UsageError(`unknown command: sluice audit ${action ?? ""}`.trim());
}

function hasMac(db: Db, mac: string): boolean {
  return db.prepare("SELECT 1 FROM audit_log WHERE mac = ?").get(mac) !== undefined;
}

/** --since: a date (2026-12-01, or any ISO time) or a duration back from now (30m, 24h, 7d). */
function sinceFromFlag(since: string | boolean | undefined): number | undefined {
  if (typeof since !== "string") return undefined;
  const duration = DURATION.exec(since);
  if (duration)
    return Date.now() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
  const at = Date.parse(since);
  if (Number.isNaN(at)) {
    throw new UsageError(
      `--since "${since}" is neither a date (2026-12-01) nor a duration (30m, 24h, 7d)`,
    );
  }
  return at;
}

function rowToJson(row: AuditRow) {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    event: row.event,
    subject: row.subject,
    details: JSON.parse(row.details) as unknown,
    kek_id: row.kek_id,
    prev_mac: row.prev_mac,
    mac: row.mac,
  };
}
