import type { Request, Response } from "express";
import type { UsageReports } from "../../ledger/usage.ts";
import type { ProviderRegistry } from "../../providers/registry.ts";
import { PROVIDER_IDS } from "../../providers/types.ts";
import type { ModelCatalog } from "../../routing/catalog.ts";
import { context } from "../context.ts";
import { sendError } from "../errors.ts";

const DAY_MS = 86_400_000;
const PICO_PER_USD = 1e12;

/** GET /v1/models: the models this site may use, with prices (USD per million tokens) and limits. */
export function modelsRoute(catalog: ModelCatalog, registry: ProviderRegistry) {
  return (_req: Request, res: Response): void => {
    const configured = new Set(PROVIDER_IDS.filter((id) => registry.isConfigured(id)));
    const models = catalog.list(configured).map((info) => ({
      id: info.id,
      provider: info.provider,
      model: info.model,
      context_window: info.contextWindow,
      max_output_tokens: info.maxOutputTokens,
      input_usd_per_million: info.inputPrice / 1e6,
      output_usd_per_million: info.outputPrice / 1e6,
    }));
    res.json({ object: "list", data: models });
  };
}

/** GET /v1/usage?days=N: spend totals by day and by model for the signed site (UTC days). */
export function usageRoute(usage: UsageReports) {
  return (req: Request, res: Response): void => {
    const { siteId, requestId } = context(res);
    const raw = typeof req.query.days === "string" ? req.query.days : "30";
    const days = Number(raw);
    if (!Number.isInteger(days) || days < 1 || days > 366) {
      sendError(
        res,
        400,
        "invalid_request",
        "days: must be a whole number from 1 to 366",
        requestId,
      );
      return;
    }
    const now = new Date();
    const to = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS;
    const from = to - days * DAY_MS;
    const report = usage.report(siteId, from, to);
    const withUsd = <T extends { cost_picousd: number }>(row: T) => ({
      ...row,
      cost_usd: row.cost_picousd / PICO_PER_USD,
    });
    res.json({
      site: siteId,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      total: withUsd(report.total),
      by_day: report.by_day.map(withUsd),
      by_model: report.by_model.map(withUsd),
    });
  };
}
