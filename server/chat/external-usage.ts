import type { BudgetGuard } from "../budget/guard.ts";
import type { PolicyStore } from "../budget/policy.ts";
import type { RequestLedger } from "../ledger/requests.ts";
import type { TokenUsage } from "../providers/types.ts";
import type { PriceQuote } from "./settle.ts";

export interface ExternalUsageDeps {
  ledger: RequestLedger;
  policies: PolicyStore;
  budget: BudgetGuard;
  /** List price of a call to any provider (unknown ones at the protective unpriced rates). */
  listPrice: (provider: string, model: string, usage: TokenUsage) => PriceQuote;
  /** Runs `work` in one SQLite write transaction. */
  transaction: <T>(work: () => T) => T;
}

/** A call that another provider answered, as the site reports it after the fact. */
export interface ExternalUsage {
  requestId: string;
  siteId: string;
  source: string;
  provider: string;
  model: string;
  usage: TokenUsage;
  /** reported: the provider's own counts; estimated: the site counted the text. */
  usageSource: "reported" | "estimated";
  finishReason: string | null;
  /** What the provider said the call cost, kept beside the gateway's price as a cross-check. */
  providerCostPicoUsd: number | undefined;
  latencyMs: number | null;
  now: number;
}

export interface RecordedUsage {
  costPicoUsd: number;
  priced: boolean;
}

/**
 * Records a call made without the gateway: one finished ledger row and its
 * cost charged to the site's day and month, in one transaction. The money is
 * already spent, so nothing is refused for a cap: the charge counts against
 * the caps from now on (the plugin's prevent filter refuses the next prompt).
 */
export function recordExternalUsage(deps: ExternalUsageDeps, input: ExternalUsage): RecordedUsage {
  const quote = deps.listPrice(input.provider, input.model, input.usage);
  return deps.transaction(() => {
    const policy = deps.policies.effective(input.siteId);
    deps.ledger.open({
      id: input.requestId,
      siteId: input.siteId,
      visitor: undefined,
      provider: input.provider,
      model: input.model,
      requestedModel: `${input.provider}/${input.model}`,
      streamed: false,
      startedAt: input.now,
      inputTokens: input.usage.inputTokens,
      maxTokens: input.usage.outputTokens,
      reservedPicoUsd: 0,
      degradedFrom: null,
      source: input.source,
    });
    // A reservation of nothing always fits; settling it charges the windows of `now`.
    deps.budget.reserve({
      requestId: input.requestId,
      siteId: input.siteId,
      visitor: undefined,
      amountPicoUsd: 0,
      policy,
      now: input.now,
    });
    deps.ledger.settle(input.requestId, {
      status: "ok",
      usage: input.usage,
      usageSource: input.usageSource,
      costPicoUsd: quote.costPicoUsd,
      priced: quote.priced,
      providerCostPicoUsd: input.providerCostPicoUsd,
      finishReason: input.finishReason,
      errorCode: null,
      latencyMs: input.latencyMs ?? 0,
      ttfcMs: null,
      finishedAt: input.now,
      provider: input.provider,
      model: input.model,
    });
    deps.budget.settle(input.requestId, quote.costPicoUsd);
    return quote;
  });
}
