import { z } from "zod";
import { isProviderId } from "../providers/types.ts";

/**
 * The committed price table (server/pricing/price-table.json), written at build time
 * by `npm run prices` (scripts/prices/). Rates are integers in µUSD per million tokens.
 */

export const PRICE_TABLE_SCHEMA_VERSION = 1;
export const PRICE_TABLE_UNIT = "micro_usd_per_million_tokens";

const rate = z.number().int().nonnegative();
const tokenLimit = z.number().int().positive();

const tableTierSchema = z
  .object({
    above_input_tokens: z.number().int().positive(),
    input: rate,
    output: rate,
    cache_read: rate.optional(),
    cache_write: rate.optional(),
    output_reasoning: rate.optional(),
  })
  .strict();

const tableModelSchema = z
  .object({
    input: rate,
    output: rate,
    cache_read: rate.optional(),
    cache_write: rate.optional(),
    output_reasoning: rate.optional(),
    max_input_tokens: tokenLimit.optional(),
    max_output_tokens: tokenLimit.optional(),
    tiers: z.array(tableTierSchema).optional(),
    /** The litellm key the prices came from (absent for built-in models). */
    litellm_key: z.string().optional(),
  })
  .strict();

const tableSourceSchema = z
  .object({
    name: z.string(),
    url: z.string(),
    license: z.string(),
    attribution: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    entries: z.number().int().nonnegative(),
    generated_at: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  })
  .strict();

/** `provider/model`, with a known provider id and a non-empty model. */
export function isModelKey(key: string): boolean {
  const slash = key.indexOf("/");
  return slash > 0 && slash < key.length - 1 && isProviderId(key.slice(0, slash));
}

export const priceTableSchema = z
  .object({
    schema_version: z.literal(PRICE_TABLE_SCHEMA_VERSION),
    unit: z.literal(PRICE_TABLE_UNIT),
    source: tableSourceSchema,
    models: z.record(
      z.string().refine(isModelKey, { message: "expected provider/model with a known provider" }),
      tableModelSchema,
    ),
  })
  .strict();

export type PriceTable = z.infer<typeof priceTableSchema>;
export type TableModel = z.infer<typeof tableModelSchema>;
export type TableTier = z.infer<typeof tableTierSchema>;
export type TableSource = z.infer<typeof tableSourceSchema>;

/** Price fields of a model or tier, in a fixed order (used by the regression gate). */
export const RATE_FIELDS = [
  "input",
  "output",
  "cache_read",
  "cache_write",
  "output_reasoning",
] as const;

export function parsePriceTable(value: unknown, origin: string): PriceTable {
  const result = priceTableSchema.safeParse(value);
  if (!result.success) {
    throw new Error(`invalid price table ${origin}:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}
