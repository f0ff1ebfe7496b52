import { isProviderId, type ProviderId, type TokenUsage } from "../providers/types.ts";
import { defaultPriceBook, type ModelPrice, type PriceBook, type PriceTier } from "./prices.ts";

export { picoUsdToUsd } from "./money.ts";

/**
 * What one request costs, in integer pico-USD (1e-12 USD). A rate in µUSD per
 * million tokens is pico-USD per token, so tokens × rate is exact.
 *
 * - uncached input (inputTokens − cacheReadTokens − cacheWriteTokens) at the input rate;
 *   cache reads and cache writes at their own rates, or the input rate if none;
 * - outputTokens (reasoning included) at the output rate; in thinking mode (reasoning
 *   reported) at the model's reasoning rate where it has one (DashScope);
 * - a long-context tier applies to every token of a request whose inputTokens exceed
 *   its threshold;
 * - a model with no price is billed at the budget-protective unpriced rates.
 */

export const UNPRICED_TIER = "unpriced";

/** The rates (µUSD per million tokens) a cost was computed with, fallbacks resolved. */
export interface AppliedRates {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

export interface CostResult {
  costPicoUsd: number;
  /** False when the model has no price and was billed at the unpriced rates. */
  priced: boolean;
  /** `above_<n>_input_tokens` for a long-context tier, `unpriced`, or null for base rates. */
  tier: string | null;
  ratesUsed: AppliedRates;
}

export function costOf(
  provider: ProviderId,
  model: string,
  usage: TokenUsage,
  book: PriceBook = defaultPriceBook(),
): CostResult {
  const inputTokens = tokenCount(usage.inputTokens);
  const cacheReadTokens = tokenCount(usage.cacheReadTokens);
  const cacheWriteTokens = tokenCount(usage.cacheWriteTokens);
  const outputTokens = tokenCount(usage.outputTokens);
  const thinking = tokenCount(usage.reasoningTokens) > 0;
  const uncachedTokens = Math.max(0, inputTokens - cacheReadTokens - cacheWriteTokens);

  const selection = selectRates(book, provider, model, inputTokens, thinking);
  const { ratesUsed } = selection;
  const costPicoUsd = safeTotal(
    uncachedTokens * ratesUsed.input +
      cacheReadTokens * ratesUsed.cacheRead +
      cacheWriteTokens * ratesUsed.cacheWrite +
      outputTokens * ratesUsed.output,
  );
  return { costPicoUsd, ...selection };
}

/** A worst-case price function, bound to a price book: what admission reserves and the planner ranks by. */
export type WorstCase = (
  provider: ProviderId,
  model: string,
  inputTokens: number,
  maxTokens: number,
) => number;

/**
 * The most a request can cost before it runs, for reservations: every input token
 * at the higher of the input and cache-write rates, the full output budget at the
 * higher of the output and reasoning rates.
 */
export function worstCaseCostPicoUsd(
  provider: ProviderId,
  model: string,
  inputTokens: number,
  maxOutputTokens: number,
  book: PriceBook = defaultPriceBook(),
): number {
  const input = tokenCount(inputTokens);
  const plain = selectRates(book, provider, model, input, false).ratesUsed;
  const thinking = selectRates(book, provider, model, input, true).ratesUsed;
  const inputRate = Math.max(plain.input, plain.cacheWrite);
  return safeTotal(
    input * inputRate + tokenCount(maxOutputTokens) * Math.max(plain.output, thinking.output),
  );
}

function selectRates(
  book: PriceBook,
  provider: ProviderId,
  model: string,
  inputTokens: number,
  thinking: boolean,
): Omit<CostResult, "costPicoUsd"> {
  const price = book.find(provider, model);
  if (!price) {
    const { input, output } = book.unpricedRates;
    return {
      priced: false,
      tier: UNPRICED_TIER,
      ratesUsed: { input, cacheRead: input, cacheWrite: input, output },
    };
  }
  const tier = selectTier(price, inputTokens);
  const rates = tier ?? price.rates;
  return {
    priced: true,
    tier: tier ? `above_${tier.aboveInputTokens}_input_tokens` : null,
    ratesUsed: {
      input: rates.input,
      cacheRead: rates.cacheRead ?? rates.input,
      cacheWrite: rates.cacheWrite ?? rates.input,
      output: thinking ? (rates.outputReasoning ?? rates.output) : rates.output,
    },
  };
}

/** The highest tier whose threshold the request's input exceeds, if any. */
function selectTier(price: ModelPrice, inputTokens: number): PriceTier | undefined {
  let selected: PriceTier | undefined;
  for (const tier of price.tiers) {
    if (inputTokens > tier.aboveInputTokens) selected = tier;
  }
  return selected;
}

/** Token counts from adapters are trusted to be integers; anything odd is made safe. */
function tokenCount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}

function safeTotal(picoUsd: number): number {
  if (!Number.isSafeInteger(picoUsd)) {
    throw new RangeError(`cost of ${picoUsd} pico-USD is beyond exact integer range`);
  }
  return picoUsd;
}

/**
 * The cost of a call another AI Client provider answered (POST /v1/external-usage):
 * the price table's list price when the provider is one of the gateway's and the
 * model is priced, else the protective unpriced rates, as for any unpriced model.
 */
export function listCostOf(
  provider: string,
  model: string,
  usage: TokenUsage,
  book: PriceBook = defaultPriceBook(),
): CostResult {
  if (isProviderId(provider)) return costOf(provider, model, usage, book);
  const { input, output } = book.unpricedRates;
  return {
    costPicoUsd: safeTotal(
      tokenCount(usage.inputTokens) * input + tokenCount(usage.outputTokens) * output,
    ),
    priced: false,
    tier: UNPRICED_TIER,
    ratesUsed: { input, cacheRead: input, cacheWrite: input, output },
  };
}
