/**
 * Schema history. Append only: a released migration is never edited.
 * Money is integer picoUSD (1e-12 USD); times are unix milliseconds.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    secret_sealed TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    secret_rotated_at INTEGER NOT NULL
  );

  CREATE TABLE nonces (
    site_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, nonce)
  ) WITHOUT ROWID;
  CREATE INDEX nonces_expiry ON nonces (expires_at);

  CREATE TABLE provider_keys (
    provider TEXT PRIMARY KEY,
    key_sealed TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    visitor TEXT,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    requested_model TEXT NOT NULL,
    streamed INTEGER NOT NULL,
    status TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    usage_source TEXT,
    cost_picousd INTEGER NOT NULL DEFAULT 0,
    priced INTEGER NOT NULL DEFAULT 1,
    provider_cost_picousd INTEGER,
    finish_reason TEXT,
    error_code TEXT,
    latency_ms INTEGER,
    ttfc_ms INTEGER,
    started_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX requests_site_time ON requests (site_id, started_at);
  `,
  `
  CREATE TABLE policies (
    site_id TEXT NOT NULL,
    layer TEXT NOT NULL CHECK (layer IN ('operator', 'site')),
    day_cap_picousd INTEGER,
    month_cap_picousd INTEGER,
    visitor_day_cap_picousd INTEGER,
    request_cap_picousd INTEGER,
    models TEXT,
    soft_threshold REAL,
    timezone TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, layer)
  ) WITHOUT ROWID;

  CREATE TABLE spend_counters (
    site_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    period TEXT NOT NULL,
    settled_picousd INTEGER NOT NULL DEFAULT 0,
    reserved_picousd INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, scope, period)
  ) WITHOUT ROWID;

  CREATE TABLE reservations (
    request_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    day TEXT NOT NULL,
    month TEXT NOT NULL,
    visitor_period TEXT,
    amount_picousd INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX reservations_expiry ON reservations (expires_at);

  ALTER TABLE requests ADD COLUMN reserved_picousd INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE requests ADD COLUMN degraded_from TEXT;
  ALTER TABLE requests ADD COLUMN max_tokens INTEGER;
  `,
  // Budget: spend counters keyed by their window in absolute time, '<endMs>-<startMs>'
  // (15 digits each; '<visitor>|<endMs>-<startMs>' per visitor), not by local date. The old
  // counters wait in legacy_spend_counters until budget/legacy-counters.ts moves them.
  // budget_charges: what each settled request was charged, and where, so that a second
  // settlement of the same request is charged only the difference.
  `
  ALTER TABLE spend_counters RENAME TO legacy_spend_counters;
  CREATE TABLE spend_counters (
    site_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    period TEXT NOT NULL,
    settled_picousd INTEGER NOT NULL DEFAULT 0,
    reserved_picousd INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, scope, period)
  ) WITHOUT ROWID;

  CREATE TABLE budget_charges (
    request_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    day TEXT NOT NULL,
    month TEXT NOT NULL,
    visitor_period TEXT,
    settled_picousd INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX budget_charges_age ON budget_charges (created_at);
  `,
  // What went wrong, in the provider's or the gateway's words: for the admin's request list only
  // (clients get a code and a fixed sentence).
  `
  ALTER TABLE requests ADD COLUMN error_message TEXT;
  `,
  // Direct mode: the origins whose pages may read a site's direct chats across origins (CORS).
  `
  CREATE TABLE site_origins (
    site_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    PRIMARY KEY (site_id, origin)
  ) WITHOUT ROWID;
  CREATE INDEX site_origins_origin ON site_origins (origin);
  `,
  // Vault: a provider key is stored per scope, environment (SLUICE_ENV) × site × provider, '*'
  // meaning every environment or every site; set_at is when it was set (the rotation policy's
  // age), previous_sealed the key it replaced, usable until previous_until (a rotation's grace).
  // The keys stored so far serve every environment and every site. vault_kek names the KEK
  // every data key is sealed under (its id, an HMAC, never the key), written in the same
  // transaction as a KEK rotation's re-wrap.
  `
  CREATE TABLE scoped_provider_keys (
    provider TEXT NOT NULL,
    environment TEXT NOT NULL,
    site_id TEXT NOT NULL,
    key_sealed TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    previous_sealed TEXT,
    previous_until INTEGER,
    PRIMARY KEY (provider, environment, site_id)
  ) WITHOUT ROWID;
  INSERT INTO scoped_provider_keys (provider, environment, site_id, key_sealed, set_at)
    SELECT provider, '*', '*', key_sealed, updated_at FROM provider_keys;
  DROP TABLE provider_keys;
  ALTER TABLE scoped_provider_keys RENAME TO provider_keys;

  CREATE TABLE vault_kek (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kek_id TEXT NOT NULL,
    since INTEGER NOT NULL
  );
  `,
  // Audit: the tamper-evident log of security events (ledger/audit.ts). Each row's MAC is an
  // HMAC, under a key derived from the KEK named by kek_id, of its content and of prev_mac, the
  // MAC of the row before it. audit_keys keeps the audit key of each retired KEK, sealed by the
  // vault like any secret (a KEK rotation re-wraps it), so rows written before it still verify.
  `
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    prev_mac TEXT NOT NULL,
    mac TEXT NOT NULL
  );
  CREATE INDEX audit_log_at ON audit_log (at);

  CREATE TABLE audit_keys (
    kek_id TEXT PRIMARY KEY,
    key_sealed TEXT NOT NULL,
    retired_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // Who asked: the WordPress plugin (or theme) whose AI Client prompt this was, e.g.
  // "plugin:my-seo-helper"; null for the Chat block and for clients that name none. Rows that
  // record a call another provider answered (POST /v1/external-usage) carry one too.
  `
  ALTER TABLE requests ADD COLUMN source TEXT;
  `,
  // The key of SLUICE_HASH_METADATA's keyed hashes (visitor ids, error texts), sealed by the
  // vault like any secret; one row, made on first use (ledger/metadata-privacy.ts).
  `
  CREATE TABLE metadata_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_sealed TEXT NOT NULL
  );
  `,
  // A rotated site secret may stay valid a while (`sluice site rotate-secret --grace-s`), so
  // that the site keeps working until its admin has the new one in place.
  `
  ALTER TABLE sites ADD COLUMN previous_secret_sealed TEXT;
  ALTER TABLE sites ADD COLUMN previous_secret_until INTEGER;
  `,
  // Transcripts (opt-in per Chat block, off by default): the question and the answer as streamed,
  // per request, for the site's admin; visitor as the requests table keeps it (hashed with
  // SLUICE_HASH_METADATA). transcript_settings: each site's retention, purged on a timer.
  `
  CREATE TABLE transcripts (
    request_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    visitor TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX transcripts_conversation ON transcripts (site_id, conversation_id, created_at);
  CREATE INDEX transcripts_visitor ON transcripts (site_id, visitor);
  CREATE INDEX transcripts_age ON transcripts (created_at);

  CREATE TABLE transcript_settings (
    site_id TEXT PRIMARY KEY,
    retention_days INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];
