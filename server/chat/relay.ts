import type { Clock } from "../clock.ts";
import type { RequestStatus } from "../ledger/requests.ts";
import { ProviderError } from "../providers/errors.ts";
import type { FinishReason, TokenUsage } from "../providers/types.ts";
import type { OpenedRoute } from "../routing/dialer.ts";
import { countTextTokens } from "../tokens/count.ts";
import type { StreamDeadline } from "./deadline.ts";
import type { ChatSink } from "./events.ts";

/** What a chat's upstream call produced, whatever happened: what settlement bills. */
export interface Tally {
  status: Exclude<RequestStatus, "open">;
  text: string;
  /** The provider's own count, if it sent one. */
  reported: TokenUsage | undefined;
  providerCostUsd: number | undefined;
  finishReason: FinishReason | null;
  errorCode: string | null;
  /** The failure in full, for the admin's request list (clients get the code). */
  errorMessage: string | null;
  ttfcMs: number | null;
}

export function emptyTally(): Tally {
  return {
    status: "error",
    text: "",
    reported: undefined,
    providerCostUsd: undefined,
    finishReason: null,
    errorCode: null,
    errorMessage: null,
    ttfcMs: null,
  };
}

export interface RelayInput {
  requestId: string;
  /** The request's arrival, on clock.monotonic(). */
  receivedAt: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Records a running stream's output so far, for crash recovery. */
  checkpoint: (requestId: string, outputTokens: number) => void;
}

/** How often a running stream records its progress, so a crash still bills it. */
const CHECKPOINT_INTERVAL_MS = 1000;

/**
 * Relays an open route's events to the sink until the stream ends, the
 * client goes or the deadline runs out, and returns the tally. A failure
 * here goes to the sink as an error frame; the tally says what to bill.
 */
export async function relay(
  route: OpenedRoute,
  sink: ChatSink,
  deadline: StreamDeadline,
  clock: Clock,
  input: RelayInput,
): Promise<Tally> {
  const { signal } = input;
  const provider = route.target.info.provider;
  const tally = emptyTally();
  let nextCheckpoint = clock.monotonic() + CHECKPOINT_INTERVAL_MS;
  let checkpointChars = 0;
  let checkpointTokens = 0;
  const events = route.events[Symbol.asyncIterator]();
  try {
    for (;;) {
      // Raced with the deadline: a provider that ignores the abort cannot hold the chat.
      const next = await Promise.race([events.next(), deadline.expired]);
      if (next.done) break;
      const event = next.value;
      if (event.type === "text-delta") {
        deadline.touch();
        tally.ttfcMs ??= Math.round(clock.monotonic() - input.receivedAt);
        tally.text += event.text;
        // A promise only while the client's socket is full (backpressure).
        const full = sink.content(event.text, provider);
        if (full) {
          deadline.pause();
          await Promise.race([full, deadline.expired]);
          deadline.resume();
        }
        if (clock.monotonic() >= nextCheckpoint) {
          // Only the text added since the last checkpoint is counted, so this stays linear.
          checkpointTokens += countTextTokens(tally.text.slice(checkpointChars));
          checkpointChars = tally.text.length;
          input.checkpoint(input.requestId, checkpointTokens);
          nextCheckpoint = clock.monotonic() + CHECKPOINT_INTERVAL_MS;
        }
        if (signal.aborted) break;
      } else if (event.type === "usage") {
        tally.reported = event.usage;
        tally.providerCostUsd = event.providerCostUsd;
      } else {
        tally.finishReason = event.reason;
      }
    }
    signal.throwIfAborted();
    tally.status = "ok";
    tally.finishReason ??= "other";
  } catch (caught) {
    // The provider call ends with the chat (for await would call return() too).
    void events.return?.()?.catch(() => undefined);
    if (signal.aborted) {
      tally.status = "aborted";
      tally.finishReason = "aborted";
      return tally;
    }
    const error = deadline.error ?? caught;
    tally.status = "error";
    tally.finishReason = "error";
    tally.errorCode = error instanceof ProviderError ? error.code : "internal_error";
    tally.errorMessage = error instanceof Error ? error.message : String(error);
    // The sink words the message for the client; this one is for the log and the ledger.
    const full = sink.fail({ type: "error", code: tally.errorCode, message: tally.errorMessage });
    // A client that stopped reading cannot hold the chat past its deadline.
    if (full) await Promise.race([full, deadline.expired]).catch(() => undefined);
  }
  return tally;
}
