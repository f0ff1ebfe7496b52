import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { ProviderStreamError } from "../errors.ts";
import type { ProviderEvent } from "../types.ts";
import { abortError, toStreamError } from "./errors.ts";
import { toFinishReason } from "./finish.ts";
import { toTokenUsage } from "./usage.ts";

/**
 * Turns ConverseStream events into canonical events: text deltas →
 * text-delta, `metadata` → usage, and once both `messageStop` and `metadata`
 * arrived → finish. Exception frames are thrown by the SDK and become a
 * ProviderStreamError; a stream that ends before both terminal events was cut.
 *
 * `cancel` aborts the upstream request when the caller stops iterating early:
 * the SDK's event-stream iterable does not pass return() on to the socket.
 */
export async function* toProviderEvents(
  events: AsyncIterable<ConverseStreamOutput>,
  signal: AbortSignal,
  upstreamRequestId: string | undefined,
  cancel: AbortController,
): AsyncGenerator<ProviderEvent, void, undefined> {
  let stopReason: string | null = null;
  let stopped = false;
  let metered = false;
  let finished = false;
  let drained = false;
  try {
    for await (const event of events) {
      if (finished) continue;
      if (event.contentBlockDelta) {
        const text = event.contentBlockDelta.delta?.text;
        if (text) yield { type: "text-delta", text };
      } else if (event.messageStop) {
        stopped = true;
        stopReason = event.messageStop.stopReason ?? null;
      } else if (event.metadata) {
        metered = true;
        if (event.metadata.usage) {
          yield { type: "usage", usage: toTokenUsage(event.metadata.usage) };
        }
      }
      if (stopped && metered) {
        finished = true;
        yield { type: "finish", reason: toFinishReason(stopReason), rawReason: stopReason };
      }
    }
    drained = true;
  } catch (error) {
    drained = true;
    // Everything arrived; a failure while the connection winds down is moot.
    if (finished) return;
    throw toStreamError(error, signal, upstreamRequestId);
  } finally {
    if (!drained) cancel.abort();
  }
  if (finished) return;
  if (signal.aborted) throw abortError(signal);
  throw new ProviderStreamError("bedrock: stream ended before messageStop and metadata", {
    provider: "bedrock",
    upstreamRequestId,
  });
}
