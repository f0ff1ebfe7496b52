import type { RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { ProviderStreamError } from "../errors.ts";
import type { ProviderEvent } from "../types.ts";
import { abortError, toStreamError } from "./errors.ts";
import { toFinishReason } from "./finish.ts";
import { foldUsage, NO_ANTHROPIC_USAGE, toTokenUsage } from "./usage.ts";

/**
 * Turns Anthropic's Messages stream into canonical events:
 * `message_start` → usage, text deltas → text-delta, `message_delta` → usage
 * (cumulative, folded), `message_stop` → finish. Thinking deltas are not text
 * (their tokens are already in output_tokens); `ping` never reaches here (the
 * SDK drops it). A stream that ends without `message_stop` was cut.
 */
export async function* toProviderEvents(
  events: AsyncIterable<RawMessageStreamEvent>,
  signal: AbortSignal,
  upstreamRequestId: string | undefined,
): AsyncGenerator<ProviderEvent, void, undefined> {
  let usage = { ...NO_ANTHROPIC_USAGE };
  let stopReason: string | null = null;
  let stopped = false;
  try {
    for await (const event of events) {
      switch (event.type) {
        case "message_start":
          usage = foldUsage(usage, event.message.usage);
          yield { type: "usage", usage: toTokenUsage(usage) };
          break;
        case "content_block_delta":
          if (event.delta.type === "text_delta" && event.delta.text.length > 0) {
            yield { type: "text-delta", text: event.delta.text };
          }
          break;
        case "message_delta":
          stopReason = event.delta.stop_reason ?? stopReason;
          if (event.usage) {
            usage = foldUsage(usage, event.usage);
            yield { type: "usage", usage: toTokenUsage(usage) };
          }
          break;
        case "message_stop":
          stopped = true;
          yield { type: "finish", reason: toFinishReason(stopReason), rawReason: stopReason };
          break;
        default:
          break;
      }
    }
  } catch (error) {
    throw toStreamError(error, signal, upstreamRequestId);
  }
  if (stopped) return;
  // The SDK ends its iterator quietly when the request is aborted.
  if (signal.aborted) throw abortError(signal);
  throw new ProviderStreamError("anthropic: stream ended before message_stop", {
    provider: "anthropic",
    upstreamRequestId,
  });
}
