import type { TokenUsage } from "../types.ts";

/**
 * The usage fields Anthropic sends on `message_start` (message.usage) and on
 * each `message_delta` (usage). Every field may be missing or null on the wire.
 */
export interface AnthropicUsageReport {
  input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** Anthropic's own counts; `input` excludes cache writes and cache reads. */
export interface AnthropicUsageTotals {
  input: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
  thinking: number;
}

export const NO_ANTHROPIC_USAGE: Readonly<AnthropicUsageTotals> = Object.freeze({
  input: 0,
  cacheWrite: 0,
  cacheRead: 0,
  output: 0,
  thinking: 0,
});

/**
 * Folds one report into the totals. Each `message_delta` usage is cumulative,
 * so a reported field overwrites the previous value; a missing field keeps it.
 */
export function foldUsage(
  totals: Readonly<AnthropicUsageTotals>,
  report: AnthropicUsageReport | null | undefined,
): AnthropicUsageTotals {
  if (!report) return { ...totals };
  return {
    input: count(report.input_tokens) ?? totals.input,
    cacheWrite: count(report.cache_creation_input_tokens) ?? totals.cacheWrite,
    cacheRead: count(report.cache_read_input_tokens) ?? totals.cacheRead,
    output: count(report.output_tokens) ?? totals.output,
    thinking: count(report.output_tokens_details?.thinking_tokens) ?? totals.thinking,
  };
}

/** Canonical usage: input counts everything the model read, cached or not. */
export function toTokenUsage(totals: Readonly<AnthropicUsageTotals>): TokenUsage {
  return {
    inputTokens: totals.input + totals.cacheWrite + totals.cacheRead,
    outputTokens: totals.output,
    cacheReadTokens: totals.cacheRead,
    cacheWriteTokens: totals.cacheWrite,
    reasoningTokens: totals.thinking,
  };
}

function count(value: number | null | undefined): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
