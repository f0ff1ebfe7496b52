import type { Db } from "../ledger/db.ts";
import { isProviderId, type ProviderId } from "../providers/types.ts";
import type { Vault, VaultSlot } from "./vault.ts";

/** Provider API keys, sealed in SQLite. Values never leave this class except to an adapter. */
export class ProviderKeyStore {
  readonly #db: Db;
  readonly #vault: Vault;

  constructor(db: Db, vault: Vault) {
    this.#db = db;
    this.#vault = vault;
  }

  set(provider: ProviderId, key: string): void {
    if (key.trim().length < 8) throw new Error("that does not look like an API key (too short)");
    this.#db
      .prepare(
        `INSERT INTO provider_keys (provider, key_sealed, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (provider) DO UPDATE SET key_sealed = excluded.key_sealed, updated_at = excluded.updated_at`,
      )
      .run(provider, this.#vault.seal(key.trim(), slotOf(provider)), Date.now());
  }

  remove(provider: ProviderId): boolean {
    return (
      this.#db.prepare("DELETE FROM provider_keys WHERE provider = ?").run(provider).changes > 0
    );
  }

  get(provider: ProviderId): string | undefined {
    const row = this.#db
      .prepare("SELECT key_sealed FROM provider_keys WHERE provider = ?")
      .get(provider) as { key_sealed: string } | undefined;
    if (!row) return undefined;
    const key = this.#vault.open(row.key_sealed, slotOf(provider));
    if (this.#vault.isLegacy(row.key_sealed)) this.#reseal(provider, row.key_sealed, key);
    return key;
  }

  /**
   * Seals a key stored before values were bound to their row, in place. Only
   * if the row still holds what was read; a failed write is retried next read.
   */
  #reseal(provider: ProviderId, legacySealed: string, key: string): void {
    try {
      this.#db
        .prepare("UPDATE provider_keys SET key_sealed = ? WHERE provider = ? AND key_sealed = ?")
        .run(this.#vault.seal(key, slotOf(provider)), provider, legacySealed);
    } catch {
      // The legacy value still opens; sealing it anew can wait.
    }
  }

  /** Which providers have a stored key, and since when; never the keys. */
  list(): { provider: ProviderId; updatedAt: number }[] {
    const rows = this.#db
      .prepare("SELECT provider, updated_at AS updatedAt FROM provider_keys ORDER BY provider")
      .all() as { provider: string; updatedAt: number }[];
    return rows.filter((row): row is { provider: ProviderId; updatedAt: number } =>
      isProviderId(row.provider),
    );
  }
}

function slotOf(provider: ProviderId): VaultSlot {
  return `provider_key:${provider}`;
}
