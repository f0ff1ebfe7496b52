/** The pricing API the gateway uses. The generator's modules (litellm.ts, generate.ts) are build-time only. */
export {
  type AppliedRates,
  type CostResult,
  costOf,
  UNPRICED_TIER,
  worstCaseCostPicoUsd,
} from "./cost.ts";
export { PRICES_FILE_ENV, PriceOverridesError } from "./overrides.ts";
export {
  defaultPriceBook,
  findModelPrice,
  listPricedModels,
  loadPriceBook,
  type ModelPrice,
  type PriceBook,
  type PriceBookOptions,
  type PriceTier,
  type Rates,
  UNPRICED_INPUT_ENV,
  UNPRICED_OUTPUT_ENV,
} from "./prices.ts";
export { picoUsdToUsd } from "./units.ts";
