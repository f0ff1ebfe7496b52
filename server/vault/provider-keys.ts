import type { Db } from "../ledger/db.ts";
import { isProviderId, type ProviderId } from "../providers/types.ts";
import type { Vault, VaultSlot } from "./vault.ts";

/**
 * Who a stored key serves: one provider, in one environment (SLUICE_ENV) or
 * all (null), for one site or all (null).
 */
export interface KeyScope {
  provider: ProviderId;
  environment: string | null;
  siteId: string | null;
}

/** What is known about a stored key without opening it. */
export interface StoredKey extends KeyScope {
  /** When the key was set (ms): its age for the rotation policy. */
  setAt: number;
  /** Until when the key it replaced stays usable (ms); null when none does. */
  previousUntil: number | null;
}

/** The key a request may use, opened; plus the one it replaced, opened only when asked. */
export interface ResolvedKey {
  scope: KeyScope;
  setAt: number;
  key: string;
  /** The replaced key, while its grace period lasts. */
  openPrevious: (() => string) | undefined;
}

export class KeyScopeError extends Error {
  override name = "KeyScopeError";
}

/** In the table, '*' is every environment or every site (no site id or environment can be '*'). */
const EVERY = "*";
/** Environment names follow the site ids' rule: 1-64 lowercase letters, digits, ".", "_", "-". */
const SCOPE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

interface Row {
  provider: string;
  environment: string;
  site_id: string;
  key_sealed: string;
  set_at: number;
  previous_sealed: string | null;
  previous_until: number | null;
}

/**
 * Provider API keys, sealed in SQLite, one per scope. A request's key is the
 * most specific one its scope allows: site and environment, then site, then
 * environment, then every site in every environment; a key scoped to another
 * site or environment is never a candidate. Keys are opened per request and
 * never cached here.
 */
export class ProviderKeyStore {
  readonly #db: Db;
  readonly #vault: Vault;
  readonly #candidates;
  readonly #exists;

  constructor(db: Db, vault: Vault) {
    this.#db = db;
    this.#vault = vault;
    // Most specific first: a site's own key, then its environment's (false sorts before true).
    this.#candidates = db.prepare(
      `SELECT * FROM provider_keys
       WHERE provider = ? AND environment IN (?, '*') AND site_id IN (?, '*')
       ORDER BY site_id = '*', environment = '*' LIMIT 1`,
    );
    this.#exists = db
      .prepare(
        `SELECT 1 FROM provider_keys
         WHERE provider = ? AND environment IN (?, '*') AND site_id IN (?, '*') LIMIT 1`,
      )
      .pluck();
  }

  /** Stores `key` for exactly `scope`, replacing the key there (and ending any grace period). */
  set(scope: KeyScope, key: string, now: number = Date.now()): void {
    checkScope(scope);
    const value = checkKey(key);
    this.#db
      .prepare(
        `INSERT INTO provider_keys (provider, environment, site_id, key_sealed, set_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (provider, environment, site_id) DO UPDATE SET key_sealed = excluded.key_sealed,
           set_at = excluded.set_at, previous_sealed = NULL, previous_until = NULL`,
      )
      .run(...columnsOf(scope), this.#vault.seal(value, providerKeySlot(scope)), now);
  }

  /**
   * Replaces the key of `scope` with `key`; the old one stays usable for
   * `graceMs` (see ResolvedKey.openPrevious), then is deleted. The old
   * ciphertext moves as it is: both are sealed for the same row. Throws when
   * no key is stored for exactly this scope.
   */
  rotate(scope: KeyScope, key: string, graceMs: number, now: number = Date.now()): StoredKey {
    checkScope(scope);
    const value = checkKey(key);
    const sealed = this.#vault.seal(value, providerKeySlot(scope));
    const until = graceMs > 0 ? now + graceMs : null;
    const changed = this.#db
      .prepare(
        `UPDATE provider_keys SET previous_sealed = CASE WHEN ? IS NULL THEN NULL ELSE key_sealed END,
           previous_until = ?, key_sealed = ?, set_at = ?
         WHERE provider = ? AND environment = ? AND site_id = ?`,
      )
      .run(until, until, sealed, now, ...columnsOf(scope)).changes;
    if (changed === 0) {
      throw new KeyScopeError(
        `no ${describeScope(scope)} key is stored to rotate; store one with: sluice key set ${scopeFlags(scope)}`,
      );
    }
    return { ...scope, setAt: now, previousUntil: until };
  }

  /** Deletes the key of exactly `scope` (and the key it replaced). */
  remove(scope: KeyScope): boolean {
    checkScope(scope);
    return (
      this.#db
        .prepare("DELETE FROM provider_keys WHERE provider = ? AND environment = ? AND site_id = ?")
        .run(...columnsOf(scope)).changes > 0
    );
  }

  /**
   * The key for a call to `provider` in `environment` for `siteId`, opened; or
   * undefined. Without a site only keys for every site are candidates.
   */
  resolve(
    provider: ProviderId,
    environment: string,
    siteId: string | undefined,
    now: number = Date.now(),
  ): ResolvedKey | undefined {
    const row = this.#candidates.get(provider, environment, siteId ?? EVERY) as Row | undefined;
    if (!row) return undefined;
    const scope = scopeOf(row);
    const slot = providerKeySlot(scope);
    const key = this.#vault.open(row.key_sealed, slot);
    if (this.#vault.isLegacy(row.key_sealed)) this.#reseal(row, key);
    const previous = row.previous_sealed;
    const inGrace = previous !== null && row.previous_until !== null && row.previous_until > now;
    if (previous !== null && !inGrace) this.dropExpired(now);
    return {
      scope,
      setAt: row.set_at,
      key,
      openPrevious: inGrace ? () => this.#vault.open(previous, slot) : undefined,
    };
  }

  /** What `resolve` would pick (its scope and age), without opening it. */
  serving(
    provider: ProviderId,
    environment: string,
    siteId: string | undefined,
    now: number = Date.now(),
  ): StoredKey | undefined {
    const row = this.#candidates.get(provider, environment, siteId ?? EVERY) as Row | undefined;
    if (!row) return undefined;
    const inGrace = row.previous_until !== null && row.previous_until > now;
    return {
      ...scopeOf(row),
      setAt: row.set_at,
      previousUntil: inGrace ? row.previous_until : null,
    };
  }

  /** Whether `resolve` would find a key; opens nothing. */
  has(provider: ProviderId, environment: string, siteId: string | undefined): boolean {
    return this.#exists.get(provider, environment, siteId ?? EVERY) !== undefined;
  }

  /** Every stored key's scope and age, never the keys (a read only: /healthz calls it). */
  list(now: number = Date.now()): StoredKey[] {
    const rows = this.#db
      .prepare(
        "SELECT provider, environment, site_id, set_at, previous_until FROM provider_keys ORDER BY provider, environment, site_id",
      )
      .all() as Row[];
    return rows
      .filter((row) => isProviderId(row.provider))
      .map((row) => ({
        ...scopeOf(row),
        setAt: row.set_at,
        previousUntil:
          row.previous_until !== null && row.previous_until > now ? row.previous_until : null,
      }));
  }

  /**
   * Deletes the replaced keys past their grace period: their ciphertext does
   * not linger. Done when a key is opened, set or listed by the CLI.
   */
  dropExpired(now: number = Date.now()): void {
    try {
      this.#db
        .prepare(
          "UPDATE provider_keys SET previous_sealed = NULL, previous_until = NULL WHERE previous_until <= ?",
        )
        .run(now);
    } catch {
      // A busy database: the expired key is not used, and is deleted next time.
    }
  }

  /**
   * Seals a key stored before envelope encryption anew, in place. Only if the
   * row still holds what was read; a failed write is retried next read.
   */
  #reseal(row: Row, key: string): void {
    try {
      this.#db
        .prepare(
          `UPDATE provider_keys SET key_sealed = ?
           WHERE provider = ? AND environment = ? AND site_id = ? AND key_sealed = ?`,
        )
        .run(
          this.#vault.seal(key, providerKeySlot(scopeOf(row))),
          row.provider,
          row.environment,
          row.site_id,
          row.key_sealed,
        );
    } catch {
      // The legacy value still opens; sealing it anew can wait.
    }
  }
}

/**
 * The slot a scope's key is sealed for. A key for every site in every
 * environment keeps the slot keys had before scopes (`provider_key:openai`),
 * so the values stored then still open.
 */
export function providerKeySlot(scope: KeyScope): VaultSlot {
  if (scope.environment === null && scope.siteId === null) return `provider_key:${scope.provider}`;
  return `provider_key:${scope.provider}/env=${scope.environment ?? EVERY}/site=${scope.siteId ?? EVERY}`;
}

/** The slot of a row of provider_keys, as its columns hold it. */
export function providerKeySlotOfRow(row: {
  provider: string;
  environment: string;
  site_id: string;
}): VaultSlot {
  return providerKeySlot(scopeOf(row));
}

/** "openai (site blog, environment prod)", "openai (every site, every environment)". */
export function describeScope(scope: KeyScope): string {
  const site = scope.siteId === null ? "every site" : `site ${scope.siteId}`;
  const environment =
    scope.environment === null ? "every environment" : `environment ${scope.environment}`;
  return `${scope.provider} (${site}, ${environment})`;
}

/** The scope as `sluice key` arguments: "openai --site blog --env prod". */
export function scopeFlags(scope: KeyScope): string {
  return [
    scope.provider,
    ...(scope.siteId === null ? [] : ["--site", scope.siteId]),
    ...(scope.environment === null ? [] : ["--env", scope.environment]),
  ].join(" ");
}

export function isScopeName(name: string): boolean {
  return SCOPE_NAME.test(name);
}

function scopeOf(row: { provider: string; environment: string; site_id: string }): KeyScope {
  return {
    provider: row.provider as ProviderId,
    environment: row.environment === EVERY ? null : row.environment,
    siteId: row.site_id === EVERY ? null : row.site_id,
  };
}

function columnsOf(scope: KeyScope): [string, string, string] {
  return [scope.provider, scope.environment ?? EVERY, scope.siteId ?? EVERY];
}

function checkScope(scope: KeyScope): void {
  for (const [what, name] of [
    ["environment", scope.environment],
    ["site id", scope.siteId],
  ] as const) {
    if (name !== null && !isScopeName(name)) {
      throw new KeyScopeError(
        `${what} "${name}" is not valid: use 1-64 lowercase letters, digits, ".", "_" or "-"`,
      );
    }
  }
}

function checkKey(key: string): string {
  const value = key.trim();
  if (value.length < 8) throw new KeyScopeError("that does not look like an API key (too short)");
  return value;
}

const DAY_MS = 86_400_000;

/** A key's age in whole days, and whether it is past the rotation policy's maximum (0: no maximum). */
export function keyAge(
  setAt: number,
  now: number,
  maxAgeDays: number,
): { days: number; overMaxAge: boolean } {
  return {
    days: Math.max(0, Math.floor((now - setAt) / DAY_MS)),
    overMaxAge: maxAgeDays > 0 && now - setAt > maxAgeDays * DAY_MS,
  };
}

/**
 * How many of the stored keys `environment` may use there are, how many are
 * older than `maxAgeDays`, the oldest's age, and how many replaced keys are
 * still in their grace period: /healthz's `provider_keys`.
 */
export function rotationHealth(
  stored: StoredKey[],
  environment: string,
  maxAgeDays: number,
  now: number = Date.now(),
) {
  const usable = stored.filter(
    (key) => key.environment === null || key.environment === environment,
  );
  const ages = usable.map((key) => keyAge(key.setAt, now, maxAgeDays));
  return {
    environment,
    max_age_days: maxAgeDays,
    stored: usable.length,
    over_max_age: ages.filter((age) => age.overMaxAge).length,
    oldest_age_days: ages.length === 0 ? null : Math.max(...ages.map((age) => age.days)),
    in_grace_period: usable.filter((key) => key.previousUntil !== null).length,
  };
}
