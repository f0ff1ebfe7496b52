import type {
  MessageCreateParamsStreaming,
  MessageParam,
} from "@anthropic-ai/sdk/resources/messages";
import type { ChatMessage, ProviderCall } from "../types.ts";

const TURN_SEPARATOR = "\n\n";

interface Turn {
  role: "user" | "assistant";
  content: string;
}

/**
 * Builds the Messages API request. System messages go to the separate
 * `system` field (joined in order); consecutive user or assistant messages
 * are merged, because the API expects the roles to alternate.
 *
 * `call.temperature` is not sent: API version 2026-10-21 (which this SDK major
 * speaks) removed temperature, top_p and top_k and answers 400 to any of them.
 */
export function toMessageRequest(call: ProviderCall): MessageCreateParamsStreaming {
  const system = call.messages
    .filter((message) => message.role === "system")
    .map((message) => message.content)
    .join(TURN_SEPARATOR);
  const request: MessageCreateParamsStreaming = {
    model: call.model,
    max_tokens: call.maxTokens,
    messages: toTurns(call.messages).map((turn): MessageParam => ({ ...turn })),
    stream: true,
  };
  if (system.length > 0) request.system = system;
  return request;
}

function toTurns(messages: readonly ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.role === "system") continue;
    const previous = turns.at(-1);
    if (previous?.role === message.role) {
      previous.content = `${previous.content}${TURN_SEPARATOR}${message.content}`;
    } else {
      turns.push({ role: message.role, content: message.content });
    }
  }
  return turns;
}
