import { randomBytes } from "node:crypto";
import type { Vault } from "../vault/vault.ts";
import type { Db } from "./db.ts";

export interface SiteSummary {
  id: string;
  createdAt: number;
  secretRotatedAt: number;
}

const SITE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class SiteError extends Error {
  override name = "SiteError";
}

export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Sites and their shared secrets (sealed in the vault), with a read cache for the hot path. */
export class SiteStore {
  readonly #db: Db;
  readonly #vault: Vault;
  readonly #secrets = new Map<string, string>();

  constructor(db: Db, vault: Vault) {
    this.#db = db;
    this.#vault = vault;
  }

  add(id: string, secret: string = newSecret()): string {
    if (!SITE_ID.test(id)) {
      throw new SiteError(
        `site id "${id}" is not valid: use 1-64 lowercase letters, digits, ".", "_" or "-"`,
      );
    }
    checkSecret(secret);
    const now = Date.now();
    try {
      this.#db
        .prepare(
          "INSERT INTO sites (id, secret_sealed, created_at, secret_rotated_at) VALUES (?, ?, ?, ?)",
        )
        .run(id, this.#vault.seal(secret), now, now);
    } catch (error) {
      if (String(error).includes("UNIQUE")) throw new SiteError(`site "${id}" already exists`);
      throw error;
    }
    this.#secrets.set(id, secret);
    return secret;
  }

  rotateSecret(id: string, secret: string = newSecret()): string {
    checkSecret(secret);
    const result = this.#db
      .prepare("UPDATE sites SET secret_sealed = ?, secret_rotated_at = ? WHERE id = ?")
      .run(this.#vault.seal(secret), Date.now(), id);
    if (result.changes === 0) throw new SiteError(`no site "${id}"`);
    this.#secrets.set(id, secret);
    return secret;
  }

  list(): SiteSummary[] {
    return this.#db
      .prepare(
        "SELECT id, created_at AS createdAt, secret_rotated_at AS secretRotatedAt FROM sites ORDER BY id",
      )
      .all() as SiteSummary[];
  }

  /**
   * The site's secret, or undefined for an unknown site. `fresh` skips the
   * cache (the CLI may have rotated the secret from another process).
   */
  secretFor(id: string, fresh = false): string | undefined {
    const cached = fresh ? undefined : this.#secrets.get(id);
    if (cached !== undefined) return cached;
    const row = this.#db.prepare("SELECT secret_sealed FROM sites WHERE id = ?").get(id) as
      | { secret_sealed: string }
      | undefined;
    if (!row) return undefined;
    const secret = this.#vault.open(row.secret_sealed);
    this.#secrets.set(id, secret);
    return secret;
  }
}

function checkSecret(secret: string): void {
  if (secret.length < 32) throw new SiteError("a site secret must be at least 32 characters");
}
