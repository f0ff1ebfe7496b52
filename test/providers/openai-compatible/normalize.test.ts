import { describe, expect, it } from "vitest";
import { readDeepseekUsage } from "../../../server/providers/deepseek/usage.ts";
import { readGoogleErrorBody } from "../../../server/providers/google/errors.ts";
import { readGeminiUsage } from "../../../server/providers/google/usage.ts";
import { toHuggingfaceFinishReason } from "../../../server/providers/huggingface/finish.ts";
import { mistralDeltaText } from "../../../server/providers/mistral/content.ts";
import { toStandardFinishReason } from "../../../server/providers/openai-compatible/finish.ts";
import { readStandardUsage } from "../../../server/providers/openai-compatible/usage.ts";
import { readXaiUsage } from "../../../server/providers/xai/usage.ts";

describe("usage normalization", () => {
  it("xai: reasoning outside completion is added to output; ticks become USD", () => {
    // A real grok usage block: 10120 + 1499 + 2809 = 14428, billed 232856000 ticks.
    const report = readXaiUsage({
      prompt_tokens: 10120,
      completion_tokens: 1499,
      total_tokens: 14428,
      prompt_tokens_details: { cached_tokens: 128 },
      completion_tokens_details: { reasoning_tokens: 2809 },
      cost_in_usd_ticks: 232856000,
    });
    expect(report?.usage).toEqual({
      inputTokens: 10120,
      outputTokens: 4308,
      cacheReadTokens: 128,
      cacheWriteTokens: 0,
      reasoningTokens: 2809,
    });
    expect(report?.providerCostUsd).toBeCloseTo(0.0232856, 12);
  });

  it("xai: if total_tokens shows reasoning inside completion, it is not added twice", () => {
    const report = readXaiUsage({
      prompt_tokens: 100,
      completion_tokens: 300,
      total_tokens: 400,
      completion_tokens_details: { reasoning_tokens: 250 },
    });
    expect(report?.usage.outputTokens).toBe(300);
    expect(report?.usage.reasoningTokens).toBe(250);
    expect(report?.providerCostUsd).toBeUndefined();
  });

  it("google: thinking tokens recovered from total_tokens when nothing else says so", () => {
    // gemini-2.5-flash, recorded: completion 21, prompt 72, total 171.
    const report = readGeminiUsage({ completion_tokens: 21, prompt_tokens: 72, total_tokens: 171 });
    expect(report?.usage).toMatchObject({ inputTokens: 72, outputTokens: 99, reasoningTokens: 78 });
  });

  it("google: reported reasoning inside completion is not counted twice", () => {
    const report = readGeminiUsage({
      prompt_tokens: 10,
      completion_tokens: 120,
      total_tokens: 130,
      completion_tokens_details: { reasoning_tokens: 100 },
      prompt_tokens_details: { cached_tokens: 4 },
    });
    expect(report?.usage).toEqual({
      inputTokens: 10,
      outputTokens: 120,
      cacheReadTokens: 4,
      cacheWriteTokens: 0,
      reasoningTokens: 100,
    });
  });

  it("deepseek: cache hits win; input falls back to hits + misses", () => {
    expect(
      readDeepseekUsage({
        completion_tokens: 3,
        prompt_cache_hit_tokens: 80,
        prompt_cache_miss_tokens: 20,
      })?.usage,
    ).toMatchObject({ inputTokens: 100, cacheReadTokens: 80, outputTokens: 3 });
    expect(
      readDeepseekUsage({
        prompt_tokens: 50,
        completion_tokens: 1,
        prompt_tokens_details: { cached_tokens: 32 },
      })?.usage.cacheReadTokens,
    ).toBe(32);
  });

  it("standard: cache writes when reported; nulls everywhere are zeros", () => {
    expect(
      readStandardUsage({
        prompt_tokens: 2000,
        completion_tokens: 10,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 1900 },
      })?.usage.cacheWriteTokens,
    ).toBe(1900);
    expect(
      readStandardUsage({
        prompt_tokens: null,
        completion_tokens: null,
        prompt_tokens_details: null,
        completion_tokens_details: null,
      })?.usage,
    ).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
  });

  it("a usage value of the wrong shape is not read", () => {
    expect(readStandardUsage("12 tokens")).toBeUndefined();
    expect(readStandardUsage({ prompt_tokens: -1 })).toBeUndefined();
    expect(readXaiUsage({ prompt_tokens: 1, cost_in_usd_ticks: "many" })).toBeUndefined();
  });
});

describe("finish reasons", () => {
  it("OpenAI's four pass through; anything else is other", () => {
    expect(toStandardFinishReason("stop")).toBe("stop");
    expect(toStandardFinishReason("length")).toBe("length");
    expect(toStandardFinishReason("content_filter")).toBe("content_filter");
    expect(toStandardFinishReason("tool_calls")).toBe("tool_calls");
    expect(toStandardFinishReason("function_call")).toBe("other");
    expect(toStandardFinishReason("eos_token")).toBe("other");
  });

  it("huggingface: TGI's eos_token and stop_sequence are stop", () => {
    expect(toHuggingfaceFinishReason("eos_token")).toBe("stop");
    expect(toHuggingfaceFinishReason("stop_sequence")).toBe("stop");
    expect(toHuggingfaceFinishReason("length")).toBe("length");
    expect(toHuggingfaceFinishReason("weird")).toBe("other");
  });
});

describe("mistral content parts", () => {
  it("keeps text parts, drops thinking and unknown parts", () => {
    expect(
      mistralDeltaText([
        { type: "thinking", thinking: [{ type: "text", text: "hmm" }] },
        { type: "text", text: "A" },
        { type: "image_url", image_url: "x" },
        { type: "text", text: "B" },
      ]),
    ).toBe("AB");
    expect(mistralDeltaText("plain")).toBe("plain");
    expect(mistralDeltaText(null)).toBe("");
  });
});

describe("google error bodies", () => {
  it("reads RetryInfo durations with fractions", () => {
    expect(
      readGoogleErrorBody({
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "0.5s" }],
      }),
    ).toEqual({ retryAfterMs: 500 });
  });

  it("says nothing about bodies it does not know", () => {
    expect(readGoogleErrorBody(undefined)).toEqual({});
    expect(readGoogleErrorBody("Quota exceeded")).toEqual({});
    expect(readGoogleErrorBody({ details: [{ retryDelay: "soon" }] })).toEqual({});
  });
});
