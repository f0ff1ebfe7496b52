import type { Db } from "../ledger/db.ts";
import { isProviderId, type ProviderId } from "../providers/types.ts";
import type { Vault } from "./vault.ts";

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
      .run(provider, this.#vault.seal(key.trim()), Date.now());
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
    return row ? this.#vault.open(row.key_sealed) : undefined;
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
