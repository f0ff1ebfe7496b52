import type { Db } from "../ledger/db.ts";
import { picoUsdToUsd } from "../pricing/money.ts";

/**
 * A spend policy layer. Caps are integer picoUSD (null: no cap at this layer);
 * `models` null means no allowlist at this layer.
 */
export interface Policy {
  dayCapPicoUsd: number | null;
  monthCapPicoUsd: number | null;
  visitorDayCapPicoUsd: number | null;
  requestCapPicoUsd: number | null;
  models: string[] | null;
  /** Fraction of a cap (0-1) past which the admin is warned. */
  softThreshold: number | null;
  /** IANA time zone of the site's days and months. */
  timezone: string | null;
}

export type PolicyLayer = "operator" | "site";

export const EMPTY_POLICY: Readonly<Policy> = Object.freeze({
  dayCapPicoUsd: null,
  monthCapPicoUsd: null,
  visitorDayCapPicoUsd: null,
  requestCapPicoUsd: null,
  models: null,
  softThreshold: null,
  timezone: null,
});

export const DEFAULT_SOFT_THRESHOLD = 0.8;

export interface EffectivePolicy extends Policy {
  softThreshold: number;
  timezone: string;
}

const CAPS = [
  "dayCapPicoUsd",
  "monthCapPicoUsd",
  "visitorDayCapPicoUsd",
  "requestCapPicoUsd",
] as const;

/**
 * The policy in force: the operator's layer, made stricter by the site's.
 * Caps take the lower value; allowlists intersect.
 */
export function combinePolicies(operator: Policy, site: Policy): EffectivePolicy {
  const effective = { ...operator } as Policy;
  for (const cap of CAPS) effective[cap] = lower(operator[cap], site[cap]);
  if (operator.models && site.models) {
    const allowed = new Set(operator.models);
    effective.models = site.models.filter((model) => allowed.has(model));
  } else {
    effective.models = site.models ?? operator.models;
  }
  return {
    ...effective,
    softThreshold: site.softThreshold ?? operator.softThreshold ?? DEFAULT_SOFT_THRESHOLD,
    timezone: site.timezone ?? operator.timezone ?? "UTC",
  };
}

/** Why a site layer is not allowed: it may only be stricter than the operator's. */
export function looserThanOperator(operator: Policy, site: Policy): string[] {
  const problems: string[] = [];
  const names: Record<(typeof CAPS)[number], string> = {
    dayCapPicoUsd: "day_usd",
    monthCapPicoUsd: "month_usd",
    visitorDayCapPicoUsd: "visitor_day_usd",
    requestCapPicoUsd: "request_usd",
  };
  for (const cap of CAPS) {
    const limit = operator[cap];
    const wanted = site[cap];
    if (limit !== null && wanted !== null && wanted > limit) {
      problems.push(`${names[cap]}: must be at most ${picoUsdToUsd(limit)} (the operator's cap)`);
    }
  }
  if (operator.models && site.models) {
    const allowed = new Set(operator.models);
    const outside = site.models.filter((model) => !allowed.has(model));
    if (outside.length > 0) {
      problems.push(`models: ${outside.join(", ")} not allowed by the operator`);
    }
  }
  return problems;
}

function lower(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

interface PolicyRow {
  day_cap_picousd: number | null;
  month_cap_picousd: number | null;
  visitor_day_cap_picousd: number | null;
  request_cap_picousd: number | null;
  models: string | null;
  soft_threshold: number | null;
  timezone: string | null;
}

/** How long an effective policy is reused; a change from another process (the CLI) takes this long. */
const EFFECTIVE_TTL_MS = 1000;

/** Both policy layers of every site, in SQLite. */
export class PolicyStore {
  readonly #select;
  readonly #upsert;
  readonly #effective = new Map<string, { policy: EffectivePolicy; until: number }>();

  constructor(db: Db) {
    this.#select = db.prepare("SELECT * FROM policies WHERE site_id = ? AND layer = ?");
    this.#upsert = db.prepare(
      `INSERT INTO policies (site_id, layer, day_cap_picousd, month_cap_picousd, visitor_day_cap_picousd,
         request_cap_picousd, models, soft_threshold, timezone, updated_at)
       VALUES (@siteId, @layer, @dayCapPicoUsd, @monthCapPicoUsd, @visitorDayCapPicoUsd,
         @requestCapPicoUsd, @models, @softThreshold, @timezone, @updatedAt)
       ON CONFLICT (site_id, layer) DO UPDATE SET
         day_cap_picousd = excluded.day_cap_picousd, month_cap_picousd = excluded.month_cap_picousd,
         visitor_day_cap_picousd = excluded.visitor_day_cap_picousd,
         request_cap_picousd = excluded.request_cap_picousd, models = excluded.models,
         soft_threshold = excluded.soft_threshold, timezone = excluded.timezone,
         updated_at = excluded.updated_at`,
    );
  }

  get(siteId: string, layer: PolicyLayer): Policy {
    const row = this.#select.get(siteId, layer) as PolicyRow | undefined;
    if (!row) return { ...EMPTY_POLICY };
    return {
      dayCapPicoUsd: row.day_cap_picousd,
      monthCapPicoUsd: row.month_cap_picousd,
      visitorDayCapPicoUsd: row.visitor_day_cap_picousd,
      requestCapPicoUsd: row.request_cap_picousd,
      models: row.models === null ? null : (JSON.parse(row.models) as string[]),
      softThreshold: row.soft_threshold,
      timezone: row.timezone,
    };
  }

  set(siteId: string, layer: PolicyLayer, policy: Policy): void {
    this.#upsert.run({
      siteId,
      layer,
      ...policy,
      models: policy.models === null ? null : JSON.stringify(policy.models),
      updatedAt: Date.now(),
    });
    this.#effective.delete(siteId);
  }

  /** The policy in force for a site (read on every request, so kept for a second). */
  effective(siteId: string, now: number = Date.now()): EffectivePolicy {
    const cached = this.#effective.get(siteId);
    if (cached && now < cached.until) return cached.policy;
    const policy = combinePolicies(this.get(siteId, "operator"), this.get(siteId, "site"));
    this.#effective.set(siteId, { policy, until: now + EFFECTIVE_TTL_MS });
    return policy;
  }
}
