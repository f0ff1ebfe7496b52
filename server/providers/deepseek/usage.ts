import {
  tokenCount,
  toStandardUsage,
  type UsageReader,
  usageReader,
  wireUsageSchema,
} from "../openai-compatible/usage.ts";

const deepseekUsageSchema = wireUsageSchema.extend({
  prompt_cache_hit_tokens: tokenCount.nullish(),
  prompt_cache_miss_tokens: tokenCount.nullish(),
});

/**
 * DeepSeek reports its context cache as prompt_cache_hit_tokens +
 * prompt_cache_miss_tokens = prompt_tokens; newer responses also carry
 * prompt_tokens_details.cached_tokens (the same number), older ones do not.
 * Reasoning tokens (deepseek-reasoner) are inside completion_tokens.
 */
export const readDeepseekUsage: UsageReader = usageReader(deepseekUsageSchema, (wire) => {
  const standard = toStandardUsage(wire);
  const hits = wire.prompt_cache_hit_tokens;
  const misses = wire.prompt_cache_miss_tokens;
  return {
    usage: {
      ...standard,
      inputTokens: wire.prompt_tokens ?? (hits ?? 0) + (misses ?? 0),
      cacheReadTokens: hits ?? standard.cacheReadTokens,
    },
  };
});
