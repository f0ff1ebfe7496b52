import type { ProviderId } from "../providers/types.ts";
import { loadPriceOverrides, PRICES_FILE_ENV } from "./overrides.ts";
import committedTable from "./price-table.json" with { type: "json" };
import { type PriceTable, parsePriceTable, type TableModel } from "./table.ts";
import { usdPerMillionToUnits } from "./units.ts";

/**
 * Price lookup: the committed table (server/pricing/price-table.json) plus the
 * operator's overrides (SLUICE_PRICES_FILE), loaded once. All rates are integers
 * in µUSD per million tokens (= pico-USD per token).
 */

export interface Rates {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  /** Output rate in thinking mode, where the provider prices it apart (DashScope). */
  outputReasoning?: number;
}

export interface PriceTier extends Rates {
  /** The tier applies when a request's input tokens exceed this. */
  aboveInputTokens: number;
}

export interface ModelPrice {
  /** `provider/model` */
  id: string;
  provider: ProviderId;
  model: string;
  rates: Rates;
  /** Long-context tiers, ascending by threshold. */
  tiers: readonly PriceTier[];
  maxInputTokens: number | null;
  maxOutputTokens: number | null;
  origin: "table" | "override";
}

export interface PriceBook {
  find(provider: ProviderId, model: string): ModelPrice | undefined;
  /** Every priced model, sorted by id. */
  list(): readonly ModelPrice[];
  /** The budget-protective rates billed for a model with no price. */
  readonly unpricedRates: { input: number; output: number };
}

export const UNPRICED_INPUT_ENV = "SLUICE_UNPRICED_INPUT_USD_PER_M";
export const UNPRICED_OUTPUT_ENV = "SLUICE_UNPRICED_OUTPUT_USD_PER_M";

export interface PriceBookOptions {
  /** Defaults to the committed table. */
  table?: PriceTable;
  /** Defaults to process.env (SLUICE_PRICES_FILE, SLUICE_UNPRICED_*_USD_PER_M). */
  env?: Readonly<Record<string, string | undefined>>;
}

export function readCommittedTable(): PriceTable {
  return parsePriceTable(committedTable, "server/pricing/price-table.json");
}

export function loadPriceBook(options: PriceBookOptions = {}): PriceBook {
  const table = options.table ?? readCommittedTable();
  const env = options.env ?? process.env;

  const entries = new Map<string, ModelPrice>();
  for (const [id, model] of Object.entries(table.models)) {
    entries.set(id, toModelPrice(id, model, "table"));
  }
  const overridesPath = env[PRICES_FILE_ENV];
  if (overridesPath) {
    for (const [id, model] of Object.entries(loadPriceOverrides(overridesPath))) {
      entries.set(id, toModelPrice(id, model, "override"));
    }
  }
  const sorted = [...entries.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const highest = highestTableRates(table);
  const unpricedRates = Object.freeze({
    input: unpricedRateFromEnv(env, UNPRICED_INPUT_ENV) ?? highest.input,
    output: unpricedRateFromEnv(env, UNPRICED_OUTPUT_ENV) ?? highest.output,
  });

  return {
    find: (provider, model) => entries.get(`${provider}/${model}`),
    list: () => sorted,
    unpricedRates,
  };
}

let defaultBook: PriceBook | undefined;

/** The process-wide price book, loaded on first use from the committed table and process.env. */
export function defaultPriceBook(): PriceBook {
  defaultBook ??= loadPriceBook();
  return defaultBook;
}

export function findModelPrice(provider: ProviderId, model: string): ModelPrice | undefined {
  return defaultPriceBook().find(provider, model);
}

export function listPricedModels(): readonly ModelPrice[] {
  return defaultPriceBook().list();
}

function toModelPrice(id: string, model: TableModel, origin: ModelPrice["origin"]): ModelPrice {
  const slash = id.indexOf("/");
  return {
    id,
    // Keys were validated as `provider/model` with a known provider.
    provider: id.slice(0, slash) as ProviderId,
    model: id.slice(slash + 1),
    rates: toRates(model),
    tiers: (model.tiers ?? [])
      .map((tier) => ({ aboveInputTokens: tier.above_input_tokens, ...toRates(tier) }))
      .sort((a, b) => a.aboveInputTokens - b.aboveInputTokens),
    maxInputTokens: model.max_input_tokens ?? null,
    maxOutputTokens: model.max_output_tokens ?? null,
    origin,
  };
}

function toRates(source: Omit<TableModel, "tiers">): Rates {
  const rates: Rates = { input: source.input, output: source.output };
  if (source.cache_read !== undefined) rates.cacheRead = source.cache_read;
  if (source.cache_write !== undefined) rates.cacheWrite = source.cache_write;
  if (source.output_reasoning !== undefined) rates.outputReasoning = source.output_reasoning;
  return rates;
}

/** The highest input and output rates of any model or tier in the table. */
function highestTableRates(table: PriceTable): { input: number; output: number } {
  let input = 0;
  let output = 0;
  for (const model of Object.values(table.models)) {
    for (const rates of [model, ...(model.tiers ?? [])]) {
      input = Math.max(input, rates.input);
      output = Math.max(output, rates.output, rates.output_reasoning ?? 0);
    }
  }
  if (input <= 0 || output <= 0) {
    throw new Error("price table has no positive prices to derive the unpriced tier from");
  }
  return { input, output };
}

function unpricedRateFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const usdPerMillion = Number(raw);
  if (!Number.isFinite(usdPerMillion) || usdPerMillion <= 0) {
    throw new Error(`${name} must be a price in USD per million tokens above 0, got "${raw}"`);
  }
  return usdPerMillionToUnits(usdPerMillion).units;
}
