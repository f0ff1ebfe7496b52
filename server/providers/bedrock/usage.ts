import type { TokenUsage as BedrockTokenUsage } from "@aws-sdk/client-bedrock-runtime";
import type { TokenUsage } from "../types.ts";

/**
 * Canonical usage from a ConverseStream `metadata` event.
 *
 * Bedrock's `inputTokens` counts only the input that was neither read from
 * nor written to the prompt cache; `cacheReadInputTokens` and
 * `cacheWriteInputTokens` come on top, and `totalTokens` is the sum of all
 * four. The canonical input is therefore input + cache read + cache write.
 * `totalTokens` doubles as a check: should a model ever report cache tokens
 * inside `inputTokens` (total = input + output), they are not added twice.
 * Bedrock does not split reasoning out of `outputTokens`.
 */
export function toTokenUsage(usage: BedrockTokenUsage): TokenUsage {
  const input = count(usage.inputTokens);
  const output = count(usage.outputTokens);
  const cacheRead = count(usage.cacheReadInputTokens);
  const cacheWrite = count(usage.cacheWriteInputTokens);
  const cached = cacheRead + cacheWrite;
  const cacheAlreadyInInput =
    cached > 0 && usage.totalTokens !== undefined && usage.totalTokens === input + output;
  return {
    inputTokens: cacheAlreadyInInput ? input : input + cached,
    outputTokens: output,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: 0,
  };
}

function count(value: number | undefined): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0;
}
