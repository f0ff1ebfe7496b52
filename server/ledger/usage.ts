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

const TOTALS = `COUNT(*) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost_picousd), 0) AS cost_picousd`;

/** Spend totals for a site over a time range (unix ms, UTC days). */
export class UsageReports {
  readonly #byDay;
  readonly #byModel;
  readonly #total;

  constructor(db: Db) {
    const where = "WHERE site_id = @siteId AND started_at >= @from AND started_at < @to";
    this.#byDay = db.prepare(
      `SELECT strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS day, ${TOTALS}
       FROM requests ${where} GROUP BY day ORDER BY day`,
    );
    this.#byModel = db.prepare(
      `SELECT provider, model, ${TOTALS} FROM requests ${where}
       GROUP BY provider, model ORDER BY cost_picousd DESC, provider, model`,
    );
    this.#total = db.prepare(`SELECT ${TOTALS} FROM requests ${where}`);
  }

  report(siteId: string, from: number, to: number) {
    const range = { siteId, from, to };
    return {
      total: this.#total.get(range) as UsageTotals,
      by_day: this.#byDay.all(range) as DayUsage[],
      by_model: this.#byModel.all(range) as ModelUsage[],
    };
  }
}
