import { describe, expect, it } from "vitest";
import {
  findModelPrice,
  listPricedModels,
  readCommittedTable,
} from "../../server/pricing/prices.ts";
import type { ProviderId } from "../../server/providers/types.ts";

describe("committed price table", () => {
  const table = readCommittedTable();

  it("credits litellm and records the snapshot it came from", () => {
    expect(table.source.license).toBe("MIT");
    expect(table.source.url).toContain("BerriAI/litellm");
    expect(table.source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[ProviderId, string]>([
    ["openai", "gpt-4o-mini"],
    ["anthropic", "claude-sonnet-4-5"],
    ["google", "gemini-2.5-flash"],
    ["bedrock", "us.amazon.nova-micro-v1:0"],
    ["deepseek", "deepseek-chat"],
    ["xai", "grok-4"],
    ["mistral", "mistral-small-latest"],
    ["qwen", "qwen-plus"],
    ["demo", "sluice-demo"],
  ])("prices %s/%s", (provider, model) => {
    const price = findModelPrice(provider, model);
    expect(price).toBeDefined();
    expect(price?.rates.input).toBeGreaterThan(0);
    expect(price?.rates.output).toBeGreaterThan(0);
  });

  it("has gpt-4o-mini at $0.15/$0.60 per million tokens and the demo model priced alike", () => {
    expect(findModelPrice("openai", "gpt-4o-mini")?.rates).toMatchObject({
      input: 150000,
      output: 600000,
    });
    expect(findModelPrice("demo", "sluice-demo")).toMatchObject({
      rates: { input: 150000, output: 600000 },
      maxInputTokens: 128000,
      maxOutputTokens: 4096,
    });
  });

  it("has long-context tiers where providers bill them", () => {
    expect(findModelPrice("anthropic", "claude-sonnet-4-5")?.tiers[0]?.aboveInputTokens).toBe(
      200000,
    );
    expect(findModelPrice("google", "gemini-2.5-pro")?.tiers[0]?.aboveInputTokens).toBe(200000);
  });

  it("lists every model with a positive price, sorted", () => {
    const models = listPricedModels();
    expect(models.length).toBe(Object.keys(table.models).length);
    const ids = models.map((price) => price.id);
    expect(ids).toEqual([...ids].sort());
    for (const price of models) expect(price.rates.input + price.rates.output).toBeGreaterThan(0);
  });
});
