import { createHmac, timingSafeEqual } from "node:crypto";
import type { Vault, VaultSlot } from "../vault/vault.ts";
import type { Db } from "./db.ts";

/** Who did it: the operator (the sluice command), a site's admin (signed API), or the gateway itself. */
export type AuditActor = "operator" | "gateway" | `site:${string}`;

export type AuditEvent =
  | "site.added"
  | "site.secret_rotated"
  | "site.origins_set"
  | "key.set"
  | "key.rotated"
  | "key.removed"
  | "kek.rotated"
  | "policy.changed"
  | "signature.rejected"
  | "budget.exhausted";

/** What a caller appends. `details` never holds a secret, a key, a prompt or a visitor id. */
export interface AuditEntry {
  actor: AuditActor;
  event: AuditEvent;
  /** What it was done to: a site id, a provider key's scope, "vault". */
  subject: string;
  details?: Record<string, unknown>;
}

/** One stored row, as `sluice audit list` prints it. */
export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  event: string;
  subject: string;
  /** JSON text, exactly as MACed. */
  details: string;
  kek_id: string;
  prev_mac: string;
  mac: string;
}

export type AuditVerdict =
  | { ok: true; rows: number; head: { id: number; mac: string } | undefined }
  | { ok: false; rows: number; brokenId: number; reason: string };

/** The HKDF purpose of the audit MAC key (Vault.deriveKey). */
const AUDIT_KEY_PURPOSE = "sluice audit log mac v1";
/** The first row's prev_mac. */
const GENESIS = "";

export function auditKeySlot(kekId: string): VaultSlot {
  return `audit_key:${kekId}`;
}

/**
 * The row's MAC: HMAC-SHA256 under the audit key of every column but the MAC
 * itself, the previous row's MAC included. The id and time are covered, so a
 * row moved or renumbered fails as surely as one edited.
 */
function macOf(key: Buffer, row: Omit<AuditRow, "mac">): string {
  const content = JSON.stringify([
    "sluice-audit.v1",
    row.id,
    row.at,
    row.actor,
    row.event,
    row.subject,
    row.details,
    row.kek_id,
    row.prev_mac,
  ]);
  return createHmac("sha256", key).update(content).digest("hex");
}

export interface AuditLogOptions {
  /** Told of each row that could not be written (the caller logs it); nothing is thrown. */
  onError?: (error: unknown, entry: AuditEntry) => void;
  now?: () => number;
}

/**
 * The append-only, hash-chained audit log (docs/security.md, "Audit log").
 * Appending is one small transaction: read the last row's id and MAC (the
 * primary key's last entry), insert the next. It is IMMEDIATE, so the gateway
 * and a sluice command appending at once never fork the chain. It never
 * throws: a failed write goes to `onError` and is counted in `failures`.
 */
export class AuditLog {
  #key: Buffer;
  #kekId: string;
  readonly #options: AuditLogOptions;
  readonly #append: (entry: AuditEntry) => number;
  #forgotten = false;
  /** Rows that could not be written since this log was opened. */
  failures = 0;

  constructor(db: Db, vault: Vault, options: AuditLogOptions = {}) {
    this.#key = vault.deriveKey(AUDIT_KEY_PURPOSE);
    this.#kekId = vault.kekId;
    this.#options = options;
    const head = db.prepare("SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1");
    const insert = db.prepare(
      "INSERT INTO audit_log (id, at, actor, event, subject, details, kek_id, prev_mac, mac) VALUES (@id, @at, @actor, @event, @subject, @details, @kek_id, @prev_mac, @mac)",
    );
    const now = options.now ?? Date.now;
    const append = db.transaction((entry: AuditEntry) => {
      // The vault adopted a rotated KEK (kek-reload.ts): new rows are MACed under its key.
      if (vault.kekId !== this.#kekId) {
        this.#key.fill(0);
        this.#key = vault.deriveKey(AUDIT_KEY_PURPOSE);
        this.#kekId = vault.kekId;
      }
      const last = head.get() as { id: number; mac: string } | undefined;
      const row = {
        id: (last?.id ?? 0) + 1,
        at: now(),
        actor: entry.actor,
        event: entry.event,
        subject: entry.subject,
        details: JSON.stringify(entry.details ?? {}),
        kek_id: this.#kekId,
        prev_mac: last?.mac ?? GENESIS,
      };
      insert.run({ ...row, mac: macOf(this.#key, row) });
      return row.id;
    });
    this.#append = (entry) => append.immediate(entry) as number;
  }

  /** Appends one row; its id, or undefined when it could not be written. */
  append(entry: AuditEntry): number | undefined {
    try {
      // A row MACed with a zeroed key would read as tampering.
      if (this.#forgotten) throw new Error("the audit log is closed");
      return this.#append(entry);
    } catch (error) {
      this.failures += 1;
      this.#options.onError?.(error, entry);
      return undefined;
    }
  }

  /** Zeroes the audit key (when the gateway or the command closes). */
  forget(): void {
    this.#forgotten = true;
    this.#key.fill(0);
  }
}

/**
 * Keeps the audit key of `vault`'s KEK, sealed by that vault, for the rows
 * already MACed with it: called inside a KEK rotation's transaction before
 * the re-wrap, which then seals it under the new KEK with every other secret.
 */
export function archiveAuditKey(db: Db, vault: Vault, at = Date.now()): void {
  const key = vault.deriveKey(AUDIT_KEY_PURPOSE);
  try {
    db.prepare(
      "INSERT INTO audit_keys (kek_id, key_sealed, retired_at) VALUES (?, ?, ?) ON CONFLICT (kek_id) DO NOTHING",
    ).run(vault.kekId, vault.seal(key.toString("base64"), auditKeySlot(vault.kekId)), at);
  } finally {
    key.fill(0);
  }
}

/**
 * Walks the chain from the first row: each row's prev_mac must be the MAC of
 * the row before it (the first row's is empty), and its MAC must be right
 * under the audit key of the KEK it names (the current one's derived, a
 * retired one's opened from audit_keys). The first row failing either is
 * named. Cannot see rows cut off the end: compare the head with one kept elsewhere.
 */
export function verifyAuditLog(db: Db, vault: Vault): AuditVerdict {
  const keys = new Map<string, Buffer | undefined>();
  const keyFor = (kekId: string): Buffer | undefined => {
    if (keys.has(kekId)) return keys.get(kekId);
    let key: Buffer | undefined;
    if (kekId === vault.kekId) key = vault.deriveKey(AUDIT_KEY_PURPOSE);
    else {
      const sealed = db
        .prepare("SELECT key_sealed FROM audit_keys WHERE kek_id = ?")
        .pluck()
        .get(kekId) as string | undefined;
      try {
        key =
          sealed === undefined
            ? undefined
            : Buffer.from(vault.open(sealed, auditKeySlot(kekId)), "base64");
      } catch {
        key = undefined;
      }
    }
    keys.set(kekId, key);
    return key;
  };
  let rows = 0;
  let previous: AuditRow | undefined;
  try {
    for (const row of db
      .prepare("SELECT * FROM audit_log ORDER BY id")
      .iterate() as IterableIterator<AuditRow>) {
      const broken = (reason: string): AuditVerdict => ({
        ok: false,
        rows,
        brokenId: row.id,
        reason,
      });
      if (row.prev_mac !== (previous?.mac ?? GENESIS)) {
        return broken(
          previous === undefined
            ? "it is the first row but names a previous MAC: the rows before it were deleted"
            : `its previous MAC is not row ${previous.id}'s: a row between them was deleted, or rows were reordered`,
        );
      }
      const key = keyFor(row.kek_id);
      if (key === undefined) {
        return broken(
          `its MAC key (KEK ${row.kek_id}) is neither the current KEK's nor a retired one this vault opens`,
        );
      }
      if (!sameHex(macOf(key, row), row.mac)) {
        return broken("its MAC does not match its content: the row was changed, moved or forged");
      }
      rows += 1;
      previous = row;
    }
  } finally {
    for (const key of keys.values()) key?.fill(0);
  }
  return { ok: true, rows, head: previous && { id: previous.id, mac: previous.mac } };
}

function sameHex(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, "hex");
  const b = Buffer.from(actual, "hex");
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** The rows since `sinceMs` (all without it), oldest first. */
export function listAuditLog(db: Db, sinceMs?: number): AuditRow[] {
  return db
    .prepare("SELECT * FROM audit_log WHERE at >= ? ORDER BY id")
    .all(sinceMs ?? 0) as AuditRow[];
}
