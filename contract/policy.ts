/**
 * The spend policy as JSON: the gateway's GET/PUT /v1/policy, and the plugin's
 * /wp-json/sluice/v1/policy that relays it to the admin screen
 * (docs/wordpress-contract.md). Amounts are US dollars.
 */

/** One layer of the policy (the operator's, the site's, or the two combined); null: nothing at this layer. */
export interface PolicyJson {
  day_usd: number | null;
  month_usd: number | null;
  visitor_day_usd: number | null;
  request_usd: number | null;
  models: string[] | null;
  soft_threshold: number | null;
  timezone: string | null;
}

/** Spend of one period (today, this month) against its cap. */
export interface CapStatus {
  period: string;
  settled_usd: number;
  reserved_usd: number;
  cap_usd: number | null;
  /** Share of the cap used (settled + reserved), null without a cap. */
  used_fraction: number | null;
  /** Past the soft threshold: the admin screen shows a warning. */
  warning: boolean;
  resets_at: string;
}

/** The gateway's answer to GET and PUT /v1/policy. */
export interface PolicySnapshot {
  site: string;
  operator: PolicyJson;
  site_policy: PolicyJson;
  /** The operator's layer made stricter by the site's. */
  effective: PolicyJson;
  spend: { today: CapStatus; month: CapStatus };
}

/** The plugin's GET/POST /wp-json/sluice/v1/policy: the gateway's snapshot and WordPress's time zone. */
export interface PolicyReport extends PolicySnapshot {
  /** WordPress's time zone as an IANA name (null for a fractional UTC offset). */
  wordpress_timezone: string | null;
}
