import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildPriceTable, DEMO_MODEL_ID, findLostPrices } from "../../scripts/prices/generate.ts";
import { convertLitellm } from "../../scripts/prices/litellm.ts";
import { type PriceTable, parsePriceTable } from "../../server/pricing/table.ts";

const FIXTURE = new URL("./fixtures/litellm-mini.json", import.meta.url);
const raw: unknown = JSON.parse(readFileSync(FIXTURE, "utf8"));
const conversion = convertLitellm(raw);
const { models, report } = conversion;

describe("litellm conversion", () => {
  it("keys models Sluice-style per provider", () => {
    expect(Object.keys(models).sort()).toEqual([
      "anthropic/claude-sonnet-4-5",
      "bedrock/amazon.nova-lite-v1:0",
      "bedrock/amazon.nova-micro-v1:0",
      "bedrock/moonshotai.kimi-k2-thinking",
      "bedrock/us.amazon.nova-micro-v1:0",
      "bedrock/us.anthropic.claude-sonnet-4-6",
      "deepseek/deepseek-chat",
      "deepseek/deepseek-r1",
      "google/gemini-1.5-flash",
      "google/gemini-2.5-pro",
      "google/gemini-flash-latest",
      "google/gemini-pro-latest",
      "mistral/mistral-small-latest",
      "mistral/odd-price",
      "openai/gpt-4o-mini",
      "openai/o3-pro",
      "qwen/qwen-plus",
      "qwen/qwen3-max",
      "xai/grok-4-fast-reasoning",
    ]);
  });

  it("converts prices to integer µUSD per million tokens", () => {
    expect(models["openai/gpt-4o-mini"]).toEqual({
      input: 150000,
      output: 600000,
      cache_read: 75000,
      max_input_tokens: 128000,
      max_output_tokens: 16384,
      litellm_key: "gpt-4o-mini",
    });
    expect(models["bedrock/amazon.nova-lite-v1:0"]).toMatchObject({ input: 60000, output: 240000 });
    expect(models["bedrock/us.anthropic.claude-sonnet-4-6"]).toMatchObject({
      input: 3300000,
      output: 16500000,
      cache_write: 4125000,
    });
    expect(models["xai/grok-4-fast-reasoning"]?.max_input_tokens).toBe(2000000);
  });

  it("reports and rounds up prices that are not within float noise of a unit", () => {
    expect(models["mistral/odd-price"]?.input).toBe(333334);
    expect(report.inexact).toEqual([
      {
        key: "mistral/odd-price",
        field: "input_cost_per_token",
        usdPerToken: 3.33333333e-7,
        units: 333334,
      },
    ]);
  });

  it("reads long-context tiers from threshold fields and range tiers", () => {
    expect(models["anthropic/claude-sonnet-4-5"]?.tiers).toEqual([
      {
        above_input_tokens: 200000,
        input: 6000000,
        output: 22500000,
        cache_read: 600000,
        cache_write: 7500000,
      },
    ]);
    expect(models["google/gemini-1.5-flash"]?.tiers).toEqual([
      { above_input_tokens: 128000, input: 150000, output: 600000 },
    ]);
    expect(models["qwen/qwen3-max"]).toMatchObject({
      input: 1200000,
      output: 6000000,
      tiers: [
        { above_input_tokens: 32000, input: 2400000, output: 12000000 },
        { above_input_tokens: 128000, input: 3000000, output: 15000000 },
      ],
    });
  });

  it("keeps reasoning and DeepSeek cache-hit prices, drops zero cache prices", () => {
    expect(models["qwen/qwen-plus"]).toMatchObject({ output: 1200000, output_reasoning: 4000000 });
    expect(models["deepseek/deepseek-r1"]?.cache_read).toBe(140000);
    expect(models["deepseek/deepseek-chat"]?.cache_write).toBeUndefined();
  });

  it("prefers the canonical key form and falls back to the other", () => {
    expect(models["google/gemini-flash-latest"]).toMatchObject({
      cache_read: 75000,
      litellm_key: "gemini/gemini-flash-latest",
    });
    expect(models["google/gemini-pro-latest"]?.litellm_key).toBe("gemini-pro-latest");
    expect(models["deepseek/deepseek-chat"]?.litellm_key).toBe("deepseek/deepseek-chat");
    expect(report.conflicts.map((conflict) => conflict.dropped).sort()).toEqual([
      "deepseek-chat",
      "gemini-flash-latest",
    ]);
  });

  it("skips variants and entries without a usable token price", () => {
    expect(Object.fromEntries(report.skipped.map(({ key, reason }) => [key, reason]))).toEqual({
      "openai/container": "no per-token price",
      "gemini/gemini-exp-1206": "zero price (free or experimental)",
      "bedrock/us-east-1/amazon.nova-micro-v1:0": "region, commitment or route variant",
      "bedrock/*/1-month-commitment/cohere.command-text-v14": "region, commitment or route variant",
    });
  });
});

describe("price table", () => {
  const table = buildPriceTable(conversion, { sha256: "a".repeat(64), generatedAt: "2026-01-02" });

  it("adds the demo model priced like gpt-4o-mini", () => {
    expect(table.models[DEMO_MODEL_ID]).toEqual({
      input: 150000,
      output: 600000,
      cache_read: 75000,
      max_input_tokens: 128000,
      max_output_tokens: 4096,
    });
  });

  it("records the source and validates", () => {
    expect(table.source).toMatchObject({
      license: "MIT",
      sha256: "a".repeat(64),
      entries: Object.keys(raw as object).length,
      generated_at: "2026-01-02",
    });
    expect(parsePriceTable(table, "test")).toEqual(table);
  });

  it("lists lost models, prices and tiers for the regression gate", () => {
    const next: PriceTable = structuredClone(table);
    delete next.models["openai/o3-pro"];
    const sonnet = next.models["anthropic/claude-sonnet-4-5"];
    if (!sonnet) throw new Error("fixture lacks sonnet");
    delete sonnet.cache_write;
    delete sonnet.tiers;
    next.models["openai/gpt-4o-mini"] = { input: 1, output: 2, cache_read: 3 };
    next.models["openai/new-model"] = { input: 1, output: 2 };
    expect(findLostPrices(table, next)).toEqual([
      "anthropic/claude-sonnet-4-5: lost cache_write price",
      "anthropic/claude-sonnet-4-5: lost tier above 200000 input tokens",
      "openai/o3-pro: model removed",
    ]);
    expect(findLostPrices(table, table)).toEqual([]);
  });
});
