import type { PriceBook } from "../pricing/prices.ts";
import { isProviderId, type ProviderId } from "../providers/types.ts";

/** What routing needs to know of a model: limits and base prices (µUSD per million tokens). */
export interface ModelInfo {
  /** `provider/model` */
  id: string;
  provider: ProviderId;
  model: string;
  contextWindow: number;
  maxOutputTokens: number;
  inputPrice: number;
  outputPrice: number;
  /** false: no known price; billed at the protective tier. */
  priced: boolean;
}

/** Limits assumed for a model the price list does not know (an operator's Hugging Face model). */
const UNKNOWN_CONTEXT_WINDOW = 32_768;
const UNKNOWN_MAX_OUTPUT = 4_096;

/** One cheap, capable model per provider: the default candidates for "auto". */
const AUTO_DEFAULTS = [
  "openai/gpt-4o-mini",
  "anthropic/claude-haiku-4-5",
  "google/gemini-2.5-flash",
  "bedrock/us.amazon.nova-micro-v1:0",
  "deepseek/deepseek-chat",
  "xai/grok-3-mini",
  "mistral/mistral-small-latest",
  "qwen/qwen-turbo",
  "demo/sluice-demo",
];

export class ModelCatalog {
  readonly #prices: PriceBook;

  constructor(prices: PriceBook) {
    this.#prices = prices;
  }

  /**
   * The model named `provider/model`. A model of a known provider that has no
   * price is still routable (new models appear before price lists catch up),
   * but it is flagged unpriced and billed at the protective tier.
   */
  find(id: string): ModelInfo | undefined {
    const slash = id.indexOf("/");
    const provider = id.slice(0, slash);
    const model = id.slice(slash + 1);
    if (slash < 1 || model.length === 0 || !isProviderId(provider)) return undefined;
    const price = this.#prices.find(provider, model);
    if (!price) {
      if (provider === "demo") return undefined;
      return {
        id,
        provider,
        model,
        contextWindow: UNKNOWN_CONTEXT_WINDOW,
        maxOutputTokens: UNKNOWN_MAX_OUTPUT,
        inputPrice: this.#prices.unpricedRates.input,
        outputPrice: this.#prices.unpricedRates.output,
        priced: false,
      };
    }
    const maxOutputTokens = price.maxOutputTokens ?? UNKNOWN_MAX_OUTPUT;
    return {
      id,
      provider,
      model,
      contextWindow: price.maxInputTokens ?? Math.max(UNKNOWN_CONTEXT_WINDOW, maxOutputTokens),
      maxOutputTokens,
      inputPrice: price.rates.input,
      outputPrice: price.rates.output,
      priced: true,
    };
  }

  /** Every priced model of the given providers. */
  list(providers: ReadonlySet<ProviderId>): ModelInfo[] {
    return this.#prices
      .list()
      .filter((price) => providers.has(price.provider))
      .map((price) => this.find(price.id))
      .filter((info): info is ModelInfo => info !== undefined);
  }

  defaults(): string[] {
    return AUTO_DEFAULTS;
  }
}
