import type { UsageFinalEvent } from "../../contract/events.ts";
import type { BudgetChoice } from "../budget/choose.ts";
import type { SettledRequest } from "../ledger/requests.ts";
import { picoUsdToUsd, usdToPicoUsd } from "../pricing/money.ts";
import type { ProviderId, TokenUsage } from "../providers/types.ts";
import { ZERO_USAGE } from "../providers/types.ts";
import type { OpenedRoute } from "../routing/dialer.ts";
import type { ChatSink } from "./events.ts";
import type { Tally } from "./relay.ts";
import { settleUsage } from "./usage.ts";

export interface PriceQuote {
  costPicoUsd: number;
  priced: boolean;
}

export interface SettleDeps {
  price: (provider: ProviderId, model: string, usage: TokenUsage) => PriceQuote;
  /** Settles the ledger row and the budget reservation in one transaction. */
  settle: (requestId: string, outcome: SettledRequest) => Promise<void>;
  /** Feeds a finished call's outcome back into the route scores. */
  observe: (targetId: string, outcome: { ttfcMs?: number; failed: boolean }) => void;
}

export interface SettleInput {
  requestId: string;
  inputEstimate: number;
  latencyMs: number;
  finishedAt: number;
}

/**
 * Bills a chat from its tally, whatever happened: the ledger row and the
 * reservation are settled (usage reported, or estimated when the stream ended
 * early, never zero), then the client gets usage_final. A chat whose call
 * never opened bills nothing and sends nothing (its answer is an HTTP error).
 */
export async function settleChat(
  deps: SettleDeps,
  input: SettleInput,
  choice: BudgetChoice,
  route: OpenedRoute | undefined,
  tally: Tally,
  sink: ChatSink,
): Promise<void> {
  const opened = route?.target.info ?? choice.target.info;
  const { usage, source } = route
    ? settleUsage({
        reported: tally.reported,
        completed: tally.status === "ok",
        text: tally.text,
        inputEstimate: input.inputEstimate,
      })
    : { usage: { ...ZERO_USAGE }, source: "none" as const };
  const quote = route
    ? deps.price(opened.provider, opened.model, usage)
    : { costPicoUsd: 0, priced: true };
  const providerCostPicoUsd =
    tally.providerCostUsd === undefined ? undefined : usdToPicoUsd(tally.providerCostUsd);
  await deps.settle(input.requestId, {
    status: tally.status,
    provider: opened.provider,
    model: opened.model,
    usage,
    usageSource: source,
    costPicoUsd: quote.costPicoUsd,
    priced: quote.priced,
    providerCostPicoUsd,
    finishReason: tally.finishReason,
    errorCode: tally.errorCode,
    errorMessage: tally.errorMessage,
    latencyMs: input.latencyMs,
    ttfcMs: tally.ttfcMs,
    finishedAt: input.finishedAt,
  });
  if (!route) return;
  deps.observe(opened.id, {
    failed: tally.status === "error",
    ...(tally.ttfcMs === null ? {} : { ttfcMs: tally.ttfcMs }),
  });
  const final: UsageFinalEvent = {
    type: "usage_final",
    request_id: input.requestId,
    provider: opened.provider,
    model: opened.model,
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_tokens: usage.cacheReadTokens,
    cache_write_tokens: usage.cacheWriteTokens,
    reasoning_tokens: usage.reasoningTokens,
    cost_usd: picoUsdToUsd(quote.costPicoUsd),
    cost_picousd: quote.costPicoUsd,
    priced: quote.priced,
    usage_source: source,
    finish_reason: tally.finishReason,
    latency_ms: input.latencyMs,
    ttfc_ms: tally.ttfcMs,
  };
  if (tally.providerCostUsd !== undefined) final.provider_cost_usd = tally.providerCostUsd;
  await sink.finish(final);
}
