import type {
  MessageCreateParamsStreaming,
  MessageParam,
} from "@anthropic-ai/sdk/resources/messages";
import { toAlternatingTurns } from "../turns.ts";
import type { ProviderCall } from "../types.ts";

/**
 * Builds the Messages API request: the system prompt apart, user and
 * assistant alternating (see toAlternatingTurns).
 *
 * `call.temperature` is not sent: API version 2026-10-21 (which this SDK major
 * speaks) removed temperature, top_p and top_k and answers 400 to any of them.
 */
export function toMessageRequest(call: ProviderCall): MessageCreateParamsStreaming {
  const { system, turns } = toAlternatingTurns(call.messages);
  const request: MessageCreateParamsStreaming = {
    model: call.model,
    max_tokens: call.maxTokens,
    messages: turns.map((turn): MessageParam => ({ ...turn })),
    stream: true,
  };
  if (system.length > 0) request.system = system;
  return request;
}
