import type { Request, Response } from "express";
import type { PolicyStore } from "../../budget/policy.ts";
import { type UsageReports, usageSummary } from "../../ledger/usage.ts";
import { rateToUsdPerMillion } from "../../pricing/money.ts";
import type { ProviderRegistry } from "../../providers/registry.ts";
import { PROVIDER_IDS } from "../../providers/types.ts";
import type { ModelCatalog } from "../../routing/catalog.ts";
import { context } from "../context.ts";
import { sendError } from "../errors.ts";

/**
 * GET /v1/models: the models this site may use (providers with a key its
 * scope allows, within its allowlist), with prices in USD per million tokens and limits.
 * `?all=1` lists the whole catalogue of configured providers with an
 * `allowed` flag, for the admin screen's allowlist picker.
 */
export function modelsRoute(
  catalog: ModelCatalog,
  registry: ProviderRegistry,
  policies: PolicyStore,
) {
  return (req: Request, res: Response): void => {
    const { siteId } = context(res);
    const allowlist = policies.effective(siteId).models;
    const allowed = (id: string) => allowlist === null || allowlist.includes(id);
    const configured = new Set(PROVIDER_IDS.filter((id) => registry.isConfigured(id, siteId)));
    const all = req.query.all === "1";
    const models = catalog
      .list(configured)
      .filter((info) => all || allowed(info.id))
      .map((info) => ({
        id: info.id,
        provider: info.provider,
        model: info.model,
        context_window: info.contextWindow,
        max_output_tokens: info.maxOutputTokens,
        input_usd_per_million: rateToUsdPerMillion(info.inputPrice),
        output_usd_per_million: rateToUsdPerMillion(info.outputPrice),
        ...(all ? { allowed: allowed(info.id) } : {}),
      }));
    res.json({ object: "list", data: models });
  };
}

/** GET /v1/usage?days=N: spend totals by local day (the site's time zone) and by model. */
export function usageRoute(usage: UsageReports, policies: PolicyStore) {
  return (req: Request, res: Response): void => {
    const { siteId, requestId } = context(res);
    const raw = typeof req.query.days === "string" ? req.query.days : "30";
    const count = Number(raw);
    if (!Number.isInteger(count) || count < 1 || count > 366) {
      sendError(
        res,
        400,
        "invalid_request",
        "days: must be a whole number from 1 to 366",
        requestId,
      );
      return;
    }
    const { timezone } = policies.effective(siteId);
    res.json(usageSummary(usage, { id: siteId, timezone }, count, Date.now()));
  };
}
