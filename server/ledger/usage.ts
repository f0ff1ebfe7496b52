import { recentDays } from "../budget/periods.ts";
import { picoUsdToUsd } from "../pricing/money.ts";
import type { Db } from "./db.ts";

export interface UsageTotals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_picousd: number;
}

export interface DayUsage extends UsageTotals {
  day: string;
}

export interface ModelUsage extends UsageTotals {
  provider: string;
  model: string;
}

/** `source` null: requests that named none (the Chat block). */
export interface SourceUsage extends UsageTotals {
  source: string | null;
}

const TOTALS = `COUNT(*) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost_picousd), 0) AS cost_picousd`;

/** Spend totals for a site over a time range (unix ms), by local day and by model. */
export class UsageReports {
  readonly #byModel;
  readonly #bySource;
  readonly #total;

  constructor(db: Db) {
    const where = "WHERE site_id = @siteId AND started_at >= @from AND started_at < @to";
    this.#byModel = db.prepare(
      `SELECT provider, model, ${TOTALS} FROM requests ${where}
       GROUP BY provider, model ORDER BY cost_picousd DESC, provider, model`,
    );
    this.#bySource = db.prepare(
      `SELECT source, ${TOTALS} FROM requests ${where}
       GROUP BY source ORDER BY cost_picousd DESC, source`,
    );
    this.#total = db.prepare(`SELECT ${TOTALS} FROM requests ${where}`);
  }

  /** `days` are the local days of the site's time zone (see budget/periods.ts recentDays). */
  report(siteId: string, days: { day: string; from: number; to: number }[]) {
    const first = days[0];
    const last = days.at(-1);
    if (!first || !last) throw new Error("no days to report");
    const range = { siteId, from: first.from, to: last.to };
    return {
      total: this.#total.get(range) as UsageTotals,
      by_day: days.map(({ day, from, to }) => ({
        day,
        ...(this.#total.get({ siteId, from, to }) as UsageTotals),
      })) as DayUsage[],
      by_model: this.#byModel.all(range) as ModelUsage[],
      by_source: this.#bySource.all(range) as SourceUsage[],
    };
  }
}

/**
 * The report of GET /v1/usage and `sluice usage`: the last `dayCount` local
 * days of the site's time zone, today included, with costs in USD as well.
 */
export function usageSummary(
  usage: UsageReports,
  site: { id: string; timezone: string },
  dayCount: number,
  now: number,
) {
  const days = recentDays(now, site.timezone, dayCount);
  const report = usage.report(site.id, days);
  const withUsd = <T extends { cost_picousd: number }>(row: T) => ({
    ...row,
    cost_usd: picoUsdToUsd(row.cost_picousd),
  });
  return {
    site: site.id,
    timezone: site.timezone,
    from: new Date(days[0]?.from ?? 0).toISOString(),
    to: new Date(days.at(-1)?.to ?? 0).toISOString(),
    total: withUsd(report.total),
    by_day: report.by_day.map(withUsd),
    by_model: report.by_model.map(withUsd),
    by_source: report.by_source.map(withUsd),
  };
}
