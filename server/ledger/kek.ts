import { decodeKey, type KekSettings, kekMode, loadKek } from "../vault/kek-source.ts";
import {
  promoteStagedKeyFile,
  readStagedKeyFile,
  stagedKeyPath,
  writeStagedKeyFile,
} from "../vault/key-file.ts";
import { providerKeySlotOfRow } from "../vault/provider-keys.ts";
import { Vault, VaultError, type VaultSlot } from "../vault/vault.ts";
import { AuditLog, archiveAuditKey, auditKeySlot } from "./audit.ts";
import type { Db } from "./db.ts";
import { METADATA_KEY_SLOT } from "./metadata-privacy.ts";
import { previousSiteSecretSlot, siteSecretSlot } from "./sites.ts";

/** A column that holds sealed values, the columns that name its row, and the slot each is sealed for. */
interface SealedColumn {
  table: string;
  column: string;
  keys: readonly string[];
  slot: (row: Record<string, string>) => VaultSlot;
}

/** Every sealed value in the database: a KEK rotation re-wraps each (a test checks none is missing). */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    table: "sites",
    column: "secret_sealed",
    keys: ["id"],
    slot: (row) => siteSecretSlot(row.id as string),
  },
  {
    table: "sites",
    column: "previous_secret_sealed",
    keys: ["id"],
    slot: (row) => previousSiteSecretSlot(row.id as string),
  },
  ...["key_sealed", "previous_sealed"].map((column) => ({
    table: "provider_keys",
    column,
    keys: ["provider", "environment", "site_id"],
    slot: (row: Record<string, string>) =>
      providerKeySlotOfRow(row as { provider: string; environment: string; site_id: string }),
  })),
  {
    table: "audit_keys",
    column: "key_sealed",
    keys: ["kek_id"],
    slot: (row) => auditKeySlot(row.kek_id as string),
  },
  {
    table: "metadata_key",
    column: "key_sealed",
    keys: ["id"],
    slot: () => METADATA_KEY_SLOT,
  },
];

interface SealedValue {
  column: SealedColumn;
  keyValues: string[];
  sealed: string;
  slot: VaultSlot;
}

function* sealedValues(db: Db): Generator<SealedValue> {
  for (const column of SEALED_COLUMNS) {
    const rows = db
      .prepare(
        `SELECT ${column.keys.join(", ")}, ${column.column} AS sealed FROM ${column.table} WHERE ${column.column} IS NOT NULL`,
      )
      .all() as (Record<string, string> & { sealed: string })[];
    for (const row of rows) {
      yield {
        column,
        keyValues: column.keys.map((key) => row[key] as string),
        sealed: row.sealed,
        slot: column.slot(row),
      };
    }
  }
}

/** The id of the KEK the vault's data keys are sealed under, as the database records it. */
export function recordedKekId(db: Db): string | undefined {
  return db.prepare("SELECT kek_id FROM vault_kek WHERE id = 1").pluck().get() as
    | string
    | undefined;
}

/**
 * The vault, with the KEK the database says its data keys are sealed under.
 * That is the configured KEK (SLUICE_VAULT_KEY, the command, the key file),
 * or, in key-file mode after a rotation that stopped between its commit and
 * its file swap, the staged file beside the key file: then the swap is
 * finished here. Anything else is a start-up error naming both KEK ids. On
 * first use the configured KEK is recorded, once it is seen to open the
 * secrets already stored; a missing key file is created only if there are none.
 */
export function openVault(db: Db, settings: KekSettings): Vault {
  const recorded = recordedKekId(db);
  const stored = sealedValues(db).next().value;
  const loaded = loadKek(settings, {
    createKeyFile: recorded === undefined && stored === undefined,
  });
  const configured = vaultOf(loaded.key, loaded.source);
  if (recorded === configured.kekId) return configured;
  if (recorded === undefined) {
    if (stored) checkOpens(configured, stored);
    db.prepare(
      "INSERT INTO vault_kek (id, kek_id, since) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
    ).run(configured.kekId, Date.now());
    if (recordedKekId(db) === configured.kekId) return configured;
    return openVault(db, settings);
  }
  const mode = kekMode(settings);
  if (mode === "key-file") {
    const staged = readStagedKeyFile(settings.keyPath);
    if (staged !== undefined) {
      const next = vaultOf(
        decodeKey(staged, `the staged vault key file ${stagedKeyPath(settings.keyPath)}`),
        loaded.source,
      );
      if (next.kekId === recorded) {
        promoteStagedKeyFile(settings.keyPath);
        return next;
      }
    }
  }
  const remedy = {
    environment: "set SLUICE_VAULT_KEY to the KEK given to sluice vault rotate-kek",
    command:
      "set SLUICE_VAULT_KEK_COMMAND to the command that prints the KEK given to sluice vault rotate-kek",
    "key-file": "restore the key file from your backup",
  }[mode];
  throw new VaultError(
    `the vault's data keys are sealed under KEK ${recorded}, but ${configured.kekSource} is KEK ${configured.kekId}: ${remedy}`,
  );
}

function checkOpens(vault: Vault, value: SealedValue): void {
  try {
    vault.open(value.sealed, value.slot);
  } catch (error) {
    throw new VaultError(
      `${vault.kekSource} does not open the secrets already stored (${value.slot}): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function vaultOf(key: Buffer, source: string): Vault {
  try {
    return new Vault(key, source);
  } finally {
    key.fill(0);
  }
}

/** The steps of a KEK rotation, in order; `onStep` is called after each. */
export type RotationStep = "staged" | "rewrapped" | "committed" | "swapped";
export const ROTATION_STEPS: readonly RotationStep[] = [
  "staged",
  "rewrapped",
  "committed",
  "swapped",
];

export interface KekRotation {
  from: Vault;
  to: Vault;
  /**
   * Key-file mode: the key file, and the new KEK's text (base64) to stage
   * beside it and swap in after the commit. Without it only the database changes.
   */
  keyFile?: { path: string; key: string };
  /** Called after each step (the test hook kills the process there). */
  onStep?: (step: RotationStep) => void;
}

export interface RotationResult {
  /** Data keys sealed anew under the new KEK, their ciphertexts unchanged. */
  rewrapped: number;
  /** Values from before envelope encryption (v1, v2), sealed anew under a data key of their own. */
  upgraded: number;
  /** Audit keys of retired KEKs (audit.ts), re-wrapped like the data keys but not counted with them. */
  auditKeys: number;
}

/** A retired KEK's audit key: a sealed value, but not a secret of the operator's. */
function isAuditKey(value: SealedValue): boolean {
  return value.column.table === "audit_keys";
}

/**
 * Re-wraps every data key under a new KEK, in an order where a crash at any
 * point leaves every secret readable:
 * 1. staged: the new KEK is written beside the key file (synced). The
 *    database still names the old KEK, so the old file is still the one used.
 * 2. one SQLite transaction re-wraps every data key and records the new KEK's
 *    id ("rewrapped" is inside it: a crash there rolls it all back); the commit
 *    is synced (synchronous = FULL), so a power cut cannot undo it after step 3;
 * 3. committed: the database names the new KEK; the staged file holds it, and
 *    openVault finishes the swap if this process does not;
 * 4. swapped: the staged file is renamed over the key file (atomic).
 * In SLUICE_VAULT_KEY or command mode only step 2 happens; the operator then
 * gives the gateway the new KEK.
 */
export function rotateKek(db: Db, rotation: KekRotation): RotationResult {
  const { from, to, keyFile, onStep } = rotation;
  if (to.kekId === from.kekId)
    throw new VaultError(`the new KEK is the current one (${from.kekId})`);
  const recorded = recordedKekId(db);
  if (recorded !== from.kekId) {
    throw new VaultError(
      `the vault records KEK ${recorded}, not ${from.kekId}; nothing was changed`,
    );
  }
  if (keyFile) {
    writeStagedKeyFile(keyFile.path, keyFile.key);
    onStep?.("staged");
  }
  const previousSync = db.pragma("synchronous", { simple: true });
  db.pragma("synchronous = FULL");
  let result: RotationResult;
  try {
    result = db
      .transaction(() => {
        const counts = { rewrapped: 0, upgraded: 0, auditKeys: 0 };
        // The audit rows MACed so far stay verifiable: their key is kept, re-wrapped below.
        archiveAuditKey(db, from);
        for (const value of sealedValues(db)) {
          const { column } = value;
          const where = column.keys.map((key) => `${key} = ?`).join(" AND ");
          db.prepare(`UPDATE ${column.table} SET ${column.column} = ? WHERE ${where}`).run(
            from.rewrap(value.sealed, value.slot, to),
            ...value.keyValues,
          );
          if (isAuditKey(value)) counts.auditKeys += 1;
          else if (from.isLegacy(value.sealed)) counts.upgraded += 1;
          else counts.rewrapped += 1;
        }
        onStep?.("rewrapped");
        db.prepare("UPDATE vault_kek SET kek_id = ?, since = ? WHERE id = 1").run(
          to.kekId,
          Date.now(),
        );
        const audit = new AuditLog(db, to);
        audit.append({
          actor: "operator",
          event: "kek.rotated",
          subject: "vault",
          details: { from: from.kekId, to: to.kekId, ...counts },
        });
        audit.forget();
        return counts;
      })
      .immediate();
  } finally {
    db.pragma(`synchronous = ${previousSync}`);
  }
  onStep?.("committed");
  if (keyFile) {
    promoteStagedKeyFile(keyFile.path);
    onStep?.("swapped");
  }
  return result;
}

export interface VaultReport {
  kekId: string;
  kekSource: string;
  /** Since when the vault has been under this KEK (ms). */
  since: number | undefined;
  values: number;
  /** Values from before envelope encryption (v1, v2), not yet sealed anew. */
  legacy: number;
  /** Values this KEK cannot open: their slot and why. */
  unreadable: { slot: VaultSlot; reason: string }[];
}

/** Opens every sealed value (and throws each plaintext away): whether every secret is readable. */
export function vaultReport(db: Db, vault: Vault): VaultReport {
  const report: VaultReport = {
    kekId: vault.kekId,
    kekSource: vault.kekSource,
    since: db.prepare("SELECT since FROM vault_kek WHERE id = 1").pluck().get() as
      | number
      | undefined,
    values: 0,
    legacy: 0,
    unreadable: [],
  };
  for (const value of sealedValues(db)) {
    if (!isAuditKey(value)) report.values += 1;
    if (vault.isLegacy(value.sealed)) report.legacy += 1;
    try {
      vault.open(value.sealed, value.slot);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      report.unreadable.push({ slot: value.slot, reason });
    }
  }
  return report;
}
