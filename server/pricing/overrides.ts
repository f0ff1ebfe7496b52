import { readFileSync } from "node:fs";
import { z } from "zod";
import { isModelKey, type TableModel } from "./table.ts";
import { usdPerMillionToUnits } from "./units.ts";

/**
 * Operator price overrides: a JSON file named by SLUICE_PRICES_FILE, for models
 * litellm does not price (Hugging Face) or to correct a price. Prices are USD per
 * million tokens, as providers publish them:
 *
 *   {
 *     "huggingface/meta-llama/Llama-3.1-8B-Instruct": {
 *       "input_usd_per_million": 0.2,
 *       "output_usd_per_million": 0.6
 *     }
 *   }
 *
 * An override replaces the whole table entry for that model (tiers included).
 */

export const PRICES_FILE_ENV = "SLUICE_PRICES_FILE";

const usdPerMillion = z.number().finite().nonnegative();
const tokenLimit = z.number().int().positive();

const priceOverrideSchema = z.strictObject({
  input_usd_per_million: usdPerMillion,
  output_usd_per_million: usdPerMillion,
  cache_read_usd_per_million: usdPerMillion.optional(),
  cache_write_usd_per_million: usdPerMillion.optional(),
  /** Output rate when the response reports reasoning (thinking mode), if it differs. */
  output_reasoning_usd_per_million: usdPerMillion.optional(),
  max_input_tokens: tokenLimit.optional(),
  max_output_tokens: tokenLimit.optional(),
});

export const priceOverridesFileSchema = z.record(z.string(), priceOverrideSchema);

export type PriceOverride = z.infer<typeof priceOverrideSchema>;

export class PriceOverridesError extends Error {
  override readonly name = "PriceOverridesError";
}

/** Reads and validates an overrides file; returns table entries keyed `provider/model`. */
export function loadPriceOverrides(path: string): Record<string, TableModel> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PriceOverridesError(
      `${PRICES_FILE_ENV}=${path}: cannot read file (${String(error)})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PriceOverridesError(`${PRICES_FILE_ENV}=${path}: not valid JSON (${String(error)})`);
  }
  const parsed = priceOverridesFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new PriceOverridesError(
      `${PRICES_FILE_ENV}=${path}: invalid price overrides\n${z.prettifyError(parsed.error)}`,
    );
  }
  const badKeys = Object.keys(parsed.data).filter((key) => !isModelKey(key));
  if (badKeys.length > 0) {
    throw new PriceOverridesError(
      `${PRICES_FILE_ENV}=${path}: ${badKeys.map((key) => JSON.stringify(key)).join(", ")} ` +
        "must be provider/model with a known provider, e.g. huggingface/org/model",
    );
  }
  const models: Record<string, TableModel> = {};
  for (const [key, override] of Object.entries(parsed.data)) {
    models[key] = overrideToTableModel(override);
  }
  return models;
}

function overrideToTableModel(override: PriceOverride): TableModel {
  const units = (usd: number) => usdPerMillionToUnits(usd).units;
  const model: TableModel = {
    input: units(override.input_usd_per_million),
    output: units(override.output_usd_per_million),
  };
  if (override.cache_read_usd_per_million !== undefined) {
    model.cache_read = units(override.cache_read_usd_per_million);
  }
  if (override.cache_write_usd_per_million !== undefined) {
    model.cache_write = units(override.cache_write_usd_per_million);
  }
  if (override.output_reasoning_usd_per_million !== undefined) {
    model.output_reasoning = units(override.output_reasoning_usd_per_million);
  }
  if (override.max_input_tokens !== undefined) model.max_input_tokens = override.max_input_tokens;
  if (override.max_output_tokens !== undefined)
    model.max_output_tokens = override.max_output_tokens;
  return model;
}
