import {
  toStandardUsage,
  type UsageReader,
  usageReader,
  wireUsageSchema,
} from "../openai-compatible/usage.ts";

/**
 * Gemini's OpenAI-compatible endpoint sends usage on every chunk, cumulative
 * (replace, never add), whether or not include_usage was asked for.
 *
 * Thinking tokens: its completion_tokens counts the answer only (Gemini's
 * candidatesTokenCount) and no completion_tokens_details comes with it, but
 * total_tokens is prompt + answer + thoughts (totalTokenCount), and thoughts
 * are billed as output. So the thinking tokens are what total_tokens has
 * beyond prompt + completion; e.g. gemini-2.5-flash reported completion 21,
 * prompt 72, total 171: 78 thinking tokens. Should completion_tokens_details
 * .reasoning_tokens appear, it is taken as the reasoning count, and the
 * difference still decides what completion_tokens left out, so the same
 * tokens are never counted twice.
 */
export const readGeminiUsage: UsageReader = usageReader(wireUsageSchema, (wire) => {
  const standard = toStandardUsage(wire);
  const total = wire.total_tokens ?? 0;
  const outsideCompletion = Math.max(0, total - standard.inputTokens - standard.outputTokens);
  return {
    usage: {
      ...standard,
      outputTokens: standard.outputTokens + outsideCompletion,
      reasoningTokens: wire.completion_tokens_details?.reasoning_tokens ?? outsideCompletion,
    },
  };
});
