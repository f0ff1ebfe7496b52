import type { BudgetChoice } from "../budget/choose.ts";
import type { Clock } from "../clock.ts";
import { keepMetadata, type MetadataPrivacy } from "../ledger/metadata-privacy.ts";
import type { SettledRequest } from "../ledger/requests.ts";
import type { RecordedTurn } from "../ledger/transcripts.ts";
import { picoUsdToUsd } from "../pricing/money.ts";
import { ProviderError } from "../providers/errors.ts";
import { Refusal } from "../refusal.ts";
import type { Dialer, OpenedRoute } from "../routing/dialer.ts";
import type { RouteTarget } from "../routing/planner.ts";
import { countMessageTokens } from "../tokens/count.ts";
import { type AdmissionDeps, admitAndRecord } from "./admission.ts";
import { type DeadlineLimits, StreamDeadline } from "./deadline.ts";
import type { ChatSink } from "./events.ts";
import { emptyTally, relay, type Tally } from "./relay.ts";
import type { ChatRequest } from "./schema.ts";
import { type SettleDeps, settleChat } from "./settle.ts";

export type { PriceQuote } from "./settle.ts";

export interface ChatDeps extends AdmissionDeps, Omit<SettleDeps, "observe"> {
  dialer: Dialer;
  clock: Clock;
  /** How long a provider may stay silent mid-stream, and how long a whole chat may take. */
  deadlines: DeadlineLimits;
  /** Told of each chat as it goes (the gateway's metrics); it changes nothing. */
  observer?: ChatObserver;
  /** What the ledger keeps of visitor ids and error texts (SLUICE_HASH_METADATA). Default: as they came. */
  metadata?: MetadataPrivacy;
  /** Keeps a chat's question and answer when its body asks (`transcript: true`). */
  transcripts?: { record(turn: RecordedTurn): void };
}

export interface ChatObserver {
  /** Admission refused the chat: nothing was reserved, called or recorded. */
  refused(siteId: string, refusal: Refusal): void;
  /** The provider call is open; `settled` follows. */
  opened(target: RouteTarget): void;
  /** What the ledger is told of the chat, as it is told; `opened`: the call had opened. */
  settled(siteId: string, outcome: SettledRequest, opened: boolean): void;
}

export interface ChatInput {
  requestId: string;
  siteId: string;
  request: ChatRequest;
  streamed: boolean;
  /** Aborted when the client goes away: cancels the provider call. */
  signal: AbortSignal;
  /** clock.monotonic() when the request arrived. */
  receivedAt: number;
}

/**
 * One chat, top to bottom:
 * 1. admit and record: policy, plan, reservation and the ledger row, one transaction;
 * 2. open: dial the planned targets (retries, failover, first-byte time-out);
 * 3. relay: stream the answer to the sink, under the stall and length deadlines;
 * 4. settle: bill the tally (ledger row, reservation), then usage_final.
 * A failure before the call is open is thrown (the route answers with a real
 * HTTP status); after that it goes to the sink as an error frame. Settlement
 * runs whatever happened.
 */
export async function runChat(deps: ChatDeps, input: ChatInput, sink: ChatSink): Promise<void> {
  const { request, signal } = input;
  const { clock } = deps;
  const privacy = deps.metadata ?? keepMetadata;
  const requestedModel = request.model ?? "auto";
  const inputEstimate = countMessageTokens(request.messages);
  let choice: BudgetChoice;
  try {
    choice = admitAndRecord(deps, {
      requestId: input.requestId,
      siteId: input.siteId,
      visitor: privacy.visitor(request.user),
      requestedModel,
      inputTokens: inputEstimate,
      maxTokens: request.max_tokens,
      now: clock.now(),
      streamed: input.streamed,
      source: request.source,
    });
  } catch (error) {
    if (error instanceof Refusal) deps.observer?.refused(input.siteId, error);
    throw error;
  }
  // Aborts the provider call when the client goes, the provider stalls or the chat runs too long.
  const deadline = new StreamDeadline(
    deps.deadlines,
    clock,
    input.receivedAt,
    choice.target.info.provider,
    signal,
  );
  let route: OpenedRoute | undefined;
  let tally: Tally = emptyTally();
  const settle: ChatDeps["settle"] = (requestId, outcome) => {
    deps.observer?.settled(input.siteId, outcome, route !== undefined);
    return deps.settle(requestId, privacy.settled(outcome));
  };
  try {
    route = await deps.dialer.dial(
      [choice.target, ...choice.fallbacks],
      request.messages,
      request.temperature,
      deadline.upstream.signal,
      input.siteId,
    );
    deps.observer?.opened(route.target);
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
      reserved_usd: picoUsdToUsd(choice.reservedPicoUsd),
    });
    tally = await relay(route, sink, deadline, clock, {
      requestId: input.requestId,
      receivedAt: input.receivedAt,
      signal,
      checkpoint: (id, outputTokens) => deps.ledger.checkpoint(id, outputTokens),
    });
  } catch (caught) {
    // The call never opened: nothing to bill but the failure to record.
    const error = signal.aborted ? caught : (deadline.error ?? caught);
    tally = { ...emptyTally(), status: signal.aborted ? "aborted" : "error" };
    tally.finishReason = signal.aborted ? "aborted" : "error";
    if (!signal.aborted) {
      tally.errorCode =
        error instanceof ProviderError || error instanceof Refusal ? error.code : "internal_error";
      tally.errorMessage = error instanceof Error ? error.message : String(error);
    }
    throw error;
  } finally {
    deadline.stop();
    await settleChat(
      { ...deps, settle, observe: (id, outcome) => deps.dialer.observe(id, outcome) },
      {
        requestId: input.requestId,
        inputEstimate,
        latencyMs: Math.round(clock.monotonic() - input.receivedAt),
        finishedAt: clock.now(),
      },
      choice,
      route,
      tally,
      sink,
    );
    if (request.transcript === true && route !== undefined) {
      recordTranscript(deps, input, privacy.visitor(request.user), tally.text);
    }
  }
}

/** The chat's turn for the site's transcripts: the last user message and the answer as streamed. */
function recordTranscript(
  deps: ChatDeps,
  input: ChatInput,
  visitor: string | undefined,
  answer: string,
): void {
  const question = input.request.messages.findLast((message) => message.role === "user");
  if (!deps.transcripts || !question) return;
  try {
    deps.transcripts.record({
      requestId: input.requestId,
      siteId: input.siteId,
      conversationId: input.request.conversation_id ?? input.requestId,
      visitor,
      question: question.content,
      answer,
      at: deps.clock.now(),
    });
  } catch (error) {
    // The chat is answered and billed; only its transcript is lost.
    process.emitWarning(`transcript not written: ${(error as Error).message}`);
  }
}
