import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FinishReason, TokenUsage } from "../../../server/providers/types.ts";
import { adapterFor, run } from "./harness.ts";
import { startWireServer, type WireServer } from "./server.ts";
import type { WireProvider } from "./wire-profiles.ts";

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

interface StreamCase {
  provider: WireProvider;
  fixture: string;
  text: string;
  usage: TokenUsage;
  providerCostUsd?: number;
  usageEvents: number;
  finish: [FinishReason, string];
}

const cases: StreamCase[] = [
  {
    provider: "openai",
    fixture: "openai-gpt-4o-mini",
    text: "Hello from Sluice.",
    // The usage-only chunk (choices: []) after the finish chunk; cached tokens are inside prompt_tokens.
    usage: {
      inputTokens: 1180,
      outputTokens: 5,
      cacheReadTokens: 1024,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    usageEvents: 1,
    finish: ["stop", "stop"],
  },
  {
    provider: "openai",
    fixture: "openai-gpt-5-mini",
    text: "Spend caps keep",
    // OpenAI's reasoning tokens are inside completion_tokens: output stays 200.
    usage: {
      inputTokens: 42,
      outputTokens: 200,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 197,
    },
    usageEvents: 1,
    finish: ["length", "length"],
  },
  {
    provider: "google",
    fixture: "google-gemini-2.5-flash",
    text: "Sluice streams answers word by word.",
    // Cumulative on every chunk; thinking = total 109 - prompt 12 - completion 9 = 88, billed as output.
    usage: {
      inputTokens: 12,
      outputTokens: 97,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 88,
    },
    usageEvents: 3,
    finish: ["stop", "stop"],
  },
  {
    provider: "google",
    fixture: "google-gemini-3-flash-preview",
    text: "1, ",
    // max_tokens 100 = 3 answer + 97 thinking tokens; the last chunk carries only a thought signature.
    usage: {
      inputTokens: 9,
      outputTokens: 100,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 97,
    },
    usageEvents: 3,
    finish: ["length", "length"],
  },
  {
    provider: "deepseek",
    fixture: "deepseek-chat",
    text: "Cache hits are cheaper.",
    // Usage on the finish chunk; cache reads from prompt_cache_hit_tokens (no prompt_tokens_details).
    usage: {
      inputTokens: 2006,
      outputTokens: 5,
      cacheReadTokens: 1920,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    usageEvents: 1,
    finish: ["stop", "stop"],
  },
  {
    provider: "deepseek",
    fixture: "deepseek-reasoner",
    // reasoning_content is not answer text.
    text: "Hello! How can I help?",
    usage: {
      inputTokens: 6,
      outputTokens: 92,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 81,
    },
    usageEvents: 1,
    finish: ["stop", "stop"],
  },
  {
    provider: "xai",
    fixture: "xai-grok-3-mini",
    text: "Grok thinks before it answers.",
    // Reasoning is outside completion_tokens: output = 8 + 301.
    usage: {
      inputTokens: 32,
      outputTokens: 309,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 301,
    },
    providerCostUsd: 0.0001641,
    usageEvents: 6,
    finish: ["stop", "stop"],
  },
  {
    provider: "mistral",
    fixture: "mistral-small",
    text: "Bonjour depuis Paris.",
    // Usage on the chunk that carries finish_reason.
    usage: {
      inputTokens: 14,
      outputTokens: 7,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    usageEvents: 1,
    finish: ["stop", "stop"],
  },
  {
    provider: "mistral",
    fixture: "mistral-magistral",
    // Thinking parts are skipped; text parts and plain strings are the answer.
    text: "Hello! Ready.",
    usage: {
      inputTokens: 10,
      outputTokens: 48,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    usageEvents: 1,
    finish: ["stop", "stop"],
  },
  {
    provider: "qwen",
    fixture: "qwen-max",
    text: "我是来自阿里云的超大规模语言模型，我叫通义千问。",
    usage: {
      inputTokens: 22,
      outputTokens: 17,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    usageEvents: 1,
    finish: ["stop", "stop"],
  },
  {
    provider: "qwen",
    fixture: "qwen-plus-thinking",
    text: "你好！我是通义千问。",
    usage: {
      inputTokens: 1290,
      outputTokens: 131,
      cacheReadTokens: 1152,
      cacheWriteTokens: 0,
      reasoningTokens: 124,
    },
    usageEvents: 1,
    finish: ["stop", "stop"],
  },
  {
    provider: "huggingface",
    fixture: "huggingface-router",
    text: "Routed through the hub.",
    usage: {
      inputTokens: 38,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    usageEvents: 1,
    finish: ["stop", "stop"],
  },
  {
    provider: "huggingface",
    fixture: "huggingface-tgi-legacy",
    // Old TGI: `eos_token` means stop, and the stream ends without [DONE].
    text: "Open weights everywhere.",
    usage: {
      inputTokens: 41,
      outputTokens: 4,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    usageEvents: 1,
    finish: ["stop", "eos_token"],
  },
];

describe("recorded streams through the real SDK", () => {
  it.each(cases)("$provider: $fixture", async (streamCase) => {
    server.script({ kind: "stream", provider: streamCase.provider, fixture: streamCase.fixture });
    const result = await run(adapterFor(server, streamCase.provider));

    expect(result.error).toBeUndefined();
    expect(result.text).toBe(streamCase.text);
    expect(result.usage).toEqual(streamCase.usage);
    expect(result.events.filter((event) => event.type === "usage")).toHaveLength(
      streamCase.usageEvents,
    );
    if (streamCase.providerCostUsd === undefined) {
      expect(result.providerCostUsd).toBeUndefined();
    } else {
      expect(result.providerCostUsd).toBeCloseTo(streamCase.providerCostUsd, 12);
    }
    const [reason, rawReason] = streamCase.finish;
    expect(result.finish).toEqual({ type: "finish", reason, rawReason });
    // finish is the last event, after the usage that follows the finish chunk.
    expect(result.events.at(-1)?.type).toBe("finish");
    // No empty text deltas (role chunks, finish chunks carry "").
    expect(
      result.events.filter((event) => event.type === "text-delta" && event.text === ""),
    ).toEqual([]);
  });

  it("keeps the text deltas in order, one per content chunk", async () => {
    server.script({ kind: "stream", provider: "openai", fixture: "openai-gpt-4o-mini" });
    const result = await run(adapterFor(server, "openai"));
    expect(result.events.map((event) => event.type)).toEqual([
      "text-delta",
      "text-delta",
      "text-delta",
      "text-delta",
      "usage",
      "finish",
    ]);
    expect(result.events.filter((event) => event.type === "text-delta")).toEqual([
      { type: "text-delta", text: "Hello" },
      { type: "text-delta", text: " from" },
      { type: "text-delta", text: " Sluice" },
      { type: "text-delta", text: "." },
    ]);
  });

  it("google: each cumulative usage replaces the last, never adds to it", async () => {
    server.script({ kind: "stream", provider: "google", fixture: "google-gemini-2.5-flash" });
    const result = await run(adapterFor(server, "google"));
    const outputs = result.events.flatMap((event) =>
      event.type === "usage" ? [event.usage.outputTokens] : [],
    );
    // completion + thinking so far: 2 + 88, 5 + 88, 9 + 88.
    expect(outputs).toEqual([90, 93, 97]);
  });
});
