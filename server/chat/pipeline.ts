import { performance } from "node:perf_hooks";
import { GatewayError } from "../http/errors.ts";
import type { RequestLedger, RequestStatus, SettledRequest } from "../ledger/requests.ts";
import { ProviderError } from "../providers/errors.ts";
import {
  type FinishReason,
  type ProviderId,
  type TokenUsage,
  ZERO_USAGE,
} from "../providers/types.ts";
import type { OpenedRoute, Router } from "../routing/router.ts";
import { countMessageTokens, countTextTokens } from "../tokens/count.ts";
import { type AdmissionDeps, admit } from "./admission.ts";
import { type DeadlineLimits, StreamDeadline } from "./deadline.ts";
import type { ChatSink, UsageFinalEvent } from "./events.ts";
import type { ChatRequest } from "./schema.ts";
import { settleUsage } from "./usage.ts";

export interface PriceQuote {
  costPicoUsd: number;
  priced: boolean;
}

export interface ChatDeps extends AdmissionDeps {
  router: Router;
  ledger: RequestLedger;
  price: (provider: ProviderId, model: string, usage: TokenUsage) => PriceQuote;
  /** Settles the ledger row and the budget reservation in one transaction. */
  settle: (requestId: string, outcome: SettledRequest) => Promise<void>;
  /** Runs `work` in one SQLite write transaction. */
  transaction: <T>(work: () => T) => T;
  /** How long a provider may stay silent mid-stream, and how long a whole chat may take. */
  deadlines: DeadlineLimits;
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
/** How often a running stream records its progress, so a crash still bills it. */
const CHECKPOINT_INTERVAL_MS = 1000;

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
  // Admission and the ledger row are one transaction: one commit before the upstream call.
  const choice = admitOrRefuse(() =>
    deps.transaction(() => {
      const admitted = admit(deps, {
        requestId: input.requestId,
        siteId: input.siteId,
        visitor: request.user,
        requestedModel,
        inputTokens: inputEstimate,
        maxTokens: request.max_tokens,
        now: Date.now(),
      });
      deps.ledger.open({
        id: input.requestId,
        siteId: input.siteId,
        visitor: request.user,
        provider: admitted.target.info.provider,
        model: admitted.target.info.model,
        requestedModel,
        streamed: input.streamed,
        startedAt: Date.now(),
        inputTokens: inputEstimate,
        maxTokens: admitted.target.maxTokens,
        reservedPicoUsd: admitted.reservedPicoUsd,
        degradedFrom: admitted.degradedFrom,
      });
      return admitted;
    }),
  );
  const planned = choice.target.info;
  let nextCheckpoint = performance.now() + CHECKPOINT_INTERVAL_MS;
  let checkpointChars = 0;
  let checkpointTokens = 0;

  let route: OpenedRoute | undefined;
  let text = "";
  let reported: TokenUsage | undefined;
  let providerCostUsd: number | undefined;
  let finishReason: FinishReason | null = null;
  let status: Exclude<RequestStatus, "open"> = "error";
  let errorCode: string | null = null;
  let errorMessage: string | null = null;
  let ttfcMs: number | null = null;
  // Aborts the provider call when the client goes, the provider stalls or the chat runs too long.
  const deadline = new StreamDeadline(deps.deadlines, input.receivedAt, planned.provider, signal);

  try {
    route = await deps.router.open(
      [choice.target, ...choice.fallbacks],
      request.messages,
      request.temperature,
      deadline.upstream.signal,
    );
    const { info, maxTokens } = route.target;
    deadline.opened(info.provider);
    await sink.start({
      type: "usage_start",
      request_id: input.requestId,
      provider: info.provider,
      model: info.model,
      input_tokens: inputEstimate,
      max_tokens: maxTokens,
      requested_model: requestedModel,
      degraded: choice.degradedFrom !== null,
      degraded_from: choice.degradedFrom,
      max_tokens_lowered_from: choice.loweredFrom,
      reserved_usd: choice.reservedPicoUsd / PICO_PER_USD,
    });
    const events = route.events[Symbol.asyncIterator]();
    try {
      for (;;) {
        // Raced with the deadline: a provider that ignores the abort cannot hold the chat.
        const next = await Promise.race([events.next(), deadline.expired]);
        if (next.done) break;
        const event = next.value;
        if (event.type === "text-delta") {
          deadline.touch();
          if (ttfcMs === null) ttfcMs = Math.round(performance.now() - input.receivedAt);
          text += event.text;
          // A promise only while the client's socket is full (backpressure).
          const full = sink.content(event.text, info.provider);
          if (full) {
            deadline.pause();
            await Promise.race([full, deadline.expired]);
            deadline.resume();
          }
          if (performance.now() >= nextCheckpoint) {
            // Only the text added since the last checkpoint is counted, so this stays linear.
            checkpointTokens += countTextTokens(text.slice(checkpointChars));
            checkpointChars = text.length;
            deps.ledger.checkpoint(input.requestId, checkpointTokens);
            nextCheckpoint = performance.now() + CHECKPOINT_INTERVAL_MS;
          }
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
    } catch (caught) {
      if (signal.aborted) {
        status = "aborted";
        finishReason = "aborted";
      } else {
        const error = deadline.error ?? caught;
        errorCode = error instanceof ProviderError ? error.code : "internal_error";
        errorMessage = messageOf(error);
        finishReason = "error";
        const full = sink.fail({
          type: "error",
          code: errorCode,
          message:
            error instanceof ProviderError
              ? error.message
              : "the answer stopped because of an internal error",
        });
        // A client that stopped reading cannot hold the chat past its deadline.
        if (full) await Promise.race([full, deadline.expired]).catch(() => undefined);
      }
      // The provider call ends with the chat (for await would call return() too).
      void events.return?.()?.catch(() => undefined);
    }
  } catch (caught) {
    const error = signal.aborted ? caught : (deadline.error ?? caught);
    status = signal.aborted ? "aborted" : "error";
    errorCode =
      error instanceof ProviderError ? error.code : signal.aborted ? null : "internal_error";
    finishReason = signal.aborted ? "aborted" : "error";
    if (!signal.aborted) errorMessage = messageOf(error);
    throw error;
  } finally {
    deadline.stop();
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
    await deps.settle(input.requestId, {
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
      errorMessage,
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A database that refuses the admission's write (disk full, I/O error) is a
 * 503 the client can act on, not an internal error: nothing was reserved and
 * no provider was called.
 */
function admitOrRefuse<T>(admit: () => T): T {
  try {
    return admit();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) {
      throw new GatewayError(
        503,
        "ledger_unavailable",
        "the gateway cannot record spend right now; try again shortly",
        { "Retry-After": "30" },
      );
    }
    throw error;
  }
}
