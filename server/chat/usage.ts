import type { UsageSource } from "../ledger/requests.ts";
import type { TokenUsage } from "../providers/types.ts";
import { ZERO_USAGE } from "../providers/types.ts";
import { countTextTokens } from "../tokens/count.ts";

/**
 * The usage to bill once a stream is over. A completed stream bills what the
 * provider reported. A stream that ended early (abort, cut, error) may never
 * have received the provider's final count: its output is estimated from the
 * text that was produced, with a real tokenizer, and never assumed zero.
 */
export function settleUsage(options: {
  reported: TokenUsage | undefined;
  completed: boolean;
  text: string;
  inputEstimate: number;
}): { usage: TokenUsage; source: UsageSource } {
  const { reported, completed, text, inputEstimate } = options;
  if (reported && completed) return { usage: reported, source: "reported" };
  const outputEstimate = countTextTokens(text);
  if (!reported) {
    return {
      usage: { ...ZERO_USAGE, inputTokens: inputEstimate, outputTokens: outputEstimate },
      source: "estimated",
    };
  }
  const inputTokens = reported.inputTokens > 0 ? reported.inputTokens : inputEstimate;
  const outputTokens = Math.max(reported.outputTokens, outputEstimate);
  const estimated = inputTokens !== reported.inputTokens || outputTokens !== reported.outputTokens;
  return {
    usage: { ...reported, inputTokens, outputTokens },
    source: estimated ? "estimated" : "reported",
  };
}
