import { describe, expect, it } from "vitest";
import {
  costOf,
  picoUsdToUsd,
  UNPRICED_TIER,
  worstCaseCostPicoUsd,
} from "../../server/pricing/cost.ts";
import { loadPriceBook } from "../../server/pricing/prices.ts";
import type { PriceTable } from "../../server/pricing/table.ts";
import type { TokenUsage } from "../../server/providers/types.ts";

/** A small table with the shapes that matter; rates in µUSD per million tokens. */
const TABLE: PriceTable = {
  schema_version: 1,
  unit: "micro_usd_per_million_tokens",
  source: {
    name: "test",
    url: "test",
    license: "MIT",
    attribution: "test",
    sha256: "0".repeat(64),
    entries: 0,
    generated_at: "2026-01-01",
  },
  models: {
    "openai/gpt-4o-mini": { input: 150000, output: 600000, cache_read: 75000 },
    "anthropic/claude-sonnet-4-5": {
      input: 3000000,
      output: 15000000,
      cache_read: 300000,
      cache_write: 3750000,
      tiers: [
        {
          above_input_tokens: 200000,
          input: 6000000,
          output: 22500000,
          cache_read: 600000,
          cache_write: 7500000,
        },
      ],
    },
    "xai/grok-4": { input: 3000000, output: 15000000, cache_read: 750000 },
    "qwen/qwen-plus": { input: 400000, output: 1200000, output_reasoning: 4000000 },
    "google/gemini-1.5-flash": {
      input: 75000,
      output: 300000,
      cache_read: 18750,
      tiers: [{ above_input_tokens: 128000, input: 150000, output: 600000 }],
    },
    "mistral/big": { input: 2000000, output: 6000000 },
  },
};

const book = loadPriceBook({ table: TABLE, env: {} });

function usage(parts: Partial<TokenUsage>): TokenUsage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    ...parts,
  };
}

describe("costOf", () => {
  it("prices 15 input + 1 output tokens of gpt-4o-mini at exactly 2.85e-6 USD (committed table)", () => {
    const result = costOf("openai", "gpt-4o-mini", usage({ inputTokens: 15, outputTokens: 1 }));
    expect(result).toMatchObject({ costPicoUsd: 2850000, priced: true, tier: null });
    expect(picoUsdToUsd(result.costPicoUsd)).toBe(2.85e-6);
  });

  it("bills OpenAI cached tokens at the cache price", () => {
    const result = costOf(
      "openai",
      "gpt-4o-mini",
      usage({ inputTokens: 1000, cacheReadTokens: 800, outputTokens: 10 }),
      book,
    );
    // 200 × 150000 + 800 × 75000 + 10 × 600000
    expect(result.costPicoUsd).toBe(30_000_000 + 60_000_000 + 6_000_000);
    expect(result.ratesUsed).toEqual({
      input: 150000,
      cacheRead: 75000,
      cacheWrite: 150000,
      output: 600000,
    });
  });

  it("bills Anthropic cache writes and reads at their own prices", () => {
    const result = costOf(
      "anthropic",
      "claude-sonnet-4-5",
      usage({ inputTokens: 3000, cacheWriteTokens: 2000, cacheReadTokens: 900, outputTokens: 50 }),
      book,
    );
    // 100 uncached × 3000000 + 2000 × 3750000 + 900 × 300000 + 50 × 15000000
    expect(result.costPicoUsd).toBe(300_000_000 + 7_500_000_000 + 270_000_000 + 750_000_000);
  });

  it("bills xAI reasoning as output (outputTokens already include it)", () => {
    const result = costOf(
      "xai",
      "grok-4",
      usage({ inputTokens: 10, outputTokens: 120, reasoningTokens: 100 }),
      book,
    );
    expect(result.costPicoUsd).toBe(10 * 3000000 + 120 * 15000000);
    expect(result.ratesUsed.output).toBe(15000000);
  });

  it("bills thinking-mode output at a separate reasoning rate where the model has one", () => {
    const plain = costOf("qwen", "qwen-plus", usage({ inputTokens: 10, outputTokens: 100 }), book);
    const thinking = costOf(
      "qwen",
      "qwen-plus",
      usage({ inputTokens: 10, outputTokens: 100, reasoningTokens: 60 }),
      book,
    );
    expect(plain.costPicoUsd).toBe(10 * 400000 + 100 * 1200000);
    expect(thinking.costPicoUsd).toBe(10 * 400000 + 100 * 4000000);
  });

  it("selects the long-context tier above 200k input tokens and bills every token at it", () => {
    const at = costOf(
      "anthropic",
      "claude-sonnet-4-5",
      usage({ inputTokens: 200000, outputTokens: 1 }),
      book,
    );
    expect(at.tier).toBeNull();
    expect(at.costPicoUsd).toBe(200000 * 3000000 + 15000000);

    const above = costOf(
      "anthropic",
      "claude-sonnet-4-5",
      usage({
        inputTokens: 200001,
        cacheReadTokens: 100000,
        cacheWriteTokens: 1,
        outputTokens: 10,
      }),
      book,
    );
    expect(above.tier).toBe("above_200000_input_tokens");
    expect(above.costPicoUsd).toBe(
      100000 * 6000000 + 100000 * 600000 + 1 * 7500000 + 10 * 22500000,
    );
  });

  it("falls back to the tier's input rate for cache reads a tier does not price", () => {
    const result = costOf(
      "google",
      "gemini-1.5-flash",
      usage({ inputTokens: 130000, cacheReadTokens: 100000 }),
      book,
    );
    expect(result.tier).toBe("above_128000_input_tokens");
    expect(result.ratesUsed.cacheRead).toBe(150000);
    expect(result.costPicoUsd).toBe(130000 * 150000);
  });

  it("bills an unknown model at the protective tier and flags it", () => {
    const result = costOf(
      "huggingface",
      "meta-llama/Llama-3.1-8B-Instruct",
      usage({ inputTokens: 10, outputTokens: 2 }),
      book,
    );
    expect(result.priced).toBe(false);
    expect(result.tier).toBe(UNPRICED_TIER);
    // highest input (claude tier 6000000) and output (claude tier 22500000) in the table
    expect(result.ratesUsed).toEqual({
      input: 6000000,
      cacheRead: 6000000,
      cacheWrite: 6000000,
      output: 22500000,
    });
    expect(result.costPicoUsd).toBe(10 * 6000000 + 2 * 22500000);
  });

  it("takes the protective tier from the environment, and refuses a zero one", () => {
    const custom = loadPriceBook({
      table: TABLE,
      env: { SLUICE_UNPRICED_INPUT_USD_PER_M: "50", SLUICE_UNPRICED_OUTPUT_USD_PER_M: "200" },
    });
    expect(custom.unpricedRates).toEqual({ input: 50_000_000, output: 200_000_000 });
    expect(() =>
      loadPriceBook({ table: TABLE, env: { SLUICE_UNPRICED_INPUT_USD_PER_M: "0" } }),
    ).toThrow(/SLUICE_UNPRICED_INPUT_USD_PER_M/);
  });

  it("derives the default protective tier from the committed table, never $0", () => {
    const result = costOf(
      "huggingface",
      "some/unknown-model",
      usage({ inputTokens: 1, outputTokens: 1 }),
    );
    expect(result.priced).toBe(false);
    expect(result.ratesUsed.input).toBeGreaterThanOrEqual(15_000_000);
    expect(result.ratesUsed.output).toBeGreaterThanOrEqual(75_000_000);
  });

  it("never goes negative on inconsistent usage", () => {
    const result = costOf(
      "openai",
      "gpt-4o-mini",
      usage({ inputTokens: 5, cacheReadTokens: 10, outputTokens: -3, reasoningTokens: -1 }),
      book,
    );
    expect(result.costPicoUsd).toBe(10 * 75000);
    expect(costOf("openai", "gpt-4o-mini", usage({}), book).costPicoUsd).toBe(0);
  });
});

describe("worstCaseCostPicoUsd", () => {
  it("assumes full output and the dearest input and output rates", () => {
    expect(worstCaseCostPicoUsd("openai", "gpt-4o-mini", 15, 100, book)).toBe(
      15 * 150000 + 100 * 600000,
    );
    expect(worstCaseCostPicoUsd("anthropic", "claude-sonnet-4-5", 1000, 10, book)).toBe(
      1000 * 3750000 + 10 * 15000000,
    );
    expect(worstCaseCostPicoUsd("qwen", "qwen-plus", 10, 10, book)).toBe(
      10 * 400000 + 10 * 4000000,
    );
    expect(worstCaseCostPicoUsd("mistral", "big", 300000, 0, book)).toBe(300000 * 2000000);
  });

  it("uses the long-context tier when the input exceeds it", () => {
    expect(worstCaseCostPicoUsd("anthropic", "claude-sonnet-4-5", 250000, 0, book)).toBe(
      250000 * 7500000,
    );
  });
});
