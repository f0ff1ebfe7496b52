import { randomBytes } from "node:crypto";
import type { Vault, VaultSlot } from "../vault/vault.ts";
import type { Db } from "./db.ts";

export interface SiteSummary {
  id: string;
  createdAt: number;
  secretRotatedAt: number;
}

const SITE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** More origins than any site needs: the list is read on every cross-origin request. */
const MAX_ORIGINS = 20;

/**
 * Whether a string is an origin as a browser writes it in the Origin header:
 * http or https, the host in lower case (punycode), no default port, no path
 * and no trailing slash (`https://blog.example`, `http://127.0.0.1:8080`).
 */
export function isSerializedOrigin(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
}

export class SiteError extends Error {
  override name = "SiteError";
}

/**
 * 32 random bytes, base64url. Never starting with "-": a secret pasted after
 * `--secret` on a command line would otherwise be read as an option.
 */
export function newSecret(): string {
  for (;;) {
    const secret = randomBytes(32).toString("base64url");
    if (!secret.startsWith("-")) return secret;
  }
}

/** Sites and their shared secrets (sealed in the vault, opened per request). */
export class SiteStore {
  readonly #db: Db;
  readonly #vault: Vault;
  readonly #select;
  readonly #originListed;
  readonly #selectPrevious;

  constructor(db: Db, vault: Vault) {
    this.#db = db;
    this.#vault = vault;
    this.#select = db.prepare("SELECT secret_sealed FROM sites WHERE id = ?");
    this.#originListed = db.prepare("SELECT 1 FROM site_origins WHERE origin = ? LIMIT 1").pluck();
    this.#selectPrevious = db.prepare(
      "SELECT previous_secret_sealed, previous_secret_until FROM sites WHERE id = ?",
    );
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
        .run(id, this.#vault.seal(secret, siteSecretSlot(id)), now, now);
    } catch (error) {
      if (String(error).includes("UNIQUE")) throw new SiteError(`site "${id}" already exists`);
      throw error;
    }
    return secret;
  }

  /**
   * Gives the site a new secret. With `graceMs` > 0 the one it replaces still signs
   * requests and tickets until then (the site keeps working while its admin puts the
   * new one in place); 0: only the new one, at once (a leaked secret).
   */
  rotateSecret(
    id: string,
    secret: string = newSecret(),
    graceMs = 0,
  ): { secret: string; previousUntil: number | null } {
    checkSecret(secret);
    const now = Date.now();
    const previousUntil = graceMs > 0 ? now + graceMs : null;
    this.#db.transaction(() => {
      const current = this.#select.get(id) as { secret_sealed: string } | undefined;
      if (!current) throw new SiteError(`no site "${id}"`);
      const previous =
        previousUntil === null
          ? null
          : this.#vault.seal(
              this.#vault.open(current.secret_sealed, siteSecretSlot(id)),
              previousSiteSecretSlot(id),
            );
      this.#db
        .prepare(
          "UPDATE sites SET secret_sealed = ?, secret_rotated_at = ?, previous_secret_sealed = ?, previous_secret_until = ? WHERE id = ?",
        )
        .run(this.#vault.seal(secret, siteSecretSlot(id)), now, previous, previousUntil, id);
    })();
    return { secret, previousUntil };
  }

  /**
   * Replaces the origins whose pages may read the site's direct chats from
   * another origin (CORS); none: same-origin only. Returns them as stored.
   */
  setOrigins(id: string, origins: readonly string[]): string[] {
    const unique = [...new Set(origins)].sort();
    const bad = unique.filter((origin) => !isSerializedOrigin(origin));
    if (bad.length > 0) {
      throw new SiteError(
        `not an origin: ${bad.join(", ")} (write it as a browser sends it: https://blog.example, lower case, no path, no trailing slash, no default port)`,
      );
    }
    if (unique.length > MAX_ORIGINS) {
      throw new SiteError(`at most ${MAX_ORIGINS} origins per site`);
    }
    this.#db.transaction(() => {
      if (!this.#select.get(id)) throw new SiteError(`no site "${id}"`);
      this.#db.prepare("DELETE FROM site_origins WHERE site_id = ?").run(id);
      const insert = this.#db.prepare("INSERT INTO site_origins (site_id, origin) VALUES (?, ?)");
      for (const origin of unique) insert.run(id, origin);
    })();
    return unique;
  }

  origins(id: string): string[] {
    return this.#db
      .prepare("SELECT origin FROM site_origins WHERE site_id = ? ORDER BY origin")
      .pluck()
      .all(id) as string[];
  }

  /** Whether any site lists the origin (a preflight does not say which site it is for). */
  isListedOrigin(origin: string): boolean {
    return this.#originListed.get(origin) !== undefined;
  }

  list(): SiteSummary[] {
    return this.#db
      .prepare(
        "SELECT id, created_at AS createdAt, secret_rotated_at AS secretRotatedAt FROM sites ORDER BY id",
      )
      .all() as SiteSummary[];
  }

  /**
   * The site's secret, or undefined for an unknown site. Read and opened on
   * every call (a primary-key lookup and two AES-GCM openings, microseconds):
   * a secret rotated by the CLI in another process takes effect at once, and
   * no decrypted secret is kept between requests. A secret sealed before
   * envelope encryption is sealed anew in place.
   */
  secretFor(id: string): string | undefined {
    const row = this.#select.get(id) as { secret_sealed: string } | undefined;
    if (!row) return undefined;
    const secret = this.#vault.open(row.secret_sealed, siteSecretSlot(id));
    if (this.#vault.isLegacy(row.secret_sealed)) this.#reseal(id, row.secret_sealed, secret);
    return secret;
  }

  /**
   * The secrets that may sign the site's requests and tickets now: its secret, and the
   * one it replaced while that one's grace lasts. Undefined for an unknown site.
   */
  secretsFor(id: string, now = Date.now()): string[] | undefined {
    const secret = this.secretFor(id);
    if (secret === undefined) return undefined;
    const previous = this.#selectPrevious.get(id) as
      | { previous_secret_sealed: string | null; previous_secret_until: number | null }
      | undefined;
    if (!previous?.previous_secret_sealed || (previous.previous_secret_until ?? 0) <= now) {
      return [secret];
    }
    return [secret, this.#vault.open(previous.previous_secret_sealed, previousSiteSecretSlot(id))];
  }

  /** Seals a legacy value anew, only if the row still holds it; a failed write is retried next read. */
  #reseal(id: string, legacySealed: string, secret: string): void {
    try {
      this.#db
        .prepare("UPDATE sites SET secret_sealed = ? WHERE id = ? AND secret_sealed = ?")
        .run(this.#vault.seal(secret, siteSecretSlot(id)), id, legacySealed);
    } catch {
      // The legacy value still opens; sealing it anew can wait.
    }
  }
}

/** The slot of the secret a rotation replaced, during its grace. */
export function previousSiteSecretSlot(id: string): VaultSlot {
  return `site_secret:${id}:previous`;
}

/** The slot a site's secret is sealed for. */
export function siteSecretSlot(id: string): VaultSlot {
  return `site_secret:${id}`;
}

function checkSecret(secret: string): void {
  if (secret.length < 32) throw new SiteError("a site secret must be at least 32 characters");
}
