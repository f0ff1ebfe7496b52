/**
 * GET /v1/keys (signed, for the site's admin screen): which provider key the
 * site's requests are served with in the gateway's environment, with its age;
 * never a key, nothing about other sites' keys. docs/wire-format.md, "Keys".
 */

/** One provider's key as the site is served with it. */
export interface ServingKey {
  provider: string;
  /** An environment variable of the gateway's, or a key stored in its vault. */
  source: "environment_variable" | "vault";
  /** The stored key's scope (null: every site / every environment); null for an environment variable. */
  scope: { site: string | null; environment: string | null } | null;
  /** When the stored key was set (ISO 8601); null for an environment variable. */
  set_at: string | null;
  age_days: number | null;
  /** Older than the gateway's SLUICE_KEY_MAX_AGE_DAYS: time to rotate it. */
  over_max_age: boolean;
  /** Until when the key it replaced still answers (a rotation's grace); null when none. */
  previous_usable_until: string | null;
}

export interface ServingKeys {
  object: "list";
  /** The gateway's SLUICE_ENV. */
  environment: string;
  /** SLUICE_KEY_MAX_AGE_DAYS; 0: no limit. */
  max_age_days: number;
  data: ServingKey[];
}
