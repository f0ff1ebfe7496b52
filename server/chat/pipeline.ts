import { performance } from "node:perf_hooks";
import type { RequestLedger, RequestStatus } from "../ledger/requests.ts";
import { ProviderError } from "../providers/errors.ts";
import {
  type FinishReason,
  type ProviderId,
  type TokenUsage,
  ZERO_USAGE,
} from "../providers/types.ts";
import type { OpenedRoute, Router } from "../routing/router.ts";
import { countMessageTokens } from "../tokens/count.ts";
import type { ChatSink, UsageFinalEvent } from "./events.ts";
import type { ChatRequest } from "./schema.ts";
import { settleUsage } from "./usage.ts";

export interface PriceQuote {
  costPicoUsd: number;
  priced: boolean;
}

export interface ChatDeps {
  router: Router;
  ledger: RequestLedger;
  price: (provider: ProviderId, model: string, usage: TokenUsage) => PriceQuote;
}

export interface ChatInput {
  requestId: string;
  siteId: string;
  request: ChatRequest;
  streamed: boolean;
  /** Aborted when the client goes away: cancels the provider call. */
  signal: AbortSignal;
  /** performance.now() when the request arrived. */
  receivedAt: number;
}

const PICO_PER_USD = 1e12;

/**
 * One chat, from routing to settlement. Failures before the upstream call is
 * open are thrown (the route answers with a real HTTP status); after that they
 * go to the sink as an error event. Whatever happens, the ledger row is
 * settled in `finally` with what was consumed, and the sink gets usage_final.
 */
export async function runChat(deps: ChatDeps, input: ChatInput, sink: ChatSink): Promise<void> {
  const { request, signal } = input;
  const requestedModel = request.model ?? "auto";
  const inputEstimate = countMessageTokens(request.messages);
  const targets = deps.router.plan(requestedModel, inputEstimate, request.max_tokens);
  const planned = targets[0]?.info;
  if (!planned) throw new Error("router returned no target");

  deps.ledger.open({
    id: input.requestId,
    siteId: input.siteId,
    visitor: request.user,
    provider: planned.provider,
    model: planned.model,
    requestedModel,
    streamed: input.streamed,
    startedAt: Date.now(),
  });

  let route: OpenedRoute | undefined;
  let text = "";
  let reported: TokenUsage | undefined;
  let providerCostUsd: number | undefined;
  let finishReason: FinishReason | null = null;
  let status: Exclude<RequestStatus, "open"> = "error";
  let errorCode: string | null = null;
  let ttfcMs: number | null = null;

  try {
    route = await deps.router.open(targets, request.messages, request.temperature, signal);
    const { info, maxTokens } = route.target;
    await sink.start({
      type: "usage_start",
      request_id: input.requestId,
      provider: info.provider,
      model: info.model,
      input_tokens: inputEstimate,
      max_tokens: maxTokens,
      requested_model: requestedModel,
    });
    try {
      for await (const event of route.events) {
        if (event.type === "text-delta") {
          if (ttfcMs === null) ttfcMs = Math.round(performance.now() - input.receivedAt);
          text += event.text;
          await sink.content(event.text, info.provider);
          if (signal.aborted) break;
        } else if (event.type === "usage") {
          reported = event.usage;
          providerCostUsd = event.providerCostUsd;
        } else {
          finishReason = event.reason;
        }
      }
      signal.throwIfAborted();
      status = "ok";
      finishReason ??= "other";
    } catch (error) {
      if (signal.aborted) {
        status = "aborted";
        finishReason = "aborted";
      } else {
        errorCode = error instanceof ProviderError ? error.code : "internal_error";
        finishReason = "error";
        await sink.fail({
          type: "error",
          code: errorCode,
          message:
            error instanceof ProviderError
              ? error.message
              : "the answer stopped because of an internal error",
        });
      }
    }
  } catch (error) {
    status = signal.aborted ? "aborted" : "error";
    errorCode =
      error instanceof ProviderError ? error.code : signal.aborted ? null : "internal_error";
    finishReason = signal.aborted ? "aborted" : "error";
    throw error;
  } finally {
    const opened = route?.target.info ?? planned;
    const { usage, source } = route
      ? settleUsage({ reported, completed: status === "ok", text, inputEstimate })
      : { usage: { ...ZERO_USAGE }, source: "none" as const };
    const quote = route
      ? deps.price(opened.provider, opened.model, usage)
      : { costPicoUsd: 0, priced: true };
    const latencyMs = Math.round(performance.now() - input.receivedAt);
    const providerCostPicoUsd =
      providerCostUsd === undefined ? undefined : Math.round(providerCostUsd * PICO_PER_USD);
    deps.ledger.settle(input.requestId, {
      status,
      provider: opened.provider,
      model: opened.model,
      usage,
      usageSource: source,
      costPicoUsd: quote.costPicoUsd,
      priced: quote.priced,
      providerCostPicoUsd,
      finishReason,
      errorCode,
      latencyMs,
      ttfcMs,
      finishedAt: Date.now(),
    });
    if (route) {
      deps.router.observe(opened.id, {
        failed: status === "error",
        ...(ttfcMs === null ? {} : { ttfcMs }),
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
        cost_usd: quote.costPicoUsd / PICO_PER_USD,
        cost_picousd: quote.costPicoUsd,
        priced: quote.priced,
        usage_source: source,
        finish_reason: finishReason,
        latency_ms: latencyMs,
        ttfc_ms: ttfcMs,
      };
      if (providerCostUsd !== undefined) final.provider_cost_usd = providerCostUsd;
      await sink.finish(final);
    }
  }
}
