import { isProviderId, ZERO_USAGE } from "./providers/types.ts";
import type { Services } from "./services.ts";

/**
 * At start-up, before serving: rows a crash left open are billed for what
 * they had consumed by their last checkpoint (input counted at the start,
 * output as checkpointed), marked "interrupted", and their reservations are
 * settled, so the caps are right again.
 */
export function recoverInterrupted(services: Services, now: number = Date.now()): number {
  const rows = services.ledger.openRows(now);
  for (const row of rows) {
    const usage = { ...ZERO_USAGE, inputTokens: row.inputTokens, outputTokens: row.outputTokens };
    const quote = isProviderId(row.provider)
      ? services.chat.price(row.provider, row.model, usage)
      : { costPicoUsd: 0, priced: false };
    services.settleNow(row.id, {
      status: "interrupted",
      provider: row.provider,
      model: row.model,
      usage,
      usageSource: "estimated",
      costPicoUsd: quote.costPicoUsd,
      priced: quote.priced,
      providerCostPicoUsd: undefined,
      finishReason: "interrupted",
      errorCode: "gateway_restarted",
      errorMessage:
        "the gateway stopped before the request finished; billed from its last checkpoint",
      latencyMs: Math.max(0, now - row.startedAt),
      ttfcMs: null,
      finishedAt: now,
    });
  }
  return rows.length;
}
