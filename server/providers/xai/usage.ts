import {
  tokenCount,
  toStandardUsage,
  type UsageReader,
  usageReader,
  wireUsageSchema,
} from "../openai-compatible/usage.ts";

const xaiUsageSchema = wireUsageSchema.extend({
  cost_in_usd_ticks: tokenCount.nullish(),
});

/** xAI bills in ticks of 1e-10 USD. */
const TICKS_PER_USD = 1e10;

/**
 * xAI counts reasoning outside completion_tokens: total_tokens = prompt +
 * completion + reasoning (e.g. 10120 + 1499 + 2809 = 14428), and the reasoning
 * is billed as output. So output = completion + reasoning, unless total_tokens
 * shows the reasoning already inside completion (OpenAI's convention), in
 * which case adding it would count it twice. `cost_in_usd_ticks` is xAI's own
 * bill for the request, passed on as providerCostUsd for cross-checking.
 */
export const readXaiUsage: UsageReader = usageReader(xaiUsageSchema, (wire) => {
  const standard = toStandardUsage(wire);
  const reasoning = standard.reasoningTokens;
  const reasoningInside =
    wire.total_tokens !== null &&
    wire.total_tokens !== undefined &&
    reasoning > 0 &&
    wire.total_tokens === standard.inputTokens + standard.outputTokens;
  const usage = {
    ...standard,
    outputTokens: reasoningInside ? standard.outputTokens : standard.outputTokens + reasoning,
  };
  const ticks = wire.cost_in_usd_ticks;
  return ticks === null || ticks === undefined
    ? { usage }
    : { usage, providerCostUsd: ticks / TICKS_PER_USD };
});
