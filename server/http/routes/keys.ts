import type { Request, Response } from "express";
import type { ServingKey, ServingKeys } from "../../../contract/keys.ts";
import type { GatewayConfig } from "../../config.ts";
import { PROVIDER_IDS } from "../../providers/types.ts";
import { keyAge, type ProviderKeyStore } from "../../vault/provider-keys.ts";
import { context } from "../context.ts";

/**
 * GET /v1/keys: for each provider, the key this site's requests are served
 * with in this gateway's environment: an environment variable key, or the
 * stored key its scope picks (site and environment, site, environment,
 * everywhere), with when it was set and whether it is older than
 * SLUICE_KEY_MAX_AGE_DAYS; for the WordPress admin screen's rotation warning.
 * Never a key, and nothing about other sites' keys.
 */
export function keysRoute(keys: ProviderKeyStore, config: GatewayConfig) {
  return (_req: Request, res: Response): void => {
    const { siteId } = context(res);
    const now = Date.now();
    const data = PROVIDER_IDS.filter((id) => id !== "demo").flatMap((provider): ServingKey[] => {
      if (config.providers[provider].apiKey) {
        const unknownAge = { set_at: null, age_days: null, over_max_age: false };
        return [
          {
            provider,
            source: "environment_variable",
            scope: null,
            ...unknownAge,
            previous_usable_until: null,
          },
        ];
      }
      const stored = keys.serving(provider, config.environment, siteId, now);
      if (!stored) return [];
      const age = keyAge(stored.setAt, now, config.keyMaxAgeDays);
      return [
        {
          provider,
          source: "vault",
          scope: { site: stored.siteId, environment: stored.environment },
          set_at: new Date(stored.setAt).toISOString(),
          age_days: age.days,
          over_max_age: age.overMaxAge,
          previous_usable_until:
            stored.previousUntil === null ? null : new Date(stored.previousUntil).toISOString(),
        },
      ];
    });
    const body: ServingKeys = {
      object: "list",
      environment: config.environment,
      max_age_days: config.keyMaxAgeDays,
      data,
    };
    res.json(body);
  };
}
