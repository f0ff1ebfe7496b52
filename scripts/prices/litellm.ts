import { z } from "zod";
import type { TableModel, TableTier } from "../../server/pricing/table.ts";
import { usdPerTokenToUnits } from "../../server/pricing/units.ts";
import type { ProviderId } from "../../server/providers/types.ts";

/**
 * Reads litellm's model_prices_and_context_window.json (USD per token, floats)
 * into Sluice table entries (µUSD per million tokens, integers).
 * Build-time only (`npm run prices`); the gateway reads the committed table.
 */

interface ProviderMapping {
  provider: ProviderId;
  /** The litellm key prefix this provider's keys may carry. */
  prefix: string;
  /** Whether the canonical litellm key carries the prefix (`gemini/x`) or is bare (`x`). */
  canonicalIsPrefixed: boolean;
}

/** litellm_provider → Sluice provider, with the litellm key shape (docs/pricing.md, key table). */
export const LITELLM_PROVIDERS: Readonly<Record<string, ProviderMapping>> = {
  openai: { provider: "openai", prefix: "openai/", canonicalIsPrefixed: false },
  anthropic: { provider: "anthropic", prefix: "anthropic/", canonicalIsPrefixed: false },
  bedrock: { provider: "bedrock", prefix: "bedrock/", canonicalIsPrefixed: false },
  bedrock_converse: { provider: "bedrock", prefix: "bedrock/", canonicalIsPrefixed: false },
  gemini: { provider: "google", prefix: "gemini/", canonicalIsPrefixed: true },
  deepseek: { provider: "deepseek", prefix: "deepseek/", canonicalIsPrefixed: true },
  xai: { provider: "xai", prefix: "xai/", canonicalIsPrefixed: true },
  mistral: { provider: "mistral", prefix: "mistral/", canonicalIsPrefixed: true },
  dashscope: { provider: "qwen", prefix: "dashscope/", canonicalIsPrefixed: true },
};

const CHAT_MODES = new Set(["chat", "responses"]);

const usdPerToken = z.number().finite().nonnegative();

const rangeTierSchema = z.looseObject({
  range: z.array(z.number()).min(1),
  input_cost_per_token: usdPerToken.optional(),
  output_cost_per_token: usdPerToken.optional(),
  cache_read_input_token_cost: usdPerToken.optional(),
  cache_creation_input_token_cost: usdPerToken.optional(),
  output_cost_per_reasoning_token: usdPerToken.optional(),
});

const entryHeadSchema = z.looseObject({
  litellm_provider: z.string(),
  mode: z.string().optional(),
});

const entrySchema = entryHeadSchema.extend({
  input_cost_per_token: usdPerToken.optional(),
  output_cost_per_token: usdPerToken.optional(),
  cache_read_input_token_cost: usdPerToken.optional(),
  cache_creation_input_token_cost: usdPerToken.optional(),
  output_cost_per_reasoning_token: usdPerToken.optional(),
  /** DeepSeek's name for the cache-read price on some entries. */
  input_cost_per_token_cache_hit: usdPerToken.optional(),
  max_input_tokens: z.number().optional(),
  max_output_tokens: z.number().optional(),
  tiered_pricing: z.array(rangeTierSchema).optional(),
});

type LitellmEntry = z.infer<typeof entrySchema>;
type RangeTier = z.infer<typeof rangeTierSchema>;

/** Long-context fields such as `input_cost_per_token_above_200k_tokens`. */
const THRESHOLD_FIELD =
  /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost|output_cost_per_reasoning_token)_above_(\d+)k_tokens$/;

const LITELLM_TO_RATE = {
  input_cost_per_token: "input",
  output_cost_per_token: "output",
  cache_read_input_token_cost: "cache_read",
  cache_creation_input_token_cost: "cache_write",
  output_cost_per_reasoning_token: "output_reasoning",
} as const;

type RateField = (typeof LITELLM_TO_RATE)[keyof typeof LITELLM_TO_RATE];
type UsdRates = Partial<Record<RateField, number>>;

export interface InexactPrice {
  key: string;
  field: string;
  usdPerToken: number;
  /** What the price was rounded up to, in µUSD per million tokens. */
  units: number;
}

export interface ConversionReport {
  /** Top-level entries in the file (sample_spec included). */
  entries: number;
  /** Chat/responses entries of the mapped providers. */
  considered: number;
  skipped: { key: string; reason: string }[];
  /** Two litellm keys mapped to one Sluice id; the canonical key form wins. */
  conflicts: { id: string; kept: string; dropped: string; samePrices: boolean }[];
  /** Per-token prices in the whole file checked for exact conversion. */
  checkedPrices: number;
  inexact: InexactPrice[];
}

export interface LitellmConversion {
  models: Record<string, TableModel>;
  report: ConversionReport;
}

interface Candidate {
  id: string;
  key: string;
  canonical: boolean;
  model: TableModel;
}

export function convertLitellm(raw: unknown): LitellmConversion {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new Error("litellm price file: expected a JSON object of model entries");
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  const report: ConversionReport = {
    entries: entries.length,
    considered: 0,
    skipped: [],
    conflicts: [],
    checkedPrices: 0,
    inexact: [],
  };
  checkExactness(entries, report);

  const chosen = new Map<string, Candidate>();
  for (const [key, value] of entries) {
    if (key === "sample_spec") continue;
    const head = entryHeadSchema.safeParse(value);
    if (!head.success) continue;
    const mapping = LITELLM_PROVIDERS[head.data.litellm_provider];
    if (!mapping || !CHAT_MODES.has(head.data.mode ?? "")) continue;
    report.considered += 1;
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) {
      report.skipped.push({ key, reason: `invalid entry: ${z.prettifyError(parsed.error)}` });
      continue;
    }
    const entry = parsed.data;

    const hasPrefix = key.startsWith(mapping.prefix);
    const model = hasPrefix ? key.slice(mapping.prefix.length) : key;
    if (model.length === 0 || model.includes("/")) {
      report.skipped.push({ key, reason: "region, commitment or route variant" });
      continue;
    }
    const built = buildModel(key, entry);
    if (typeof built === "string") {
      report.skipped.push({ key, reason: built });
      continue;
    }
    const candidate: Candidate = {
      id: `${mapping.provider}/${model}`,
      key,
      canonical: hasPrefix === mapping.canonicalIsPrefixed,
      model: built,
    };
    const previous = chosen.get(candidate.id);
    if (!previous) {
      chosen.set(candidate.id, candidate);
      continue;
    }
    const [kept, dropped] =
      candidate.canonical && !previous.canonical ? [candidate, previous] : [previous, candidate];
    chosen.set(kept.id, kept);
    report.conflicts.push({
      id: kept.id,
      kept: kept.key,
      dropped: dropped.key,
      samePrices: samePrices(kept.model, dropped.model),
    });
  }

  const models: Record<string, TableModel> = {};
  for (const id of [...chosen.keys()].sort()) {
    const candidate = chosen.get(id);
    if (candidate) models[id] = candidate.model;
  }
  return { models, report };
}

/** Returns the table entry, or the reason the entry has no usable token price. */
function buildModel(key: string, entry: LitellmEntry): TableModel | string {
  const base: UsdRates = {
    input: entry.input_cost_per_token,
    output: entry.output_cost_per_token,
    cache_read: entry.cache_read_input_token_cost ?? entry.input_cost_per_token_cache_hit,
    cache_write: entry.cache_creation_input_token_cost,
    output_reasoning: entry.output_cost_per_reasoning_token,
  };
  const tiers = new Map<number, UsdRates>();
  for (const rangeTier of entry.tiered_pricing ?? []) {
    const start = rangeTier.range[0] ?? 0;
    const rates = rangeTierRates(rangeTier);
    if (start <= 0) {
      for (const field of Object.keys(rates) as RateField[]) base[field] ??= rates[field];
    } else {
      tiers.set(start, { ...tiers.get(start), ...rates });
    }
  }
  for (const [field, value] of Object.entries(entry)) {
    const match = THRESHOLD_FIELD.exec(field);
    if (!match || typeof value !== "number" || !Number.isFinite(value) || value < 0) continue;
    const rateField = LITELLM_TO_RATE[match[1] as keyof typeof LITELLM_TO_RATE];
    const threshold = Number(match[2]) * 1000;
    tiers.set(threshold, { ...tiers.get(threshold), [rateField]: value });
  }

  if (base.input === undefined || base.output === undefined) return "no per-token price";
  if (base.input === 0 && base.output === 0) return "zero price (free or experimental)";
  const baseInput = base.input;
  const baseOutput = base.output;

  const model: TableModel = {
    ...toUnits({ ...base, input: base.input, output: base.output }),
    litellm_key: key,
  };
  const maxInput = positiveInteger(entry.max_input_tokens);
  const maxOutput = positiveInteger(entry.max_output_tokens);
  if (maxInput !== undefined) model.max_input_tokens = maxInput;
  if (maxOutput !== undefined) model.max_output_tokens = maxOutput;

  const tableTiers: TableTier[] = [...tiers.entries()]
    .sort(([a], [b]) => a - b)
    .map(([threshold, rates]) => ({
      above_input_tokens: threshold,
      ...toUnits({ ...rates, input: rates.input ?? baseInput, output: rates.output ?? baseOutput }),
    }));
  if (tableTiers.length > 0) model.tiers = tableTiers;
  return model;
}

function rangeTierRates(tier: RangeTier): UsdRates {
  const rates: UsdRates = {};
  for (const [litellmField, rateField] of Object.entries(LITELLM_TO_RATE)) {
    const value = tier[litellmField as keyof typeof LITELLM_TO_RATE];
    if (value !== undefined) rates[rateField] = value;
  }
  return rates;
}

type TableRates = Omit<TableTier, "above_input_tokens">;

function toUnits(rates: UsdRates & { input: number; output: number }): TableRates {
  const units: TableRates = {
    input: usdPerTokenToUnits(rates.input).units,
    output: usdPerTokenToUnits(rates.output).units,
  };
  // litellm writes 0 where a provider has no separate price (DeepSeek cache writes);
  // leaving it out bills those tokens at the input or output rate instead of for free.
  for (const field of ["cache_read", "cache_write", "output_reasoning"] as const) {
    const value = rates[field];
    if (value !== undefined && value > 0) units[field] = usdPerTokenToUnits(value).units;
  }
  return units;
}

function positiveInteger(value: number | undefined): number | undefined {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

function samePrices(a: TableModel, b: TableModel): boolean {
  const strip = ({ litellm_key: _key, ...rest }: TableModel) => JSON.stringify(rest);
  return strip(a) === strip(b);
}

/** Every per-token price in the file (all providers) must be an integer unit up to float noise. */
function checkExactness(entries: [string, unknown][], report: ConversionReport): void {
  const check = (key: string, prices: unknown, prefix: string) => {
    if (prices === null || typeof prices !== "object") return;
    for (const [field, value] of Object.entries(prices)) {
      if (typeof value !== "number" || !field.includes("token") || !field.includes("cost"))
        continue;
      if (!Number.isFinite(value) || value < 0) continue;
      report.checkedPrices += 1;
      const { units, exact } = usdPerTokenToUnits(value);
      if (!exact) report.inexact.push({ key, field: prefix + field, usdPerToken: value, units });
    }
  };
  for (const [key, value] of entries) {
    if (key === "sample_spec") continue;
    check(key, value, "");
    const tiers = (value as { tiered_pricing?: unknown } | null)?.tiered_pricing;
    if (!Array.isArray(tiers)) continue;
    for (const [index, tier] of tiers.entries()) check(key, tier, `tiered_pricing[${index}].`);
  }
}
