import type { KekSettings } from "../vault/kek-source.ts";
import type { Vault } from "../vault/vault.ts";
import type { Db } from "./db.ts";
import { openVault, recordedKekId } from "./kek.ts";

/** Checks for a new KEK at most this often when a value names another one. */
const MIN_CHECK_INTERVAL_MS = 1000;

export interface KekReload {
  /**
   * Adopts the KEK the database records when it is not the vault's (a `sluice vault
   * rotate-kek` by another process while this one runs): true when the vault changed.
   */
  check(): boolean;
}

/**
 * Lets a running gateway follow a KEK rotation without a restart: the database
 * names the KEK its data keys are sealed under; when that changes, the KEK is
 * loaded again from its source (in key-file mode the rotation swaps the key file,
 * or leaves the staged file openVault finishes with) and the shared vault adopts
 * it. A source that still gives the old KEK (SLUICE_VAULT_KEY, a KEK command that
 * was not changed) cannot follow: the vault keeps its KEK, values sealed under the
 * new one fail to open, and `onFailed` says why (rotate-kek refuses to rotate under
 * a running gateway in those modes).
 */
export function kekReload(
  db: Db,
  vault: Vault,
  settings: KekSettings,
  log: { adopted(from: string, to: string): void; failed(error: unknown): void },
): KekReload {
  let checkedAt = Number.NEGATIVE_INFINITY;
  const check = (): boolean => {
    const recorded = recordedKekId(db);
    if (recorded === undefined || recorded === vault.kekId) return false;
    const now = Date.now();
    if (now - checkedAt < MIN_CHECK_INTERVAL_MS) return false;
    checkedAt = now;
    try {
      const fresh = openVault(db, settings);
      const from = vault.kekId;
      vault.adopt(fresh);
      fresh.forget();
      log.adopted(from, vault.kekId);
      return true;
    } catch (error) {
      log.failed(error);
      return false;
    }
  };
  vault.onOtherKek = check;
  return { check };
}
