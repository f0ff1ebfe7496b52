import { z } from "zod";
import type { TokenUsage } from "../types.ts";

/** A token count as the wire carries it. */
export const tokenCount = z.number().int().nonnegative();

/**
 * The usage object of an OpenAI-style chunk. Every field may be missing or
 * null. Providers extend it with their own fields (DeepSeek's cache hits,
 * xAI's ticks); unknown fields are dropped.
 */
export const wireUsageSchema = z.object({
  prompt_tokens: tokenCount.nullish(),
  completion_tokens: tokenCount.nullish(),
  total_tokens: tokenCount.nullish(),
  prompt_tokens_details: z
    .object({
      cached_tokens: tokenCount.nullish(),
      cache_write_tokens: tokenCount.nullish(),
    })
    .nullish(),
  completion_tokens_details: z
    .object({
      reasoning_tokens: tokenCount.nullish(),
    })
    .nullish(),
});

export type WireUsage = z.infer<typeof wireUsageSchema>;

/** What one usage object on the wire says: the full snapshot, plus the provider's own bill. */
export interface UsageReport {
  usage: TokenUsage;
  providerCostUsd?: number;
}

/** Reads a raw `usage` value; undefined when it does not have the provider's shape. */
export type UsageReader = (raw: unknown) => UsageReport | undefined;

export function usageReader<T>(
  schema: z.ZodType<T>,
  normalize: (wire: T) => UsageReport,
): UsageReader {
  return (raw) => {
    const parsed = schema.safeParse(raw);
    return parsed.success ? normalize(parsed.data) : undefined;
  };
}

/**
 * OpenAI's convention, which most compatible APIs follow: prompt_tokens
 * includes the cached tokens (prompt_tokens_details.cached_tokens is a subset)
 * and completion_tokens includes the reasoning tokens
 * (completion_tokens_details.reasoning_tokens is a subset).
 */
export function toStandardUsage(wire: WireUsage): TokenUsage {
  return {
    inputTokens: wire.prompt_tokens ?? 0,
    outputTokens: wire.completion_tokens ?? 0,
    cacheReadTokens: wire.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: wire.prompt_tokens_details?.cache_write_tokens ?? 0,
    reasoningTokens: wire.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

export const readStandardUsage: UsageReader = usageReader(wireUsageSchema, (wire) => ({
  usage: toStandardUsage(wire),
}));
