import type { Db } from "./db.ts";

/**
 * One-time nonces, kept in SQLite so a replay is refused even across a restart.
 * A nonce is remembered for the signature window; expired ones are pruned.
 */
export class NonceStore {
  readonly #insert;
  readonly #prune;
  #lastPrune = 0;

  constructor(db: Db) {
    this.#insert = db.prepare(
      "INSERT OR IGNORE INTO nonces (site_id, nonce, expires_at) VALUES (?, ?, ?)",
    );
    this.#prune = db.prepare("DELETE FROM nonces WHERE expires_at < ?");
  }

  /** Records the nonce; false when it was already used and has not expired. */
  claim(siteId: string, nonce: string, expiresAt: number, now: number = Date.now()): boolean {
    if (now - this.#lastPrune > 60_000) {
      this.#prune.run(now);
      this.#lastPrune = now;
    }
    return this.#insert.run(siteId, nonce, expiresAt).changes === 1;
  }
}
